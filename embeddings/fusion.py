"""Score fusion: how a candidate's dense and lexical scores become the one that ranks it.

Every candidate arrives with both scores exactly (embeddings/search.py), so no method
guesses a missing one. The default is a convex combination of the cosine and a saturated
BM25 score, bm25 / (bm25 + κ): unlike max-normalisation it does not inflate a weak best
lexical match to 1, and unlike reciprocal-rank fusion it keeps how much better one
passage is than the next. bench/RESULTS.md has the comparison that chose it.

A new method is a function of (`Scores`, `Weights`) added to `METHODS`; the settings
accept exactly the names of that table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np


@dataclass(frozen=True)
class Scores:
    """Every candidate's scores, as parallel arrays."""

    ids: np.ndarray  # the candidates' passage ids
    cosines: np.ndarray  # dense score per candidate
    lexical: np.ndarray  # BM25 score per candidate
    sparse_ids: np.ndarray  # BM25's own candidates, best first (its ranking)


class Weights(Protocol):
    """The settings fusion reads (`SearchParams` has them)."""

    @property
    def alpha(self) -> float: ...  # convex: weight of the cosine

    @property
    def bm25_saturation(self) -> float: ...  # convex: κ in bm25 / (bm25 + κ)

    @property
    def rrf_k(self) -> int: ...


def convex(s: Scores, w: Weights) -> np.ndarray:
    return w.alpha * s.cosines + (1 - w.alpha) * s.lexical / (s.lexical + w.bm25_saturation)


def rrf(s: Scores, w: Weights) -> np.ndarray:
    """Reciprocal-rank fusion: 1 / (k + rank) summed over the retrievers that found it."""
    dense_rank = {int(i): r for r, i in enumerate(s.ids[np.argsort(-s.cosines)])}
    sparse_rank = {int(i): r for r, i in enumerate(s.sparse_ids)}
    return np.array(
        [
            1.0 / (w.rrf_k + dense_rank[int(i)])
            + (1.0 / (w.rrf_k + sparse_rank[int(i)]) if int(i) in sparse_rank else 0.0)
            for i in s.ids
        ]
    )


def dense(s: Scores, w: Weights) -> np.ndarray:
    return s.cosines


def bm25(s: Scores, w: Weights) -> np.ndarray:
    return s.lexical


@dataclass(frozen=True)
class Method:
    fuse: Callable[[Scores, Weights], np.ndarray]
    dense: bool = True  # takes the dense retriever's candidates
    lexical: bool = True  # takes BM25's candidates


# The single-retriever methods are the baselines bench/run.py compares fusion against.
METHODS: dict[str, Method] = {
    "convex": Method(convex),
    "rrf": Method(rrf),
    "dense": Method(dense, lexical=False),
    "bm25": Method(bm25, dense=False),
}
NAMES: tuple[str, ...] = tuple(METHODS)


def method(name: str) -> Method:
    found = METHODS.get(name)
    if found is None:
        raise ValueError(f"unknown fusion {name!r}")
    return found
