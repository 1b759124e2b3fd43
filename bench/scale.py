"""Scale benchmark: a synthetic corpus of up to 1,000,000 passages.

    .venv/bin/python -m bench.scale [--sizes 100000,300000,1000000] [--index DIR]
        [--work DIR] [--kinds exact,ivf,hnsw] [--nprobe 96,125 | --nprobe-share ...]
        [--hnsw-m 16,32] [--hnsw-m-largest 16] [--ef-search 64,128,256,512]
    .venv/bin/python -m bench.scale --store-memory --sizes 1000000 [--index DIR] --work DIR
        [--ivf-codes flat,sq8]

Texts are made by recombining sentences of the shared corpora (read with our ingest,
split with our sentence splitter): 2 to 5 random sentences per passage, fixed seed.
Vectors re-use real ones: a sample of real passages is encoded once (or read from the
index given with --index), and every synthetic vector is a sampled real vector plus
Gaussian noise, renormalised. The noise is calibrated so that a synthetic vector is as
close to its nearest neighbours as a real passage is to its own (see `calibrate_noise`).

Each index configuration is built and measured in a child process of its own, so peak
memory (VmHWM) is that configuration's alone: build time, memory by component, index
size on disk, dense-search latency p50/p99, the whole `Searcher.search` path (dense +
BM25 over the synthetic texts + fusion, with a precomputed query vector), and recall@10
against exact search on held-out real queries. Every child also times a fixed reference
workload, so figures from a busy, shared machine can be compared. `--work` keeps the
synthetic vectors, BM25 indexes and exact ground truth for later runs (run `exact` at a
size before the approximate kinds). An HNSW build at the largest size is skipped when
the build at a smaller size extrapolates past --max-build-minutes.
Results: bench/out/scale-<sizes>-<kinds>.json, and Markdown on stdout.

`--store-memory` measures what the bot holds instead: each of --sizes is written once as a
store build (`store.save`, default dense index, IVF lists of each of --ivf-codes) into
<work>/store-<N>-<codes>, then a fresh child loads it with `store.load` (checksums
verified, as the bot starts) and answers the queries; its resident memory (VmRSS, split
into anonymous and file-backed pages) is read after the load and after the queries, then
the queries are timed (the whole path, and the dense index alone with its recall@10
against exact search's top 10 from the `exact` run). --index, if given, is measured the
same way (read only; recall too if it has as many passages as a synthetic size measured).
Results: bench/out/scale-store-memory.json, and Markdown on stdout.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from embeddings.search import QueryEmbeddings

os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]
SEED = 20240611
BASE_SAMPLE = 20_000  # real passages whose vectors seed the synthetic ones
HELD_OUT = 300  # real passages kept out of the bases: their sentences become queries
CHUNK = 100_000  # generation unit: every size is a prefix of the largest
DIM = 384


# -- helpers ------------------------------------------------------------------------------


class Precomputed(QueryEmbeddings):
    """Query vectors computed beforehand: the Searcher's query path without the model."""

    def __init__(self, vectors: dict[str, np.ndarray]) -> None:  # no model, no batcher
        self.vectors = vectors

    def get(self, query: str) -> np.ndarray:
        return self.vectors[query]


def rss_mb() -> float:
    import psutil

    return float(psutil.Process().memory_info().rss) / 2**20


