"""The FAISS index over normalised vectors: exact inner product, HNSW, or IVF-Flat.

Vectors are unit length, so inner product is cosine similarity. Exact search scans every
vector (memory-bound: ~0.2 ms per 1,000 passages), so it stops being cheap at about 20,000
passages on this machine; at and above `ann_threshold` an approximate index keeps queries
fast: HNSW while it builds in seconds, IVF-Flat from `ivf_threshold` on. Their recall
against exact search is measured in tests, bench/index_choice.py and bench/scale.py, whose
figures chose the defaults (bench/RESULTS.md).

IVF-Flat clusters the vectors into `nlist` lists (k-means) and scans the `nprobe` lists
nearest the query. Left at 0, both follow the size of the index: nlist = 4·sqrt(N), and
nprobe a fixed share of nlist, so recall stays level as the corpus grows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

import numpy as np

Kind = Literal["auto", "exact", "hnsw", "ivf"]
KINDS: tuple[Kind, ...] = get_args(Kind)
# Chosen by bench/scale.py (bench/RESULTS.md, "Scale"): at 1M passages on 2 busy cores
# IVF-Flat builds in 4 minutes where HNSW would take about 40, and max(96, nlist/32) probes
# keep recall@10 >= 0.95 against exact search from 50k to 1M passages (a fixed share of the
# lists does not: nlist/32 gives 0.89 at 100k, nlist/16 adds 7-40 ms per query at 1M).
NPROBE_SHARE = 1 / 32  # derived nprobe: this share of the lists ...
NPROBE_MIN = 96  # ... but never fewer than this
IVF_TRAIN_PER_LIST = 64  # k-means sample: enough per centroid for stable lists (FAISS: 39+)


@dataclass(frozen=True)
class DenseParams:
    # "exact" | "hnsw" | "ivf" | "auto": exact below ann_threshold, HNSW below
    # ivf_threshold, IVF-Flat from there on.
    kind: Kind = "auto"
    # On the 34,107 passages of the shared corpora (bench/index_choice.py): exact 5.2 ms
    # a query, HNSW 1.7 ms with the same recall@5 / MRR on the labelled queries (a 9 s
    # build), IVF 0.8 ms but one labelled answer fewer in the top 5.
    ann_threshold: int = 20_000
    # HNSW builds too slowly for every reindex from here on (45-119 s at 100k on 2 cores,
    # ~40 min extrapolated at 1M), and IVF keeps recall@10 >= 0.95 (bench/scale.py).
    ivf_threshold: int = 50_000
    hnsw_m: int = 16  # M=32 gave no better recall per ms at 100k and built 2.8x slower
    ef_construction: int = 80
    ef_search: int = 512  # recall@10 0.998 at 100k, 0.982 at 1M (256: 0.959 at 1M)
    nlist: int = 0  # IVF lists; 0: 4·sqrt(N)
    nprobe: int = 0  # IVF lists scanned per query; 0: derived from nlist

    def resolve(self, n: int) -> str:
        if self.kind == "auto":
            if n < self.ann_threshold:
                return "exact"
            return "hnsw" if n < self.ivf_threshold else "ivf"
        return self.kind

    def ivf_nlist(self, n: int) -> int:
        if self.nlist > 0:
            return self.nlist
        # Never more lists than the k-means sample can fill with IVF_TRAIN_PER_LIST points.
        return max(1, min(round(4 * math.sqrt(n)), n // IVF_TRAIN_PER_LIST))

    def ivf_nprobe(self, nlist: int) -> int:
        if self.nprobe > 0:
            return min(self.nprobe, nlist)
        return min(nlist, max(NPROBE_MIN, math.ceil(nlist * NPROBE_SHARE)))


def build(vectors: np.ndarray, params: DenseParams) -> Any:
    import faiss

    n, dim = vectors.shape
    kind = params.resolve(n)
    if kind == "ivf" and n == 0:
        kind = "exact"  # k-means needs points; an empty index answers nothing either way
    index: Any
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    if kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, params.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = params.ef_construction
        index.hnsw.efSearch = params.ef_search
    elif kind == "exact":
        index = faiss.IndexFlatIP(dim)
    elif kind == "ivf":
        nlist = params.ivf_nlist(n)
        quantizer = faiss.IndexFlatIP(dim)
        index = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
        index.cp.niter = 10  # k-means converges for search purposes well before 25 rounds
        sample = min(n, nlist * IVF_TRAIN_PER_LIST)
        index.cp.max_points_per_centroid = IVF_TRAIN_PER_LIST
        rows = np.random.default_rng(0).choice(n, sample, replace=False) if sample < n else None
        index.train(vectors if rows is None else vectors[np.sort(rows)])
        index.nprobe = params.ivf_nprobe(nlist)
    else:
        raise ValueError(f"unknown index type {kind!r}: use {', '.join(KINDS)}")
    if n:
        index.add(vectors)
    return index


def save(index: Any, path: Path) -> None:
    import faiss

    faiss.write_index(index, str(path))


def load(path: Path, params: DenseParams) -> Any:
    """Read a saved index and apply the search-time settings (efSearch, nprobe)."""
    import faiss

    index = faiss.read_index(str(path))
    configure(index, params)
    return index


def configure(index: Any, params: DenseParams) -> None:
    """Search-time knobs: they change no stored data, so they apply to any loaded index."""
    import faiss

    if hasattr(index, "hnsw"):
        index.hnsw.efSearch = params.ef_search
    ivf = faiss.try_extract_index_ivf(index)
    if ivf is not None:
        ivf.nprobe = params.ivf_nprobe(ivf.nlist)


def search(index: Any, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Top-k (scores, ids) per query row; ids of -1 mean "no more results"."""
    k = max(1, min(k, index.ntotal))
    scores, ids = index.search(np.ascontiguousarray(queries, dtype=np.float32), k)
    return scores, ids


def search_subset(
    index: Any, queries: np.ndarray, k: int, allowed: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """`search`, returning only ids in `allowed` (FAISS skips the others while it searches,
    so the top k are the subset's top k, not what is left of the whole index's)."""
    import faiss

    k = max(1, min(k, index.ntotal))
    bits = np.zeros(index.ntotal, dtype=bool)
    bits[allowed] = True
    bitmap = np.packbits(bits, bitorder="little")
    selector = faiss.IDSelectorBitmap(index.ntotal, faiss.swig_ptr(bitmap))
    params: Any
    if hasattr(index, "hnsw"):
        params = faiss.SearchParametersHNSW()  # type: ignore[attr-defined]
        params.efSearch = max(index.hnsw.efSearch, k)
    elif (ivf := faiss.try_extract_index_ivf(index)) is not None:
        params = faiss.SearchParametersIVF()
        params.nprobe = ivf.nprobe  # the parameters' own default (1) would override it
    else:
        params = faiss.SearchParameters()
    params.sel = selector
    scores, ids = index.search(np.ascontiguousarray(queries, dtype=np.float32), k, params=params)
    del bitmap  # kept alive until the search is done: the selector only points at it
    return scores, ids
