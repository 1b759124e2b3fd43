"""Numbered verses ("1:1 In the beginning ..."), told apart the same way in every format,
and the books of the Bible that hold them.

HTML gives each verse a paragraph of its own. Project Gutenberg's plain text (e-book #10)
runs several into one paragraph ("1:2 Abraham begat Isaac; ... 1:3 And Judas begat ..."),
breaks a verse into two paragraphs now and then, and heads each book with its long title
("The Gospel According to Saint Matthew"), which a reference does not type: the book is
named here as references name it ("Matthew"), so "Matthew 6:34" and a title of "Matthew"
find it (embeddings/verse_refs.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from embeddings.ingest.pieces import ENDS_A_CLAUSE, Piece

# A verse's number: never verse 0 nor "05", and no time ("9:00", "10:30 a.m."; "Am I a
# God at hand" is Jeremiah 23:23): minutes whose paragraphs open with the hour are prose.
_NUMBER = (
    r"(?P<chapter>\d{1,3}):(?P<verse>[1-9]\d{0,2})\s+"
    r"(?![ap]\.m\.|[AP]\.M\.|[ap]m\b|[AP]M\b)"
)
VERSE = re.compile(rf"{_NUMBER}(?P<text>\S.*)", re.S)
MIN_VERSES = 5
# A verse's number inside a paragraph, after a space: "... and his brethren; 1:3 And ...".
_MARKER = re.compile(rf"(?<!\S){_NUMBER}(?=\S)")
_TITLE_CHARS = 90  # a title above a book is a line of its own, no longer than a heading
_TITLE_LEVEL = 2  # the plain-text reader's headings' level
# "The First Book of Samuel / Otherwise Called: / The First Book of the Kings": the line
# after the link is the book's older name, not a book of its own.
_ALIAS_LINK = re.compile(r"(?:.*\bcalled:|or,?)", re.I)


def numbered_verses(pieces: list[Piece]) -> list[tuple[Piece, re.Match[str]]] | None:
    """The paragraphs that open with a verse's number, each with its match, when the text
    is made of verses: a few of them, or most (one "10:30 ..." paragraph is a time); None
    when it is not."""
    paragraphs = [p for p in pieces if _is_paragraph(p)]
    found = [(p, m) for p in paragraphs if (m := VERSE.fullmatch(p.text)) is not None]
    made_of_verses = len(found) >= MIN_VERSES or 2 * len(found) > len(paragraphs)
    return found if made_of_verses else None


# The 66 books in the order of the King James Bible, by the names references use.
BOOKS = (
    "Genesis", "Exodus", "Leviticus", "Numbers", "Deuteronomy", "Joshua", "Judges", "Ruth",
    "1 Samuel", "2 Samuel", "1 Kings", "2 Kings", "1 Chronicles", "2 Chronicles", "Ezra",
    "Nehemiah", "Esther", "Job", "Psalms", "Proverbs", "Ecclesiastes", "Song of Solomon",
    "Isaiah", "Jeremiah", "Lamentations", "Ezekiel", "Daniel", "Hosea", "Joel", "Amos",
    "Obadiah", "Jonah", "Micah", "Nahum", "Habakkuk", "Zephaniah", "Haggai", "Zechariah",
    "Malachi", "Matthew", "Mark", "Luke", "John", "Acts", "Romans", "1 Corinthians",
    "2 Corinthians", "Galatians", "Ephesians", "Philippians", "Colossians",
    "1 Thessalonians", "2 Thessalonians", "1 Timothy", "2 Timothy", "Titus", "Philemon",
    "Hebrews", "James", "1 Peter", "2 Peter", "1 John", "2 John", "3 John", "Jude",
    "Revelation",
)  # fmt: skip
_ORDINALS = {"first": "1", "second": "2", "third": "3", "1": "1", "2": "2", "3": "3"}
# A book's name without its number, as lower-case words: ("song", "of", "solomon").
_NAMES = {tuple(name.lower().lstrip("123 ").split()) for name in BOOKS}


def book_named(title: str) -> str:
    """The book a title names, by its usual name ("" for none): the first book's name in it,
    numbered by the ordinal before it. "The First Book of Moses: Called Genesis" is
    Genesis, "The Lamentations of Jeremiah" Lamentations, "The Third Epistle General of
    John" 3 John, "The Revelation of Saint John the Divine" Revelation."""
    words = re.findall(r"[^\W\d_]+|\d", title.casefold())
    for i in range(len(words)):
        for name in _NAMES:
            if tuple(words[i : i + len(name)]) != name:
                continue
            base = " ".join(w.capitalize() if w != "of" else w for w in name)
            number = next((_ORDINALS[w] for w in words[:i] if w in _ORDINALS), "")
            if f"{number} {base}" in BOOKS:
                return f"{number} {base}"
            if base in BOOKS:
                return base
    return ""


