"""A query that names verses ("John 3:16", "1 Cor 13:4-7", "Ps 23"): the passages it
names, looked up, not searched.

Why: a reader who types a reference wants that verse. Searched as words, "John 3:16"
found "There was a man sent from God, whose name was John" (John 1:6). Any work whose
passages are verses (kind "verse", a "chapter:verse" locator, the book as their section)
is read this way, so a server's own scripture is too; a query that names no book of the
corpus is searched as before.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol, TypeVar

from embeddings.errors import NoSuchVerse
from embeddings.passages import Passage, locator_ends, locator_range
from embeddings.store import DocumentRecord

_T = TypeVar("_T")

# Book, chapter, then optionally a verse or a range of verses, or a range of chapters.
# "John chapter 3 verse 16", "Jn 3.16", "john 3 16" (as a phone types it), "1 Cor. 13:4–7",
# "Psalm 23", "Genesis 1-2" (or, in a book of one chapter, "Jude 24-25": verses).
_REFERENCE = re.compile(
    r"^\s*(?P<book>(?:[1-3]|i{1,3}|first|second|third)?\s*[^\W\d_][^\W\d_ .]*"
    r"(?:\s+(?!chapter\b|ch\b)(?:of\s+)?[^\W\d_]+)*)\.?"
    r"\s+(?:chapter\s+|ch\.?\s*)?(?P<chapter>\d{1,3})"
    r"(?:\s*[-–—]\s*(?P<through>\d{1,3})"
    r"|\s*(?:[:.,]|\s+verses?\s+|\s*vv?\.?\s*|\s)\s*(?P<first>\d{1,3})"
    r"(?:\s*[-–—]\s*(?P<last>\d{1,3}))?)?\s*$",
    re.IGNORECASE,
)
_ORDINALS = {"i": "1", "ii": "2", "iii": "3", "first": "1", "second": "2", "third": "3"}
# A number before a book's name: a digit, or a Roman numeral or an ordinal as a word of
# its own ("I Cor", not the "I" of "Isaiah").
_NUMBERED = re.compile(
    r"^(?:(?P<n>[1-3])\s*|(?P<word>iii|ii|i|first|second|third)\s+)(?P<rest>.+)$"
)
# Abbreviations that are not the start of the book's name (or start two names).
_ALIASES = {
    "jn": "john",
    "jhn": "john",
    "mt": "matthew",
    "mk": "mark",
    "mrk": "mark",
    "lk": "luke",
    "ps": "psalms",
    "psa": "psalms",
    "psalm": "psalms",
    "pss": "psalms",
    "dt": "deuteronomy",
    "ex": "exodus",
    "jas": "james",
    "jdg": "judges",
    "kgs": "kings",
    "sng": "songofsolomon",
    "songofsongs": "songofsolomon",
    "canticles": "songofsolomon",
    "phil": "philippians",
    "php": "philippians",
    "phlm": "philemon",
    "philem": "philemon",
    "ezk": "ezekiel",
    "revelations": "revelation",
    "thess": "thessalonians",
}
MIN_PREFIX = 3  # "Gen", "Rom": two letters start too many books ("Jo": five)


@dataclass(frozen=True)
class VerseRef:
    book: str  # as typed
    chapter: int
    first: int = 0  # 0: the whole chapter
    last: int = 0
    through: int = 0  # the last chapter of a range of whole chapters (0: one chapter)


class Readable(Protocol):
    """What the lookup reads: an index, or a server's merged view of several."""

    @property
    def documents(self) -> Sequence[DocumentRecord]: ...

    @property
    def passages(self) -> Sequence[Passage]: ...

    def derived(self, make: Callable[[Any], _T]) -> _T: ...


def parse(query: str) -> VerseRef | None:
    """The reference a query is, or None for anything else."""
    m = _REFERENCE.match(query)
    if m is None:
        return None
    first = int(m["first"] or 0)
    last = int(m["last"] or first)
    if last < first or (m["first"] is not None and first == 0):  # no verse 0
        return None
    chapter, through = int(m["chapter"]), int(m["through"] or 0)
    if through and not 0 < chapter < through:  # no chapter 0, nor a range backwards
        return None
    return VerseRef(m["book"].strip(), chapter, first, last, through)


