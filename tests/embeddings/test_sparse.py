"""BM25 scores: our sparse mat-vec gives exactly what bm25s's own scoring gives."""

from __future__ import annotations

import numpy as np

from embeddings.sparse import SparseIndex, terms

TEXTS = [
    "The sect-socialist has always felt a soul-torn difficulty.",
    "A sect presents itself as the embodiment of the socialist movement.",
    "In the beginning God created the heaven and the earth.",
    "The working-class party is not simply an electoral organization.",
    "Cynic: a blackguard whose faulty vision sees things as they are.",
    "",
] * 7


def test_scores_match_bm25s_for_known_unknown_and_repeated_terms() -> None:
    index = SparseIndex.build(TEXTS)
    retriever = index._retriever
    for query in ("sect socialist sect", "the earth and the heaven", "party", "cynic vision"):
        known = index.known_terms(terms(query))
        expected = np.asarray(retriever.get_scores(known), dtype=np.float32)
        got = index.scores(terms(query))
        assert got.shape == (len(TEXTS),) and got.dtype == np.float32
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)
    assert not index.scores(terms("zzyzx quux")).any()
