"""A query that names verses is looked up, whatever way a reader writes the reference;
any other query is left to the search."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TypeVar

import pytest

from embeddings.documents import DocumentMeta
from embeddings.passages import Passage
from embeddings.store import DocumentRecord
from embeddings.verse_refs import (
    VerseRef,
    book_parts,
    lookup,
    parse,
    verses_in,
)

T = TypeVar("T")
BOOKS = [
    "Genesis",
    "Exodus",
    "Judges",
    "Psalms",
    "Song of Solomon",
    "Isaiah",
    "John",
    "1 Corinthians",
    "2 Corinthians",
    "Philippians",
    "Philemon",
    "1 John",
    "Jude",
]
# Each book: chapters 1 and 2; verses 1:1, 1:2, 1:3–4 (joined, as short verses are), 2:1.
LOCATORS = ["1:1", "1:2", "1:3–4", "2:1"]


@dataclass
class Bible:
    documents: list[DocumentRecord] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)

    def derived(self, make: Callable[[Bible], T]) -> T:
        return make(self)  # made afresh each time: a test builds it up after making it


def bible(*, with_essay: bool = True, one_file: bool = False) -> Bible:
    """The books, a file each, or all in one file (`one_file`) each under its heading."""
    index = Bible()
    if with_essay:  # a work that is no book: never a reference's target
        index.documents.append(_doc("essay.md", 0, 1))
        index.passages.append(Passage("essay.md", "John wrote 3 letters.", 0, 21, "Chapter"))
    for book in BOOKS:
        source = "bible.htm" if one_file else f"kjv/{book}.htm"
        if not one_file or book == BOOKS[0]:
            index.documents.append(_doc(source, len(index.passages), 0))
        for loc in LOCATORS:
            text = f"{book} {loc}."
            index.passages.append(
                Passage(source, text, 0, len(text), book, kind="verse", locator=loc)
            )
        doc = index.documents[-1]
        index.documents[-1] = replace(
            doc, count=len(index.passages) - doc.first, sections=(*doc.sections, book)
        )
    return index


def _doc(source: str, first: int, count: int) -> DocumentRecord:
    return DocumentRecord(source, DocumentMeta(source), "html", "", first, count)


def named(index: Bible, query: str) -> list[str]:
    found = lookup(index, query)
    assert found is not None, f"{query!r} was not read as a reference"
    return [index.passages[i].text for i in found.ids]


# A reference as readers write it | the verses it names. "Isaiah": its "I" is no Roman
# numeral; "John 1:4": a verse joined to the one before it.
READINGS = """
John 1:2 | John 1:2.
john 1.2 | John 1:2.
john 1 2 | John 1:2.
Jn 1:2 | John 1:2.
John chapter 1 verse 2 | John 1:2.
Gen 1:1 | Genesis 1:1.
Ex 2:1 | Exodus 2:1.
Ps 1:1 | Psalms 1:1.
Psalm 2 | Psalms 2:1.
Song of Songs 1:1 | Song of Solomon 1:1.
Isaiah 1:1 | Isaiah 1:1.
1 Cor 1:1 | 1 Corinthians 1:1.
I Cor. 1:1 | 1 Corinthians 1:1.
Second Corinthians 1:1 | 2 Corinthians 1:1.
1 Jn 2:1 | 1 John 2:1.
Phil 1:1 | Philippians 1:1.
Philem 1:1 | Philemon 1:1.
John 1:4 | John 1:3–4.
John 1:2-3 | John 1:2. | John 1:3–4.
John 1 | John 1:1. | John 1:2. | John 1:3–4.
John 1-2 | John 1:1. | John 1:2. | John 1:3–4. | John 2:1.
"""


@pytest.mark.parametrize("reading", READINGS.strip().splitlines())
def test_a_reference_names_its_verses_however_it_is_written(reading: str) -> None:
    query, *verses = reading.split(" | ")
    assert named(bible(), query) == verses


@pytest.mark.parametrize(
    "query",
    [
        "what is a sect",
        "the year 1848",
        "catch 22 10",  # two numbers after a word that names no book
        "Jo 1:1",  # Job, Joel, John, Jonah, Joshua: too short to tell
        "Ju 1:1",
        "Revelation 1:1",  # a book this index does not hold
        "chapter 1",
        "John 1:3-2",  # backwards
        "John 1:0",  # no verse 0
        "John 2-1",  # chapters backwards
        "John 0-1",  # no chapter 0
    ],
)
def test_anything_else_is_left_to_the_search(query: str) -> None:
    assert lookup(bible(), query) is None


def test_a_chapter_or_verse_the_book_lacks_is_found_empty_with_what_it_has() -> None:
    found = lookup(bible(), "John 9:1")
    assert found is not None and found.ids == [] and found.chapters == 2 and found.verses == 0
    found = lookup(bible(), "John 1:9")
    assert found is not None and found.ids == [] and found.verses == 4
    assert found.named == "John 1:9"


def test_only_the_passages_a_reader_may_see_are_named() -> None:
    index = bible()
    john = next(d for d in index.documents if d.source == "kjv/John.htm")
    found = lookup(index, "John 1", allowed=[john.first + 1])
    assert found is not None and [index.passages[i].text for i in found.ids] == ["John 1:2."]


def test_a_reference_is_read_into_book_chapter_and_verses() -> None:
    assert parse("1 Cor 13:4–7") == VerseRef("1 Cor", 13, 4, 7)
    assert parse("Psalm 23") == VerseRef("Psalm", 23)
    assert parse("John 3:16") == VerseRef("John", 3, 16, 16)


def test_a_range_of_chapters_the_book_lacks_is_found_empty() -> None:
    found = lookup(bible(), "John 1-9")  # John has 2 chapters here
    assert found is not None and found.ids == [] and found.named == "John 1–9"
    missing = found.missing()  # "John has 2 chapters; there is no John 1–9."
    assert (missing.chapters, missing.verses, missing.meant) == (2, 0, "")


def test_a_range_of_chapters_the_book_lacks_names_the_verse_it_may_mean() -> None:
    # John has 2 chapters here: "John 1-3", often meant as John 1:3, names a chapter it
    # lacks, and the answer says John 1:3 is a verse; chapter 2 has no verse 3.
    found = lookup(bible(), "John 1-3")
    assert found is not None and found.ids == []
    assert found.missing().meant == "John 1:3"
    found = lookup(bible(), "John 2-3")
    assert found is not None and found.missing().meant == ""


def test_a_book_of_one_chapter_is_cited_by_its_verse_alone() -> None:
    # "Jude 25" is how Jude 1:25 is cited: the book has no chapter 25 to look for.
    index = Bible()
    locators = ["1:1", "1:2", "1:3–4", "1:25"]
    index.documents.append(_doc("kjv/Jude.htm", 0, len(locators)))
    for loc in locators:
        text = f"Jude {loc}."
        index.passages.append(
            Passage("kjv/Jude.htm", text, 0, len(text), "Jude", kind="verse", locator=loc)
        )
    assert named(index, "Jude 25") == ["Jude 1:25."]
    assert named(index, "Jude 4") == ["Jude 1:3–4."]
    assert named(index, "Jude 2-4") == ["Jude 1:2.", "Jude 1:3–4."]  # verses, not chapters
    found = lookup(index, "Jude 25")
    assert found is not None and found.named == "Jude 1:25"
    assert named(index, "Jude 1") == [f"Jude {loc}." for loc in locators]  # the whole book
    missing = lookup(index, "Jude 30")
    assert missing is not None and missing.ids == [] and missing.named == "Jude 1:30"
    assert missing.verses == 25  # "Jude 1 has 25 verses; there is no Jude 1:30."
    # A book of two chapters or more keeps reading "John 2" as its second chapter.
    assert named(bible(), "John 2") == ["John 2:1."]


@pytest.mark.parametrize(
    ("locator", "count"), [("3:16", 1), ("11:35–36", 2), ("20:3–6", 4), ("6:34–7:1", 2)]
)
def test_a_passage_of_verses_joined_counts_each_verse(locator: str, count: int) -> None:
    assert verses_in(locator) == count


@pytest.mark.parametrize(
    ("typed", "book"),
    [
        ("John", "John"),
        ("1 Cor", "1 Corinthians"),
        ("psalm", "Psalms"),
        ("Gen", "Genesis"),
        ("Jo", ""),  # Job, Joel, John, Jonah, Joshua: too short to tell
        ("essay", ""),  # a work, not a book
        ("Revelation", ""),  # a book this index does not hold
    ],
)
def test_a_book_is_named_as_a_reference_names_it(typed: str, book: str) -> None:
    # What a title filter keeps to: the book's documents, named as the corpus writes it,
    # or none.
    index = bible()
    parts = book_parts(index, typed)
    assert (parts[0].name if parts else "") == book


@pytest.mark.parametrize("query", ["Gen 1:2", "Exodus 2:1", "1 Cor 1:3-4", "Jude 1:1"])
def test_a_bible_in_one_file_is_read_book_by_book_by_its_headings(query: str) -> None:
    # One file of all the books was one book, named by its first: "Exodus 2:1" named no
    # book, and "Gen 1:2" answered every book's 1:2.
    assert named(bible(one_file=True), query) == named(bible(), query)
