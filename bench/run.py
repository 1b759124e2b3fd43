"""Retrieval-engine benchmark over the shared corpora (about 34,000 paragraphs).

    .venv/bin/python -m bench.run [--corpora ../shared/corpora] [--skip-raw]
        [--only seeds gutenberg/communist-manifesto.txt] [--rounds N] [--reindex-only]
        [--reindex-in-thread]

Reports, in one run: full reindex seconds against raw encoding of the same texts (every
passage and every sentence the index holds, with the encoder the reindex uses, in one
call; and the same in a thread of its own), alternating `--rounds` times so that a busy
machine shifts both, with the time of
each stage of the reindex; the unchanged reindex; query latency p50/p95 with the model
warm; index size and peak memory; recall@5 and MRR on bench/queries.jsonl for the hybrid
engine against BM25 alone and dense alone (not with `--reindex-only`). `--only` indexes
part of the corpora (paths inside them). Results are printed as Markdown and saved to
bench/out/engine.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from bench import quality
from embeddings.ingest.discovery import SIDECAR_SUFFIX

os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPORA = ROOT.parent / "shared" / "corpora"
# The seed essays' sidecars: the repository's corpus/ holds them, the shared seeds/ do not.
SEED_SIDECARS = ROOT / "corpus"
_T = TypeVar("_T")
KJV_COLLECTION = """title = "The King James Bible"
date = "1611"
url = "https://www.gutenberg.org/ebooks/10900"
"""


def prepare_corpus(corpora: Path, dest: Path, only: list[str] | None = None) -> Path:
    """Copy the shared corpora (read-only, and symlinks are never followed), or the paths
    `only` inside them, and add the metadata the texts cannot say of themselves: the KJV's
    folder-level metadata, and the seed essays' sidecars."""
    if only:
        for rel in only:
            src, to = corpora / rel, dest / rel
            to.parent.mkdir(parents=True, exist_ok=True)
            if src.is_dir():
                shutil.copytree(src, to, ignore=shutil.ignore_patterns("SOURCES.md"))
            else:
                shutil.copy2(src, to)
                for meta in src.parent.glob(f"{src.name}.meta.*"):
                    shutil.copy2(meta, to.parent / meta.name)
    else:
        shutil.copytree(corpora, dest, ignore=shutil.ignore_patterns("SOURCES.md"))
    add_sidecars(dest / "seeds", SEED_SIDECARS)
    for p in dest.rglob("*"):
        p.chmod(0o755 if p.is_dir() else 0o644)
    if (dest / "gutenberg" / "kjv").is_dir():
        (dest / "gutenberg" / "kjv" / "_collection.meta.toml").write_text(KJV_COLLECTION)
    return dest


def add_sidecars(folder: Path, sidecars: Path) -> None:
    """The sidecars in `sidecars` of the documents `folder` holds, beside them, where the
    folder has none of its own (without, the seed essays' author was "Unknown")."""
    if not folder.is_dir():
        return
    for sidecar in sidecars.glob(f"*{SIDECAR_SUFFIX}"):
        document = folder / sidecar.name.removesuffix(SIDECAR_SUFFIX)
        if document.is_file() and not (folder / sidecar.name).exists():
            shutil.copy2(sidecar, folder / sidecar.name)


