"""A learned combination of the engine's signals, judged by cross-validation on dev.

    .venv/bin/python -m bench.learned_fusion --index DIR [--folds 5] [--l2 0.001,0.01,0.1]

Issue 10 allows fusion weights "chosen on the dev half only (a small learned combination
is fine)". This measures whether one would help before any is built: every candidate of a
wider pool (200 passages from each retriever, the passages of the 100 nearest sentences)
gets the features below, a linear scorer is fitted with a listwise loss (softmax over a
query's candidates, the labelled passages as the target, L2 on the weights), and each dev
query is ranked by a scorer fitted on the other folds. The test half is never read: a
scorer that does not win here has nothing to confirm there.

Features, per candidate: the passage's cosine and its best sentence's (one-sentence
passages: the same, and a flag), BM25 raw, saturated (the engine's bm25 / (bm25 + 10)) and
over the query's best, the best cosine of its neighbours in the same document, how well its
document scores (its best candidate, the mean of its best three), its ranks by the
engine's dense score and by BM25, its length (log words), and its kind (verse, dictionary
entry, footnote).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from bench.quality import K_MRR, QUERIES, Scores, corpus_of, load_queries, matches, select

os.environ.setdefault("HF_HUB_OFFLINE", "1")

SETS: dict[str, tuple[str, ...]] = {
    "scores": ("cos_p", "cos_s", "lex_sat"),
    "+bm25 shapes": ("cos_p", "cos_s", "lex_sat", "lex_rel", "lex"),
    "+neighbours": ("cos_p", "cos_s", "lex_sat", "lex_rel", "neighbour"),
    "+document": ("cos_p", "cos_s", "lex_sat", "lex_rel", "neighbour", "doc_best", "doc_top3"),
    "+ranks": (
        *("cos_p", "cos_s", "lex_sat", "lex_rel", "neighbour", "doc_best", "doc_top3"),
        *("dense_rank", "lex_rank"),
    ),
    "+kind and length": (
        *("cos_p", "cos_s", "lex_sat", "lex_rel", "neighbour", "doc_best", "doc_top3"),
        *("log_words", "one_sentence", "verse", "entry", "footnote"),
    ),
}


@dataclass
class Query:
    id: str
    corpus: str
    ids: np.ndarray  # the candidates' passage ids
    features: dict[str, np.ndarray]
    labels: np.ndarray  # bool per candidate: its text holds an answer

    def matrix(self, names: Sequence[str]) -> np.ndarray:
        return np.stack([self.features[n].astype(np.float64) for n in names], axis=1)


def candidates(searcher: Any, q: dict[str, Any]) -> Query:
    from embeddings.signals import neighbour_mask

    index = searcher.index
    qvec = searcher.embeddings.get(q["query"])
    ranking = searcher.ranking(q["query"], qvec, None, "convex")
    ids = ranking.ids
    cos_p = np.asarray(index.vectors[ids], dtype=np.float32) @ qvec
    best, _ = index.sentences.best(ids, qvec)
    one = np.isnan(best)
    cos_s = np.where(one, cos_p, best)
    lex = ranking.bm25.astype(np.float64)
    neighbour = np.full(len(ids), -1.0, dtype=np.float32)
    for step in (-1, 1):
        mask = neighbour_mask(index, ids, step)
        cos = np.full(len(ids), -1.0, dtype=np.float32)
        cos[mask] = np.asarray(index.vectors[ids[mask] + step], dtype=np.float32) @ qvec
        neighbour = np.maximum(neighbour, cos)
    params = searcher.params  # the shipped weights, with a wider pool
    engine = (1 - params.sentence_weight) * cos_p + params.sentence_weight * cos_s
    docs = index.doc_index[ids]
    doc_best = np.zeros(len(ids))
    doc_top3 = np.zeros(len(ids))
    for d in np.unique(docs):
        mine = docs == d
        top = np.sort(engine[mine])[::-1][:3]
        doc_best[mine], doc_top3[mine] = top[0], top.sum() / 3
    kinds = np.array([index.passages[int(i)].kind for i in ids])
    words = np.array([len(index.passages[int(i)].text.split()) for i in ids])
    features = {
        "cos_p": cos_p,
        "cos_s": cos_s,
        "one_sentence": one.astype(np.float64),
        "lex": lex,
        "dense": engine,
        "lex_sat": lex / (lex + params.bm25_saturation),
        "lex_rel": lex / max(float(lex.max()), 1e-9),
        "neighbour": neighbour,
        "doc_best": doc_best,
        "doc_top3": doc_top3,
        "dense_rank": np.log1p(np.argsort(np.argsort(-engine))),
        "lex_rank": np.log1p(np.argsort(np.argsort(-lex))),
        "log_words": np.log1p(words),
        **{k: (kinds == k).astype(np.float64) for k in ("verse", "entry", "footnote")},
    }
    labels = np.array([matches(index.passages[int(i)].text, q["answers"]) for i in ids])
    return Query(q["id"], corpus_of(q.get("source", "")), ids, features, labels)


@dataclass(frozen=True)
class Scorer:
    names: tuple[str, ...]
    weights: np.ndarray
    mean: np.ndarray
    scale: np.ndarray

    def __call__(self, q: Query) -> np.ndarray:
        return np.asarray(((q.matrix(self.names) - self.mean) / self.scale) @ self.weights)


def fit(queries: Sequence[Query], names: Sequence[str], l2: float, steps: int = 300) -> Scorer:
    """Listwise softmax loss, Adam; queries without a labelled candidate teach nothing."""
    used = [q for q in queries if q.labels.any()]
    xs = [q.matrix(names) for q in used]
    stacked = np.concatenate(xs)
    mean, scale = stacked.mean(axis=0), stacked.std(axis=0) + 1e-9
    xs = [(x - mean) / scale for x in xs]
    targets = [q.labels / q.labels.sum() for q in used]
    w = np.zeros(len(names))
    m, v = np.zeros_like(w), np.zeros_like(w)
    for t in range(1, steps + 1):
        grad = l2 * w
        for x, target in zip(xs, targets, strict=True):
            s = x @ w
            p = np.exp(s - s.max())
            grad += x.T @ (p / p.sum() - target) / len(xs)
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad * grad
        w -= 0.05 * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
    return Scorer(tuple(names), w, mean, scale)


def engine_score(q: Query, alpha: float) -> np.ndarray:
    """The shipped convex fusion of the engine's dense score and saturated BM25."""
    f = q.features
    return np.asarray(alpha * f["dense"] + (1 - alpha) * f["lex_sat"])


