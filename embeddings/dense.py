"""The FAISS index over normalised vectors: exact inner product, HNSW, or IVF.

Vectors are unit length, so inner product is cosine similarity. Exact search scans every
vector (memory-bound: ~0.2 ms per 1,000 passages), so it stops being cheap at about 20,000
passages on this machine; at and above `ann_threshold` an approximate index keeps queries
fast: HNSW while it builds in seconds, IVF from `ivf_threshold` on. Their recall
against exact search is measured in tests, bench/index_choice.py and bench/scale.py, whose
figures chose the defaults (bench/RESULTS.md).

IVF clusters the vectors into `nlist` lists (k-means) and scans the `nprobe` lists
nearest the query. Left at 0, both follow the size of the index: nlist = 4·sqrt(N), and
nprobe a fixed share of nlist, so recall stays level as the corpus grows.

What an IVF list holds is `ivf_codes`: "flat", the float vectors themselves (1,536 bytes a
passage at 384 dimensions), or "sq8", one byte per dimension (384 bytes). The float
vectors are in the build's vectors.npy anyway, memory-mapped (store.py), so an IVF-Flat
index was a second, private copy of them: the largest part of a loaded index at 1M
passages (bench/RESULTS.md, "Memory per passage"). An "sq8" index finds `rescore` times as
many candidates as asked by its codes and re-scores them exactly from the mapped vectors
(`Rescored`), so its top k are ranked by the true cosines, and it finds what the float
index finds: the lists scanned are the same, and the codes' error (~1e-3 in a cosine) only
reorders candidates that the wider net keeps. Measured (bench/scale.py, 1M synthetic
passages, 687 queries, nprobe 125): recall@10 against exact search 0.9705 for both, 0.9527
for the codes alone (rescore 1); on the real 34k passages 0.965 for both.

HNSW's nodes hold the same choice, `hnsw_codes`: with "sq8" the graph is walked on the
codes and its candidates re-scored in the same way (on the shared corpora recall@10 0.991
against the float graph's 0.992, a quarter less time a walk, 18 MB instead of 57).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

import numpy as np

Kind = Literal["auto", "exact", "hnsw", "ivf"]
KINDS: tuple[Kind, ...] = get_args(Kind)
Codes = Literal["flat", "sq8"]
# What a build made before `ivf_codes` / `hnsw_codes` existed holds (its manifest does not
# say): float vectors, for either kind.
CODES_BEFORE: Codes = "flat"
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
    # ivf_threshold, IVF from there on.
    kind: Kind = "auto"
    # On the 34,107 passages of the shared corpora (bench/index_choice.py): exact 5.2 ms
    # a query, HNSW 1.7 ms with the same recall@5 / MRR on the labelled queries (a 9 s
    # build), IVF 0.8 ms but one labelled answer fewer in the top 5.
    ann_threshold: int = 20_000
    # HNSW builds too slowly for every reindex from here on (45-119 s at 100k on 2 cores,
    # ~40 min extrapolated at 1M), and IVF keeps recall@10 >= 0.95 (bench/scale.py).
    ivf_threshold: int = 50_000
    hnsw_m: int = 16  # M=32 gave no better recall per ms at 100k and built 2.8x slower
    # "sq8": the graph's nodes hold 8-bit codes, candidates re-scored from the mapped
    # vectors (as IVF's). On the shared corpora the walk took a quarter less time, with the
    # same recall@10 against exact search, in 18 MB instead of 57 (bench/RESULTS.md,
    # "HNSW over 8-bit codes"). "flat": the float vectors, a private copy of vectors.npy.
    hnsw_codes: Codes = "sq8"
    ef_construction: int = 80
    ef_search: int = 512  # recall@10 0.998 at 100k, 0.982 at 1M (256: 0.959 at 1M)
    # The companion lines' HNSW index (embeddings/companion.py): it only adds candidates, and
    # 512 cost 1.44 ms a question for 31,044 lines, 256 half that (bench/RESULTS.md,
    # "Companions in the engine"); 128 (with 50 candidates) changed no top 10 on any split
    # and halved the lines' search again, 0.84 to 0.45 ms a question ("Companion lines'
    # search, cheaper").
    companion_ef_search: int = 128
    nlist: int = 0  # IVF lists; 0: 4·sqrt(N)
    nprobe: int = 0  # IVF lists scanned per query; 0: derived from nlist
    # "sq8": 8-bit codes in the lists (384 B a passage, not 1,536), candidates re-scored
    # from the mapped vectors; "flat": the float vectors, a private copy of vectors.npy.
    ivf_codes: Codes = "sq8"
    # sq8: candidates found per result asked for, then re-scored exactly. 2 gives the float
    # index's recall@10 at 1M (4: no better); 1 loses 1.8 points of it.
    rescore: int = 2

    def resolve(self, n: int) -> str:
        if self.kind == "auto":
            if n < self.ann_threshold:
                return "exact"
            return "hnsw" if n < self.ivf_threshold else "ivf"
        return self.kind

    def codes_of(self, kind: str) -> Codes | None:
        """What an approximate index of `kind` holds; None for exact search."""
        return {"hnsw": self.hnsw_codes, "ivf": self.ivf_codes}.get(kind)

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
    if kind == "exact":
        return MappedFlat(vectors)
    if kind == "hnsw":
        if params.hnsw_codes == "sq8":
            # (faiss's stubs name the quantizer's class where SWIG takes its type, an int)
            index = faiss.IndexHNSWSQ(
                dim,
                faiss.ScalarQuantizer.QT_8bit,  # type: ignore[arg-type]
                params.hnsw_m,
                faiss.METRIC_INNER_PRODUCT,
            )
            if n:
                index.train(vectors)  # the codes' range per dimension: one pass
        else:
            index = faiss.IndexHNSWFlat(dim, params.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = params.ef_construction
        index.hnsw.efSearch = params.ef_search
    elif kind == "ivf":
        nlist = params.ivf_nlist(n)
        quantizer = faiss.IndexFlatIP(dim)
        if params.ivf_codes == "sq8":
            # Codes of the vectors themselves, not of their residuals to the centroid:
            # scanning a list is then one table-free pass (1.5x faster at 200k on this
            # machine), and the re-scoring makes up for the coarser step.
            index = faiss.IndexIVFScalarQuantizer(
                quantizer,
                dim,
                nlist,
                faiss.ScalarQuantizer.QT_8bit,
                faiss.METRIC_INNER_PRODUCT,
                False,
            )
        else:
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
    return _rescored(index, vectors, params)


class MappedFlat:
    """Exact search over the vectors where they are: FAISS's brute-force kernel (on the
    threads the bot gives FAISS, where numpy's product spread over OpenBLAS's threads was
    13-18 ms instead of 0.3 ms on the busy 2-core machine) reading the array itself.
    FAISS's own flat index would copy them: a loaded build's vectors are a memory map of
    the build's file, page cache rather than private memory."""

    def __init__(self, vectors: np.ndarray) -> None:
        # No copy: already float32 and C-ordered (a map of an .npy file written so).
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)

    @property
    def ntotal(self) -> int:
        return len(self.vectors)

    def search(
        self, queries: np.ndarray, k: int, params: Any = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """FAISS's `search`: top-k (scores, ids), -1 past the end; `params.sel`, if any,
        names the ids it may return."""
        import faiss

        queries = np.ascontiguousarray(queries, dtype=np.float32)
        scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
        ids = np.full((len(queries), k), -1, dtype=np.int64)
        if self.ntotal and len(queries):
            faiss.knn_inner_product(
                faiss.swig_ptr(queries),
                faiss.swig_ptr(self.vectors),
                self.vectors.shape[1],
                len(queries),
                self.ntotal,
                k,
                faiss.swig_ptr(scores),
                faiss.swig_ptr(ids),
                None if params is None else params.sel,
            )
        return scores, ids


class Rescored:
    """A FAISS index of approximate codes whose candidates are re-scored from the float
    vectors (a read-only memory map of vectors.npy once loaded: page cache, not a copy)."""

    def __init__(self, index: Any, vectors: np.ndarray, rescore: int) -> None:
        self.index = index
        self.vectors = vectors
        self.rescore = max(1, rescore)

    @property
    def ntotal(self) -> int:
        return int(self.index.ntotal)

    def search(
        self, queries: np.ndarray, k: int, params: Any = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """FAISS's `search`, with exact scores: the top k of `rescore`·k candidates."""
        found = min(self.ntotal, k * self.rescore)
        _, ids = self.index.search(queries, found, params=params)
        scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
        out = np.full((len(queries), k), -1, dtype=np.int64)
        for row, (query, cand) in enumerate(zip(queries, ids, strict=True)):
            cand = np.sort(cand[cand >= 0])  # in file order: fewer, nearer page reads
            exact = np.asarray(self.vectors[cand], dtype=np.float32) @ query
            top = np.argsort(-exact, kind="stable")[:k]
            scores[row, : len(top)] = exact[top]
            out[row, : len(top)] = cand[top]
        return scores, out


def _rescored(index: Any, vectors: np.ndarray, params: DenseParams) -> Any:
    """`index` itself, or wrapped in `Rescored` when it holds approximate codes."""
    import faiss

    ivf = _ivf(index)
    if isinstance(faiss.downcast_index(index), faiss.IndexHNSWSQ) or (
        ivf is not None and isinstance(faiss.downcast_index(ivf), faiss.IndexIVFScalarQuantizer)
    ):
        return Rescored(index, vectors, params.rescore)
    return index


def faiss_index(index: Any) -> Any:
    """The FAISS index itself, inside a `Rescored` or not (a `MappedFlat` has none)."""
    return index.index if isinstance(index, Rescored) else index


def _ivf(index: Any) -> Any:
    """The IVF index in `index` (a FAISS index, or inside a `Rescored`), or None."""
    import faiss

    inner = faiss_index(index)
    return faiss.try_extract_index_ivf(inner) if isinstance(inner, faiss.Index) else None


def codes(index: Any) -> Codes | None:
    """What an approximate index holds ("flat" or "sq8"); None for exact search."""
    if isinstance(index, MappedFlat):
        return None
    return "sq8" if isinstance(index, Rescored) else "flat"


def save(index: Any, path: Path) -> None:
    import faiss

    faiss.write_index(faiss_index(index), str(path))


def load(path: Path, params: DenseParams, vectors: np.ndarray) -> Any:
    """Read a saved index and apply the search-time settings (efSearch, nprobe, rescore).
    `vectors` are the build's own, for an index of codes to re-score its candidates: what
    the file holds decides that, so a build made before `ivf_codes` or `hnsw_codes` (float
    vectors) loads and searches as it always did."""
    import faiss

    index = _rescored(faiss.read_index(str(path)), vectors, params)
    configure(index, params)
    return index


def configure(index: Any, params: DenseParams) -> None:
    """Search-time knobs: they change no stored data, so they apply to any loaded index."""

    if isinstance(index, Rescored):
        index.rescore = max(1, params.rescore)
    inner = faiss_index(index)
    if hasattr(inner, "hnsw"):
        inner.hnsw.efSearch = params.ef_search
    ivf = _ivf(inner)
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
    inner = faiss_index(index)
    params: Any
    if hasattr(inner, "hnsw"):
        params = faiss.SearchParametersHNSW()  # type: ignore[attr-defined]
        params.efSearch = max(inner.hnsw.efSearch, k)
    elif (ivf := _ivf(inner)) is not None:
        params = faiss.SearchParametersIVF()
        params.nprobe = ivf.nprobe  # the parameters' own default (1) would override it
    else:
        params = faiss.SearchParameters()
    params.sel = selector
    scores, ids = index.search(np.ascontiguousarray(queries, dtype=np.float32), k, params=params)
    del bitmap  # kept alive until the search is done: the selector only points at it
    return scores, ids