def peak_mb() -> float:
    """This process's peak RSS. VmHWM, not ru_maxrss: Linux carries ru_maxrss over a
    fork and exec, so a child would report its (large) parent's peak."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def proc_status() -> dict[str, float]:
    """VmRSS, RssAnon (private memory), RssFile (mapped file pages: shared with the page
    cache, dropped by the kernel under pressure) and VmHWM of this process, in MiB."""
    out: dict[str, float] = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "RssAnon", "RssFile", "VmHWM"):
            out[key] = int(rest.split()[0]) / 1024  # kB
    return out


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, math.ceil(q * len(s)) - 1))]


def reference_ms() -> float:
    """A fixed workload (one exact search over 100k fixed random vectors), p50 in ms:
    the yardstick that makes latencies from different moments of a shared machine
    comparable."""
    rng = np.random.default_rng(7)
    base = rng.standard_normal((100_000, DIM), dtype=np.float32)
    q = rng.standard_normal((1, DIM), dtype=np.float32)
    times = []
    for _ in range(30):
        t0 = time.perf_counter()
        scores = base @ q[0]
        np.argpartition(-scores, 10)[:10]
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


# -- synthetic corpus ---------------------------------------------------------------------


def corpus_sentences(corpora: Path, work: Path) -> list[str]:
    """Sentences of the shared corpora, read with our own ingest and sentence splitter."""
    from bench.run import prepare_corpus
    from embeddings.ingest import IngestError, discover, read_document
    from embeddings.sentences import split_sentences

    corpus = work / "corpus"
    if not corpus.exists():
        prepare_corpus(corpora, corpus)
    files, _ = discover(corpus)
    out: list[str] = []
    for f in files:
        try:
            doc = read_document(f, corpus)
        except IngestError:
            continue
        for block in doc.blocks:
            for s, e in split_sentences(block.text):
                sentence = " ".join(block.text[s:e].split())
                if len(sentence.split()) >= 3:
                    out.append(sentence)
    return out


def synthetic_texts(sentences: list[str], n: int) -> list[str]:
    """Passage texts of 2-5 random sentences; chunk by chunk with per-chunk seeds, so the
    first n texts are the same whatever the largest size."""
    out: list[str] = []
    for c in range(math.ceil(n / CHUNK)):
        rng = np.random.default_rng([SEED, 1, c])
        size = min(CHUNK, n - c * CHUNK)
        counts = rng.integers(2, 6, size)
        picks = rng.integers(0, len(sentences), int(counts.sum()))
        pos = 0
        for k in counts:
            out.append(" ".join(sentences[i] for i in picks[pos : pos + k]))
            pos += k
    return out


def synthetic_vectors(bases: np.ndarray, n: int, sigma: float, path: Path) -> None:
    """n vectors = random base + N(0, sigma²) per dimension, renormalised; written to disk."""
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(n, DIM))
    for c in range(math.ceil(n / CHUNK)):
        rng = np.random.default_rng([SEED, 2, c])
        size = min(CHUNK, n - c * CHUNK)
        v = bases[rng.integers(0, len(bases), size)]
        v = v + rng.standard_normal((size, DIM), dtype=np.float32) * np.float32(sigma)
        v /= np.linalg.norm(v, axis=1, keepdims=True)
        out[c * CHUNK : c * CHUNK + size] = v
    out.flush()
    del out


def nn_cosines(vectors: np.ndarray, probe: np.ndarray, exclude_self: bool) -> np.ndarray:
    """Cosine of each probe row to its nearest row of `vectors` (itself excluded)."""
    import faiss

    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(np.ascontiguousarray(vectors))
    scores, _ = index.search(np.ascontiguousarray(probe), 2 if exclude_self else 1)
    return np.asarray(scores[:, 1] if exclude_self else scores[:, 0])


def calibrate_noise(real: np.ndarray, rng: np.random.Generator) -> tuple[float, float]:
    """sigma such that a synthetic vector's expected cosine to a sibling (another noisy
    copy of its base), 1 / (1 + sigma² · dim), equals the median cosine of a real passage
    to its nearest real neighbour. Returns (sigma, that median)."""
    probe = real[rng.choice(len(real), 2000, replace=False)]
    median_nn = float(np.median(nn_cosines(real, probe, exclude_self=True)))
    sigma = math.sqrt((1 / median_nn - 1) / DIM)
    return sigma, median_nn


# -- the index of one size: texts, BM25, ground truth --------------------------------------


def synthetic_index(work: Path, n: int, dense: Any, vectors: np.ndarray) -> Any:
    """An `IndexData` over the first n synthetic passages, as the bot would hold it."""
    from embeddings.documents import DocumentMeta
    from embeddings.passages import Passage
    from embeddings.sparse import SparseIndex
    from embeddings.store import FORMAT_VERSION, DocumentRecord, IndexData, Manifest

    sentences = json.loads((work / "sentences.json").read_text())
    texts = synthetic_texts(sentences, n)
    per_doc = 1000  # synthetic documents of 1,000 passages: filters and dedupe work as usual
    passages = [
        Passage(
            source=f"synthetic/{i // per_doc:05d}.txt",
            text=t,
            start=0,
            end=len(t),
            block=i % per_doc,
        )
        for i, t in enumerate(texts)
    ]
    del texts
    documents = [
        DocumentRecord(
            source=f"synthetic/{d:05d}.txt",
            meta=DocumentMeta(title=f"Synthetic {d}"),
            format="text",
            fingerprint="",
            first=d * per_doc,
            count=min(per_doc, n - d * per_doc),
        )
        for d in range(math.ceil(n / per_doc))
    ]
    sparse = SparseIndex.load(work / f"bm25-{n}", n)
    manifest = Manifest(FORMAT_VERSION, "synthetic", DIM, n, len(documents), "", {}, {}, "", 0.0)
    return IndexData(manifest, documents, passages, vectors, dense, sparse)


def child_bm25(work: Path, n: int) -> dict[str, Any]:
    from embeddings.sparse import SparseIndex

    sentences = json.loads((work / "sentences.json").read_text())
    t0 = time.perf_counter()
    texts = synthetic_texts(sentences, n)
    gen_s = time.perf_counter() - t0
    chars = sum(len(t) for t in texts)
    t0 = time.perf_counter()
    sparse = SparseIndex.build(texts)
    build_s = time.perf_counter() - t0
    folder = work / f"bm25-{n}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    sparse.save(folder)
    size = sum(p.stat().st_size for p in folder.iterdir())
    return {
        "texts_seconds": gen_s,
        "build_seconds": build_s,
        "bytes_on_disk": size,
        "text_chars": chars,
        "peak_rss_mb": peak_mb(),
    }


# -- one dense configuration, in a child process ------------------------------------------


def child_dense(work: Path, spec: dict[str, Any]) -> dict[str, Any]:
    import faiss

    from embeddings import dense as dense_index
    from embeddings.dense import DenseParams
    from embeddings.encoder import Encoder
    from embeddings.search import Searcher, SearchParams
    from embeddings.sparse import terms

    n = int(spec["n"])
    result: dict[str, Any] = {"spec": spec, "omp_threads": faiss.omp_get_max_threads()}
    result["reference_ms_start"] = reference_ms()
    rss0 = rss_mb()
    # A private in-memory copy, as `store.load` held it when the Scale figures were taken;
    # it now memory-maps vectors.npy instead (measured by --store-memory).
    vectors = np.array(np.load(work / "vectors.npy", mmap_mode="r")[:n])
    rss_vec = rss_mb()
    params = DenseParams(**spec["params"])
    t0 = time.perf_counter()
    index = dense_index.build(vectors, params)
    result["build_seconds"] = time.perf_counter() - t0
    rss_index = rss_mb()
    if isinstance(index, dense_index.MappedFlat):  # exact search reads the vectors: no file
        result["index_bytes"] = vectors.nbytes
    else:
        with tempfile.TemporaryDirectory(dir=work) as tmp:
            dense_index.save(index, Path(tmp) / "dense.faiss")
            result["index_bytes"] = (Path(tmp) / "dense.faiss").stat().st_size
    inner = dense_index.faiss_index(index)  # an index of codes is wrapped to re-score
    if hasattr(inner, "nlist"):
        result["nlist"] = int(inner.nlist)

    queries = json.loads((work / "queries.json").read_text())
    qvecs = np.load(work / "query_vectors.npy")
    k = 10
    if spec["kind"] == "exact":
        top, gt = index.search(qvecs, k)  # all queries at once: BLAS, seconds even at 1M
        np.save(work / f"gt-{n}.npy", gt)
        result["query_top1_cosine_median"] = float(np.median(top[:, 0]))
        # Exact search scans every vector: time it on a subset, one round.
        latency_rows = np.arange(min(len(qvecs), int(spec.get("latency_queries", 100))))
        rounds = 1
    else:
        latency_rows = np.arange(len(qvecs))
        rounds = 2  # 750 samples for a steadier p99
    gt = np.load(work / f"gt-{n}.npy")

    data = synthetic_index(work, n, index, vectors)
    rss_all = rss_mb()
    encoder = Encoder("all-MiniLM-L6-v2")  # never loaded: query vectors are precomputed
    searcher = Searcher(data, encoder, SearchParams(), Precomputed({}))
    keys = [searcher.prepare(q["text"]) for q in queries]  # the cleaned text it looks up
    searcher.embeddings = Precomputed(dict(zip(keys, qvecs, strict=True)))
    query_terms = [terms(q["text"]) for q in queries]
    result["memory_mb"] = {
        "process_before": rss0,
        "vectors": rss_vec - rss0,
        "index": rss_index - rss_vec,
        "passages_and_bm25": rss_all - rss_index,
    }

    settings: list[tuple[str, int]] = [(name, int(v)) for name, v in spec.get("sweep", [])] or [
        ("", 0)
    ]
    runs = []
    for name, value in settings:
        if name == "ef_search":
            inner.hnsw.efSearch = value
        elif name == "nprobe":
            inner.nprobe = value
        for q in qvecs[:10]:  # warm caches
            index.search(q[None, :], k)
        dense_ms: list[float] = []
        for _ in range(rounds):
            for i in latency_rows:
                t0 = time.perf_counter()
                index.search(qvecs[i][None, :], k)
                dense_ms.append((time.perf_counter() - t0) * 1000)
        _, found = index.search(qvecs, k)  # batched: the same results, for recall
        recall = float(np.mean([len(set(found[i]) & set(gt[i])) / k for i in range(len(gt))]))
        path_ms: list[float] = []
        bm25_ms: list[float] = []
        for i in latency_rows:
            q = queries[i]
            t0 = time.perf_counter()
            searcher.search(q["text"], k=5)  # clean, rank, fuse, floor, dedupe: all but encoding
            path_ms.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            data.sparse.scores(query_terms[i])
            bm25_ms.append((time.perf_counter() - t0) * 1000)

        runs.append(
            {
                "setting": name,
                "value": value,
                "recall@10": recall,
                "dense_p50_ms": pct(dense_ms, 0.5),
                "dense_p99_ms": pct(dense_ms, 0.99),
                "path_p50_ms": pct(path_ms, 0.5),
                "path_p99_ms": pct(path_ms, 0.99),
                "bm25_p50_ms": pct(bm25_ms, 0.5),
                "bm25_p99_ms": pct(bm25_ms, 0.99),
            }
        )
    result["runs"] = runs
    result["peak_rss_mb"] = peak_mb()
    result["rss_end_mb"] = rss_mb()
    result["reference_ms_end"] = reference_ms()
    result["load_average"] = os.getloadavg()[0]
    return result


# -- the memory of a loaded store build, in child processes -------------------------------


def child_store_save(work: Path, spec: dict[str, Any]) -> dict[str, Any]:
    """The first n synthetic passages written as a store build, as a reindex leaves them
    (the default dense index, with the IVF codes asked for)."""
    from dataclasses import asdict, replace

    from embeddings import dense as dense_index
    from embeddings import store
    from embeddings.dense import DenseParams

    n = int(spec["n"])
    params = DenseParams(ivf_codes=spec["ivf_codes"])
    vectors = np.array(np.load(work / "vectors.npy", mmap_mode="r")[:n])
    t0 = time.perf_counter()
    index = dense_index.build(vectors, params)
    build_s = time.perf_counter() - t0
    data = synthetic_index(work, n, index, vectors)
    data.manifest = replace(data.manifest, dense={**asdict(params), "kind": params.resolve(n)})
    t0 = time.perf_counter()
    build = store.save(Path(spec["dir"]), data)
    return {
        "spec": spec,
        "dense": data.manifest.dense["kind"],
        "build_seconds": build_s,
        "save_seconds": time.perf_counter() - t0,
        "bytes_on_disk": {
            str(p.relative_to(build)): p.stat().st_size for p in build.rglob("*") if p.is_file()
        },
    }


def child_store_load(work: Path, spec: dict[str, Any]) -> dict[str, Any]:
    """Resident memory of `store.load` (checksums verified) and of answering the queries."""
    import faiss  # noqa: F401  (imported before the baseline, like everything below)

    from embeddings import dense as dense_index
    from embeddings import store
    from embeddings.encoder import Encoder
    from embeddings.search import Searcher, SearchParams

    before = proc_status()
    t0 = time.perf_counter()
    data = store.load(Path(spec["dir"]), check=True)
    result: dict[str, Any] = {
        "spec": spec,
        "load_seconds": time.perf_counter() - t0,
        "passages": len(data.passages),
        "dense": data.manifest.dense.get("kind"),
        "ivf_codes": dense_index.codes(data.dense),
        "vectors_type": type(data.vectors).__name__,
        "before": before,
        "loaded": proc_status(),
    }
    if (work / "query_vectors.npy").is_file() and data.manifest.dimension == DIM:
        queries = json.loads((work / "queries.json").read_text())
        qvecs = np.load(work / "query_vectors.npy")
        encoder = Encoder("all-MiniLM-L6-v2")  # never loaded: query vectors are precomputed
        searcher = Searcher(data, encoder, SearchParams(), Precomputed({}))
        keys = [searcher.prepare(q["text"]) for q in queries]
        searcher.embeddings = Precomputed(dict(zip(keys, qvecs, strict=True)))
        path_ms = []
        for q in queries:
            t0 = time.perf_counter()
            searcher.search(q["text"], k=5)
            path_ms.append((time.perf_counter() - t0) * 1000)
        result["queries"] = len(queries)
        result["searched"] = proc_status()
        # The yardstick allocates 150 MB: only once the peak has been read.
        result["reference_ms_start"] = reference_ms()
        # Timed after the memory is read: the same queries again, warm, then the dense
        # index alone, one query a call as the bot asks it.
        for q in queries:
            t0 = time.perf_counter()
            searcher.search(q["text"], k=5)
            path_ms.append((time.perf_counter() - t0) * 1000)
        dense_ms = []
        found = []
        for q in qvecs:
            t0 = time.perf_counter()
            _, ids = dense_index.search(data.dense, q[None, :], 10)
            dense_ms.append((time.perf_counter() - t0) * 1000)
            found.append(ids[0])
        result["path_ms"] = {"p50": pct(path_ms, 0.5), "p99": pct(path_ms, 0.99)}
        result["dense_ms"] = {"p50": pct(dense_ms, 0.5), "p99": pct(dense_ms, 0.99)}
        truth = work / f"gt-{len(data.passages)}.npy"
        if truth.is_file():  # exact search's top 10 over the same synthetic vectors
            gt = np.load(truth)
            result["recall@10"] = float(
                np.mean([len(set(f) & set(g)) / 10 for f, g in zip(found, gt, strict=True)])
            )
        result["reference_ms_end"] = reference_ms()
    result["load_average"] = os.getloadavg()[0]
    return result


def store_memory(args: argparse.Namespace, work: Path, out_dir: Path) -> None:
    from embeddings import store

    targets: list[tuple[str, Path]] = [("index", args.index)] if args.index else []
    for n in args.sizes:
        vectors = work / "vectors.npy"
        if not (work / f"bm25-{n}").is_dir() or np.load(vectors, mmap_mode="r").shape[0] < n:
            sys.exit(f"{work} has no synthetic corpus of {n:,} passages: run bench.scale first")
        for codes in args.ivf_codes:
            # Before `ivf_codes` this benchmark wrote IVF-Flat builds to store-<n>.
            folder = work / f"store-{n}-{codes}"
            if store.read_current_name(folder) is None:
                spec = {"n": n, "dir": str(folder), "ivf_codes": codes}
                res = run_child(work, "store-save", spec, args.child_timeout)
                print(json.dumps(res), flush=True)
            targets.append((f"{n:,} synthetic, {codes}", folder))
    results = []
    for name, folder in targets:
        payload = {"name": name, "dir": str(folder)}
        res = run_child(work, "store-load", payload, args.child_timeout)
        print(json.dumps(res), flush=True)
        results.append(res)
    (out_dir / "scale-store-memory.json").write_text(json.dumps(results, indent=2))
    lines = [
        "| index | passages | dense | vectors | load s | process before MiB | "
        "after load: RSS / anon / file MiB | after the queries: RSS / anon / file MiB | "
        "private B / passage | peak MiB | recall@10 | dense p50 / p99 ms | "
        "query path p50 / p99 ms | ref ms |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        if "error" in r:
            lines.append(f"| {r['spec']['name']} | {r['error']} |" + " |" * 12)
            continue
        b = r["before"]

        def delta(s: dict[str, float], b: dict[str, float] = b) -> str:
            return " / ".join(f"{s[k] - b[k]:,.0f}" for k in ("VmRSS", "RssAnon", "RssFile"))

        last = r.get("searched", r["loaded"])
        searched = f"{delta(r['searched'])} ({r['queries']} queries)" if "searched" in r else ""
        per_passage = (last["RssAnon"] - b["RssAnon"]) * 2**20 / max(1, r["passages"])
        dense = r["dense"] + (f" {r['ivf_codes']}" if r.get("ivf_codes") else "")
        recall = f"{r['recall@10']:.3f}" if "recall@10" in r else "n/a"
        timed = (
            f"{r['dense_ms']['p50']:.1f} / {r['dense_ms']['p99']:.1f} | "
            f"{r['path_ms']['p50']:.1f} / {r['path_ms']['p99']:.1f} | "
            f"{r['reference_ms_start']:.0f}"
            if "dense_ms" in r
            else " | | "
        )
        lines.append(
            f"| {r['spec']['name']} | {r['passages']:,} | {dense} | {r['vectors_type']} | "
            f"{r['load_seconds']:.1f} | {b['VmRSS']:,.0f} | {delta(r['loaded'])} | {searched} | "
            f"{per_passage:,.0f} | {last['VmHWM']:,.0f} | {recall} | {timed} |"
        )
    print("Resident memory added by the load and the queries, over the process before it:")
    print("\n".join(lines))


def run_child(work: Path, what: str, payload: dict[str, Any], timeout: float) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter and return its JSON result."""
    out = work / f"result-{os.getpid()}-{time.monotonic_ns()}.json"
    cmd = [
        sys.executable,
        "-m",
        "bench.scale",
        "--child",
        what,
        "--work",
        str(work),
        "--payload",
        json.dumps(payload),
        "--out",
        str(out),
    ]
    t0 = time.perf_counter()
    try:
        subprocess.run(cmd, cwd=ROOT, check=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"spec": payload, "error": f"timed out after {timeout:.0f} s"}
    except subprocess.CalledProcessError as exc:
        return {"spec": payload, "error": f"exit {exc.returncode}"}
    result: dict[str, Any] = json.loads(out.read_text())
    out.unlink()
    result["wall_seconds"] = time.perf_counter() - t0
    return result


