"""Passages that hold the query word for word: a name or a phrase the reader remembers.

A two-word term ("Third Camp") loses in BM25 to short verses holding one of its words
many times over, and MiniLM has no reason to rank the one paragraph that names it first.
A passage whose text holds the query's words in the query's order is the strongest
evidence a search can have that it is the passage meant, so with `[search] phrase_boost`
set such passages join the candidates however BM25 ranked them, their fused score gets
that bonus and they clear the relevance floor. On by default (0.2): over the dev, test
and held-out queries it made 6 better and 1 worse, a query whose words were also, word
for word, in other verses (bench/RESULTS.md).

Words are BM25's (`tokens.words`: lower case, stop words kept), so punctuation, case and
line breaks never hide a match. Which passages hold every word is read from the BM25
index itself (the terms' columns, which list the passages each is in, intersected), so
only those passages' texts are read.
"""

from __future__ import annotations

import numpy as np

from embeddings.store import IndexData
from embeddings.tokens import terms, words

# A query of more words than this is a question or a paraphrase, not a phrase to find.
MAX_PHRASE_WORDS = 12
# Passages holding every word, read at most (best BM25 first): a phrase of common words
# in thousands of passages is not one the reader means word for word.
MAX_CHECKED = 500


def phrase_of(query: str) -> list[str] | None:
    """The query's words when it can be looked for as a phrase: two content words or
    more (a single word is BM25's job), and not too long to be one."""
    found = words(query)
    if len(terms(query)) < 2 or len(found) > MAX_PHRASE_WORDS:
        return None
    return found


def holding(index: IndexData, query: str, bm25: np.ndarray) -> np.ndarray:
    """Ids of the passages whose text holds the query as a phrase, among those with a
    BM25 score (`bm25`: every passage's score for the query, 0 outside what may be
    searched); empty when the query is no phrase."""
    phrase = phrase_of(query)
    if phrase is None:
        return np.empty(0, dtype=np.int64)
    ids = index.sparse.holding_all(terms(query))
    ids = ids[bm25[ids] > 0]
    if len(ids) > MAX_CHECKED:
        ids = ids[np.argsort(-bm25[ids], kind="stable")[:MAX_CHECKED]]
    needle = f" {' '.join(phrase)} "
    passages = index.passages
    return np.array(
        [i for i in ids if needle in f" {' '.join(words(passages[int(i)].text))} "],
        dtype=np.int64,
    )
