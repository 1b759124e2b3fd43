"""Files that cannot be documents raise IngestError, naming the file and the reason."""

from __future__ import annotations

import re

import pytest

from embeddings.ingest import IngestError
from tests.ingest.ingest_helpers import Corpus


def refusal(corpus: Corpus, name: str) -> str:
    """Why reading the file `name` raises IngestError: the error's one message."""
    with pytest.raises(IngestError) as caught:
        corpus.read(name)
    return str(caught.value)


def test_binary_file(corpus: Corpus) -> None:
    corpus.write("deep/image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00")
    assert re.search(r"^deep/image\.txt: binary file", refusal(corpus, "deep/image.txt"))


@pytest.mark.parametrize("content", [b"", b"  \n\n\t\n"])
def test_empty_file(corpus: Corpus, content: bytes) -> None:
    corpus.write("empty.md", content)
    assert re.search(r"^empty\.md: empty file$", refusal(corpus, "empty.md"))


def test_nothing_left_after_cleaning(corpus: Corpus) -> None:
    corpus.write("nav.html", "<nav>Menu</nav><p><a href='/a'>Home</a> <a href='/b'>Next</a></p>")
    assert re.search(r"^nav\.html: no text left after cleaning$", refusal(corpus, "nav.html"))


def test_broken_front_matter(corpus: Corpus) -> None:
    corpus.write("notes.md", "---\ntitle: x\nauthor: a: b\n---\n\nText.\n")
    assert refusal(corpus, "notes.md") == (
        "notes.md: broken front matter (line 3: mapping values are not allowed here)"
    )


@pytest.mark.parametrize(
    "front",
    ["date: 2002-13-45", "- just\n- a list", "title: [1, {a: b}]"],
)
def test_front_matter_that_is_no_metadata(corpus: Corpus, front: str) -> None:
    corpus.write("odd.md", f"---\n{front}\n---\n\nText.\n")
    assert re.search(r"^odd\.md: broken front matter \(", refusal(corpus, "odd.md"))


def test_broken_sidecar(corpus: Corpus) -> None:
    corpus.write("essay.md", "Text.\n")
    corpus.write("essay.md.meta.toml", 'title = "unclosed\n')
    assert re.search(
        r"^essay\.md: broken sidecar essay\.md\.meta\.toml \(", refusal(corpus, "essay.md")
    )


def test_broken_collection_file(corpus: Corpus) -> None:
    corpus.write("set/_collection.meta.toml", "author = [1, 2]\n")
    corpus.write("set/a.txt", "Text.\n")
    assert re.search(r"^set/a\.txt: broken collection metadata", refusal(corpus, "set/a.txt"))


def test_messages_are_one_line(corpus: Corpus) -> None:
    corpus.write("multi.md", "---\na: [\nb: c\n---\nText.\n")
    assert "\n" not in refusal(corpus, "multi.md")
