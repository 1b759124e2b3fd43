"""Property tests: chunking loses and repeats nothing; no query makes the engine raise."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.app import App
from bot.commands.quote import QuoteRequest, quote
from bot.messages import describe
from embeddings.documents import Block, Document, DocumentMeta, with_offsets
from embeddings.errors import QuotebotError
from embeddings.passages import ChunkParams, chunk_document


def count_words(texts: Sequence[str]) -> list[int]:
    return [len(t.split()) for t in texts]


words = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Zs", "Cc")), min_size=1)
sentence = st.lists(words, min_size=1, max_size=30).map(lambda ws: " ".join(ws) + ".")
paragraph = st.lists(sentence, min_size=1, max_size=12).map(" ".join)


@given(
    paragraphs=st.lists(paragraph, min_size=1, max_size=8),
    sections=st.lists(st.sampled_from(["A", "B", ""]), min_size=8, max_size=8),
    limit=st.integers(min_value=3, max_value=60),
)
@settings(max_examples=150, deadline=None)
def test_passages_cover_the_document_exactly_once(
    paragraphs: list[str], sections: list[str], limit: int
) -> None:
    blocks = [Block(p, sections[i]) for i, p in enumerate(paragraphs)]
    doc = Document("d.txt", DocumentMeta("D"), with_offsets(blocks))
    passages = chunk_document(doc, count_words, ChunkParams(max_tokens=limit))
    # In order, not overlapping (nothing twice), each a verbatim span.
    for a, b in itertools.pairwise(passages):
        assert a.end <= b.start
    for p in passages:
        assert doc.text[p.start : p.end] == p.text
    # Nothing but white space lies outside the passages: no text is lost.
    bounds = [0, *(x for p in passages for x in (p.start, p.end)), len(doc.text)]
    gaps = [doc.text[a:b] for a, b in zip(bounds[::2], bounds[1::2], strict=True)]
    assert all(not gap.strip() for gap in gaps)


@given(query=st.text(max_size=300))
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_any_query_gets_an_answer_or_a_clear_message(seed_app: App, query: str) -> None:
    try:
        answer = quote(seed_app, QuoteRequest(query))
    except QuotebotError as exc:
        said = describe(exc)
        assert said and "\n" not in said
        return
    assert answer.quotes or answer.notice
