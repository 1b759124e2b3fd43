"""Exact, IVF and HNSW on a real index: speed, recall against exact, and answer quality.

    .venv/bin/python -m bench.index_choice --index DIR [--sentence-queries 300]

For the index's own vectors and the labelled queries (bench/queries.jsonl): each kind's
build time, search p50 (FAISS on one thread, as the bot runs it), recall@10 and @100
against exact search, and recall@5 / MRR@10 of the hybrid ranking built on it. IVF and
HNSW are measured with float vectors and with 8-bit codes re-scored from the vectors
(`ivf_codes`, `hnsw_codes`).
This is what chose `ann_threshold` (bench/RESULTS.md, "Choosing the index").
--sentence-queries adds that many queries for the recall columns: the longest sentence
(6-40 words) of passages drawn at random with a fixed seed, as bench/scale.py's held-out
queries (a user quoting a line they remember).
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
    parser.add_argument("--sentence-queries", type=int, default=0)
    args = parser.parse_args()

    import faiss
    import numpy as np

    from bench.run import evaluate, load_queries
    from embeddings import dense
    from embeddings.encoder import Encoder
    from embeddings.search import Searcher
    from embeddings.sentences import split_sentences
    from embeddings.store import load

    faiss.omp_set_num_threads(1)
    index = load(args.index)
    vectors = np.ascontiguousarray(index.vectors)
    labelled = load_queries(ROOT / "bench" / "queries.jsonl")
    encoder = Encoder(index.manifest.model)
    sentences: list[str] = []
    rng = np.random.default_rng(20240611)
    for i in rng.permutation(len(vectors)):
        if len(sentences) == args.sentence_queries:
            break
        text = index.passages[int(i)].text
        spans = [" ".join(text[s:e].split()) for s, e in split_sentences(text)]
        spans = [s for s in spans if 6 <= len(s.split()) <= 40]
        if spans:
            sentences.append(max(spans, key=len))
    queries = encoder.encode_queries([q["query"] for q in labelled] + sentences)
    _, exact_ids = dense.build(vectors, dense.DenseParams(kind="exact")).search(queries, 100)

    print(
        f"Index: {len(vectors):,} passages, {len(labelled)} labelled queries"
        f" and {len(sentences)} sentences of its passages (recall columns).\n"
    )
    print("| kind | build s | search p50 ms | recall@10 | recall@100 | recall@5 | MRR@10 |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    kinds: list[tuple[str, dense.DenseParams]] = [
        ("exact", dense.DenseParams(kind="exact")),
        ("ivf flat", dense.DenseParams(kind="ivf", ivf_codes="flat")),
        ("ivf sq8", dense.DenseParams(kind="ivf", ivf_codes="sq8")),
        ("hnsw flat", dense.DenseParams(kind="hnsw", hnsw_codes="flat")),
        ("hnsw sq8", dense.DenseParams(kind="hnsw", hnsw_codes="sq8")),
    ]
    for kind, params in kinds:
        t0 = time.perf_counter()
        built = dense.build(vectors, params)
        seconds = time.perf_counter() - t0
        times = []
        for q in queries:
            t0 = time.perf_counter()
            built.search(q[None, :], 100)
            times.append((time.perf_counter() - t0) * 1000)
        _, ids = built.search(queries, 100)
        _, top10 = built.search(queries, 10)  # asked for 10: an index of codes finds 20
        r10 = np.mean(
            [len(set(a) & set(e[:10])) / 10 for a, e in zip(top10, exact_ids, strict=True)]
        )
        r100 = np.mean([len(set(a) & set(e)) / 100 for a, e in zip(ids, exact_ids, strict=True)])
        quality = evaluate(Searcher(replace(index, dense=built), encoder), labelled, "convex")
        print(
            f"| {kind} | {seconds:.1f} | {statistics.median(times):.2f} | {r10:.3f} | "
            f"{r100:.3f} | {quality['recall@5']:.3f} | {quality['mrr@10']:.3f} |"
        )


if __name__ == "__main__":
    main()