# -- the real sample and the queries ------------------------------------------------------


def prepare(args: argparse.Namespace, work: Path, results: dict[str, Any]) -> None:
    from embeddings import store
    from embeddings.encoder import Encoder
    from embeddings.sentences import split_sentences

    encoder = Encoder("all-MiniLM-L6-v2")
    if args.index:
        data = store.load(args.index, check=False)
    else:
        from embeddings.build import reindex

        sentences_corpus = work / "corpus"
        if not sentences_corpus.exists():
            from bench.run import prepare_corpus

            prepare_corpus(args.corpora, sentences_corpus)
        reindex(sentences_corpus, work / "real-index", encoder)
        data = store.load(work / "real-index", check=False)
    real = np.asarray(data.vectors, dtype=np.float32)
    rng = np.random.default_rng(SEED)
    order = rng.permutation(len(real))
    bases_ids, rest = order[:BASE_SAMPLE], order[BASE_SAMPLE:]
    bases = real[bases_ids]

    sigma, median_nn = (args.sigma, float("nan")) if args.sigma else calibrate_noise(real, rng)
    results["noise"] = {
        "sigma": sigma,
        "real_median_nn_cosine": median_nn,
        "expected_sibling_cosine": 1 / (1 + sigma**2 * DIM),
        "expected_cosine_to_base": 1 / math.sqrt(1 + sigma**2 * DIM),
        "real_passages": len(real),
        "bases": len(bases),
    }

    # Queries: a sentence of each held-out passage (a user quoting a line they remember)
    # and the labelled paraphrase queries of bench/queries.jsonl.
    queries: list[dict[str, str]] = []
    for i in rest:
        text = data.passages[int(i)].text
        spans = [text[s:e] for s, e in split_sentences(text)]
        spans = [" ".join(s.split()) for s in spans if 6 <= len(s.split()) <= 40]
        if spans:
            queries.append({"kind": "held-out sentence", "text": max(spans, key=len)})
        if len(queries) == HELD_OUT:
            break
    from bench.run import load_queries

    queries += [
        {"kind": "labelled", "text": q["query"]}
        for q in load_queries(ROOT / "bench" / "queries.jsonl")
    ]
    encoder.encode_queries(["warm up"])
    vecs = []
    enc_ms = []
    for q in queries:
        t0 = time.perf_counter()
        vecs.append(encoder.encode_queries([q["text"]])[0])
        enc_ms.append((time.perf_counter() - t0) * 1000)
    results["query_encoding_ms"] = {
        "p50": pct(enc_ms, 0.5),
        "p99": pct(enc_ms, 0.99),
        "n": len(enc_ms),
        "backend": encoder.backend,
    }
    np.save(work / "query_vectors.npy", np.asarray(vecs, dtype=np.float32))
    (work / "queries.json").write_text(json.dumps(queries))

    np.save(work / "bases.npy", bases)
    t0 = time.perf_counter()
    sentences = corpus_sentences(args.corpora, work)
    (work / "sentences.json").write_text(json.dumps(sentences))
    results["generation"] = {
        "sentences": len(sentences),
        "sentences_seconds": time.perf_counter() - t0,
    }
    results["noise"]["query_top1_cosine_median_real"] = float(
        np.median(nn_cosines(bases, np.load(work / "query_vectors.npy"), False))
    )


