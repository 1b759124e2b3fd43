"""A saved bm25s index, read and scored with numpy alone.

bm25s stores BM25 "eagerly": each term's score in each passage is computed at indexing
time, as a sparse matrix (CSC: one column of passages and scores per term). Scoring a
query is then adding up its terms' columns, which is all this module does; it gives
`bm25s.BM25.get_scores`'s scores exactly (tests check) without importing bm25s, whose
package pulls SciPy and tqdm (0.3-0.5 s of every start). Building an index stays with
bm25s (embeddings/sparse.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

PARAMS = "params.index.json"
VOCAB = "vocab.index.json"
DATA = "data.csc.index.npy"
INDICES = "indices.csc.index.npy"
INDPTR = "indptr.csc.index.npy"
NONOCCURRENCE = "nonoccurrence_array.index.npy"  # BM25L and BM25+ only

# bm25s's English stop words (`bm25s.stopwords.STOPWORDS_EN`; a test checks they agree),
# copied so that tokenizing a query does not import bm25s either.
# fmt: off
STOPWORDS_EN = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is",
    "it", "no", "not", "of", "on", "or", "such", "that", "the", "their", "then", "there",
    "these", "they", "this", "to", "was", "will", "with",
})
# fmt: on


class Bm25Files:
    """The scores of one saved index; read-only, thread-safe.

    The matrix (8 bytes per term of each passage: ~330 bytes a passage) is memory-mapped,
    not read, as the vectors are (embeddings/store.py): a query reads only its terms'
    columns, and the pages are page cache shared by every process serving the build, not
    private memory (bench/RESULTS.md, "Memory per passage")."""

    def __init__(self, folder: Path) -> None:
        self._params = params = json.loads((folder / PARAMS).read_text(encoding="utf-8"))
        self.vocab_dict: dict[str, int] = json.loads((folder / VOCAB).read_text(encoding="utf-8"))
        self.num_docs = int(params["num_docs"])
        self._dtype = np.dtype(params.get("dtype", "float32"))
        # Plain views of the mappings: np.memmap's own slicing costs 8-20 µs a call in
        # Python, and a query slices each of its terms' columns (embeddings/store.py too).
        self._data = np.asarray(np.load(folder / DATA, mmap_mode="r", allow_pickle=False))
        self._indices = np.asarray(np.load(folder / INDICES, mmap_mode="r", allow_pickle=False))
        self._indptr = np.load(folder / INDPTR, allow_pickle=False)  # per term: small
        nonoccurrence = folder / NONOCCURRENCE
        self._nonoccurrence = (
            np.load(nonoccurrence, allow_pickle=False) if nonoccurrence.is_file() else None
        )
        if (
            len(self._data) != len(self._indices)
            # bm25s gives the empty token (a passage with no terms) an id but no column.
            or not 1 <= len(self._indptr) <= len(self.vocab_dict) + 1
            or (len(self._indptr) and int(self._indptr[-1]) != len(self._data))
        ):
            raise ValueError("the BM25 index files disagree with each other")

    @property
    def scores(self) -> dict[str, Any]:
        """The matrix in `bm25s.BM25.scores`'s shape (CSC: a term's passages and scores
        are `indices` and `data` from `indptr[term]` to `indptr[term + 1]`)."""
        return {
            "data": self._data,
            "indices": self._indices,
            "indptr": self._indptr,
            "num_docs": self.num_docs,
        }

    def get_scores(self, tokens: list[str]) -> np.ndarray:
        """The BM25 score of every passage for these tokens (unknown ones are skipped)."""
        columns = len(self._indptr) - 1
        ids = [i for i in (self.vocab_dict.get(t, columns) for t in tokens) if i < columns]
        scores = np.zeros(self.num_docs, dtype=self._dtype)
        for token in ids:
            start, end = self._indptr[token], self._indptr[token + 1]
            # A column names each passage once, so a plain indexed add is exact.
            scores[self._indices[start:end]] += self._data[start:end]
        if self._nonoccurrence is not None and ids:
            scores += self._nonoccurrence[ids].sum()
        return scores

    def save(self, folder: str | Path, show_progress: bool = False) -> None:
        """Write the files back as bm25s does (a loaded index saved as a new build);
        `show_progress` is bm25s's parameter, and there is nothing to show."""
        folder = Path(folder)
        (folder / PARAMS).write_text(json.dumps(self._params, indent=4), encoding="utf-8")
        (folder / VOCAB).write_text(json.dumps(self.vocab_dict, ensure_ascii=False), "utf-8")
        np.save(folder / DATA, self._data)
        np.save(folder / INDICES, self._indices)
        np.save(folder / INDPTR, self._indptr)
        if self._nonoccurrence is not None:
            np.save(folder / NONOCCURRENCE, self._nonoccurrence)
