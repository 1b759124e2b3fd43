"""Dense scores of candidates beyond one passage's cosine: its best sentence, its
companion line and its neighbours in the same document. All use vectors stored in the
index, so they cost a few small matrix products per query and no model call; their
weights are search settings (chosen on the dev queries: bench/RESULTS.md, "Ranking
signals", "Companions in the engine")."""

from __future__ import annotations

import numpy as np

from embeddings.documents import chapter
from embeddings.store import IndexData


def neighbour_mask(index: IndexData, ids: np.ndarray, step: int) -> np.ndarray:
    """Whether passage id + `step` exists and is in the same document as each id."""
    other = ids + step
    ok = (other >= 0) & (other < len(index.passages))
    out = np.zeros(len(ids), dtype=bool)
    out[ok] = index.doc_index[other[ok]] == index.doc_index[ids[ok]]
    return out


def smoothed_cosines(
    index: IndexData, ids: np.ndarray, qvec: np.ndarray, weight: float
) -> np.ndarray:
    """Cosine of the query with v + weight * (v_before + v_after), neighbours taken only
    within the passage's own document (a work never borrows meaning from the next one)."""
    vecs = np.asarray(index.vectors[ids], dtype=np.float32)
    if weight == 0.0 or len(ids) == 0:
        return vecs @ qvec
    total = vecs.copy()
    for step in (-1, 1):
        mask = neighbour_mask(index, ids, step)
        if mask.any():
            total[mask] += weight * np.asarray(index.vectors[ids[mask] + step], dtype=np.float32)
    norms = np.linalg.norm(total, axis=1)
    return (total @ qvec) / np.maximum(norms, 1e-12)


def dense_scores(
    index: IndexData,
    ids: np.ndarray,
    qvec: np.ndarray,
    *,
    sentence_weight: float,
    smoothing: float,
    companion_weight: float = 0.0,
) -> np.ndarray:
    """The dense score of each candidate: its (smoothed) passage cosine, blended with its
    best sentence's cosine, and that blended with its companion line's, if it has one."""
    passage = smoothed_cosines(index, ids, qvec, smoothing).astype(np.float32)
    score = passage
    if sentence_weight != 0.0 and index.sentences is not None:
        best, _ = index.sentences.best(ids, qvec)
        # A passage of one sentence: its own cosine is its best sentence's (unsmoothed, so
        # computed again only when smoothing changed it: the rows' gather is the cost).
        own = passage if smoothing == 0.0 else smoothed_cosines(index, ids, qvec, 0.0)
        best = np.where(np.isnan(best), own, best)
        score = ((1.0 - sentence_weight) * passage + sentence_weight * best).astype(np.float32)
    if companion_weight != 0.0 and index.companion is not None and len(index.companion):
        theirs = index.companion.cosines(ids, qvec)
        blended = (1.0 - companion_weight) * score + companion_weight * theirs
        score = np.where(np.isnan(theirs), score, blended).astype(np.float32)
    return score


class Neighbourhood:
    """Per passage of one index: which passages may stand in a window together.

    A window is two or three consecutive short passages (verses, one-line fragments,
    dictionary verse lines) of one document, section and chapter (verses "6:34" and "7:1"
    are not one saying); such passages say little alone
    and are searched and quoted with their neighbours."""

    def __init__(self, index: IndexData, max_words: int) -> None:
        passages = index.passages
        sections: dict[tuple[int, str, str], int] = {}
        self.group = np.fromiter(
            (
                sections.setdefault(
                    (int(index.doc_index[i]), p.section, chapter(p.locator)), len(sections)
                )
                for i, p in enumerate(passages)
            ),
            dtype=np.int64,
            count=len(passages),
        )
        self.short = np.fromiter(
            (p.kind == "verse" or len(p.text.split()) < max_words for p in passages),
            dtype=bool,
            count=len(passages),
        )

    def joins(self, ids: np.ndarray, step: int) -> np.ndarray:
        """Whether the passage at id + `step` can share a window with each (short) id."""
        other = ids + step
        ok = (other >= 0) & (other < len(self.short))
        out = np.zeros(len(ids), dtype=bool)
        o = other[ok]
        out[ok] = self.short[o] & (self.group[o] == self.group[ids[ok]]) & self.short[ids[ok]]
        return out


def window_scores(
    index: IndexData, hood: Neighbourhood, ids: np.ndarray, qvec: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each candidate: the best cosine of a window holding it (the normalised sum of
    its passages' vectors; NaN where no window can be made) and that window's first and
    last passage ids."""
    n = len(ids)
    best = np.full(n, np.nan, dtype=np.float32)
    first = ids.copy()
    last = ids.copy()
    if n == 0:
        return best, first, last
    before, after = hood.joins(ids, -1), hood.joins(ids, 1)
    if not (before.any() or after.any()):
        return best, first, last
    dim = index.vectors.shape[1]
    own = np.asarray(index.vectors[ids], dtype=np.float32)

    def around(mask: np.ndarray, step: int) -> np.ndarray:
        out = np.zeros((n, dim), dtype=np.float32)
        if mask.any():
            out[mask] = np.asarray(index.vectors[ids[mask] + step], dtype=np.float32)
        return out

    prev, nxt = around(before, -1), around(after, 1)
    for lo, hi, ok in (
        (-1, 0, before),
        (0, 1, after),
        (-1, 1, before & after),
    ):
        total = own + (prev if lo else 0) + (nxt if hi else 0)
        cos = (total @ qvec) / np.maximum(np.linalg.norm(total, axis=1), 1e-12)
        better = ok & ~(cos <= best)  # NaN best: any valid window is better
        best[better] = cos[better]
        first[better] = ids[better] + lo
        last[better] = ids[better] + hi
    return best, first, last
