"""Helpers shared by the index tests: recall of an approximate index, a damaged file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from embeddings import dense
from embeddings.dense import DenseParams, Kind


def recall_at_10(vecs: np.ndarray, queries: np.ndarray, kind: Kind, **params: Any) -> float:
    """How much of exact search's top 10 the ``kind`` index (with these `DenseParams`)
    finds, over all the queries."""
    exact = dense.build(vecs, DenseParams(kind="exact"))
    approx = dense.build(vecs, DenseParams(kind=kind, **params))
    _, truth = dense.search(exact, queries, 10)
    _, found = dense.search(approx, queries, 10)
    return float(np.mean([len(set(t) & set(f)) / 10 for t, f in zip(truth, found, strict=True)]))


def flip_a_byte(path: Path, at: int = -5) -> None:
    """Damage a file as a failing disk would: one byte's bits flipped, its size unchanged."""
    data = bytearray(path.read_bytes())
    data[at] ^= 0xFF
    path.write_bytes(bytes(data))
