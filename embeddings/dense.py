"""The FAISS index over normalised vectors: exact inner product, or HNSW above a size.

Vectors are unit length, so inner product is cosine similarity. Exact search is cheap up
to a few hundred thousand passages on this machine; above `ann_threshold` an HNSW graph
keeps queries fast (its recall against exact search is measured in tests and bench/).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np


@dataclass(frozen=True)
class DenseParams:
    kind: str = "auto"  # "exact" | "hnsw" | "auto"
    ann_threshold: int = 200_000
    hnsw_m: int = 32
    ef_construction: int = 80
    ef_search: int = 128

    def resolve(self, n: int) -> str:
        if self.kind == "auto":
            return "hnsw" if n >= self.ann_threshold else "exact"
        return self.kind


def build(vectors: np.ndarray, params: DenseParams) -> Any:
    import faiss

    n, dim = vectors.shape
    kind = params.resolve(n)
    index: Any
    if kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, params.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = params.ef_construction
        index.hnsw.efSearch = params.ef_search
    elif kind == "exact":
        index = faiss.IndexFlatIP(dim)
    else:
        raise ValueError(f"unknown index type {kind!r}: use exact, hnsw or auto")
    if n:
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def save(index: Any, path: Path) -> None:
    import faiss

    faiss.write_index(index, str(path))


def load(path: Path, ef_search: int) -> Any:
    import faiss

    index = faiss.read_index(str(path))
    if hasattr(index, "hnsw"):
        index.hnsw.efSearch = ef_search
    return index


def search(index: Any, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Top-k (scores, ids) per query row; ids of -1 mean "no more results"."""
    k = max(1, min(k, index.ntotal))
    scores, ids = index.search(np.ascontiguousarray(queries, dtype=np.float32), k)
    return scores, ids