class StageClock:
    """Seconds spent in each stage of a reindex, from its progress reports."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._stage = ""
        self._since = 0.0

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.perf_counter()
        if stage != self._stage:
            self.stop(now)
            self._stage, self._since = stage, now

    def stop(self, now: float | None = None) -> None:
        now = time.perf_counter() if now is None else now
        if self._stage:
            self.seconds[self._stage] = self.seconds.get(self._stage, 0.0) + now - self._since
        self._stage = ""


def reindex_against_raw(
    corpus: Path,
    index_dir: Path,
    encoder: Any,
    rounds: int,
    raw: bool,
    in_thread: bool = False,
    torch_encoder: Any = None,
) -> tuple[dict[str, Any], Any]:
    """Full (forced) reindexes alternating with raw encodes of the same texts; the last
    reindex's report, and per round its seconds, its stages and the raw seconds (also on
    `torch_encoder`, when the reindex's passages run on another backend)."""
    from embeddings import store
    from embeddings.build import reindex
    from embeddings.sentence_index import sentence_texts

    out: dict[str, Any] = {"rounds": []}
    texts: list[str] | None = None
    report = None
    for _ in range(rounds):
        clock = StageClock()
        t0 = time.perf_counter()
        build = partial(reindex, corpus, index_dir, encoder, force=True, progress=clock)
        # in_thread: as the bot runs /reindex (asyncio.to_thread)
        report = _in_a_thread(build)[1] if in_thread else build()
        seconds = time.perf_counter() - t0
        clock.stop()
        clock.seconds["before the first stage report"] = seconds - sum(clock.seconds.values())
        row: dict[str, Any] = {"seconds": seconds, "stages": clock.seconds}
        if raw:
            if texts is None:
                data = store.load(index_dir)
                texts = [p.text for p in data.passages]
                if data.sentences is not None:
                    texts += sentence_texts(data.passages, data.sentences.spans)
            t0 = time.perf_counter()
            encoder.encode(texts)
            row["raw_seconds"] = time.perf_counter() - t0
            row["ratio_to_raw"] = row["raw_seconds"] / seconds
            # The same encoding in a thread of its own, as the reindex encodes (and as the
            # bot runs a reindex): on this machine, same texts and batches, alternating,
            # torch took 6-36% less time there than in the main thread in 6 pairs of 7.
            row["raw_thread_seconds"] = _in_a_thread(partial(encoder.encode, texts))[0]
            row["ratio_to_raw_thread"] = row["raw_thread_seconds"] / seconds
            if torch_encoder is not None:
                t0 = time.perf_counter()
                torch_encoder.encode(texts)
                row["raw_torch_seconds"] = time.perf_counter() - t0
                row["ratio_to_raw_torch"] = row["raw_torch_seconds"] / seconds
        out["rounds"].append(row)
    out["texts_encoded_raw"] = len(texts) if texts is not None else None
    out["passage_backend"] = type(encoder.passage_backend).__name__
    if raw:
        out["ratio_to_raw"] = statistics.median(r["ratio_to_raw"] for r in out["rounds"])
        out["ratio_to_raw_thread"] = statistics.median(
            r["ratio_to_raw_thread"] for r in out["rounds"]
        )
        if torch_encoder is not None:
            out["ratio_to_raw_torch"] = statistics.median(
                r["ratio_to_raw_torch"] for r in out["rounds"]
            )
    return out, report


def _in_a_thread(work: Callable[[], _T]) -> tuple[float, _T]:
    """Seconds `work()` takes in a new thread, and its result (its error is raised)."""
    box: list[tuple[float, _T]] = []
    errors: list[BaseException] = []

    def run() -> None:
        t0 = time.perf_counter()
        try:
            result = work()
        except BaseException as exc:
            errors.append(exc)
            return
        box.append((time.perf_counter() - t0, result))

    thread = threading.Thread(target=run, name="bench-work")
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return box[0]


def load_queries(path: Path) -> list[dict[str, Any]]:
    """The labelled queries (the off-topic and foreign ones measure the floor: no answer)."""
    return [q for q in quality.load_queries(path) if quality.is_labelled(q)]


