"""Queries encoded in one forward pass, searched together.

A burst of questions shares a forward pass of the model (embeddings/batching.py), and
their searches then start within milliseconds of one another. Much of a search is
candidate generation, which costs less per query done for several at once (one FAISS
call with several queries; the sentence scan as one matrix product instead of a scan per
query: bench/RESULTS.md, issue 13). So the queries of a pass are kept as groups, and the
first search of a group computes what every query of the group needs; the others find
theirs ready. A group stays small (`GROUP_SIZE`): its first answer waits for the whole
group's work.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Sequence

import numpy as np

# Queries per group (a pass holds at most `[search] query_pass`, 16 by default). On the
# 34k-passage corpora a group of 13 cost its first search 25-30 ms of CPU (load ~3): the
# HNSW searches most of it (the same together or apart), the sentence scan 4 ms
# instead of 19 one by one.
GROUP_SIZE = 16


class Group:
    """Queries of one pass (by cache key) and their vectors. Each owner (an index's
    searcher) computes its results for all of them at most once, on first need; each
    result is handed out once: a query searched again later is searched alone."""

    def __init__(self, keys: Sequence[str], vectors: np.ndarray) -> None:
        self.keys = tuple(keys)
        self.vectors = vectors
        self._lock = threading.Lock()
        # owner -> what is left of its results; weak: a searcher swapped out is dropped
        self._results: weakref.WeakKeyDictionary[object, dict[str, np.ndarray]] = (
            weakref.WeakKeyDictionary()
        )

    def vector(self, key: str) -> np.ndarray:
        return self.vectors[self.keys.index(key)]

    def take(
        self, owner: object, key: str, compute: Callable[[np.ndarray], list[np.ndarray]]
    ) -> np.ndarray | None:
        """`key`'s result for `owner`: `compute(vectors)` (one result per row) runs on the
        group's first request of `owner`, while others of the group wait for it. None if
        `key`'s result was already taken (the caller searches it alone)."""
        with self._lock:
            results = self._results.get(owner)
            if results is None:
                results = dict(zip(self.keys, compute(self.vectors), strict=True))
                self._results[owner] = results
            return results.pop(key, None)


def groups(keys: Sequence[str], vectors: np.ndarray, size: int = GROUP_SIZE) -> list[Group]:
    """The queries of one pass as groups of at most `size`, in the order they came."""
    return [Group(keys[i : i + size], vectors[i : i + size]) for i in range(0, len(keys), size)]