@dataclass(frozen=True)
class Found:
    """The passages a reference names, in order; none when the book has no such chapter
    or verse."""

    ref: VerseRef
    book: str  # the book's name as the corpus writes it ("Psalms" for "Ps")
    ids: list[int]  # among the passages allowed
    chapters: int  # how many chapters the book has
    verses: int  # how many verses the chapter named has (0: no such chapter)
    exists: bool = True  # the book has the verses, allowed or not

    def missing(self) -> NoSuchVerse:
        """What a reference to verses the book lacks is told: of a range of chapters, the
        chapters the book has, and the verse the range may mean if its first chapter has it."""
        ref = self.ref
        if not ref.through:
            return NoSuchVerse(self.named, self.book, ref.chapter, self.chapters, self.verses)
        meant = f"{self.book} {ref.chapter}:{ref.through}" if ref.through <= self.verses else ""
        return NoSuchVerse(self.named, self.book, ref.chapter, self.chapters, 0, meant)

    @property
    def named(self) -> str:
        """The reference as the corpus would write it: "Psalms 23", "John 3:16–17"."""
        ref = self.ref
        if ref.through:
            return f"{self.book} {ref.chapter}–{ref.through}"
        if ref.first == 0:
            return f"{self.book} {ref.chapter}"
        verses = locator_range(f"{ref.chapter}:{ref.first}", f"{ref.chapter}:{ref.last}")
        return f"{self.book} {verses}"


def lookup(index: Readable, query: str, allowed: Iterable[int] | None = None) -> Found | None:
    """What a query that names verses of a book of the index finds; None when the query
    is no reference or names no book here (search it instead)."""
    ref = parse(query)
    if ref is None:
        return None
    parts = book_parts(index, ref.book)
    if not parts:
        return None
    keep = None if allowed is None else set(allowed)
    found = _collect(parts, index, ref, keep)
    if found.chapters == 1 and ref.first == 0 and (ref.chapter > 1 or ref.through):
        # A book of one chapter is cited by its verse alone: "Jude 25" is Jude 1:25, and
        # "Jude 24-25" its last two verses.
        verses = VerseRef(ref.book, 1, ref.chapter, ref.through or ref.chapter)
        found = _collect(parts, index, verses, keep)
    elif ref.through > found.chapters:
        # "Ruth 3-9" names chapters Ruth lacks: said so, not shown as its chapters 3-4
        # (the verses of chapter 3 kept: Ruth 3:9 is what it may mean).
        found = replace(found, ids=[], exists=False)
    return found


def _collect(parts: list[Book], index: Readable, ref: VerseRef, keep: set[int] | None) -> Found:
    ids: list[int] = []
    chapters = verses = 0
    exists = False
    for part in parts:
        for pid in part.ids:
            locator = index.passages[pid].locator
            last = _chapter_verse(locator_ends(locator)[1])
            if last is None:
                continue
            chapters = max(chapters, last[0])
            if last[0] == ref.chapter:
                verses = max(verses, last[1])
            if _within(locator, ref):
                exists = True
                if keep is None or pid in keep:
                    ids.append(pid)
    return Found(ref, parts[0].name, ids, chapters, verses, exists)


def verses_in(locator: str) -> int:
    """How many verses a passage holds: 1, or more for verses joined ("11:35–36" is 2)."""
    first, last = (_chapter_verse(end) for end in locator_ends(locator))
    if first is None or last is None or first[0] != last[0]:
        return 1 if first == last else 2  # across a chapter's end: its two verses at least
    return last[1] - first[1] + 1


def _key(name: str) -> str:
    """A book's name compared without case, spaces or dots: "1 Corinthians" is
    "1corinthians", "I Cor." is "1cor"."""
    name = name.casefold().replace(".", " ").strip()
    m = _NUMBERED.match(name)
    if m is not None:
        name = (m["n"] or _ORDINALS[m["word"]]) + m["rest"]
    return re.sub(r"\s+", "", name)