def read_verses(pieces: list[Piece]) -> list[Piece]:
    """A plain text's numbered verses as verse pieces, one a verse, each book under a
    heading that names it; the pieces as they were when the text is not made of verses
    (the rule HTML's verses keep to, and in each section most of its paragraphs)."""
    in_verses = _verse_sections(pieces)
    if not any(in_verses):
        return pieces
    out: list[Piece] = []
    pending: list[tuple[Piece, bool]] = []  # since the last verse: titles, or a verse's rest
    last: Piece | None = None
    after: tuple[int, int] | None = None
    for piece, verses_here in zip(pieces, in_verses, strict=True):
        lead, verses = (
            split_verses(piece.text, after) if verses_here and _is_paragraph(piece) else ("", [])
        )
        if not verses:
            pending.append((piece, verses_here))
            continue
        begins = not lead and verses[0].number == (1, 1)
        out.extend(_settle(pending, last, book_begins=begins))
        pending = []
        if lead:
            out.extend(_continue(last, lead, piece))
        for verse in verses:
            last = Piece(verse.text, kind="verse", locator=f"{verse.chapter}:{verse.verse}")
            out.append(last)
        after = verses[-1].number
    out.extend(piece for piece, _ in pending)  # after the last verse: the text's, not a verse's
    return out


@dataclass(frozen=True)
class Verse:
    chapter: int
    verse: int
    text: str

    @property
    def number(self) -> tuple[int, int]:
        return self.chapter, self.verse


def split_verses(text: str, after: tuple[int, int] | None = None) -> tuple[str, list[Verse]]:
    """A paragraph's text before its first verse, and its verses. A number inside the
    paragraph is a verse's only when it comes after the one before (`after`, the verse
    that ended the paragraph above): the next verse, or the next chapter's first."""
    text = " ".join(text.split())
    cuts: list[tuple[int, int, int, int]] = []  # marker's start, text's start, chapter, verse
    for m in _MARKER.finditer(text):
        number = int(m["chapter"]), int(m["verse"])
        if m.start() == 0 or _follows(number, after):
            cuts.append((m.start(), m.end(), *number))
            after = number
    if not cuts:
        return text, []
    ends = [start for start, *_ in cuts[1:]] + [len(text)]
    verses = [
        Verse(chapter, verse, text[begin:end].strip())
        for (_, begin, chapter, verse), end in zip(cuts, ends, strict=True)
    ]
    return text[: cuts[0][0]].strip(), verses


def _follows(number: tuple[int, int], after: tuple[int, int] | None) -> bool:
    if after is None:
        return False
    (chapter, verse), (before_chapter, before_verse) = number, after
    same = chapter == before_chapter and verse > before_verse
    return same or (chapter == before_chapter + 1 and verse == 1)


def _verse_sections(pieces: list[Piece]) -> list[bool]:
    """For each piece, whether its section is verses: the text is (HTML's rule), and most
    paragraphs of the section open with a verse's number."""
    if numbered_verses(pieces) is None:
        return [False] * len(pieces)
    flags: list[bool] = []
    for section in _sections(pieces):
        texts = [p for p in section if _is_paragraph(p)]
        verses = sum(1 for p in texts if VERSE.fullmatch(p.text))
        flags.extend([2 * verses > len(texts)] * len(section))
    return flags


def _sections(pieces: list[Piece]) -> Iterator[list[Piece]]:
    section: list[Piece] = []
    for piece in pieces:
        if piece.is_heading and section:
            yield section
            section = []
        section.append(piece)
    if section:
        yield section


def _is_paragraph(piece: Piece) -> bool:
    return not piece.is_heading and piece.kind == "text"


def _settle(
    pending: list[tuple[Piece, bool]], last: Piece | None, *, book_begins: bool
) -> list[Piece]:
    """What lay between two verses. Above a book's first verse, its lines are titles
    (a table of contents, the testament, the book's title and older name): headings, the
    last that names a book named for it and put last, so it is the section of the verses.
    Elsewhere a paragraph of a verse section is the rest of the verse before it."""
    out: list[Piece] = []
    book: tuple[int, str] | None = None  # where in `out` the book's title is, and its name
    alias = False
    for piece, verses_here in pending:
        if book_begins and _is_title(piece):
            if alias:
                alias = False  # the book's older name: "The First Book of the Kings"
                continue
            alias = bool(_ALIAS_LINK.fullmatch(piece.text.strip()))
            if not alias:
                named = book_named(piece.text)
                book = (len(out), named) if named else book
                out.append(Piece(piece.text, heading=piece.heading or _TITLE_LEVEL))
        elif verses_here and _is_paragraph(piece):
            out.extend(_continue(last, piece.text, piece))
        else:
            out.append(piece)
    if book is not None:
        at, named = book
        out.append(Piece(named, heading=out.pop(at).heading))
    return out


def _continue(last: Piece | None, text: str, piece: Piece) -> list[Piece]:
    """The rest of the verse before, joined to it; a piece of its own before any verse."""
    if last is None:
        return [Piece(text, heading=piece.heading, kind=piece.kind)]
    last.text = f"{last.text} {' '.join(text.split())}"
    return []


def _is_title(piece: Piece) -> bool:
    text = piece.text.strip()
    if piece.is_heading:
        return True
    one_line = "\n" not in text and len(text) <= _TITLE_CHARS
    return piece.kind == "text" and one_line and not ENDS_A_CLAUSE.search(text)
