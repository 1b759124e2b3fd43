"""The fake Discord of tests/ in a process of its own, driven by JSON lines (for bench.load).

    python -m bench.fake_process [--members NAME ...]

Real Discord runs on other machines: a bot measured against a fake in its own process and
event loop is charged with the fake's work too (building payloads, its HTTP handlers, JSON,
the rule checks). Here the fake has a process of its own. It starts on 127.0.0.1, adds the
members, and prints one line: `{"base_url": ..., "application_id": ..., "channel_id": ...}`.
Then it reads one JSON request a line on stdin, handles each in a task of its own (so
requests run concurrently, as a burst of users would) and answers each with one line
carrying the request's "id":

- `{"op": "quote", "user": U, "query": Q}` → `{"ms": ...}`: /quote through the gateway,
  timed here, from the interaction's dispatch to the last reply (`end_to_end`);
- `{"op": "payload", "user": U, "query": Q}` → `{"payload": {...}}`: that /quote's
  INTERACTION_CREATE, built but not sent (the bench hands it to discord.py itself);
- `{"op": "reindex"}` → `{"title": ..., "summary": ...}`: a forced /reindex of the base
  corpus by the application's owner, once it has finished or failed;
- `{"op": "violations"}` → `{"violations": [...]}`: the Discord rules broken so far;
- `{"op": "cpu"}` → `{"cpu_s": ...}`: this process's CPU time so far (what the fake costs).

A request that fails is answered `{"id": ..., "error": "..."}`. At the end of stdin (the
bench closed it, or died) the fake stops and the process exits: it never outlives the bench.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

from tests.fake_discord import FakeDiscord

QUOTE_TIMEOUT = 120.0  # seconds for one /quote's answer (a burst on a busy machine)
REINDEX_TIMEOUT = 3600.0
REINDEX_ENDED = ("Reindex finished", "Reindex failed")  # not the progress message


async def end_to_end(fake: FakeDiscord, user: str, query: str) -> float:
    """/quote through the fake Discord: ms from the interaction's dispatch to the quotes."""
    rec = await fake.send_slash("quote", {"query": query}, user=user)
    await rec.wait_done(timeout=QUOTE_TIMEOUT)
    if not rec.embeds:
        raise RuntimeError(f"/quote {query!r} gave no quotes: {rec.summary()}")
    return max(e.at for e in rec.events if e.at is not None) * 1000


async def reindex_as_owner(fake: FakeDiscord) -> tuple[str | None, str]:
    """A forced /reindex of the shared base corpus ("owner" owns the application in the
    fake's world), once it ended: its last title and the interaction's summary."""
    rec = await fake.send_slash("reindex", {"force": True, "base": True}, user="owner")
    await rec.wait_for(lambda r: (r.embed or {}).get("title") in REINDEX_ENDED, REINDEX_TIMEOUT)
    return (rec.embed or {}).get("title"), rec.summary()


def quote_payload(fake: FakeDiscord, user: str, query: str) -> dict[str, Any]:
    return fake.slash_payload("quote", {"query": query}, user=user)


def violations(fake: FakeDiscord) -> list[str]:
    return [str(v) for v in fake.violations]


Handler = Callable[[FakeDiscord, dict[str, Any]], Awaitable[dict[str, Any]]]


async def _quote(fake: FakeDiscord, req: dict[str, Any]) -> dict[str, Any]:
    return {"ms": await end_to_end(fake, req["user"], req["query"])}


async def _payload(fake: FakeDiscord, req: dict[str, Any]) -> dict[str, Any]:
    return {"payload": quote_payload(fake, req["user"], req["query"])}


async def _reindex(fake: FakeDiscord, req: dict[str, Any]) -> dict[str, Any]:
    title, summary = await reindex_as_owner(fake)
    return {"title": title, "summary": summary}


async def _violations(fake: FakeDiscord, req: dict[str, Any]) -> dict[str, Any]:
    return {"violations": violations(fake)}


async def _cpu(fake: FakeDiscord, req: dict[str, Any]) -> dict[str, Any]:
    return {"cpu_s": time.process_time()}


OPS: dict[str, Handler] = {
    "quote": _quote,
    "payload": _payload,
    "reindex": _reindex,
    "violations": _violations,
    "cpu": _cpu,
}


def _say(message: dict[str, Any]) -> None:
    # One write of a whole line: the bench reads the replies line by line.
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


async def _answer(fake: FakeDiscord, req: dict[str, Any]) -> None:
    rid = req.get("id")
    try:
        handler = OPS.get(str(req.get("op")))
        if handler is None:
            raise ValueError(f"unknown op {req.get('op')!r} (known: {', '.join(OPS)})")
        reply = await handler(fake, req)
    except Exception as exc:  # the bench decides what an error means; the fake carries on
        reply = {"error": f"{type(exc).__name__}: {exc}"}
    _say({"id": rid, **reply})


async def serve(members: list[str]) -> None:
    loop = asyncio.get_running_loop()
    stdin = asyncio.StreamReader(limit=2**24)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stdin), sys.stdin)
    tasks: set[asyncio.Task[None]] = set()
    async with FakeDiscord(ack_deadline=3.0) as fake:
        for name in members:
            fake.add_member(name)
        _say(
            {
                "base_url": fake.base_url,
                "application_id": fake.application_id,
                "channel_id": fake.channel_id,
            }
        )
        try:
            while line := await stdin.readline():
                if not line.strip():
                    continue
                task = loop.create_task(_answer(fake, json.loads(line)))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
        finally:  # the bench is gone or done: nothing left is worth waiting for
            for task in tasks:
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.gather(*tasks, return_exceptions=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", nargs="*", default=[], help="users to add to the guild")
    args = parser.parse_args(argv)
    asyncio.run(serve(args.members))


if __name__ == "__main__":
    main()