def ensure_vectors(work: Path, n: int, sigma: float, results: dict[str, Any]) -> None:
    """vectors.npy with at least n rows (the first rows never change: seeded by chunk)."""
    path = work / "vectors.npy"
    if path.is_file() and np.load(path, mmap_mode="r").shape[0] >= n:
        return
    t0 = time.perf_counter()
    synthetic_vectors(np.load(work / "bases.npy"), n, sigma, path)
    results["generation"][f"vectors_seconds_{n}"] = time.perf_counter() - t0


def neighbourhood(work: Path, n: int) -> float:
    """Median cosine of a synthetic vector to its nearest other synthetic vector."""
    vectors = np.load(work / "vectors.npy", mmap_mode="r")
    rng = np.random.default_rng([SEED, 3])
    probe = np.array(vectors[np.sort(rng.choice(n, 1000, replace=False))])
    # Chunked: the probe's top-2 over n rows without a second copy of all of them.
    best = np.full((len(probe), 2), -2.0, dtype=np.float32)
    for lo in range(0, n, CHUNK):
        sims = probe @ np.asarray(vectors[lo : min(n, lo + CHUNK)]).T
        top2 = np.partition(sims, sims.shape[1] - 2, axis=1)[:, -2:]
        best = np.sort(np.concatenate([best, top2], axis=1), axis=1)[:, -2:]
    return float(np.median(best[:, 0]))  # [:, 1] is the probe itself