@dataclass(frozen=True)
class Book:
    """A book's passages in one file: the whole file, or in a file of several books the
    verses under its heading."""

    name: str  # as the corpus writes it
    doc: DocumentRecord
    ids: range


def _books(index: Readable) -> dict[str, list[Book]]:
    """The books of the index (`_find_books`), found once an index: a Bible in one file is
    split into books by reading each of its verses, too slow for every query."""
    return index.derived(_find_books)


def _find_books(index: Readable) -> dict[str, list[Book]]:
    """The books of the index, by key: a document whose first passage is a verse, named by
    that verse's section (a book of a collection) or else by its own title, or each book of
    a document of several. A book split over several files has them all."""
    books: dict[str, list[Book]] = {}
    for doc in index.documents:
        if doc.count == 0:
            continue
        first = index.passages[doc.first]
        if first.kind != "verse" or ":" not in first.locator:
            continue
        # No heading but its first verse's (the split corpus): one book, read no further.
        whole = [Book(book_name(index, doc), doc, range(doc.first, doc.first + doc.count))]
        parts = [] if set(doc.sections) <= {first.section} else _by_heading(index, doc)
        for book in parts if len(parts) > 1 else whole:
            if book.name:
                books.setdefault(_key(book.name), []).append(book)
    return books


def _by_heading(index: Readable, doc: DocumentRecord) -> list[Book]:
    """The books of a file of several, each under its heading: a book begins where the
    section changes at a verse 1:1 ("BOOK II" of the Psalms, at 42:1, begins none). Verses
    under no heading are no book: the file's title may be the first book's or the Bible's."""
    end = doc.first + doc.count
    starts = [doc.first]
    for pid in range(doc.first + 1, end):
        passage = index.passages[pid]
        begins = _chapter_verse(locator_ends(passage.locator)[0]) == (1, 1)
        if begins and passage.section != index.passages[pid - 1].section:
            starts.append(pid)
    return [
        Book(index.passages[start].section, doc, range(start, stop))
        for start, stop in zip(starts, [*starts[1:], end], strict=True)
    ]


def book_parts(index: Readable, typed: str) -> list[Book]:
    """The passages of the one book `typed` names as a reference would ("1 Cor", "Gen"),
    file by file; none for a name of no book here, or of several."""
    books = _books(index)
    return books.get(_book_key(typed, books), [])


def book_names(index: Readable) -> list[str]:
    """The books of the index, by their names as the corpus writes them, in its order."""
    return [parts[0].name for parts in _books(index).values()]


def book_name(index: Readable, doc: DocumentRecord) -> str:
    return index.passages[doc.first].section or doc.meta.title


def _book_key(typed: str, books: dict[str, list[Book]]) -> str:
    """The key of the one book `typed` names: its name, an abbreviation of it, or the
    start of exactly one book's name; "" for none or several."""
    key = _key(typed)
    number, letters = re.match(r"^([1-3]?)(.*)$", key).groups()  # type: ignore[union-attr]
    key = number + _ALIASES.get(letters, letters)
    if key in books:
        return key
    if len(letters) < MIN_PREFIX:
        return ""
    starting = [b for b in books if b.startswith(key)]
    return starting[0] if len(starting) == 1 else ""


def _within(locator: str, ref: VerseRef) -> bool:
    """Whether a passage's locator ("3:16", or "11:35–36" for verses joined) overlaps the
    reference."""
    ends = [_chapter_verse(end) for end in locator_ends(locator)]
    if any(end is None for end in ends):
        return False
    (c1, v1), (c2, v2) = ends  # type: ignore[misc]
    if ref.first == 0:
        return c1 <= (ref.through or ref.chapter) and ref.chapter <= c2
    return (c1, v1) <= (ref.chapter, ref.last) and (ref.chapter, ref.first) <= (c2, v2)


def _chapter_verse(locator: str) -> tuple[int, int] | None:
    chapter, sep, verse = locator.partition(":")
    if not sep or not chapter.isdigit() or not verse.isdigit():
        return None
    return int(chapter), int(verse)
