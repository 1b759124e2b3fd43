"""Sentence vectors, built with the index: every sentence of a passage of two or more.

A reader's question often matches one sentence of a passage better than the whole
paragraph, whose vector averages its other sentences in. Scoring a candidate by its best
sentence as well recovers those matches, and the best sentence is the highlight, without
running the model at query time. A passage of one sentence has no rows here: its own
vector is its sentence's.

Rows are in passage order; `spans[r] = (passage id, start, end)` with offsets in the
passage text, exactly the spans `scored_sentences` gives (the highlight uses the same).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from embeddings.passages import Passage
from embeddings.sentences import scored_sentences

# Two roundings of a cosine of unit vectors of a few hundred dimensions (a blocked matrix
# product, a row's own sum) differ by at most ~2e-5 (384 products, float32): a sentence
# among the n best by one is within twice that of the n-th best by the other.
SHORTLIST_MARGIN = 1e-4


@dataclass
class SentenceTable:
    spans: np.ndarray  # int32 [S, 3]: passage id, start, end
    vectors: np.ndarray  # float32 [S, dim], unit length
    passage_count: int
    # passage id -> its rows: offsets[p] .. offsets[p + 1] - 1 (none for one sentence)
    offsets: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        owners = self.spans[:, 0] if len(self.spans) else np.empty(0, dtype=np.int32)
        self.offsets = np.searchsorted(owners, np.arange(self.passage_count + 1)).astype(np.int64)

    @classmethod
    def empty(cls, passage_count: int, dim: int) -> SentenceTable:
        return cls(
            np.empty((0, 3), dtype=np.int32), np.empty((0, dim), dtype=np.float32), passage_count
        )

    def __len__(self) -> int:
        return len(self.spans)

    def rows_of(self, passage_id: int) -> range:
        return range(int(self.offsets[passage_id]), int(self.offsets[passage_id + 1]))

    def best(self, ids: np.ndarray, qvec: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per passage in `ids`: its best sentence's cosine with `qvec` and that row
        (-1 and NaN where the passage is one sentence)."""
        lo = self.offsets[ids]
        counts = self.offsets[ids + 1] - lo
        best_cos = np.full(len(ids), np.nan, dtype=np.float32)
        best_row = np.full(len(ids), -1, dtype=np.int64)
        have = np.flatnonzero(counts > 0)
        if not len(have):
            return best_cos, best_row
        # All rows of the candidates at once (no Python loop): one gather, one product.
        n = counts[have]
        starts = np.cumsum(n) - n
        rows = np.arange(int(n.sum())) - np.repeat(starts, n) + np.repeat(lo[have], n)
        sims = np.asarray(self.vectors[rows] @ qvec, dtype=np.float32)
        top = np.maximum.reduceat(sims, starts)
        best_cos[have] = top
        # The first row of each run that reaches its run's maximum.
        owner = np.repeat(np.arange(len(have)), n)
        at_max = np.flatnonzero(sims == top[owner])
        _, first = np.unique(owner[at_max], return_index=True)
        best_row[have] = rows[at_max[first]]
        return best_cos, best_row

    def nearest_passages(
        self, qvec: np.ndarray, n: int, allowed: np.ndarray | None = None
    ) -> np.ndarray:
        """Passage ids of the `n` sentences most similar to `qvec` (exact search: the
        sentences of passages of two or more are a fraction of the passages' count)."""
        if allowed is None:
            return self.nearest_passages_of_many(qvec[None, :], n)[0]
        if len(self.spans) == 0 or n <= 0:
            return np.empty(0, dtype=np.int64)
        # A filtered search: the allowed passages' sentences only.
        rows = np.flatnonzero(np.isin(self.spans[:, 0], allowed))
        sims = np.asarray(self.vectors[rows] @ qvec, dtype=np.float32)
        top = rows[np.argsort(-sims)[:n]]
        return np.unique(self.spans[top, 0].astype(np.int64))

    def nearest_passages_of_many(self, qvecs: np.ndarray, n: int) -> list[np.ndarray]:
        """`nearest_passages` (unfiltered) of each row of `qvecs`, all scored in one matrix
        product: for 16 queries a fifth of the CPU of 16 scans (4.3 against 23 ms at
        11,764 sentences), and the same answer for a query whatever others are scored
        with it. A product's rounding depends on its shape (a column of a product with 16
        queries differs from the product with one in the last bits), so it only
        shortlists: every sentence within `SHORTLIST_MARGIN` of the n-th best. The
        shortlist is then ranked by each sentence's own dot product with the query (its
        rounding depends on that row alone), ties to the first row, and the n best kept:
        the shortlist holds them however the product was shaped."""
        if len(self.spans) == 0 or n <= 0:
            return [np.empty(0, dtype=np.int64) for _ in range(len(qvecs))]
        n = min(n, len(self.spans))
        qvecs = np.asarray(qvecs, dtype=np.float32)
        # The table's rows against the queries (rows contiguous: 20 % faster than the
        # queries against the table's transpose), one row of scores per query.
        sims = np.asarray(self.vectors @ qvecs.T).T
        nth = np.partition(sims, len(self.spans) - n, axis=1)[:, len(self.spans) - n]
        out = []
        for qvec, row, cut in zip(qvecs, sims, nth, strict=True):
            shortlist = np.flatnonzero(row >= cut - SHORTLIST_MARGIN)
            own = np.sum(self.vectors[shortlist] * qvec, axis=1)
            best = shortlist[np.lexsort((shortlist, -own))[:n]]
            out.append(np.unique(self.spans[best, 0].astype(np.int64)))
        return out

    def span(self, row: int) -> tuple[int, int]:
        return int(self.spans[row, 1]), int(self.spans[row, 2])


def sentence_spans(passages: Sequence[Passage]) -> np.ndarray:
    """(passage id, start, end) of every sentence of every passage of two or more."""
    out: list[tuple[int, int, int]] = []
    for i, p in enumerate(passages):
        spans = scored_sentences(p.text)
        if len(spans) > 1:
            out.extend((i, s, e) for s, e in spans)
    return np.asarray(out, dtype=np.int32).reshape(-1, 3)


def sentence_texts(passages: Sequence[Passage], spans: np.ndarray) -> list[str]:
    return [passages[int(p)].text[int(s) : int(e)] for p, s, e in spans]