def evaluate(searcher: Any, queries: list[dict[str, Any]], fusion: str, k: int = 5) -> dict:
    """recall@k (any relevant passage in the top k) and MRR@10, ignoring the floor; a
    window of verses is judged by its whole text, as it is shown."""
    from embeddings.search import result_text

    hits_at_k = 0
    rr_total = 0.0
    misses = []
    for q in queries:
        query = q["query"]
        qvec = searcher.embeddings.get(query)
        ranked = searcher.dedupe(searcher.rank(query, qvec, None, fusion), 0, 10)
        rank = next(
            (
                i + 1
                for i, h in enumerate(ranked)
                if quality.matches(result_text(searcher.index, h), q["answers"])
            ),
            None,
        )
        if rank is not None and rank <= k:
            hits_at_k += 1
        else:
            misses.append(q["id"])
        rr_total += 1.0 / rank if rank else 0.0
    n = len(queries)
    return {"recall@5": hits_at_k / n, "mrr@10": rr_total / n, "misses": misses}


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    parser.add_argument("--queries", type=Path, default=ROOT / "bench" / "queries.jsonl")
    parser.add_argument("--skip-raw", action="store_true", help="skip the raw-encode baseline")
    parser.add_argument("--keep", type=Path, help="keep the built index in this folder")
    parser.add_argument("--only", nargs="+", help="index only these paths of the corpora")
    parser.add_argument("--rounds", type=int, default=1, help="reindex / raw encode pairs")
    parser.add_argument("--reindex-only", action="store_true", help="stop after the reindex")
    parser.add_argument(
        "--reindex-in-thread",
        action="store_true",
        help="run each full reindex in a thread of its own, as the bot's /reindex runs",
    )
    parser.add_argument(
        "--raw-torch",
        action="store_true",
        help="also time the raw encode on the torch BERT (when the reindex runs on ONNX)",
    )
    args = parser.parse_args()
    if args.only and not args.reindex_only:
        parser.error("--only needs --reindex-only: the rest measures the whole corpora")
    if not args.corpora.is_dir():
        parser.error(
            f"no corpora at {args.corpora}: give the folder of the shared corpora with "
            "--corpora DIR (its SOURCES.md says where each text comes from)"
        )

    from embeddings import store
    from embeddings.build import reindex
    from embeddings.encoder import Encoder
    from embeddings.search import Searcher, SearchParams

    work = Path(tempfile.mkdtemp(prefix="quotebot-bench-"))
    corpus = prepare_corpus(args.corpora, work / "corpus", args.only)
    index_dir = args.keep or work / "index"
    encoder = Encoder("all-MiniLM-L6-v2")
    encoder.warm_up()  # model load is start-up cost, not reindex throughput
    results: dict[str, Any] = {"machine": {"cpus": os.cpu_count()}, "only": args.only}

    compared, full = reindex_against_raw(
        corpus,
        index_dir,
        encoder,
        args.rounds,
        raw=not args.skip_raw,
        in_thread=args.reindex_in_thread,
        # An encoder whose model cache holds no export: its passages stay on torch.
        torch_encoder=Encoder("all-MiniLM-L6-v2", cache_dir=work / "no-export")
        if args.raw_torch
        else None,
    )
    full_s = statistics.median(r["seconds"] for r in compared["rounds"])
    results["full_reindex"] = {
        "seconds": full_s,
        "passages": full.passages,
        "sentences": full.sentences,
        "encoded": full.encoded + full.sentences_encoded,
        "documents": full.documents,
        "passages_per_s": full.passages / full_s,
        "skipped": full.skipped,
        **compared,
    }
    if not args.skip_raw:
        raw_s = statistics.median(r["raw_seconds"] for r in compared["rounds"])
        results["raw_encode"] = {"seconds": raw_s, "texts": compared["texts_encoded_raw"]}
        results["full_reindex"]["ratio_to_raw_encode"] = compared["ratio_to_raw"]
        results["full_reindex"]["ratio_to_raw_thread_encode"] = compared["ratio_to_raw_thread"]
    if args.reindex_only:
        finish(results, render_reindex(results), None if args.keep else work)
        return

    t0 = time.perf_counter()
    again = reindex(corpus, index_dir, encoder)
    unchanged_s = time.perf_counter() - t0
    results["unchanged_reindex"] = {
        "seconds": unchanged_s,
        "up_to_date": again.up_to_date,
        "fraction_of_full": unchanged_s / full_s,
    }

    # One changed document: append a paragraph to the Manifesto's copy.
    target = corpus / "gutenberg" / "communist-manifesto.txt"
    # Inside the Gutenberg text, before its END marker (what follows it is licence).
    raw = target.read_bytes()
    end = raw.index(b"*** END OF")
    target.write_bytes(raw[:end] + b"A paragraph added for the benchmark run.\r\n\r\n" + raw[end:])
    t0 = time.perf_counter()
    one = reindex(corpus, index_dir, encoder)
    results["one_document_changed"] = {
        "seconds": time.perf_counter() - t0,
        "encoded": one.encoded,
        "reused": one.reused,
        "fraction_of_full": (time.perf_counter() - t0) / full_s,
    }

    data = store.load(index_dir)
    searcher = Searcher(data, encoder, SearchParams())
    queries = load_queries(args.queries)
    for q in queries[:5]:
        searcher.search(q["query"])  # warm caches of faiss and bm25
    searcher.embeddings.clear()
    latencies = []
    baseline = []  # the bare model on the same query, interleaved so both see the same load
    for q in queries:
        t0 = time.perf_counter()
        encoder.model.encode([q["query"]], show_progress_bar=False)
        baseline.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        res = searcher.search(q["query"])
        searcher.highlight(res.query, res.hits)
        latencies.append((time.perf_counter() - t0) * 1000)
        searcher.embeddings.clear()  # measure the model, not the cache
    latencies.sort()
    baseline.sort()
    results["query_latency_ms"] = {
        "p50": statistics.median(latencies),
        "p95": latencies[int(0.95 * (len(latencies) - 1))],
        "baseline_encode_p50": statistics.median(baseline),
        "ratio_to_encode_p50": statistics.median(latencies) / statistics.median(baseline),
        "n": len(latencies),
        "note": "search + best-sentence highlight, query embedding not cached",
    }
    results["index"] = {
        "bytes_on_disk": dir_size(data.path) if data.path else 0,
        "kind": data.manifest.dense["kind"],
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    quality = {}
    for fusion in ("convex", "rrf", "dense", "bm25"):
        quality[fusion] = evaluate(searcher, queries, fusion)
    results["quality"] = quality
    results["queries"] = len(queries)
    finish(results, render(results), None if args.keep else work)


def finish(results: dict[str, Any], text: str, scratch: Path | None) -> None:
    """Save the results, print them, and remove the scratch folder (if not kept)."""
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / "engine.json").write_text(json.dumps(results, indent=2))
    print(text)
    if scratch is not None:
        shutil.rmtree(scratch, ignore_errors=True)


