"""Queries under load, through the bot's own command handlers.

    .venv/bin/python -m bench.load --index DIR [--corpus DIR] [--concurrency 50]

QuoteBot (an unmodified discord.py client) logs in to the fake Discord of tests/ on
127.0.0.1. /quote is then measured two ways, in one run:
- handler: the interaction payload is handed to discord.py as the gateway would, and the
  replies are answered in memory (bench/loopback.py): everything in the bot process,
  nothing of the network;
- end to end: through the fake Discord's gateway and HTTP API, which runs in this same
  process and shares its CPU (a pessimistic figure).
Each as one request at a time (the baseline), then N at once with every cache cleared
("cold": N distinct questions from bench/queries.jsonl), then, 3 s later (once the cold
answers' highlights are refined), the same N again ("warm": questions asked before).
Beside them, in the same run: one query through the model alone, and one forward pass of
all N questions (no cold burst can finish before that). Also
the event loop's lag (how late a 10 ms timer fires) while idle, under the bursts and during
a forced /reindex that runs beside a stream of queries. Every request is a different user
and rate limits are off, so no request is refused.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]


def labelled_queries() -> list[str]:
    lines = (ROOT / "bench" / "queries.jsonl").read_text().splitlines()
    return [json.loads(line)["query"] for line in lines if line.strip()]


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * (len(values) - 1) + 0.5))]


class LagProbe:
    """How late a 10 ms sleep wakes up: the event loop's responsiveness."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            t0 = time.perf_counter()
            await asyncio.sleep(0.01)
            self.samples.append((time.perf_counter() - t0 - 0.01) * 1000)

    def start(self) -> None:
        self.samples = []
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> dict[str, float]:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        s = self.samples or [0.0]
        return {"p50_ms": statistics.median(s), "p99_ms": pct(s, 0.99), "max_ms": max(s)}


Ask = Callable[[str, str], Awaitable[float]]  # (user, query) -> latency in ms


def summary(latencies: list[float]) -> dict[str, float]:
    return {"p50_ms": statistics.median(latencies), "p99_ms": pct(latencies, 0.99)}


async def end_to_end(fake: Any, user: str, query: str) -> float:
    """/quote through the fake Discord: from the interaction's dispatch to the quotes."""
    rec = await fake.send_slash("quote", {"query": query}, user=user)
    await rec.wait_done(timeout=120)
    if not rec.embeds:
        raise RuntimeError(f"/quote {query!r} gave no quotes: {rec.summary()}")
    return max(e.at for e in rec.events if e.at is not None) * 1000


def handler(fake: Any, client: Any, loopback: Any) -> Ask:
    """/quote handed to discord.py directly, its replies answered in memory."""
    from bench.loopback import installed

    async def ask(user: str, query: str) -> float:
        payload = fake.slash_payload("quote", {"query": query}, user=user)
        answered = loopback.expect(payload["token"])
        t0 = time.perf_counter()
        with installed(loopback):  # the tasks discord.py starts now inherit it
            client._connection.parse_interaction_create(payload)
        sent_at, body = await asyncio.wait_for(answered, 120)
        if not body.get("embeds"):
            raise RuntimeError(f"/quote {query!r} gave no quotes: {body}")
        return (sent_at - t0) * 1000

    return ask


async def scenarios(app: Any, ask: Ask, users: list[str], queries: list[str]) -> dict:
    """One at a time (cold), N at once (cold), the same N again (warm)."""
    n = len(users)
    burst_q, single_q = queries[:n], queries[n : n + 20]
    clear_caches(app)
    single = [await ask(users[i % n], q) for i, q in enumerate(single_q)]
    clear_caches(app)
    t0 = time.perf_counter()
    cold = await asyncio.gather(*(ask(u, q) for u, q in zip(users, burst_q, strict=True)))
    cold_wall = time.perf_counter() - t0
    await asyncio.sleep(3.0)  # the cold answers' highlight refinements finish first
    warm = await asyncio.gather(*(ask(u, q) for u, q in zip(users, burst_q, strict=True)))
    return {
        "single": summary(single),
        "cold": {**summary(list(cold)), "wall_s": cold_wall},
        "warm": summary(list(warm)),
    }


def clear_caches(app: Any) -> None:
    app.index.embeddings.clear()
    app.index.live.answers.clear()


def model_baselines(app: Any, queries: list[str]) -> dict[str, float]:
    """The model alone, in this run: one query at a time, and the whole burst at once."""
    encode = app.encoder.encode_queries
    one = []
    for q in queries[:20]:
        t0 = time.perf_counter()
        encode([q])
        one.append((time.perf_counter() - t0) * 1000)
    passes = []
    for _ in range(3):
        t0 = time.perf_counter()
        encode(queries)
        passes.append((time.perf_counter() - t0) * 1000)
    return {"one_query_p50_ms": statistics.median(one), "burst_pass_ms": min(passes)}


