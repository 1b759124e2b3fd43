"""Whatever text a reader is given: an IngestError, or a well-formed Document."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from embeddings.ingest import IngestError, read_document
from tests.ingest.ingest_helpers import corpus_file

# Fragments of the syntax the readers look for, so that examples reach the
# interesting branches rather than only plain words.
SYNTAX = st.sampled_from(
    [
        "\n", "\n\n", "  ", "\t", "\r\n", "\u00a0", "#", "## ", "---\n", "===\n", "*", "_",
        "**", "[", "]", "(", ")", "\\", "`", "```\n", "> ", "- ", "1. ", "  • ", "<p>",
        "</p>", "<br>", "<h1>", "</h1>", "<a href='#n1'>", "<a href='/x'>", "</a>",
        "<!--", "-->", "&amp;", "[1]", "[2*]", "{1}", "[\\[1\\]](u#n1)", "[^1]: ",
        "ABASEMENT, n.  ", "HABEAS CORPUS.  ", "1:1 ", "CHAPTER I\n",
        "by John Smith, May 1, 2001\n",
        "title: [", "title: T\n", "Title: T\n", "Notes\n",
        "*** START OF THE PROJECT GUTENBERG EBOOK X ***\n",
        "*** END OF THE PROJECT GUTENBERG EBOOK X ***\n",
    ]
)  # fmt: skip
TEXTS = st.lists(st.one_of(st.text(max_size=12), SYNTAX), max_size=40).map("".join)
SUFFIXES = st.sampled_from([".md", ".txt", ".html"])


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(text=TEXTS, suffix=SUFFIXES)
def test_any_text_gives_a_consistent_document_or_an_ingest_error(text: str, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / f"doc{suffix}").write_bytes(text.encode("utf-8", "surrogatepass"))
        try:
            doc = read_document(corpus_file(root, f"doc{suffix}"), root)
        except IngestError as exc:
            assert str(exc).startswith(f"doc{suffix}: ")
            assert "\n" not in str(exc)
            return
    assert doc.blocks
    full = doc.text
    for block in doc.blocks:
        assert isinstance(block.text, str) and block.text.strip()
        assert full[block.start : block.end] == block.text
        assert set(block.notes) <= set(doc.footnotes)
    for note_id, note in doc.footnotes.items():
        assert note.marker == note_id and note.text.strip()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=300), suffix=SUFFIXES)
def test_any_bytes_give_a_document_or_an_ingest_error(data: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / f"doc{suffix}").write_bytes(data)
        try:
            doc = read_document(corpus_file(root, f"doc{suffix}"), root)
        except IngestError:
            return
    for block in doc.blocks:
        assert block.text.strip()
        assert doc.text[block.start : block.end] == block.text
