"""Best-sentence highlighting: which sentence of a hit (or which passage of a window) to
mark as the one that answers the query.

Sentences are scored by the query's content words they contain (stemmed); where that
cannot decide (no shared word, or a tie), the tied sentences' vectors decide: the
model's earlier choice for the same query, else the sentence vectors stored with the
index, else the tied sentences are embedded now.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from embeddings.cache import Lru
from embeddings.hits import Hit, window_spans
from embeddings.ingest.dictionary import is_bare_headword
from embeddings.sentences import scored_sentences
from embeddings.stopwords import stopwords
from embeddings.store import IndexData
from embeddings.tokens import stem, words

Span = tuple[int, int]


class QueryVectors(Protocol):
    """The query-side model (`embeddings.search.QueryEmbeddings`)."""

    def get(self, query: str) -> np.ndarray: ...

    def encode_many(self, texts: list[str], *, urgent: bool = True) -> np.ndarray: ...


class Highlighter:
    """Highlights the hits of one index."""

    def __init__(self, index: IndexData, embeddings: QueryVectors, memory: int = 4096) -> None:
        self.index = index
        self.embeddings = embeddings
        # The model's choice of best sentence, by (query, passage): a repeated question,
        # or its cached answer, never pays the model for the same choice twice.
        self._chosen: Lru[tuple[str, int], Span] = Lru(memory)
        # A passage's sentences and their stemmed words, by passage: splitting and
        # stemming were a sixth of a search's CPU, and popular passages come back often.
        self._read: Lru[int, tuple[list[Span], list[frozenset[str]]]] = Lru(memory)

    def highlight(
        self, query: str, hits: list[Hit], *, dense_limit: int | None = None, urgent: bool = True
    ) -> list[Hit]:
        """Mark the best-matching sentence of each hit.

        Embedding costs a forward pass per sentence, so `dense_limit` settles only the
        first hits that need it; the others keep the lexical guess and `settled=False`,
        to be settled when they are shown. Not `urgent`: the sentences wait for the model
        until no query does.
        """
        qstems = content_stems(query)
        out: list[Hit] = []
        undecided: list[tuple[int, list[Span]]] = []
        for n, h in enumerate(hits):
            if h.window is not None:
                out.append(with_highlight(h, self._best_in_window(query, qstems, h)))
                continue
            spans, stems = self._sentences(h.passage_id)
            if len(spans) <= 1:
                out.append(with_highlight(h, spans[0] if spans else None))
                continue
            tied = _most_shared(qstems, spans, stems)
            known = self.known(query, h.passage_id) if len(tied) > 1 else None
            if known is None and len(tied) > 1:
                known = self._stored(query, h.passage_id, tied)
            if known is not None:
                out.append(with_highlight(h, known))
                continue
            if len(tied) > 1 and (dense_limit is None or len(undecided) < dense_limit):
                undecided.append((n, tied))
            out.append(with_highlight(h, tied[0], settled=len(tied) == 1))
        if undecided:
            self._settle(query, out, undecided, urgent=urgent)
        return out

    def _sentences(self, passage_id: int) -> tuple[list[Span], list[frozenset[str]]]:
        """The passage's sentence spans and the stems of each sentence's words."""
        read = self._read.get(passage_id)
        if read is None:
            text = self.index.passages[passage_id].text
            spans = scored_sentences(text)
            if len(spans) > 1 and is_bare_headword(text[spans[0][0] : spans[0][1]]):
                # A dictionary entry's "PROPERTY, n." matches its word and says nothing:
                # the sentences after it are the ones to show.
                spans = spans[1:]
            read = spans, [_stems(text[s:e]) for s, e in spans]
            self._read.put(passage_id, read)
        return read

    def known(self, query: str, passage_id: int) -> Span | None:
        """The sentence the model chose earlier for this query and passage, if it did."""
        return self._chosen.get((query.casefold(), passage_id))

    def _settle(
        self, query: str, out: list[Hit], undecided: list[tuple[int, list[Span]]], *, urgent: bool
    ) -> None:
        """Embed the tied sentences of `out[n]` for each undecided n and mark the closest
        to the query, remembering the choice."""
        qvec = self.embeddings.get(query)
        flat = [(n, sp) for n, spans in undecided for sp in spans]
        texts = [self.index.passages[out[n].passage_id].text[s:e] for n, (s, e) in flat]
        sims = self.embeddings.encode_many(texts, urgent=urgent) @ qvec
        best_for: dict[int, tuple[float, Span]] = {}
        for (n, sp), sim in zip(flat, sims, strict=True):
            if n not in best_for or sim > best_for[n][0]:
                best_for[n] = (float(sim), sp)
        for n, (_, sp) in best_for.items():
            out[n] = with_highlight(out[n], sp)
            self._chosen.put((query.casefold(), out[n].passage_id), sp)

    def _best_in_window(self, query: str, qstems: set[str], hit: Hit) -> Span:
        """The passage of a window to highlight (a verse, a line): the one sharing most
        content words with the query, ties decided by the passages' stored vectors."""
        ids = list(hit.ids)
        passages = self.index.passages
        scores = [_shared(qstems, passages[i].text) for i in ids]
        top = max(scores)
        tied = [j for j, sc in enumerate(scores) if sc == top]
        if len(tied) > 1:
            qvec = self.embeddings.get(query)
            sims = np.asarray(self.index.vectors[[ids[j] for j in tied]], dtype=np.float32) @ qvec
            tied = [tied[int(np.argmax(sims))]]
        return window_spans(self.index, hit)[tied[0]]

    def _stored(self, query: str, passage_id: int, tied: list[Span]) -> Span | None:
        """Of the tied sentences, the closest to the query by the sentence vectors built
        with the index (None when the index has none for this passage)."""
        table = self.index.sentences
        if table is None:
            return None
        rows = table.rows_of(passage_id)
        by_span = {table.span(r): r for r in rows}
        if not all(sp in by_span for sp in tied):
            return None
        qvec = self.embeddings.get(query)
        sims = np.asarray(table.vectors[[by_span[sp] for sp in tied]], dtype=np.float32) @ qvec
        return tied[int(np.argmax(sims))]


def content_stems(query: str) -> set[str]:
    """The stems of the query's words that are not stop words."""
    return {stem(w) for w in words(query) if w not in stopwords()}


def _stems(text: str) -> frozenset[str]:
    return frozenset(stem(w) for w in words(text))


def _shared(qstems: set[str], text: str) -> int:
    """How many of the query's content words `text` has."""
    return len(qstems & _stems(text))


def _most_shared(qstems: set[str], spans: list[Span], stems: list[frozenset[str]]) -> list[Span]:
    """The sentences (their spans and stems) sharing most content words with the query,
    in order."""
    scores = [len(qstems & sentence) for sentence in stems]
    best = max(scores)
    return [sp for sp, sc in zip(spans, scores, strict=True) if sc == best]


def with_highlight(hit: Hit, span: Span | None, *, settled: bool = True) -> Hit:
    return Hit(hit.passage_id, hit.score, hit.cosine, hit.bm25, span, settled, hit.window)
