"""Sentence vectors, built with the index: every sentence of a passage of two or more.

A reader's question often matches one sentence of a passage better than the whole
paragraph, whose vector averages its other sentences in. Scoring a candidate by its best
sentence as well recovers those matches, and the best sentence is the highlight, without
running the model at query time. A passage of one sentence has no rows here: its own
vector is its sentence's.

Rows are in passage order; `spans[r] = (passage id, start, end)` with offsets in the
passage text, exactly the spans `split_sentences` gives (the highlight uses the same).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from embeddings import dense as dense_index
from embeddings.dense import DenseParams
from embeddings.passages import Passage
from embeddings.sentences import split_sentences


@dataclass
class SentenceTable:
    spans: np.ndarray  # int32 [S, 3]: passage id, start, end
    vectors: np.ndarray  # float32 [S, dim], unit length
    passage_count: int
    # passage id -> its rows: offsets[p] .. offsets[p + 1] - 1 (none for one sentence)
    offsets: np.ndarray = field(init=False)
    _flat: Any = field(init=False, default=None, repr=False)

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
        if len(self.spans) == 0 or n <= 0:
            return np.empty(0, dtype=np.int64)
        if allowed is None:
            _, found = dense_index.search(self.flat(), qvec[None, :], n)
            top = found[0][found[0] >= 0]
        else:  # a filtered search: the allowed passages' sentences only
            rows = np.flatnonzero(np.isin(self.spans[:, 0], allowed))
            sims = np.asarray(self.vectors[rows] @ qvec, dtype=np.float32)
            top = rows[np.argsort(-sims)[:n]]
        return np.unique(self.spans[top, 0].astype(np.int64))

    def nearest_passages_of_many(self, qvecs: np.ndarray, n: int) -> list[np.ndarray]:
        """`nearest_passages` (unfiltered) of each row of `qvecs`, as one matrix product:
        for 16 queries about a quarter of the CPU of 16 FAISS scans. The same sentences as
        FAISS's: of equal scores at the cut, the first rows (FAISS keeps a new row only
        when strictly better). The products may differ from FAISS's in the last bits, which
        could only matter for two sentences within ~1e-7 of each other at the 50th place."""
        if len(self.spans) == 0 or n <= 0:
            return [np.empty(0, dtype=np.int64) for _ in range(len(qvecs))]
        n = min(n, len(self.spans))
        sims = np.asarray(np.asarray(qvecs, dtype=np.float32) @ self.vectors.T)
        cut = np.argpartition(-sims, n - 1, axis=1)[:, n - 1]
        out = []
        for row, at in zip(sims, cut, strict=True):
            threshold = row[at]
            above = np.flatnonzero(row > threshold)
            tied = np.flatnonzero(row == threshold)[: n - len(above)]
            rows = np.concatenate([above, tied])
            out.append(np.unique(self.spans[rows, 0].astype(np.int64)))
        return out

    def flat(self) -> Any:
        """Exact search over the sentence vectors where they are (`dense.MappedFlat`: a
        loaded build's are a memory map, and FAISS's flat index would copy them)."""
        if self._flat is None:
            self._flat = dense_index.build(self.vectors, DenseParams(kind="exact"))
        return self._flat

    def span(self, row: int) -> tuple[int, int]:
        return int(self.spans[row, 1]), int(self.spans[row, 2])


def sentence_spans(passages: Sequence[Passage]) -> np.ndarray:
    """(passage id, start, end) of every sentence of every passage of two or more."""
    out: list[tuple[int, int, int]] = []
    for i, p in enumerate(passages):
        spans = split_sentences(p.text)
        if len(spans) > 1:
            out.extend((i, s, e) for s, e in spans)
    return np.asarray(out, dtype=np.int32).reshape(-1, 3)


def sentence_texts(passages: Sequence[Passage], spans: np.ndarray) -> list[str]:
    return [passages[int(p)].text[int(s) : int(e)] for p, s, e in spans]
