"""What a reader produces: a cleaned document, its paragraphs and its footnotes.

Every reader (Markdown, plain text, HTML) returns a `Document`; everything downstream
(chunking, indexing, search, cards) works from these plain data classes only.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import KW_ONLY, dataclass, field, replace
from typing import Literal

BlockKind = Literal["text", "footnote", "entry", "verse"]

# Typed on a phone or pasted: curly apostrophes and quotes, dashes of every width.
_PLAIN = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "“": '"', "”": '"', "–": "-", "—": "-"})


def folded(name: str) -> str:
    """A name (a title, an author, a file) as names are compared: without case, accents,
    typographic apostrophes and quotes, or runs of spaces. "devil’s dictionary" names
    "The Devil's Dictionary", and "cafe" "Café"."""
    decomposed = unicodedata.normalize("NFKD", name.translate(_PLAIN).casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


_WORD = re.compile(r"\w+")


def names(typed: str, name: str) -> bool:
    """Whether what a reader typed names `name` (a title, an author, a file): the folded
    text inside it, or each of its words starting a word of it, in any order and whatever
    the punctuation. "devils dictionary" names "The Devil's Dictionary"; "Marx & Engels",
    "K. Marx" and "Engels, Friedrich" name "Karl Marx and Friedrich Engels"."""
    asked, hay = folded(typed), folded(name)
    if asked in hay:
        return True
    words = _WORD.findall(asked.replace("'", ""))
    among = _WORD.findall(hay.replace("'", ""))
    return bool(words) and all(any(w.startswith(t) for w in among) for t in words)


@dataclass(frozen=True)
class DocumentMeta:
    """Who wrote a work and where it comes from. Empty strings mean "unknown"."""

    title: str
    author: str = ""
    date: str = ""  # ISO-like where known ("2002-01-26", "1973"), else as printed
    url: str = ""
    collection: str = ""  # the work a file belongs to, when one work spans many files
    language: str = ""

    def merged_over(self, fallback: DocumentMeta) -> DocumentMeta:
        """Fill this metadata's empty fields from `fallback` (self is more specific)."""
        return DocumentMeta(
            title=self.title or fallback.title,
            author=self.author or fallback.author,
            date=self.date or fallback.date,
            url=self.url or fallback.url,
            collection=self.collection or fallback.collection,
            language=self.language or fallback.language,
        )


@dataclass(frozen=True)
class Block:
    """One paragraph of clean text, as a reader would quote it.

    `start`/`end` are offsets into `Document.text`. `notes` lists the footnote markers
    that occur in this block (keys of `Document.footnotes`). `headword` is set on
    dictionary/glossary entries ("CYNIC, n.  A blackguard ...") and `locator` on
    numbered units such as Bible verses ("1:3").
    """

    text: str
    section: str = ""
    _: KW_ONLY  # by name from here on, as in `Passage`: a field added among them moves none
    part: str = ""  # the headings that hold its section, outermost first, " › " between
    kind: BlockKind = "text"
    start: int = 0
    end: int = 0
    notes: tuple[str, ...] = ()
    headword: str = ""
    locator: str = ""
    note_id: str = ""  # on a footnote block: its marker ("2*")


@dataclass(frozen=True)
class Footnote:
    """A footnote and where it is referenced from.

    `anchor` is the text just before the marker in the referencing paragraph
    ("The sect-socialist"): the words the footnote explains.
    """

    marker: str
    text: str
    anchor: str = ""


@dataclass(frozen=True)
class Document:
    """A cleaned document. `text` is the blocks' texts joined by blank lines."""

    source: str  # path relative to the corpus folder, with forward slashes: the stable id
    meta: DocumentMeta
    blocks: tuple[Block, ...]
    footnotes: dict[str, Footnote] = field(default_factory=dict)
    links: tuple[str, ...] = ()  # URLs removed from the text, kept as metadata
    format: str = ""  # "markdown" | "text" | "html" | "gutenberg"

    @property
    def text(self) -> str:
        return BLOCK_SEPARATOR.join(b.text for b in self.blocks)

    @property
    def sections(self) -> list[str]:
        """Every heading, in reading order: those that hold others too ("III. ..." above
        "1. ...", with no paragraph of their own)."""
        seen: dict[str, None] = {}
        for b in self.blocks:
            for heading in [*b.part.split(PART_SEPARATOR), b.section] if b.part else [b.section]:
                if heading:
                    seen.setdefault(heading, None)
        return list(seen)


BLOCK_SEPARATOR = "\n\n"
PART_SEPARATOR = " › "  # between the headings of a part: "III. ... › 1. ..."


def chapter(locator: str) -> str:
    """ "6" of the locator "6:33" (or "6:33–34"); "" without a chapter."""
    head, sep, _ = locator.partition(":")
    return head if sep else ""


def with_offsets(blocks: list[Block]) -> tuple[Block, ...]:
    """Give each block its offsets in the text the blocks make when joined."""
    out: list[Block] = []
    pos = 0
    for b in blocks:
        out.append(replace(b, start=pos, end=pos + len(b.text)))
        pos += len(b.text) + len(BLOCK_SEPARATOR)
    return tuple(out)
