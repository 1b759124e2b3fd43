"""Ranking signals, one at a time and together, on one built index.

    .venv/bin/python -m bench.signals --index DIR [--queries bench/queries.jsonl]
        [--split dev] [--variant NAME:key=value,key=value ...] [--latency]

Each variant is the search settings (`SearchParams` fields) changed from
`SearchParams()`'s defaults, or with `--base before` from the engine before the signals
(`BEFORE_SIGNALS`); a variant with no changes is the base itself. Prints
recall@5 and MRR@10 (floor ignored, as bench/run.py) overall and per corpus, and with
--latency the warm p50 of search + highlight per variant, measured interleaved so every
variant sees the same load.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

from bench.quality import corpus_of, matches

os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]


def parse_variant(spec: str, base: Any) -> tuple[str, Any]:
    name, _, body = spec.partition(":")
    types = {f.name: f.type for f in fields(base)}
    changes: dict[str, Any] = {}
    for item in filter(None, body.split(",")):
        key, _, value = item.partition("=")
        kind = types[key]
        changes[key] = (
            float(value)
            if kind in ("float", float)
            else int(value)
            if kind in ("int", int)
            else value.lower() in ("1", "true", "yes")
            if kind in ("bool", bool)
            else value
        )
    return name, replace(base, **changes)


def ranked_texts(searcher: Any, query: str, k: int = 10) -> list[tuple[str, str]]:
    """(text, source) of the top k, floor ignored, as the engine would show them (the hit
    rule is bench/quality.py's)."""
    from embeddings.search import result_text

    qvec = searcher.embeddings.get(query)
    ranking = searcher.ranking(query, qvec, None, searcher.params.fusion)
    hits = searcher.dedupe(ranking.hits(), 0, k)
    out = []
    for h in hits:
        doc = searcher.index.document_of(h.passage_id)
        out.append((result_text(searcher.index, h), doc.source))
    return out


def evaluate(searcher: Any, queries: list[dict[str, Any]]) -> dict[str, Any]:
    per: dict[str, list[tuple[int, float]]] = {}
    ranks: dict[str, int | None] = {}
    for q in queries:
        top = ranked_texts(searcher, q["query"])
        rank = next((i + 1 for i, (t, _) in enumerate(top) if matches(t, q["answers"])), None)
        ranks[q["id"]] = rank
        group = corpus_of(q.get("source", ""))
        per.setdefault(group, []).append(
            (1 if rank is not None and rank <= 5 else 0, 1.0 / rank if rank else 0.0)
        )
        per.setdefault("all", []).append(per[group][-1])
    table = {
        g: {
            "n": len(v),
            "recall@5": sum(a for a, _ in v) / len(v),
            "mrr@10": sum(b for _, b in v) / len(v),
        }
        for g, v in per.items()
    }
    return {"table": table, "ranks": ranks}


def latency(
    searchers: dict[str, Any], queries: list[dict[str, Any]], encoder: Any
) -> dict[str, dict[str, float]]:
    """Warm p50 (ms) per variant of search + highlight with the query vector cached (what
    each signal adds), and of the whole query: the same plus encoding the query, timed
    once per query and shared, interleaved with the searches so all see the same load."""
    times: dict[str, list[float]] = {name: [] for name in searchers}
    encode: list[float] = []
    for q in queries:
        t0 = time.perf_counter()
        encoder.encode_queries([q["query"]])
        encode.append((time.perf_counter() - t0) * 1000)
        for name, s in searchers.items():
            s.embeddings.get(q["query"])
            t0 = time.perf_counter()
            res = s.search(q["query"])
            s.highlight(res.query, res.hits)
            times[name].append((time.perf_counter() - t0) * 1000)
    return {
        name: {
            "search_p50": statistics.median(v),
            "query_p50": statistics.median([e + t for e, t in zip(encode, v, strict=True)]),
            "encode_p50": statistics.median(encode),
        }
        for name, v in times.items()
    }


def reindex_cost(data: Any, encoder: Any, share: float, rounds: int = 2) -> dict[str, Any]:
    """What a full reindex encodes now against before: every passage, plus the sentences
    of passages of two or more. Encodes a random `share` of each (alternating, so both
    see the same load) and scales up: (passages + sentences) / passages seconds."""
    import numpy as np

    from embeddings.sentence_index import sentence_texts

    rng = np.random.default_rng(0)
    passages = [p.text for p in data.passages]
    sentences = sentence_texts(data.passages, data.sentences.spans)
    pick_p = rng.choice(len(passages), int(share * len(passages)), replace=False)
    pick_s = rng.choice(len(sentences), int(share * len(sentences)), replace=False)
    times = {"passages": 0.0, "sentences": 0.0}
    for _ in range(rounds):
        for name, texts in (
            ("passages", [passages[i] for i in pick_p]),
            ("sentences", [sentences[i] for i in pick_s]),
        ):
            t0 = time.perf_counter()
            encoder.encode(texts)
            times[name] += time.perf_counter() - t0
    return {
        "passages": len(passages),
        "sentences": len(sentences),
        "sample_share": share,
        "seconds": times,
        "full_reindex_ratio": (times["passages"] + times["sentences"]) / times["passages"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--queries", type=Path, default=ROOT / "bench" / "queries.jsonl")
    parser.add_argument("--split", default="", help="only queries whose split is this")
    parser.add_argument("--variant", action="append", default=[])
    parser.add_argument("--latency", action="store_true")
    parser.add_argument(
        "--base",
        choices=("before", "default"),
        default="default",
        help="variants change the engine before the signals, or today's defaults",
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--reindex-cost",
        type=float,
        default=0.0,
        metavar="SHARE",
        help="estimate the full reindex's cost from encoding this share of the texts",
    )
    args = parser.parse_args()

    from embeddings import store
    from embeddings.encoder import Encoder
    from embeddings.search import BEFORE_SIGNALS, QueryEmbeddings, Searcher, SearchParams

    queries = [json.loads(line) for line in args.queries.read_text().splitlines() if line.strip()]
    if args.split:
        queries = [q for q in queries if q.get("split") == args.split]
    queries = [q for q in queries if q.get("answers")]  # the floor has its own figures
    from bot.app import set_search_threads

    set_search_threads(1)  # as the bot does: FAISS's threads would fight the model's
    data = store.load(args.index)
    encoder = Encoder("all-MiniLM-L6-v2")
    shared = QueryEmbeddings(encoder, 4096, batching=False)
    base = BEFORE_SIGNALS if args.base == "before" else SearchParams()
    variants = dict(parse_variant(v, base) for v in (args.variant or ["default:"]))
    searchers = {n: Searcher(data, encoder, p, shared) for n, p in variants.items()}
    results: dict[str, Any] = {}
    groups: list[str] = []
    for name, s in searchers.items():
        results[name] = evaluate(s, queries)
        groups = sorted(results[name]["table"], key=lambda g: (g == "all", g))
    head = "| variant | " + " | ".join(f"{g} R@5 / MRR" for g in groups) + " |"
    print(head)
    print("| --- " * (len(groups) + 1) + "|")
    for name, r in results.items():
        cells = [f"{r['table'][g]['recall@5']:.3f} / {r['table'][g]['mrr@10']:.3f}" for g in groups]
        print(f"| {name} | " + " | ".join(cells) + " |")
    print("n per group: " + ", ".join(f"{g} {results[name]['table'][g]['n']}" for g in groups))
    if args.latency:
        lat = latency(searchers, queries, encoder)
        first = next(iter(lat.values()))
        for name, t in lat.items():
            print(
                f"latency {name}: search p50 {t['search_p50']:.2f} ms "
                f"({t['search_p50'] / first['search_p50']:.2f}x the first variant), "
                f"query with encoding p50 {t['query_p50']:.2f} ms "
                f"({t['query_p50'] / first['query_p50']:.2f}x; encode p50 {t['encode_p50']:.2f})"
            )
        for name in results:
            results[name]["latency_ms"] = lat[name]
    if args.reindex_cost:
        cost = reindex_cost(data, encoder, args.reindex_cost)
        print(f"reindex cost: {json.dumps(cost)}")
        results["reindex_cost"] = cost
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
