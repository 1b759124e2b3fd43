"""Numbered verses in plain text: Project Gutenberg's King James Bible (e-book #10)."""

from __future__ import annotations

import pytest

from embeddings.ingest.verses import book_named
from tests.ingest.ingest_helpers import Corpus

# Excerpts of pg10.txt as Gutenberg lays it out: a table of contents, each book under its
# long title, several verses run together in one paragraph, a verse broken in two.
BIBLE = "kjv-pg10-excerpt.txt"


def test_a_plain_text_bible_is_read_one_verse_a_passage_under_each_books_name(
    corpus: Corpus,
) -> None:
    corpus.copy_fixture(BIBLE, "pg10.txt")
    doc = corpus.read("pg10.txt")
    assert {b.kind for b in doc.blocks} == {"verse"}  # the contents and titles are headings
    books = list(dict.fromkeys(b.section for b in doc.blocks))
    assert books == [
        "Genesis", "1 Samuel", "Lamentations", "Matthew", "Mark", "1 Corinthians", "3 John",
        "Revelation",
    ]  # fmt: skip
    matthew = {b.locator: b.text for b in doc.blocks if b.section == "Matthew"}
    # "1:2 Abraham begat Isaac; ... 1:3 And Judas begat ..." was one paragraph.
    assert [f"1:{n}" for n in range(1, 17)] == [v for v in matthew if v.startswith("1:")]
    assert matthew["1:2"].endswith("Jacob begat Judas and his brethren;")
    assert matthew["1:3"].startswith("And Judas begat Phares")
    # 6:23 goes on in a paragraph of its own that 6:24 then begins in.
    rest = "If therefore the light that is in thee be darkness, how great is that darkness!"
    assert matthew["6:23"].endswith(f"full of darkness. {rest}")
    assert matthew["6:24"].startswith("No man can serve two masters")


def test_a_book_with_an_older_name_is_named_by_its_own(corpus: Corpus) -> None:
    # "The First Book of Samuel / Otherwise Called: / The First Book of the Kings": the
    # verses were filed under the Kings, and the Samuel line quoted as a passage of Genesis.
    corpus.copy_fixture(BIBLE, "pg10.txt")
    sections = {b.section for b in corpus.read("pg10.txt").blocks}
    assert "1 Samuel" in sections and "1 Kings" not in sections


@pytest.mark.parametrize(
    ("title", "book"),
    [
        ("The First Book of Moses:  Called Genesis", "Genesis"),
        ("The Book of Psalms", "Psalms"),
        ("Ecclesiastes or, the Preacher", "Ecclesiastes"),
        ("The Song of Solomon", "Song of Solomon"),
        ("The Book of the Prophet Isaiah", "Isaiah"),
        ("The Lamentations of Jeremiah", "Lamentations"),
        ("The First Book of Samuel Otherwise Called The First Book of the Kings", "1 Samuel"),
        ("The Gospel According to Saint John", "John"),
        ("The Acts of the Apostles", "Acts"),
        ("The First Epistle of Paul the Apostle to the Corinthians", "1 Corinthians"),
        ("The Third Epistle General of John", "3 John"),
        ("The Revelation of Saint John the Divine", "Revelation"),
        ("The Old Testament of the King James Version of the Bible", "James"),
        ("A Preface to the Reader", ""),
    ],
)
def test_a_gutenberg_title_names_its_book_as_references_do(title: str, book: str) -> None:
    # The Bible's own title names James: above Matthew, the last title that names a book
    # is the book's, so "The Gospel According to Saint Matthew" heads Matthew.
    assert book_named(title) == book


def test_ecclesiastes_with_its_other_name_on_lines_of_its_own_is_ecclesiastes(
    corpus: Corpus,
) -> None:
    verses = (
        "1:1 The words of the Preacher, the son of David, king in Jerusalem.\n\n"
        "1:2 Vanity of vanities, saith the Preacher, vanity of vanities; all is vanity.\n\n"
        "1:3 What profit hath a man of all his labour which he taketh under the sun?\n\n"
        "1:4 One generation passeth away, and another generation cometh: but the earth\n"
        "abideth for ever.\n\n"
        "1:5 The sun also ariseth, and the sun goeth down, and hasteth to his place where\n"
        "he arose.\n"
    )
    corpus.write("eccl.txt", "Ecclesiastes\n\nor\n\nThe Preacher\n\n\n" + verses)
    assert {b.section for b in corpus.read("eccl.txt").blocks} == {"Ecclesiastes"}


def test_a_numbered_paragraph_of_an_essay_stays_prose(corpus: Corpus) -> None:
    corpus.write(
        "essay.txt",
        "On Proportion\n\nThe hall was drawn by an architect who loved plain numbers above all.\n\n"
        "1:2 was the ratio she chose for its floor, as wide as it was half long.\n\n"
        "Nobody who walked in ever noticed, and she liked it that way.\n",
    )
    blocks = corpus.read("essay.txt").blocks
    assert {b.kind for b in blocks} == {"text"} and {b.locator for b in blocks} == {""}
    assert any(b.text.startswith("1:2 was the ratio") for b in blocks)


def test_minutes_whose_paragraphs_open_with_the_time_stay_prose(corpus: Corpus) -> None:
    # "9:00", "10:30 a.m." opening most paragraphs were read as verses' numbers: the
    # minutes became verses 9:0 and 10:30, each quoted without its time ("a.m. The ...").
    times = ["9:00", "9:30", "10:30 a.m.", "11:15", "12:00"]
    said = ["Members arrived.", "The minutes were read.", "The treasurer reported.",
            "Mrs Hale spoke on bees.", "The meeting closed."]  # fmt: skip
    minutes = "\n\n".join(f"{time} {text}" for time, text in zip(times, said, strict=True))
    corpus.write("minutes.txt", f"Minutes of the Garden Club\n\n{minutes}\n")
    blocks = corpus.read("minutes.txt").blocks
    assert {b.kind for b in blocks} == {"text"}
    assert "10:30 a.m. The treasurer reported." in "\n".join(b.text for b in blocks)
