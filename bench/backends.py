"""Encoder backends: torch against ONNX Runtime (fp32 and dynamic int8), side by side.

    .venv/bin/python -m bench.backends [--index DIR] [--sample 2000] [--rounds 2]

Same passages (the shared corpora), same labelled queries (bench/queries.jsonl), same
BM25: only the vectors differ. For each backend: the one-off ONNX export, passage
encoding throughput (a fixed sample, backends interleaved round by round so a busy
machine slows all of them alike; reported as a ratio to torch), single-query latency
p50/p99 (interleaved query by query), agreement of its vectors with torch's, and
recall@5 / MRR@10 with an index built from its own vectors. Needs the `onnx` extra.
Results: bench/out/backends.json, and Markdown on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]
BACKENDS = ("torch", "onnx", "onnx-int8")


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, int(np.ceil(q * len(s))) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpora", type=Path, default=ROOT.parent / "shared" / "corpora")
    parser.add_argument("--queries", type=Path, default=ROOT / "bench" / "queries.jsonl")
    parser.add_argument("--index", type=Path, help="a torch-built index of the corpora to reuse")
    parser.add_argument("--sample", type=int, default=2000, help="passages per throughput run")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--full-fp32", action="store_true", help="re-encode all with fp32 ONNX")
    parser.add_argument("--no-quality", action="store_true", help="speed only (quality is slow)")
    parser.add_argument("--quality-only", action="store_true", help="skip the speed runs")
    parser.add_argument("--vectors-cache", type=Path, help="keep/reuse each backend's vectors")
    args = parser.parse_args()

    from bench.run import evaluate, load_queries, prepare_corpus
    from embeddings import dense as dense_index
    from embeddings import store
    from embeddings.build import reindex
    from embeddings.dense import DenseParams
    from embeddings.encoder import Encoder
    from embeddings.search import QueryEmbeddings, Searcher, SearchParams
    from embeddings.store import IndexData

    work = Path(tempfile.mkdtemp(prefix="quotebot-backends-"))
    results: dict[str, Any] = {
        "command": " ".join(["python -m bench.backends", *sys.argv[1:]]),
        "date": time.strftime("%Y-%m-%d"),
        "threads": args.threads,
        "backends": {},
    }
    encoders = {
        b: Encoder("all-MiniLM-L6-v2", backend=b, threads=args.threads, cache_dir=work / "cache")
        for b in BACKENDS
    }
    torch_enc = encoders["torch"]
    index_dir = args.index
    if index_dir is None:
        corpus = prepare_corpus(args.corpora, work / "corpus")
        index_dir = work / "index"
        torch_enc.warm_up()
        reindex(corpus, index_dir, torch_enc, force=True)
    data = store.load(index_dir, check=False)
    if data.manifest.model != torch_enc.model_id:
        raise SystemExit(f"{index_dir} was not built with torch ({data.manifest.model})")
    texts = [p.text for p in data.passages]
    queries = load_queries(args.queries)

    # One-off costs: load (and, for ONNX, export into our cache folder).
    for b, enc in encoders.items():
        t0 = time.perf_counter()
        enc.warm_up()
        results["backends"][b] = {"first_load_seconds": time.perf_counter() - t0}
    for b, enc in encoders.items():
        if b != "torch":
            from embeddings.onnx_backend import OnnxModel

            session = enc.query_backend
            assert isinstance(session, OnnxModel)
            results["backends"][b]["model_file_mb"] = session.file.stat().st_size / 2**20

    # Throughput on one sample, backends interleaved.
    rng = np.random.default_rng(0)
    sample = [texts[i] for i in rng.choice(len(texts), min(args.sample, len(texts)), False)]
    rates: dict[str, list[float]] = {b: [] for b in BACKENDS}
    sample_vectors: dict[str, np.ndarray] = {}
    for _ in range(args.rounds if not args.quality_only else 0):
        for b, enc in encoders.items():
            t0 = time.perf_counter()
            sample_vectors[b] = enc.encode(sample)
            rates[b].append(len(sample) / (time.perf_counter() - t0))
    # Single-query latency, interleaved query by query (warm, no cache in the way).
    lat: dict[str, list[float]] = {b: [] for b in BACKENDS}
    for _ in range(2 if not args.quality_only else 0):
        for q in queries:
            for b, enc in encoders.items():
                t0 = time.perf_counter()
                enc.encode_queries([q["query"]])
                lat[b].append((time.perf_counter() - t0) * 1000)
    if args.quality_only:  # only the agreement check on a small sample
        sample_vectors = {b: enc.encode(sample[:200]) for b, enc in encoders.items()}
    for b in BACKENDS if not args.quality_only else ():
        r = results["backends"][b]
        r["passages_per_s"] = float(np.median(rates[b]))
        r["throughput_ratio"] = float(np.median(np.array(rates[b]) / np.array(rates["torch"])))
        r["query_p50_ms"] = pct(lat[b], 0.5)
        r["query_p99_ms"] = pct(lat[b], 0.99)
        r["query_p50_ratio"] = r["query_p50_ms"] / pct(lat["torch"], 0.5)

    # Quality: every passage encoded by each backend, an index of its own vectors. fp32
    # ONNX is checked on the sample instead: if its vectors equal torch's to 1e-5, the
    # torch passage vectors stand in for it (re-encoding 34k passages changes nothing
    # but the run time); its query vectors are still its own.
    for b, enc in encoders.items():
        r = results["backends"][b]
        diff = float(np.abs(sample_vectors[b] - sample_vectors["torch"]).max())
        r["sample_max_abs_diff"] = diff
        if args.no_quality:
            continue
        if b == "torch" or (b == "onnx" and diff < 1e-5 and not args.full_fp32):
            vectors = np.asarray(data.vectors)
            r["passage_vectors"] = "torch's (sample agrees)" if b != "torch" else "own"
        else:
            r["passage_vectors"] = "own"
            cached = args.vectors_cache / f"{b}.npy" if args.vectors_cache else None
            if cached and cached.is_file():
                vectors = np.load(cached)  # the same passages, encoded by an earlier run
            else:
                t0 = time.perf_counter()
                vectors = enc.encode(texts)
                r["full_encode_seconds"] = time.perf_counter() - t0
                if cached:
                    cached.parent.mkdir(parents=True, exist_ok=True)
                    np.save(cached, vectors)
        agree = np.sum(vectors * data.vectors, axis=1)
        r["cosine_to_torch"] = {"mean": float(agree.mean()), "min": float(agree.min())}
        r["max_abs_diff"] = float(np.abs(vectors - data.vectors).max())
        dense = dense_index.build(vectors, DenseParams(kind="exact"))
        own = IndexData(
            data.manifest, data.documents, data.passages, vectors, dense, data.sparse, data.path
        )
        searcher = Searcher(own, enc, SearchParams(), QueryEmbeddings(enc, 4096, batching=False))
        r["quality"] = {
            fusion: {k: v for k, v in evaluate(searcher, queries, fusion).items() if k != "misses"}
            for fusion in ("convex", "rrf", "dense")
        }
        _, torch_ids = data.dense.search(
            torch_enc.encode_queries([q["query"] for q in queries]), 10
        )
        _, own_ids = dense.search(enc.encode_queries([q["query"] for q in queries]), 10)
        r["dense_top10_overlap_with_torch"] = float(
            np.mean([len(set(a) & set(b_)) / 10 for a, b_ in zip(own_ids, torch_ids, strict=True)])
        )
    results["passages"] = len(texts)
    results["queries"] = len(queries)
    results["sample"] = len(sample)
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    name = "backends.json"
    if args.no_quality or args.quality_only:
        name = f"backends-{'speed' if args.no_quality else 'quality'}-{args.threads}.json"
    (out / name).write_text(json.dumps(results, indent=2))
    print(render(results))
    shutil.rmtree(work, ignore_errors=True)


def render(r: dict[str, Any]) -> str:
    """Speed and quality tables (a part that was not measured shows as nan)."""
    fusions = ("convex", "rrf", "dense")
    head = " | ".join(f"recall@5 / MRR@10 {f}" for f in fusions)
    lines = [
        "| backend | passages/s | vs torch | query p50 / p99 ms | vs torch | cosine to torch "
        f"(mean / min) | {head} |",
        "| --- " * (6 + len(fusions)) + "|",
    ]
    for b, v in r["backends"].items():

        def g(key: str, v: dict[str, Any] = v) -> float:
            return float(v.get(key, np.nan))

        q = v.get("quality", {})
        cos = v.get("cosine_to_torch", {})
        cells = " | ".join(
            f"{q.get(f, {}).get('recall@5', np.nan):.3f} / {q.get(f, {}).get('mrr@10', np.nan):.3f}"
            for f in fusions
        )
        lines.append(
            f"| {b} | {g('passages_per_s'):.0f} | {g('throughput_ratio'):.2f}× | "
            f"{g('query_p50_ms'):.1f} / {g('query_p99_ms'):.1f} | {g('query_p50_ratio'):.2f}× | "
            f"{cos.get('mean', np.nan):.4f} / {cos.get('min', np.nan):.4f} | {cells} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
