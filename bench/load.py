"""Queries under load, through the bot's own command handlers.

    .venv/bin/python -m bench.load --index DIR [--corpus DIR] [--concurrency 50] [--trials 3]
        [--singles 60] [--no-st-baseline] [--skip-reindex | --quiet-reindex] [--fake-in-process]
        [--no-freeze-heap] [--stall-dump FILE]

QuoteBot (an unmodified discord.py client) logs in to the fake Discord of tests/ on
127.0.0.1, which runs in a process of its own (bench/fake_process.py, driven through
bench/fake_link.py), as real Discord runs on other machines. /quote is then measured two
ways, in one run:
- handler: the interaction payload (built by the fake, before the clock starts) is handed
  to discord.py as the gateway would, and the replies are answered in memory
  (bench/loopback.py): everything in the bot process, nothing of the network;
- end to end: through the fake Discord's gateway and HTTP API, timed by the fake from the
  interaction's dispatch to the last reply. With `--fake-in-process` the fake runs in the
  bot's own process and event loop instead, as it did at first: its payloads, HTTP
  handlers, JSON and rule checks are then charged to the bot (a pessimistic figure, kept
  to compare the two in one session).
Each as one request at a time (`--singles` questions, 60 unless said, each right after
the model alone encodes the same question), then N at once with every cache cleared
("cold": N distinct questions from bench/queries.jsonl, none seen before; `--trials`
times, each right after one forward pass of the same N questions in one batch), then, 3 s
later (once the cold answers' highlights are refined), the same N again ("warm":
questions asked before).
Each comparison is made against the model timed just before, so that both see the same
load on a shared machine; with it, the CPU time of the bot's whole process during a cold
burst (the fake's too, when it runs in it) against that of the forward pass alone. The
model alone is the bot's own forward pass and, unless `--no-st-baseline`, a bare
`SentenceTransformer.encode` (issue 13's baseline).
Also the event loop's lag (how late a 10 ms timer fires) while idle, under the bursts and
during a forced /reindex, beside a stream of queries or alone (`--quiet-reindex`), and the
process's resident memory at each step (the model loaded first: what the index and the
queries add is above the model's own footprint). Every request is a different user and
rate limits are off, so no request is refused. Once everything is loaded the heap is frozen
(bot/heap.py), as `quotebot run` does before it connects; `--no-freeze-heap` leaves it to
the garbage collector, to compare. The fake's process dying or not answering
ends the benchmark with a message saying so; it is stopped whenever the benchmark ends.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import faulthandler
import gc
import json
import os
import statistics
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from bench.fake_link import FakeLink

os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]


def labelled_queries() -> list[str]:
    lines = (ROOT / "bench" / "queries.jsonl").read_text().splitlines()
    return [json.loads(line)["query"] for line in lines if line.strip()]


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * (len(values) - 1) + 0.5))]


class LagProbe:
    """How late a 10 ms sleep wakes up: the event loop's responsiveness. Not while the
    benchmark itself holds the loop (`paused`: the model alone, timed on the loop).

    With `stall_dump`, a loop that does not wake within `STALL_S` has every thread's stack
    written there (faulthandler's watchdog, re-armed each tick), then a line giving the
    stall's length and when it came: what a stall is made of, not only that it happened.
    Also the full (generation 2) garbage collections meanwhile, and how many objects the
    collector tracks at the end (the frozen start-up heap not counted): a full collection
    holds the GIL for as long as it takes to walk them."""

    STALL_S = 0.3

    def __init__(self, stall_dump: TextIO | None = None) -> None:
        self.samples: list[float] = []
        self.worst_at = 0.0  # seconds after `start` when the worst sample began
        self._worst = 0.0  # ms, the worst sample so far
        self._task: asyncio.Task[None] | None = None
        self._pauses = 0  # a sample whose sleep saw a pause begin or end is dropped
        self._dump = stall_dump
        self._started = 0.0
        self.full_collections: list[float] = []  # ms each
        self._collecting = 0.0

    def _on_collection(self, phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._collecting = time.perf_counter()
        else:
            self.full_collections.append((time.perf_counter() - self._collecting) * 1000)

    async def _run(self) -> None:
        try:
            while True:
                if self._dump is not None and self._pauses % 2 == 0:
                    faulthandler.dump_traceback_later(self.STALL_S, file=self._dump)
                pauses, t0 = self._pauses, time.perf_counter()
                await asyncio.sleep(0.01)
                if pauses == self._pauses and pauses % 2 == 0:
                    lag = (time.perf_counter() - t0 - 0.01) * 1000
                    # The worst kept as it goes: a max over every sample at each tick
                    # grew to ~60,000 comparisons, on the loop it measures.
                    if lag > self._worst:
                        self._worst, self.worst_at = lag, t0 - self._started
                    self.samples.append(lag)
                    if self._dump is not None and lag > self.STALL_S * 1000:
                        self._dump.write(
                            f"=== the stacks above: a stall of {lag:.0f} ms, "
                            f"{t0 - self._started:.1f} s after the probe started\n"
                        )
                        self._dump.flush()
        finally:
            if self._dump is not None:
                faulthandler.cancel_dump_traceback_later()

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        self._pauses += 1
        if self._dump is not None:  # the benchmark's own timing holds the loop on purpose
            faulthandler.cancel_dump_traceback_later()
        try:
            yield
        finally:
            self._pauses += 1

    def start(self) -> None:
        self.samples = []
        self.worst_at = self._worst = 0.0
        self.full_collections = []
        gc.callbacks.append(self._on_collection)
        self._started = time.perf_counter()
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> dict[str, float]:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        gc.callbacks.remove(self._on_collection)
        s = self.samples or [0.0]
        return {
            "p50_ms": statistics.median(s),
            "p99_ms": pct(s, 0.99),
            "max_ms": max(s),
            "max_at_s": self.worst_at,
            "full_collections": len(self.full_collections),
            "longest_collection_ms": max(self.full_collections, default=0.0),
            "tracked_objects": len(gc.get_objects()),
        }


Ask = Callable[[str, str], Awaitable[float]]  # (user, query) -> latency in ms


def summary(latencies: list[float]) -> dict[str, float]:
    return {"p50_ms": statistics.median(latencies), "p99_ms": pct(latencies, 0.99)}


def handler(fake: FakeLink, client: Any, loopback: Any) -> Ask:
    """/quote handed to discord.py directly, its replies answered in memory. The payload is
    the fake's (built in its process when it has one), obtained before the clock starts."""
    from bench.loopback import installed

    async def ask(user: str, query: str) -> float:
        payload = await fake.payload(user, query)
        answered = loopback.expect(payload["token"])
        t0 = time.perf_counter()
        with installed(loopback):  # the tasks discord.py starts now inherit it
            client._connection.parse_interaction_create(payload)
        sent_at, body = await asyncio.wait_for(answered, 120)
        if not body.get("embeds"):
            raise RuntimeError(f"/quote {query!r} gave no quotes: {body}")
        return (sent_at - t0) * 1000

    return ask


Encode = Callable[[list[str]], object]


@dataclass
class Baselines:
    """The model alone, timed right before what it is compared with (same load): the bot's
    own forward pass, and optionally a bare `SentenceTransformer.encode` as issue 13 used."""

    model: Encode
    sentence_transformers: Encode | None = None

    def time(self, texts: list[str], repeat: int = 1) -> dict[str, float]:
        """ms: the fastest of `repeat` calls of each, on `texts` in one batch."""
        out = {"model_ms": _fastest(self.model, texts, repeat)}
        if self.sentence_transformers is not None:
            out["st_ms"] = _fastest(self.sentence_transformers, texts, repeat)
        return out


def _fastest(encode: Encode, texts: list[str], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        encode(texts)
        best = min(best, (time.perf_counter() - t0) * 1000)
    return best


async def scenarios(
    app: Any,
    ask: Ask,
    users: list[str],
    queries: list[str],
    base: Baselines,
    trials: int,
    probe: LagProbe,
    singles: int,
) -> dict:
    """One at a time (cold, each right after the model alone on the same question), N at
    once with every cache cleared (`trials` times, each right after one forward pass of
    the same N questions), the same N again (warm)."""
    n = len(users)
    burst_q, single_q = queries[:n], queries[n : n + singles]
    clear_caches(app)
    single: list[float] = []
    single_base: list[dict[str, float]] = []
    for i, q in enumerate(single_q):
        with probe.paused():
            single_base.append(base.time([q]))
        single.append(await ask(users[i % n], q))
    single_model = statistics.median(b["model_ms"] for b in single_base)
    out: dict[str, Any] = {
        "single": {**summary(single), "model_p50_ms": single_model, "n": len(single)},
        "cold_trials": [],
    }
    if base.sentence_transformers is not None:
        out["single"]["st_p50_ms"] = statistics.median(b["st_ms"] for b in single_base)
    for _ in range(trials):
        clear_caches(app)
        with probe.paused():  # the lag is measured under queries, not between them
            await asyncio.sleep(1.0)  # the previous burst's highlight refinements finish
        with probe.paused():
            before = base.time(burst_q, repeat=2)
        cpu0, t0 = time.process_time(), time.perf_counter()
        cold = await asyncio.gather(*(ask(u, q) for u, q in zip(users, burst_q, strict=True)))
        wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
        with probe.paused():
            pass_cpu0 = time.process_time()
            base.model(burst_q)
            pass_cpu = time.process_time() - pass_cpu0
        out["cold_trials"].append(
            {
                **summary(list(cold)),
                **before,
                "wall_s": wall,
                "cpu_s": cpu,  # the whole process, every thread, during the burst
                "pass_cpu_s": pass_cpu,  # one forward pass of the N questions alone
            }
        )
    with probe.paused():
        await asyncio.sleep(3.0)  # the cold answers' highlight refinements finish first
    warm = await asyncio.gather(*(ask(u, q) for u, q in zip(users, burst_q, strict=True)))
    out["warm"] = summary(list(warm))
    out["cold"] = cold_summary(out["cold_trials"])
    return out


def cold_summary(trials: list[dict[str, float]]) -> dict[str, float]:
    """Medians over the trials of each figure and of each trial's ratios to its pass."""
    keys = ["p50_ms", "p99_ms", "model_ms", "cpu_s", "pass_cpu_s"]
    out = {k: statistics.median(t[k] for t in trials) for k in keys}
    out["p50_ratio"] = statistics.median(t["p50_ms"] / t["model_ms"] for t in trials)
    out["p99_ratio"] = statistics.median(t["p99_ms"] / t["model_ms"] for t in trials)
    out["cpu_ratio"] = statistics.median(t["cpu_s"] / t["pass_cpu_s"] for t in trials)
    if all("st_ms" in t for t in trials):
        out["st_ms"] = statistics.median(t["st_ms"] for t in trials)
    return out


def clear_caches(app: Any) -> None:
    app.index.embeddings.clear()
    app.index.live.answers.clear()


def sentence_transformers_encode(app: Any) -> Encode:
    """A bare `SentenceTransformer.encode` of the same model, all texts in one batch."""
    model = app.encoder.model  # loads sentence-transformers (the bot itself does not)

    def encode(texts: list[str]) -> object:
        return model.encode(texts, batch_size=len(texts), show_progress_bar=False)

    return encode


async def run(args: argparse.Namespace) -> dict[str, Any]:
    from bench.fake_link import open_fake
    from bench.loopback import Loopback
    from bot.app import App
    from bot.discord.client import QuoteBot
    from bot.discord.runner import aim_at_test_discord
    from bot.settings import load_settings
    from tests.fake_discord import run_client

    settings = load_settings(env={})
    settings = replace(
        settings,
        index=args.index.resolve(),
        corpus=(args.corpus or args.index.parent / "corpus").resolve(),
        server_limit=0,
        cooldown_seconds=0.0,
    )
    from bench.scale import proc_status

    memory = {"start": proc_status()}
    app = App(settings)
    app.encoder.warm_up()
    memory["model"] = proc_status()  # the model's own footprint: the rest is the index's
    app.index.load()
    memory["index"] = proc_status()
    n = args.concurrency
    queries = labelled_queries()
    if len(queries) < n + args.singles:
        raise SystemExit(f"bench/queries.jsonl has {len(queries)} queries; need {n + args.singles}")
    st = sentence_transformers_encode(app) if args.st_baseline else None
    base = Baselines(app.encoder.encode_queries, st)
    base.time(queries[:n])  # unmeasured: sizes both models' buffers for a large batch
    memory["baselines"] = proc_status()  # the second model, for the benchmark alone
    if args.freeze_heap:  # as `quotebot run` does once its start-up is done
        from bot import heap

        heap.settle()
    results: dict[str, Any] = {
        "passages": len(app.index.searcher.index.passages),
        "n": n,
        "trials": args.trials,
    }
    users = [f"reader{i}" for i in range(n)]
    results["fake_in_process"] = args.fake_in_process
    results["heap_frozen"] = args.freeze_heap
    async with contextlib.AsyncExitStack() as stack:
        stall_dump = stack.enter_context(args.stall_dump.open("w")) if args.stall_dump else None
        fake = await stack.enter_async_context(open_fake(users, in_process=args.fake_in_process))
        aim_at_test_discord(fake.base_url)
        client = QuoteBot(app)
        async with run_client(client, fake.local):
            # As READY does in the bot (in the background): queries move off the numpy pass.
            # Waited for here, so that no measured question runs before the move.
            await asyncio.to_thread(app.encoder.promote_queries)
            results["query_runner"] = type(app.encoder.query_backend).__name__
            probe = LagProbe(stall_dump)
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
            results["handler"] = await scenarios(
                app, ask, users, queries, base, args.trials, probe, args.singles
            )

            probe.start()
            fake_cpu0, cpu0 = await fake.cpu_seconds(), time.process_time()
            results["end_to_end"] = await scenarios(
                app, fake.quote, users, queries, base, args.trials, probe, args.singles
            )
            fake_cpu1 = await fake.cpu_seconds()
            results["cpu_end_to_end"] = {  # the whole of the end-to-end scenarios
                "bench_s": time.process_time() - cpu0,  # the bot, the model alone timed too
                "fake_s": None if fake_cpu0 is None or fake_cpu1 is None else fake_cpu1 - fake_cpu0,
            }
            results["lag_under_queries"] = await probe.stop()
            batcher = app.index.embeddings.batcher
            results["encoder_passes"] = batcher.batches if batcher else None
            results["encoded"] = batcher.encoded if batcher else None
            memory["after_queries"] = proc_status()  # before the /reindex, if any

            if not args.skip_reindex:
                probe.start()
                finished = asyncio.create_task(fake.reindex())
                during: list[float] = []
                i = 0
                if args.quiet_reindex:  # the reindex alone beside the ticker
                    await finished
                while not finished.done():  # queries keep coming while the index rebuilds
                    q = f"{queries[i % len(queries)]} <{i}>"
                    during.append(await fake.quote(users[i % n], q))
                    i += 1
                title, summary = await finished
                if title != "Reindex finished":
                    raise RuntimeError(f"the /reindex failed: {summary}")
                results["reindex"] = {
                    "queries_answered_during": len(during),
                    "query_p50_ms_during": statistics.median(during) if during else None,
                    "query_p99_ms_during": pct(during, 0.99) if during else None,
                }
                results["lag_during_reindex"] = await probe.stop()
        results["violations"] = await fake.violations()
        results["memory_mib"] = memory
    return results


def render(r: dict[str, Any]) -> str:
    n = r["n"]
    st = "st_ms" in r["handler"]["cold"]
    lines = [
        f"Index: {r['passages']:,} passages. Bursts: {n} requests at once, cold "
        f"{r['trials']} times per level (medians of the trials). The fake Discord: "
        + (
            "in the bot's process and event loop."
            if r["fake_in_process"]
            else "a process of its own."
        )
        + (
            " The start-up heap frozen, as `quotebot run` does."
            if r.get("heap_frozen")
            else " The start-up heap not frozen (--no-freeze-heap)."
        ),
        "",
        f"| /quote | one at a time p50 / p99 | {n} at once, cold: p50 / p99 | warm p50 / p99 |",
        "| --- | --- | --- | --- |",
    ]
    levels = (("handler", "command handler (no network)"), ("end_to_end", "end to end"))
    for level, name in levels:
        x = r[level]
        lines.append(
            f"| {name} | {x['single']['p50_ms']:.0f} / {x['single']['p99_ms']:.0f} ms | "
            f"{x['cold']['p50_ms']:.0f} / {x['cold']['p99_ms']:.0f} ms | "
            f"{x['warm']['p50_ms']:.1f} / {x['warm']['p99_ms']:.1f} ms |"
        )
    head = "| against the model alone, same run | one at a time: p50 / one query |"
    head += f" cold p50 / one pass of the {n} | cold p99 / that pass | CPU: burst / pass |"
    lines += ["", head, "| --- | --- | --- | --- | --- |"]
    for level, name in levels:
        x = r[level]
        single, cold = x["single"], x["cold"]
        one = f"{single['p50_ms'] / single['model_p50_ms']:.2f}"
        if st:
            one += (
                f" (bare SentenceTransformer.encode: {single['p50_ms'] / single['st_p50_ms']:.2f})"
            )
        lines.append(
            f"| {name} | {one} | {cold['p50_ratio']:.2f} | {cold['p99_ratio']:.2f} | "
            f"{cold['cpu_ratio']:.2f} |"
        )
    lines += ["", "| baseline, same run (median) | handler | end to end |", "| --- | --- | --- |"]
    rows = [
        ("the model alone, one query (p50), ms", "single", "model_p50_ms"),
        (f"the model alone, one forward pass of the {n} questions, ms", "cold", "model_ms"),
    ]
    if st:
        rows += [
            ("bare SentenceTransformer.encode, one query (p50), ms", "single", "st_p50_ms"),
            (f"bare SentenceTransformer.encode, the {n} in one batch, ms", "cold", "st_ms"),
        ]
    for label, part, key in rows:
        h, e = r["handler"][part][key], r["end_to_end"][part][key]
        lines.append(f"| {label} | {h:.1f} | {e:.1f} |")
    lines += ["", "Cold trials (p50 / p99 / pass ms):"]
    for level, name in levels:
        trials = "; ".join(
            f"{t['p50_ms']:.0f} / {t['p99_ms']:.0f} / {t['model_ms']:.0f}"
            for t in r[level]["cold_trials"]
        )
        lines.append(f"- {name}: {trials}")
    lines += [
        "",
        "| event-loop lag (a 10 ms timer) | p50 | p99 | max | full collections: count, "
        "longest | objects tracked after |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    lags = [("idle", "lag_idle"), ("under the end-to-end bursts", "lag_under_queries")]
    if "lag_during_reindex" in r:
        lags.append(("during /reindex", "lag_during_reindex"))
    for name, key in lags:
        lag = r[key]
        lines.append(
            f"| {name} | {lag['p50_ms']:.1f} ms | {lag['p99_ms']:.1f} ms | {lag['max_ms']:.0f} ms "
            f"(at {lag.get('max_at_s', 0.0):.0f} s) | {lag.get('full_collections', 0)}, "
            f"{lag.get('longest_collection_ms', 0.0):.0f} ms | {lag.get('tracked_objects', 0):,} |"
        )
    if "reindex" in r and r["reindex"]["query_p50_ms_during"] is not None:
        rr = r["reindex"]
        lines += [
            "",
            f"During the /reindex, {rr['queries_answered_during']} queries were answered "
            f"(p50 {rr['query_p50_ms_during']:.0f} ms, p99 {rr['query_p99_ms_during']:.0f} ms).",
        ]
    cpu = r.get("cpu_end_to_end")
    if cpu and cpu["fake_s"] is not None:
        lines += [
            "",
            f"CPU over the end-to-end scenarios: the fake Discord's process {cpu['fake_s']:.1f} s, "
            f"the bot's (the model alone timed beside it included) {cpu['bench_s']:.1f} s.",
        ]
    lines += memory_lines(r)
    lines += [
        "",
        f"Encoder forward passes: {r['encoder_passes']} for {r['encoded']} texts (queries "
        f"and best-sentence candidates), on {r.get('query_runner', '?')}. Discord-rule "
        f"violations: {len(r['violations'])}.",
    ]
    return "\n".join(lines)


def memory_lines(r: dict[str, Any]) -> list[str]:
    """Resident memory (MiB) at each step; per passage, what the index and the queries
    add over the model's own footprint (the benchmark's second model left out)."""
    m = r.get("memory_mib")
    if not m:
        return []
    lines = [
        "",
        "| resident memory, MiB | RSS | private (RssAnon) | mapped files (RssFile) |",
        "| --- | --- | --- | --- |",
    ]
    steps = [
        ("process, before the model", "start"),
        ("the model loaded and warm", "model"),
        ("the index loaded", "index"),
        ("after every query above", "after_queries"),
    ]
    for label, key in steps:
        x = m[key]
        lines.append(f"| {label} | {x['VmRSS']:,.0f} | {x['RssAnon']:,.0f} | {x['RssFile']:,.0f} |")
    second = m["baselines"]["VmRSS"] - m["index"]["VmRSS"]
    bot = m["after_queries"]["VmRSS"] - second - m["model"]["VmRSS"]
    private = m["after_queries"]["RssAnon"] - m["baselines"]["RssAnon"] + m["index"]["RssAnon"]
    private -= m["model"]["RssAnon"]
    n = r["passages"]
    lines += [
        "",
        f"Above the model's own footprint, after the queries (less the {second:,.0f} MiB the "
        f"benchmark's baselines added): {bot:,.0f} MiB resident, {bot * 2**20 / n:,.0f} B per "
        f"passage; private {private:,.0f} MiB, {private * 2**20 / n:,.0f} B per passage.",
    ]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, required=True, help="a built index folder")
    parser.add_argument("--corpus", type=Path, help="its corpus (for /reindex)")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--trials", type=int, default=3, help="cold bursts per level")
    parser.add_argument(
        "--singles",
        type=int,
        default=60,
        help="questions asked one at a time per level (a p50 of 20 moved by a millisecond "
        "from run to run)",
    )
    parser.add_argument(
        "--no-st-baseline",
        dest="st_baseline",
        action="store_false",
        help="skip the SentenceTransformer.encode baseline (it loads sentence-transformers)",
    )
    parser.add_argument(
        "--fake-in-process",
        action="store_true",
        help="run the fake Discord in this process and event loop, as before (its CPU is then "
        "charged to the bot); by default it has a process of its own, as Discord is elsewhere",
    )
    parser.add_argument(
        "--no-freeze-heap",
        dest="freeze_heap",
        action="store_false",
        help="leave the start-up heap to the garbage collector (`quotebot run` freezes it: "
        "bot/heap.py), to compare",
    )
    parser.add_argument("--skip-reindex", action="store_true")
    parser.add_argument(
        "--stall-dump",
        type=Path,
        metavar="FILE",
        help=f"write every thread's stack to FILE whenever the event loop stalls for "
        f"{LagProbe.STALL_S * 1000:.0f} ms or more",
    )
    parser.add_argument(
        "--quiet-reindex", action="store_true", help="no queries during the /reindex"
    )
    args = parser.parse_args()
    for option in ("concurrency", "trials", "singles"):
        if getattr(args, option) < 1:
            parser.error(f"--{option} must be at least 1")
    from bench.fake_link import FakeProcessError

    try:
        results = asyncio.run(run(args))
    except FakeProcessError as exc:
        raise SystemExit(f"bench.load: {exc}") from None
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / "load.json").write_text(json.dumps(results, indent=2))
    print(render(results))


if __name__ == "__main__":
    main()