# -- main ---------------------------------------------------------------------------------


def configurations(n: int, args: argparse.Namespace, largest: int) -> list[dict[str, Any]]:
    from embeddings.dense import DenseParams

    efs = [("ef_search", e) for e in args.ef_search]
    nlist = DenseParams().ivf_nlist(n)
    probes = [("nprobe", max(1, round(nlist * share))) for share in args.nprobe_share]
    if args.nprobe:  # absolute values instead of shares of nlist
        probes = [("nprobe", min(p, nlist)) for p in args.nprobe]
    out: list[dict[str, Any]] = [
        {
            "n": n,
            "kind": "exact",
            "params": {"kind": "exact"},
            "latency_queries": args.exact_latency_queries,
        },
    ]
    out += [
        {"n": n, "kind": "ivf", "params": {"kind": "ivf", "ivf_codes": codes}, "sweep": probes}
        for codes in args.ivf_codes
    ]
    ms = [args.hnsw_m_largest] if n == largest and n > 300_000 else args.hnsw_m
    ms = ms if n <= args.hnsw_max_n else []
    for m in ms:
        out.append(
            {
                "n": n,
                "kind": "hnsw",
                "params": {"kind": "hnsw", "hnsw_m": m, "ef_construction": args.ef_construction},
                "sweep": efs,
            }
        )
    return [c for c in out if c["kind"] in args.kinds]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000,300000,1000000")
    parser.add_argument("--corpora", type=Path, default=ROOT.parent / "shared" / "corpora")
    parser.add_argument("--index", type=Path, help="an index of the shared corpora to reuse")
    parser.add_argument("--work", type=Path, help="working folder (kept; reused if present)")
    parser.add_argument("--sigma", type=float, default=0.0, help="noise; 0: calibrate")
    parser.add_argument("--hnsw-m", default="16,32")
    parser.add_argument("--hnsw-m-largest", type=int, default=16)
    parser.add_argument("--hnsw-max-n", type=int, default=10**9, help="no HNSW above this")
    parser.add_argument("--ef-construction", type=int, default=80)
    parser.add_argument("--ef-search", default="64,128,256,512")
    parser.add_argument("--nprobe-share", default="0.015625,0.03125,0.0625,0.125")
    parser.add_argument("--nprobe", default="", help="nprobe values (instead of shares)")
    parser.add_argument("--kinds", default="exact,ivf,hnsw", help="exact is needed first")
    parser.add_argument("--exact-latency-queries", type=int, default=100)
    parser.add_argument("--max-build-minutes", type=float, default=20.0)
    parser.add_argument("--child-timeout", type=float, default=25 * 60)
    parser.add_argument("--store-memory", action="store_true", help="memory of store.load")
    parser.add_argument(
        "--ivf-codes", default="sq8", help="IVF indexes with these codes (flat,sq8)"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--payload", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        payload = json.loads(args.payload)
        if args.child == "bm25":
            res = child_bm25(args.work, int(payload["n"]))
        elif args.child == "store-save":
            res = child_store_save(args.work, payload)
        elif args.child == "store-load":
            res = child_store_load(args.work, payload)
        else:
            res = child_dense(args.work, payload)
        args.out.write_text(json.dumps(res))
        return

    args.sizes = sorted(int(s) for s in args.sizes.split(",") if s)
    args.hnsw_m = [int(m) for m in args.hnsw_m.split(",")]
    args.ef_search = [int(e) for e in args.ef_search.split(",")]
    args.nprobe_share = [float(p) for p in args.nprobe_share.split(",")]
    args.nprobe = [int(p) for p in args.nprobe.split(",") if p]
    args.kinds = args.kinds.split(",")
    args.ivf_codes = [c for c in args.ivf_codes.split(",") if c]
    work = args.work or Path(tempfile.mkdtemp(prefix="quotebot-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    out_dir = ROOT / "bench" / "out"
    out_dir.mkdir(exist_ok=True)
    if args.store_memory:
        store_memory(args, work, out_dir)
        return
    if not args.sizes:
        parser.error("--sizes is empty")
    results: dict[str, Any] = {
        "command": " ".join(["python -m bench.scale", *sys.argv[1:]]),
        "date": time.strftime("%Y-%m-%d"),
        "machine": {"cpus": os.cpu_count()},
        "sizes": {},
    }
    state = work / "prepared.json"
    if state.is_file():
        results.update(json.loads(state.read_text()))
    else:
        prepare(args, work, results)
        state.write_text(
            json.dumps({k: results[k] for k in ("noise", "query_encoding_ms", "generation")})
        )
        ensure_vectors(work, max(args.sizes), results["noise"]["sigma"], results)
    print(json.dumps({k: results[k] for k in ("noise", "query_encoding_ms")}, indent=1), flush=True)

    largest = max(args.sizes)
    builds = work / "hnsw-builds.json"  # {n: seconds} of the largest-M builds, across runs
    hnsw_seconds: dict[str, float] = json.loads(builds.read_text()) if builds.is_file() else {}
    for n in args.sizes:
        size: dict[str, Any] = {"configs": []}
        results["sizes"][str(n)] = size
        ensure_vectors(work, max(args.sizes), results["noise"]["sigma"], results)
        size["synthetic_nn_cosine_median"] = neighbourhood(work, n)
        print(f"{n}: median nearest-neighbour cosine {size['synthetic_nn_cosine_median']:.3f}")
        if not (work / f"bm25-{n}").is_dir():
            size["bm25"] = run_child(work, "bm25", {"n": n}, args.child_timeout)
            print(f"bm25 {n}: {size['bm25']}", flush=True)
        for spec in configurations(n, args, largest):
            smaller = [int(m) for m in hnsw_seconds if int(m) < n]
            if spec["kind"] == "hnsw" and smaller and n == largest:
                # HNSW inserts cost ~log n each: extrapolate from the largest size measured.
                m = max(smaller)
                estimate = hnsw_seconds[str(m)] * n / m * math.log(n) / math.log(m) / 60
                size["hnsw_build_estimate_minutes"] = estimate
                size["hnsw_build_estimate_from"] = m
                if estimate > args.max_build_minutes:
                    print(f"skip HNSW at {n}: ~{estimate:.0f} min to build", flush=True)
                    continue
            res = run_child(work, "dense", spec, args.child_timeout)
            size["configs"].append(res)
            print(json.dumps(res), flush=True)
            largest_m = spec["params"].get("hnsw_m") == args.hnsw_m_largest
            if spec["kind"] == "hnsw" and largest_m and "build_seconds" in res:
                hnsw_seconds[str(n)] = res["build_seconds"]
                builds.write_text(json.dumps(hnsw_seconds))
        tag = f"{'-'.join(str(s) for s in args.sizes)}-{'-'.join(args.kinds)}"
        (out_dir / f"scale-{tag}.json").write_text(json.dumps(results, indent=2))
    print(render(results))


def render(r: dict[str, Any]) -> str:
    lines = [
        "| N | index | setting | build s | peak RSS MB | index MB | dense p50 / p99 ms | "
        "query path p50 / p99 ms | BM25 p50 ms | recall@10 | ref ms |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for n, size in r["sizes"].items():
        for c in size["configs"]:
            spec = c["spec"]
            if "error" in c:
                lines.append(f"| {int(n):,} | {spec['kind']} | | {c['error']} | | | | | | | |")
                continue
            name = spec["kind"]
            if name == "hnsw":
                name += f" M={spec['params']['hnsw_m']}"
            if name == "ivf":
                name += f" {spec['params'].get('ivf_codes', 'flat')} nlist={c.get('nlist')}"
            for run in c["runs"]:
                setting = f"{run['setting']}={run['value']}" if run["setting"] else ""
                lines.append(
                    f"| {int(n):,} | {name} | {setting} | {c['build_seconds']:.1f} | "
                    f"{c['peak_rss_mb']:.0f} | {c['index_bytes'] / 2**20:.0f} | "
                    f"{run['dense_p50_ms']:.2f} / {run['dense_p99_ms']:.2f} | "
                    f"{run['path_p50_ms']:.1f} / {run['path_p99_ms']:.1f} | "
                    f"{run['bm25_p50_ms']:.1f} | {run['recall@10']:.3f} | "
                    f"{c['reference_ms_start']:.1f} |"
                )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