def table(
    searcher: Any, queries: Sequence[Query], score: Callable[[Query], np.ndarray]
) -> dict[str, tuple[float, float]]:
    """recall@5 / MRR@10 per corpus and overall, each query ranked by `score` and shown
    as the engine shows results (one per paragraph, no duplicate text)."""
    from embeddings.search import Hit

    per: dict[str, Scores] = {}
    for q in queries:
        s = score(q)
        order = np.argsort(-s, kind="stable")
        ranked = (Hit(int(q.ids[j]), float(s[j]), 0.0, 0.0) for j in order)
        hits = searcher.dedupe(ranked, 0, K_MRR)
        good = dict(zip(q.ids.tolist(), q.labels.tolist(), strict=True))
        rank = next((i + 1 for i, h in enumerate(hits) if good[h.passage_id]), None)
        for group in (q.corpus, "all"):
            per.setdefault(group, Scores()).add(rank, 0)
    return {g: (v.recall, v.mrr) for g, v in per.items()}


def held_out(scores: dict[str, np.ndarray]) -> Callable[[Query], np.ndarray]:
    """Each query's scores from the scorer that did not see it."""
    return lambda q: scores[q.id]


def row(name: str, figures: dict[str, tuple[float, float]], groups: Sequence[str]) -> str:
    return f"| {name} | " + " | ".join("{:.3f} / {:.3f}".format(*figures[g]) for g in groups) + " |"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--queries", type=Path, default=QUERIES)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--l2", default="0.001,0.01,0.1", help="comma-separated")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    try:
        penalties = [float(x) for x in args.l2.split(",")]
    except ValueError:
        parser.error(f"--l2 takes numbers separated by commas, not {args.l2!r}")
    if args.folds < 2:
        parser.error("--folds must be at least 2 (each query is ranked by the others' scorer)")

    from bot.app import set_search_threads
    from bot.messages import describe
    from embeddings import store
    from embeddings.encoder import Encoder
    from embeddings.errors import QuotebotError
    from embeddings.search import QueryEmbeddings, Searcher, SearchParams

    set_search_threads(1)
    try:
        data = store.load(args.index)
    except QuotebotError as exc:
        raise SystemExit(f"cannot load the index {args.index}: {describe(exc)}") from exc
    encoder = Encoder("all-MiniLM-L6-v2")
    shipped = SearchParams()
    wide = replace(shipped, candidates=200, sentence_candidates=100)
    searcher = Searcher(data, encoder, wide, QueryEmbeddings(encoder, 4096, batching=False))
    dev = [q for q in select(load_queries(args.queries), "dev") if q.get("answers")]
    queries = [candidates(searcher, q) for q in dev]

    from bench.signals import evaluate

    base = evaluate(Searcher(data, encoder, shipped, searcher.embeddings), dev)["table"]
    groups = [*sorted({q.corpus for q in queries}), "all"]
    print("| scorer | " + " | ".join(f"{g} R@5 / MRR" for g in groups) + " |")
    print("| --- " * (len(groups) + 1) + "|")
    shipped_figures = {g: (t["recall@5"], t["mrr@10"]) for g, t in base.items()}
    print(row("engine (shipped)", shipped_figures, groups))
    engine = table(searcher, queries, lambda q: engine_score(q, shipped.alpha))
    print(row("engine formula, wider pool", engine, groups))
    print(
        "pool holds an answer: "
        f"{np.mean([q.labels.any() for q in queries]):.3f} of {len(queries)} dev queries"
    )
    fold = np.arange(len(queries)) % args.folds
    np.random.default_rng(args.seed).shuffle(fold)
    for name, names in SETS.items():
        for l2 in penalties:
            held: dict[str, np.ndarray] = {}
            for k in range(args.folds):
                scorer = fit([q for q, f in zip(queries, fold, strict=True) if f != k], names, l2)
                held.update({q.id: scorer(q) for q, f in zip(queries, fold, strict=True) if f == k})
            figures = table(searcher, queries, held_out(held))
            print(row(f"learned: {name}, l2 {l2}", figures, groups))


if __name__ == "__main__":
    main()
