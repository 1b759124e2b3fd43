"""The fake Discord as bench.load sees it: in a process of its own (`RemoteFake`, the faithful
default: real Discord is another machine) or in the bench's own process and event loop
(`LocalFake`, `--fake-in-process`: its CPU is then charged to the bot).

Both answer the same calls, so the scenarios do not know which they talk to. `RemoteFake`
speaks bench/fake_process.py's JSON lines: each request becomes a future, resolved by the
task that reads the replies. The child dying, or not answering in time, fails every request
with `FakeProcessError` (a clear message, never a hang); the child is always stopped when
the link closes, and stops by itself when the bench dies (the end of its stdin).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Protocol

from bench.fake_process import (
    QUOTE_TIMEOUT,
    REINDEX_TIMEOUT,
    end_to_end,
    quote_payload,
    reindex_as_owner,
    violations,
)
from tests.fake_discord import FakeDiscord

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT = 60.0  # the child imports discord.py and aiohttp, on a busy machine
ASK_TIMEOUT = 60.0  # a payload or the violations: no work of the bot's
REPLY_MARGIN = 10.0  # over the child's own timeouts, whose errors say more
STOP_TIMEOUT = 5.0


class FakeProcessError(RuntimeError):
    """The fake Discord's process died, or did not answer in time."""


class FakeLink(Protocol):
    base_url: str
    application_id: int
    channel_id: int
    local: FakeDiscord | None  # the fake itself, when it runs in this process

    async def quote(self, user: str, query: str) -> float:
        """/quote end to end: ms from its dispatch to the quotes, timed by the fake."""
        ...

    async def payload(self, user: str, query: str) -> dict[str, Any]:
        """The INTERACTION_CREATE of that /quote, built but not sent."""
        ...

    async def reindex(self) -> tuple[str | None, str]:
        """A forced /reindex of the base by the owner, once ended: its title, its summary."""
        ...

    async def violations(self) -> list[str]: ...

    async def cpu_seconds(self) -> float | None:
        """The fake's own process's CPU time so far; None when that process is the bench's."""
        ...


class LocalFake:
    """The fake in this process and event loop (what bench.load measured until now)."""

    def __init__(self, fake: FakeDiscord) -> None:
        self.local: FakeDiscord | None = fake
        self._fake = fake
        self.base_url = fake.base_url
        self.application_id = fake.application_id
        self.channel_id = fake.channel_id

    async def quote(self, user: str, query: str) -> float:
        return await end_to_end(self._fake, user, query)

    async def payload(self, user: str, query: str) -> dict[str, Any]:
        return quote_payload(self._fake, user, query)

    async def reindex(self) -> tuple[str | None, str]:
        return await reindex_as_owner(self._fake)

    async def violations(self) -> list[str]:
        return violations(self._fake)

    async def cpu_seconds(self) -> float | None:
        return None


