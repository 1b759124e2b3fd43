"""Queries under load, through the bot's own command handlers (all but Discord's network).

    .venv/bin/python -m bench.load --index DIR [--corpus DIR] [--concurrency 50]

An unmodified discord.py client runs QuoteBot against the fake Discord of tests/ on
127.0.0.1. Reported, in one run:
- one /quote at a time (the baseline), then N at once: latency from the interaction's
  dispatch to the message with the quotes (p50/p99), and the ratio between the two;
- the event loop's lag (how late a 10 ms timer fires) while idle, under the burst of
  queries and during a forced /reindex that runs beside a stream of queries.
Every request is a different user, so the per-user cooldown does not refuse any.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]

QUERIES = [
    "what makes a group a sect rather than a movement",
    "the history of all hitherto existing society",
    "love your enemies",
    "a cynical definition of a friend",
    "why socialists should form discussion circles",
    "the workers have nothing to lose but their chains",
    "a world without money or government",
    "what the wise man says about pride before a fall",
    "the bourgeoisie has stripped every occupation of its halo",
    "an organization that puts its own needs first",
]


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


async def timed_quote(fake: Any, user: str, query: str) -> float:
    rec = await fake.send_slash("quote", {"query": query}, user=user)
    await rec.wait_done(timeout=120)
    if not rec.embeds:
        raise RuntimeError(f"/quote {query!r} gave no quotes: {rec.summary()}")
    return max(e.at for e in rec.events if e.at is not None) * 1000


async def run(args: argparse.Namespace) -> dict[str, Any]:
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
    results: dict[str, Any] = {"passages": len(app.index.searcher.index.passages)}
    async with FakeDiscord(ack_deadline=3.0) as fake:
        point_discord_at(fake)
        users = [f"reader{i}" for i in range(n)]
        for u in users:
            fake.add_member(u)
        async with run_client(QuoteBot(app), fake):
            probe = LagProbe()
            probe.start()
            await asyncio.sleep(1.0)
            results["lag_idle"] = await probe.stop()

            # Baseline: one at a time; distinct queries each round so no cache helps.
            single = []
            for i in range(20):
                q = f"{QUERIES[i % len(QUERIES)]} ({i})"
                single.append(await timed_quote(fake, users[i % n], q))
            results["single"] = {"p50_ms": statistics.median(single), "p99_ms": pct(single, 0.99)}

            probe.start()
            t0 = time.perf_counter()
            burst = await asyncio.gather(
                *(
                    timed_quote(fake, users[i], f"{QUERIES[i % len(QUERIES)]} [{i}]")
                    for i in range(n)
                )
            )
            wall = time.perf_counter() - t0
            results["concurrent"] = {
                "n": n,
                "p50_ms": statistics.median(burst),
                "p99_ms": pct(list(burst), 0.99),
                "wall_s": wall,
                "p50_ratio_to_single": statistics.median(burst) / statistics.median(single),
                "encoder_batches": app.index.embeddings.batcher.batches
                if app.index.embeddings.batcher
                else None,
            }
            results["lag_under_queries"] = await probe.stop()

            if not args.skip_reindex:
                probe.start()
                # "admin" has Manage Server in the fake's world.
                reindex = await fake.send_slash("reindex", {"force": True}, user="admin")
                finished = asyncio.create_task(reindex.wait_done(timeout=3600))
                during: list[float] = []
                i = 0
                while not finished.done():  # queries keep coming while the index rebuilds
                    q = f"{QUERIES[i % len(QUERIES)]} <{i}>"
                    during.append(await timed_quote(fake, users[i % n], q))
                    i += 1
                await finished
                results["reindex"] = {
                    "queries_answered_during": len(during),
                    "query_p50_ms_during": statistics.median(during) if during else None,
                    "query_p99_ms_during": pct(during, 0.99) if during else None,
                }
                results["lag_during_reindex"] = await probe.stop()
        results["violations"] = [str(v) for v in fake.violations]
    return results


def render(r: dict[str, Any]) -> str:
    c = r["concurrent"]
    lines = [
        f"Index: {r['passages']:,} passages.",
        "",
        "| measure | p50 | p99 |",
        "| --- | --- | --- |",
        f"| /quote, one at a time (baseline) | {r['single']['p50_ms']:.0f} ms | "
        f"{r['single']['p99_ms']:.0f} ms |",
        f"| /quote, {c['n']} at once | {c['p50_ms']:.0f} ms | {c['p99_ms']:.0f} ms |",
        f"| event-loop lag, idle | {r['lag_idle']['p50_ms']:.1f} ms | "
        f"{r['lag_idle']['p99_ms']:.1f} ms |",
        f"| event-loop lag, under the burst | {r['lag_under_queries']['p50_ms']:.1f} ms | "
        f"{r['lag_under_queries']['p99_ms']:.1f} ms (max {r['lag_under_queries']['max_ms']:.0f}) |",
    ]
    if "reindex" in r:
        lines.append(
            f"| event-loop lag, during /reindex | {r['lag_during_reindex']['p50_ms']:.1f} ms | "
            f"{r['lag_during_reindex']['p99_ms']:.1f} ms (max "
            f"{r['lag_during_reindex']['max_ms']:.0f}) |"
        )
        rr = r["reindex"]
        if rr["query_p50_ms_during"] is not None:
            lines.append(
                f"| /quote during /reindex ({rr['queries_answered_during']} answered) | "
                f"{rr['query_p50_ms_during']:.0f} ms | {rr['query_p99_ms_during']:.0f} ms |"
            )
    lines += [
        "",
        f"Burst of {c['n']}: wall {c['wall_s']:.2f} s, p50 / baseline p50 = "
        f"{c['p50_ratio_to_single']:.2f}, encoder forward passes so far: {c['encoder_batches']}. "
        f"Discord-rule violations: {len(r['violations'])}.",
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
