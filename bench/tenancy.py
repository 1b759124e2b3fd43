"""What a server's own texts cost: query latency and memory of base + collection.

    .venv/bin/python -m bench.tenancy --index INDEX --corpus CORPUS [--collection-books 1,2]

INDEX/CORPUS: the base (all of ../shared/corpora, built as bench/run.py builds it). A
server collection is made of KJV books renamed and re-titled (its passages then compete
with the base's for every question, as a big collection would), indexed once, and:

- latency: every question of bench/queries.jsonl asked one at a time through the /quote
  command, answers never cached, alternately in a DM (the base alone) and in the server
  (base + collection), for `--rounds` rounds; p50/p95 of each and their ratio in the same
  run (target: server p50 <= 1.2x base p50). Twice: as new questions (the query encoded,
  what a reader waits for), and with the query's vector cached (the search alone, where
  the collection's share is largest);
- memory: RSS after loading `--copies` servers that each have such a collection of about
  1,000 passages, per collection.

Results are printed as Markdown and saved to bench/out/tenancy.json.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]
SERVER = 424_242_424_242_424_242


def rss_mib() -> float:
    import psutil

    return float(psutil.Process().memory_info().rss) / 2**20


def make_collection(corpus: Path, books: list[int], dest: Path) -> Path:
    """KJV books as a server's own texts, under other names and another title."""
    dest.mkdir(parents=True)
    for n in books:
        source = corpus / "gutenberg" / "kjv" / f"book{n:02d}.htm"
        (dest / f"server-book{n:02d}.htm").write_bytes(source.read_bytes())
    (dest / "_collection.meta.toml").write_text('title = "A Server\'s Bible"\n')
    return dest


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": 1000 * statistics.median(ordered),
        "p95_ms": 1000 * ordered[int(0.95 * (len(ordered) - 1))],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--collection-books", default="1,2", help="KJV books for the server")
    # Ruth, Esther, Song of Solomon, Lamentations, Daniel, Joel, Jonah: 1,001 verses.
    parser.add_argument("--memory-books", default="8,17,22,25,27,29,32", help="~1,000 passages")
    parser.add_argument("--copies", type=int, default=5, help="servers for the memory figure")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--queries", type=Path, default=ROOT / "bench" / "queries.jsonl")
    args = parser.parse_args()

    from bot.app import App
    from bot.commands.quote import QuoteRequest, quote
    from bot.settings import load_settings

    work = Path(tempfile.mkdtemp(prefix="qb-tenancy-"))
    settings = replace(
        load_settings(env={}).with_paths(args.corpus, args.index), data=work / "data"
    )
    app = App(settings)
    app.index.load()
    books = [int(b) for b in args.collection_books.split(",")]
    collection = app.collections.of(SERVER)
    make_collection(args.corpus, books, collection.corpus)
    started = time.perf_counter()
    report = collection.reindex()
    build_seconds = time.perf_counter() - started
    own = collection.live()
    assert own is not None
    passages = len(own.searcher.index.passages)

    questions = [
        json.loads(line)["query"] for line in args.queries.read_text().splitlines() if line.strip()
    ]
    for q in questions:  # warm: vectors cached, FAISS and BM25 pages in
        quote(app, QuoteRequest(q))
        quote(app, QuoteRequest(q, guild=SERVER))
    timings: dict[str, list[float]] = {}
    for _ in range(args.rounds):
        for q in questions:
            for encoded in (True, False):
                for name, guild in (("base", None), ("server", SERVER)):
                    app.live_for(guild).answers.clear()
                    if encoded:
                        app.index.embeddings.clear()  # a new question: its vector is made
                    t0 = time.perf_counter()
                    quote(app, QuoteRequest(q, guild=guild))
                    key = f"{name}{'' if encoded else '-cached'}"
                    timings.setdefault(key, []).append(time.perf_counter() - t0)
    base, server = percentiles(timings["base"]), percentiles(timings["server"])
    base_cached = percentiles(timings["base-cached"])
    server_cached = percentiles(timings["server-cached"])
    from_server = sum(
        1
        for q in questions
        for r in quote(app, QuoteRequest(q, guild=SERVER)).quotes
        if r.title == "A Server's Bible"
    )

    # Memory: `copies` servers, each with its own collection of about 1,000 passages.
    template = work / "template"
    memory_books = [int(b) for b in args.memory_books.split(",")]
    small = App(replace(settings, data=template), app.encoder)
    small.index = app.index
    small.collections = type(app.collections)(small.settings, app.index)
    make_collection(args.corpus, memory_books, small.collections.of(1).corpus)
    small.collections.of(1).reindex()
    small_live = small.collections.of(1).live()
    assert small_live is not None
    small_passages = len(small_live.searcher.index.passages)
    del small, small_live
    gc.collect()
    before = rss_mib()
    for n in range(args.copies):
        guild = 10_000 + n
        shutil.copytree(template / "collections" / "1", app.collections.folder(guild))
        app.live_for(guild)
        quote(app, QuoteRequest(questions[n], guild=guild))  # loaded and searched once
    gc.collect()
    per_collection = (rss_mib() - before) / args.copies

    results: dict[str, Any] = {
        "base_passages": len(app.index.searcher.index.passages),
        "collection_passages": passages,
        "collection_build_seconds": round(build_seconds, 1),
        "collection_encoded": report.encoded,
        "queries": len(questions),
        "rounds": args.rounds,
        "base": base,
        "server": server,
        "p50_ratio": server["p50_ms"] / base["p50_ms"],
        "p95_ratio": server["p95_ms"] / base["p95_ms"],
        "base_cached": base_cached,
        "server_cached": server_cached,
        "cached_p50_ratio": server_cached["p50_ms"] / base_cached["p50_ms"],
        "cached_p95_ratio": server_cached["p95_ms"] / base_cached["p95_ms"],
        "server_quotes_from_collection": from_server,
        "memory_collection_passages": small_passages,
        "memory_per_collection_mib": per_collection,
        "memory_per_1000_passages_mib": per_collection * 1000 / small_passages,
    }
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / "tenancy.json").write_text(json.dumps(results, indent=2))
    print("| /quote | base alone (DM) | base + server collection | ratio |")
    print("| --- | --- | --- | --- |")
    for label, b, sv in (
        ("new question", base, server),
        ("vector cached (search only)", base_cached, server_cached),
    ):
        for p in ("p50_ms", "p95_ms"):
            ratio = sv[p] / b[p]
            print(f"| {label} {p[:3]} | {b[p]:.2f} ms | {sv[p]:.2f} ms | {ratio:.2f} |")
    print(
        f"\n{results['base_passages']:,} base passages + {passages:,} in the collection; "
        f"{len(questions)} questions x {args.rounds} rounds, answers never cached; "
        f"{from_server} of the server's answers quoted its collection."
    )
    print(
        f"memory: {per_collection:.1f} MiB per collection of {small_passages:,} passages "
        f"({results['memory_per_1000_passages_mib']:.1f} MiB per 1,000), over {args.copies}."
    )
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