async def run(args: argparse.Namespace) -> dict[str, Any]:
    from bench.loopback import Loopback
    from bot.app import App
    from bot.discord.client import QuoteBot
    from bot.settings import load_settings
    from tests.fake_discord import FakeDiscord, point_discord_at, run_client

    settings = load_settings(env={})
    settings = replace(
        settings,
        index=args.index.resolve(),
        corpus=(args.corpus or args.index.parent / "corpus").resolve(),
        server_limit=0,
        cooldown_seconds=0.0,
    )
    app = App(settings)
    app.index.load()
    app.encoder.warm_up()
    n = args.concurrency
    queries = labelled_queries()
    if len(queries) < n + 20:
        raise SystemExit(f"bench/queries.jsonl has {len(queries)} queries; need {n + 20}")
    results: dict[str, Any] = {
        "passages": len(app.index.searcher.index.passages),
        "n": n,
        "model": model_baselines(app, queries[:n]),
    }
    async with FakeDiscord(ack_deadline=3.0) as fake:
        point_discord_at(fake)
        users = [f"reader{i}" for i in range(n)]
        for u in users:
            fake.add_member(u)
        client = QuoteBot(app)
        async with run_client(client, fake):
            probe = LagProbe()
            probe.start()
            await asyncio.sleep(1.0)
            results["lag_idle"] = await probe.stop()

            loopback = Loopback(fake.application_id, fake.channel_id)
            ask = handler(fake, client, loopback)
            # Unmeasured: the first burst also starts the worker threads and sizes torch's
            # buffers for a large batch.
            await asyncio.gather(
                *(ask(u, f"{q} (warm-up)") for u, q in zip(users, queries[:n], strict=True))
            )
            await asyncio.sleep(2.0)  # and lets its background refinements finish
            results["handler"] = await scenarios(app, ask, users, queries)

            probe.start()
            results["end_to_end"] = await scenarios(
                app, lambda user, q: end_to_end(fake, user, q), users, queries
            )
            results["lag_under_queries"] = await probe.stop()
            batcher = app.index.embeddings.batcher
            results["encoder_passes"] = batcher.batches if batcher else None
            results["encoded"] = batcher.encoded if batcher else None

            if not args.skip_reindex:
                probe.start()
                # "admin" has Manage Server in the fake's world.
                reindex = await fake.send_slash("reindex", {"force": True}, user="admin")
                ended = ("Reindex finished", "Reindex failed")  # not the progress message
                finished = asyncio.create_task(
                    reindex.wait_for(lambda r: (r.embed or {}).get("title") in ended, 3600)
                )
                during: list[float] = []
                i = 0
                while not finished.done():  # queries keep coming while the index rebuilds
                    q = f"{queries[i % len(queries)]} <{i}>"
                    during.append(await end_to_end(fake, users[i % n], q))
                    i += 1
                await finished
                if (reindex.embed or {}).get("title") != "Reindex finished":
                    raise RuntimeError(f"the /reindex failed: {reindex.summary()}")
                results["reindex"] = {
                    "queries_answered_during": len(during),
                    "query_p50_ms_during": statistics.median(during) if during else None,
                    "query_p99_ms_during": pct(during, 0.99) if during else None,
                }
                results["lag_during_reindex"] = await probe.stop()
        results["violations"] = [str(v) for v in fake.violations]
    return results


def render(r: dict[str, Any]) -> str:
    n = r["n"]
    model = r["model"]
    lines = [
        f"Index: {r['passages']:,} passages. Bursts: {n} requests at once.",
        "",
        f"| /quote | one at a time | p50 / p99, {n} at once, cold | warm |",
        "| --- | --- | --- | --- |",
    ]
    for level, name in (("handler", "command handler (no network)"), ("end_to_end", "end to end")):
        x = r[level]
        lines.append(
            f"| {name} | {x['single']['p50_ms']:.0f} / {x['single']['p99_ms']:.0f} ms | "
            f"{x['cold']['p50_ms']:.0f} / {x['cold']['p99_ms']:.0f} ms | "
            f"{x['warm']['p50_ms']:.1f} / {x['warm']['p99_ms']:.1f} ms |"
        )
    h = r["handler"]
    lines += [
        "",
        "| baseline, same run | ms |",
        "| --- | --- |",
        f"| the model alone, one query (p50) | {model['one_query_p50_ms']:.1f} |",
        f"| the model alone, one forward pass of all {n} burst questions | "
        f"{model['burst_pass_ms']:.0f} |",
        "",
        f"Ratios (handler): one /quote at a time / one model call = "
        f"{h['single']['p50_ms'] / model['one_query_p50_ms']:.2f}; cold burst p50 / the "
        f"burst's forward pass = {h['cold']['p50_ms'] / model['burst_pass_ms']:.2f}; warm "
        f"burst p50 / one model call = {h['warm']['p50_ms'] / model['one_query_p50_ms']:.2f}.",
        "",
        "| event-loop lag (a 10 ms timer) | p50 | p99 | max |",
        "| --- | --- | --- | --- |",
    ]
    lags = [("idle", "lag_idle"), ("under the end-to-end bursts", "lag_under_queries")]
    if "lag_during_reindex" in r:
        lags.append(("during /reindex", "lag_during_reindex"))
    for name, key in lags:
        lag = r[key]
        lines.append(
            f"| {name} | {lag['p50_ms']:.1f} ms | {lag['p99_ms']:.1f} ms | {lag['max_ms']:.0f} ms |"
        )
    if "reindex" in r and r["reindex"]["query_p50_ms_during"] is not None:
        rr = r["reindex"]
        lines += [
            "",
            f"During the /reindex, {rr['queries_answered_during']} queries were answered "
            f"(p50 {rr['query_p50_ms_during']:.0f} ms, p99 {rr['query_p99_ms_during']:.0f} ms).",
        ]
    lines += [
        "",
        f"Encoder forward passes: {r['encoder_passes']} for {r['encoded']} texts (queries "
        f"and best-sentence candidates). Discord-rule violations: {len(r['violations'])}.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, required=True, help="a built index folder")
    parser.add_argument("--corpus", type=Path, help="its corpus (for /reindex)")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--skip-reindex", action="store_true")
    args = parser.parse_args()
    results = asyncio.run(run(args))
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / "load.json").write_text(json.dumps(results, indent=2))
    print(render(results))


if __name__ == "__main__":
    main()
