"""Exact, IVF and HNSW on a real index: speed, recall against exact, and answer quality.

    .venv/bin/python -m bench.index_choice --index DIR

For the index's own vectors and the labelled queries (bench/queries.jsonl): each kind's
build time, search p50 (FAISS on one thread, as the bot runs it), recall@10 and @100
against exact search, and recall@5 / MRR@10 of the hybrid ranking built on it. This is
what chose `ann_threshold` (bench/RESULTS.md, "Choosing the index").
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, required=True, help="a built index folder")
    args = parser.parse_args()

    import faiss
    import numpy as np

    from bench.run import evaluate, load_queries
    from embeddings import dense
    from embeddings.encoder import Encoder
    from embeddings.search import Searcher
    from embeddings.store import load

    faiss.omp_set_num_threads(1)
    index = load(args.index)
    vectors = np.ascontiguousarray(index.vectors)
    labelled = load_queries(ROOT / "bench" / "queries.jsonl")
    encoder = Encoder(index.manifest.model)
    queries = encoder.encode_queries([q["query"] for q in labelled])
    _, exact_ids = dense.build(vectors, dense.DenseParams(kind="exact")).search(queries, 100)

    print(f"Index: {len(vectors):,} passages, {len(queries)} labelled queries.\n")
    print("| kind | build s | search p50 ms | recall@10 | recall@100 | recall@5 | MRR@10 |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for kind in ("exact", "ivf", "hnsw"):
        t0 = time.perf_counter()
        built = dense.build(vectors, dense.DenseParams(kind=kind))
        seconds = time.perf_counter() - t0
        times = []
        for q in queries:
            t0 = time.perf_counter()
            built.search(q[None, :], 100)
            times.append((time.perf_counter() - t0) * 1000)
        _, ids = built.search(queries, 100)
        r10 = np.mean(
            [len(set(a[:10]) & set(e[:10])) / 10 for a, e in zip(ids, exact_ids, strict=True)]
        )
        r100 = np.mean([len(set(a) & set(e)) / 100 for a, e in zip(ids, exact_ids, strict=True)])
        quality = evaluate(Searcher(replace(index, dense=built), encoder), labelled, "convex")
        print(
            f"| {kind} | {seconds:.1f} | {statistics.median(times):.2f} | {r10:.3f} | "
            f"{r100:.3f} | {quality['recall@5']:.3f} | {quality['mrr@10']:.3f} |"
        )


if __name__ == "__main__":
    main()
