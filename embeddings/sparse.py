"""BM25 over the passages (bm25s), with one tokenizer shared by indexing and queries.

We score the whole collection per query (`get_scores`) and pick the top ourselves, so
that filters (author, work) are a mask rather than a second search.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

# The tokenizer lives with the other readings of "a word" (embeddings/tokens.py); the core
# imports it from there. Re-exported for bench/quality.py, which also runs on older code.
from embeddings.stopwords import stopwords
from embeddings.tokens import stem, terms, words

__all__ = ["SparseIndex", "stem", "stopwords", "terms", "words"]


def _quiet(module: Any) -> None:
    """bm25s logs at DEBUG through its own handler; keep it out of users' terminals."""
    logging.getLogger(module.__name__).setLevel(logging.WARNING)


class SparseIndex:
    """A BM25 index whose document ids are passage ids."""

    def __init__(self, retriever: Any, size: int) -> None:
        self._retriever = retriever
        self.size = size

    @classmethod
    def build(cls, texts: list[str]) -> SparseIndex:
        import bm25s

        _quiet(bm25s)

        retriever = bm25s.BM25()
        corpus = [terms(t) or [""] for t in texts]  # bm25s wants no empty documents
        retriever.index(corpus, show_progress=False)
        return cls(retriever, len(texts))

    def save(self, folder: Path) -> None:
        self._retriever.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path, size: int) -> SparseIndex:
        # Read with numpy alone: the same scores, without importing bm25s and SciPy.
        from embeddings.bm25_files import Bm25Files

        return cls(Bm25Files(folder), size)

    def known_terms(self, query_terms: list[str]) -> list[str]:
        vocab = self._retriever.vocab_dict
        return [t for t in query_terms if t in vocab]

    def scores(self, query_terms: list[str]) -> np.ndarray:
        """BM25 score of every passage (zeros when no term is known)."""
        known = self.known_terms(query_terms)
        if not known or self.size == 0:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._retriever.get_scores(known), dtype=np.float32)

    def holding_all(self, query_terms: list[str]) -> np.ndarray:
        """Ids (ascending) of the passages that hold every one of these terms: their
        columns of the matrix intersected, without scoring all passages once per term."""
        found: np.ndarray | None = None
        for term in dict.fromkeys(query_terms):
            ids = self.holding(term)
            # A column names each passage once.
            found = ids if found is None else np.intersect1d(found, ids, assume_unique=True)
            if not len(found):
                break
        return np.sort(found) if found is not None else np.empty(0, dtype=np.int64)

    def holding(self, term: str) -> np.ndarray:
        """Ids of the passages that hold the term: its column of the matrix (empty for a
        term the index does not know)."""
        matrix = self._retriever.scores  # bm25s's attribute (Bm25Files has the same)
        indptr, indices, data = matrix["indptr"], matrix["indices"], matrix["data"]
        column = self._retriever.vocab_dict.get(term, len(indptr) - 1)
        if column >= len(indptr) - 1 or self.size == 0:
            return np.empty(0, dtype=np.int64)
        start, end = int(indptr[column]), int(indptr[column + 1])
        return np.asarray(indices[start:end], dtype=np.int64)[data[start:end] > 0]