class RemoteFake:
    """bench/fake_process.py in a child process, spoken to over its stdin and stdout."""

    local: FakeDiscord | None = None

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self._proc = proc
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._stderr: collections.deque[str] = collections.deque(maxlen=20)
        self._stderr_task = asyncio.get_running_loop().create_task(self._read_stderr())
        self._reader: asyncio.Task[None] | None = None
        self.gone: FakeProcessError | None = None  # set once the child cannot answer any more
        self.base_url = ""
        self.application_id = 0
        self.channel_id = 0

    @classmethod
    async def start(cls, members: list[str]) -> RemoteFake:
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        }
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.fake_process",
            "--members",
            *members,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=ROOT,
            env=env,
            limit=2**24,  # a reply line carries a payload or every violation
        )
        remote = cls(proc)
        try:
            await remote._hello()
        except BaseException:
            await remote.close()
            raise
        remote._reader = asyncio.get_running_loop().create_task(remote._read_replies())
        return remote

    @property
    def pid(self) -> int:
        return self._proc.pid

    @property
    def exit_code(self) -> int | None:
        """None while the child runs."""
        return self._proc.returncode

    async def _hello(self) -> None:
        assert self._proc.stdout is not None
        try:
            line = await asyncio.wait_for(self._proc.stdout.readline(), START_TIMEOUT)
        except TimeoutError:
            raise FakeProcessError(
                f"the fake Discord process did not start within {START_TIMEOUT:.0f} s"
                + self._last_words()
            ) from None
        if not line:
            raise await self._died()
        hello = json.loads(line)
        self.base_url = hello["base_url"]
        self.application_id = int(hello["application_id"])
        self.channel_id = int(hello["channel_id"])

    async def _read_stderr(self) -> None:
        assert self._proc.stderr is not None
        while line := await self._proc.stderr.readline():
            text = line.decode(errors="replace").rstrip()
            self._stderr.append(text)
            print(f"fake Discord: {text}", file=sys.stderr)  # its warnings, as in-process

    def _last_words(self) -> str:
        return "; its last output:\n" + "\n".join(self._stderr) if self._stderr else ""

    async def _died(self) -> FakeProcessError:
        """The error for a child whose output ended: how it ended, and its last words."""
        try:
            code = await asyncio.wait_for(self._proc.wait(), STOP_TIMEOUT)
        except TimeoutError:
            how = "closed its output but still runs"
        else:
            how = (
                f"was killed by {signal.Signals(-code).name}"
                if code < 0
                else f"exited with code {code}"
            )
        with contextlib.suppress(TimeoutError):  # what it wrote before it went
            await asyncio.wait_for(asyncio.shield(self._stderr_task), 1.0)
        return FakeProcessError(
            f"the fake Discord process (pid {self._proc.pid}) {how}" + self._last_words()
        )

    async def _read_replies(self) -> None:
        assert self._proc.stdout is not None
        try:
            while line := await self._proc.stdout.readline():
                reply = json.loads(line)
                future = self._pending.get(reply.get("id"))
                if future is not None and not future.done():
                    future.set_result(reply)
            self.gone = await self._died()
        except Exception as exc:  # a line that is not JSON: the protocol is broken
            self.gone = FakeProcessError(f"the fake Discord process wrote garbage: {exc}")
        for future in self._pending.values():
            if not future.done():
                future.set_exception(self.gone)

    async def _request(self, op: str, timeout: float, **fields: Any) -> dict[str, Any]:
        if self.gone is not None:
            raise self.gone
        assert self._proc.stdin is not None
        rid = next(self._ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[rid] = future
        try:
            try:
                self._proc.stdin.write(
                    (json.dumps({"id": rid, "op": op, **fields}) + "\n").encode()
                )
                await self._proc.stdin.drain()
            except (BrokenPipeError, ConnectionResetError):
                raise self.gone or await self._died() from None
            try:
                reply = await asyncio.wait_for(future, timeout)
            except TimeoutError:
                what = f"{op} {json.dumps(fields)}" if fields else op
                raise FakeProcessError(
                    f"the fake Discord process (pid {self._proc.pid}) did not answer {what} "
                    f"within {timeout:g} s"
                ) from None
        finally:
            self._pending.pop(rid, None)
        if "error" in reply:
            raise RuntimeError(f"fake Discord, {op}: {reply['error']}")
        return reply

    async def quote(self, user: str, query: str) -> float:
        reply = await self._request("quote", QUOTE_TIMEOUT + REPLY_MARGIN, user=user, query=query)
        return float(reply["ms"])

    async def payload(self, user: str, query: str) -> dict[str, Any]:
        reply = await self._request("payload", ASK_TIMEOUT, user=user, query=query)
        return dict(reply["payload"])

    async def reindex(self) -> tuple[str | None, str]:
        reply = await self._request("reindex", REINDEX_TIMEOUT + REPLY_MARGIN)
        return reply["title"], str(reply["summary"])

    async def violations(self) -> list[str]:
        reply = await self._request("violations", ASK_TIMEOUT)
        return [str(v) for v in reply["violations"]]

    async def cpu_seconds(self) -> float | None:
        reply = await self._request("cpu", ASK_TIMEOUT)
        return float(reply["cpu_s"])

    async def close(self) -> None:
        """Stop the child: the end of its stdin first (it stops the fake cleanly), then
        SIGTERM, then SIGKILL."""
        proc = self._proc
        if proc.returncode is None and proc.stdin is not None:
            with contextlib.suppress(OSError):
                proc.stdin.close()
        for stop in (None, proc.terminate, proc.kill):
            if proc.returncode is not None:
                break
            if stop is not None:
                with contextlib.suppress(ProcessLookupError):
                    stop()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(proc.wait(), STOP_TIMEOUT)
        for task in (self._reader, self._stderr_task):
            if task is not None:
                with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                    await asyncio.wait_for(task, STOP_TIMEOUT)


@contextlib.asynccontextmanager
async def open_fake(members: list[str], *, in_process: bool = False) -> AsyncIterator[FakeLink]:
    """The fake Discord with `members` in its guild, for the block; out of this process unless
    `in_process`. An error in the block while the child is dead is reported as its death."""
    if in_process:
        async with FakeDiscord(ack_deadline=3.0) as fake:
            for name in members:
                fake.add_member(name)
            yield LocalFake(fake)
        return
    remote = await RemoteFake.start(members)
    try:
        yield remote
    except Exception as exc:
        if remote.gone is not None and exc is not remote.gone:
            raise remote.gone from exc
        raise
    finally:
        await remote.close()