def render_reindex(r: dict[str, Any]) -> str:
    full = r["full_reindex"]
    lines = [
        f"Corpus: {' '.join(r['only']) if r['only'] else 'all of the corpora'}; "
        f"{full['documents']} documents, {full['passages']:,} passages, "
        f"{full['sentences']:,} sentences ({full['encoded']:,} texts encoded by the reindex).",
        "",
        "| round | full reindex s | raw encode s | raw / reindex | raw in a thread s "
        "| raw in a thread / reindex | stages s |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for i, row in enumerate(full["rounds"], 1):
        stages = ", ".join(f"{k} {v:.1f}" for k, v in row["stages"].items())
        cells = [f"{row['seconds']:.1f}"]
        for key, ratio in (
            ("raw_seconds", "ratio_to_raw"),
            ("raw_thread_seconds", "ratio_to_raw_thread"),
        ):
            cells += [f"{row[key]:.1f}", f"{row[ratio]:.3f}"] if key in row else ["—", "—"]
        lines.append(f"| {i} | {' | '.join(cells)} | {stages} |")
    if "ratio_to_raw_encode" in full:
        lines += [
            "",
            f"Raw encoding: {r['raw_encode']['texts']:,} texts (every passage and sentence of "
            f"the index, one `Encoder.encode` call). Median raw / reindex time: "
            f"{full['ratio_to_raw_encode']:.3f} (1.0: the pipeline adds nothing); the same "
            f"encoding in a thread of its own: {full['ratio_to_raw_thread_encode']:.3f}.",
        ]
    if "passage_backend" in full:
        lines += [
            "",
            f"The reindex's passages (and the raw encode) ran on {full['passage_backend']}.",
        ]
    if "ratio_to_raw_torch" in full:
        per_round = ", ".join(f"{row['raw_torch_seconds']:.1f} s" for row in full["rounds"])
        lines += [
            f"The same raw encode on the torch BERT: {per_round}; median raw torch / "
            f"reindex time: {full['ratio_to_raw_torch']:.3f}.",
        ]
    return "\n".join(lines)


def render(r: dict[str, Any]) -> str:
    full = r["full_reindex"]
    lines = [
        render_reindex(r),
        "",
        "| measure | value |",
        "| --- | --- |",
        f"| documents / passages | {full['documents']} / {full['passages']} |",
        f"| full reindex | {full['seconds']:.1f} s, {full['passages_per_s']:.0f} passages/s |",
    ]
    if "raw_encode" in r:
        lines.append(
            f"| raw encoding, same passages and sentences | {r['raw_encode']['seconds']:.1f} s |"
        )
        lines.append(f"| raw / reindex time | {full['ratio_to_raw_encode']:.2f} |")
    u = r["unchanged_reindex"]
    lines.append(
        f"| unchanged reindex | {u['seconds']:.2f} s ({u['fraction_of_full']:.1%} of full) |"
    )
    o = r["one_document_changed"]
    lines.append(
        f"| one document changed | {o['seconds']:.1f} s ({o['encoded']} embedded, "
        f"{o['reused']} reused) |"
    )
    q = r["query_latency_ms"]
    lines.append(f"| query latency (warm model) | p50 {q['p50']:.1f} ms, p95 {q['p95']:.1f} ms |")
    lines.append(
        f"| bare model.encode of one query | p50 {q['baseline_encode_p50']:.1f} ms "
        f"(query / encode = {q['ratio_to_encode_p50']:.2f}) |"
    )
    i = r["index"]
    lines.append(
        f"| index on disk / peak RSS | {i['bytes_on_disk'] / 1e6:.1f} MB / "
        f"{i['peak_rss_mb']:.0f} MB |"
    )
    lines += ["", f"Quality on {r['queries']} labelled queries:", ""]
    lines += ["| ranking | recall@5 | MRR@10 |", "| --- | --- | --- |"]
    for name, v in r["quality"].items():
        lines.append(f"| {name} | {v['recall@5']:.3f} | {v['mrr@10']:.3f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
