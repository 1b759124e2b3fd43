"""Document -> passages: the units that are embedded, searched and quoted.

Passages follow paragraphs. A paragraph longer than the model's input is cut at sentence
boundaries into consecutive windows that fit, so nothing is silently truncated before
embedding; fragments too short to quote alone join a neighbour. Every passage is a span
of `Document.text`, so its text is verbatim and the passages of a document cover it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import KW_ONLY, dataclass

from embeddings.documents import PART_SEPARATOR, Block, Document
from embeddings.sentences import is_signature, split_long, split_sentences

TokenCounter = Callable[[Sequence[str]], list[int]]


class CountMemo:
    """A `TokenCounter` that counts each distinct text once until `forget`: a reindex
    counts a document's paragraphs to cut it, then its passages (mostly those same
    paragraphs) to batch them for the encoder. Word-piece counting was a fifth of a build's
    work outside the model (bench/RESULTS.md, "A reindex's work outside the model")."""

    def __init__(self, count: TokenCounter) -> None:
        self._count = count
        self._known: dict[str, int] = {}

    def __call__(self, texts: Sequence[str]) -> list[int]:
        new = [t for t in dict.fromkeys(texts) if t not in self._known]
        if new:
            self._known.update(zip(new, self._count(new), strict=True))
        return [self._known[t] for t in texts]

    def forget(self) -> None:
        """Drop the counts: a document is done, and holding every text of a corpus would
        cost more memory than counting a repeated paragraph again."""
        self._known.clear()


# 2: a Project Gutenberg header's release date is no longer the work's date; its e-book
# number gives the link. 3: a fragment joined to the next verse is located "11:35–36".
# 4: Markdown footnotes defined on consecutive lines or named, Markdown tables, a plain
# text's title over its byline on adjacent lines, Gutenberg's _italics_, a sentence
# ending with a footnote marker, bylines parted by a bar, HTML banners and buttons, and
# title-cased headings and a file of verse alone in plain text, a Gutenberg subtitle.
# 5: a printed book's front matter (title page, imprint, edition history) left out.
# 6: a byline with a bare year ("by Hal Draper, 1973") is read as one.
# 7: a file of UTF-8 with a line of another encoding read line by line (it was read whole
# as cp1252); a work's link that Discord would refuse, and bidi controls in its title and
# author, left out; scripts and styles in Markdown left out, footnote syntax in its code
# blocks kept as written, and a leading "# Chapter" under a front matter title a section;
# an HTML <h1> after the text begins is a section, not the page's title; a Project
# Gutenberg START line quoted by a text that has no Gutenberg header drops nothing.
# 8: a passage keeps the headings that hold its own (`part`): Markdown's and HTML's by
# level, plain text's by their numbering.
# 9: a short line that signs the quotation above it ("John D. Rockefeller"), or says in
# brackets where it is from, joins that quotation, no longer the next one.
# 10: a plain text of numbered verses (Project Gutenberg's Bible) is read as verses, one a
# passage, each book under its usual name ("Matthew" for "The Gospel According to Saint
# Matthew").
# 11: a paragraph opening with the time ("9:00", "10:30 a.m. The treasurer ...") is no verse.
READER_VERSION = 11
# What a build's sentence table holds (embeddings/sentence_index.py). 2: a passage's
# closing signature or date line is no sentence of its own (sentences.is_attribution).
SENTENCE_RULES = 2
# What a build's vocabulary counts (embeddings/vocabulary.py; its file's layout is
# VOCABULARY_VERSION). 2: an entry's part of speech ("GOOD, adj.") is no word of it.
VOCABULARY_RULES = 2


@dataclass(frozen=True)
class ChunkParams:
    max_tokens: int = 254  # MiniLM's 256 word pieces less [CLS] and [SEP]
    min_words: int = 4  # fewer words than this cannot be quoted alone
    min_chars: int = 24

    def as_dict(self) -> dict[str, int]:
        return {
            "max_tokens": self.max_tokens,
            "min_words": self.min_words,
            "min_chars": self.min_chars,
            # What the readers take from a file, or what the sentence table or the
            # vocabulary holds, changed: a build made before reads every file again at its
            # next reindex, reusing the vectors of texts that did not change.
            "reader": READER_VERSION,
            "sentences": SENTENCE_RULES,
            "vocabulary": VOCABULARY_RULES,
        }


@dataclass(frozen=True)
class Passage:
    source: str  # the document's id (its path in the corpus)
    text: str
    start: int  # offsets in Document.text
    end: int
    section: str = ""
    # By name only from here on: a field added among them (`part`, before `kind`) silently
    # moved a positional "verse" into another field (tests/embeddings/test_verse_refs.py).
    _: KW_ONLY
    part: str = ""  # the headings that hold its section (Block.part)
    kind: str = "text"
    # Its line in the work's companion (embeddings/companion.py): searched, never quoted.
    companion: str = ""
    block: int = 0  # index of the paragraph it starts in: windows of one paragraph share it
    notes: tuple[str, ...] = ()
    headword: str = ""
    locator: str = ""
    note_id: str = ""

    @property
    def content_hash(self) -> str:
        """What the vector depends on: the text alone (the model is checked per index)."""
        return text_hash(self.text)


def heading_path(p: Passage) -> str:
    """Its section under the headings that hold it: "III. ... › 1. ... › A. Feudal
    Socialism"."""
    return f"{p.part}{PART_SEPARATOR}{p.section}" if p.part and p.section else p.section


def locator_range(first: str, last: str) -> str:
    """A range of locators: 6:33 and 6:34 give 6:33–34, 6:34 and 7:1 give 6:34–7:1."""
    if not first or not last or first == last:
        return first or last
    head, sep, _ = first.rpartition(":")
    if sep and last.startswith(head + ":"):
        return f"{first}–{last[len(head) + 1 :]}"
    return f"{first}–{last}"


def locator_ends(locator: str) -> tuple[str, str]:
    """The first and last locators of a range written by `locator_range` ("6:33–34" gives
    6:33 and 6:34); a single locator is both."""
    first, sep, last = locator.partition("–")
    if not sep:
        return first, first
    head, colon, _ = first.rpartition(":")
    if colon and ":" not in last:
        last = f"{head}:{last}"
    return first, last


def text_hash(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=12).hexdigest()


@dataclass
class _Piece:
    start: int
    end: int
    first_block: int
    last_block: int
    tokens: int


def chunk_document(doc: Document, count_tokens: TokenCounter, params: ChunkParams) -> list[Passage]:
    """Cut a document into passages (in document order)."""
    blocks = doc.blocks
    if not blocks:
        return []
    text = doc.text
    counts = count_tokens([b.text for b in blocks])
    pieces: list[_Piece] = []
    for i, (block, n) in enumerate(zip(blocks, counts, strict=True)):
        if n <= params.max_tokens:
            pieces.append(_Piece(block.start, block.end, i, i, n))
        else:
            pieces.extend(_windows(text, block, i, count_tokens, params.max_tokens))
    pieces = _join_fragments(pieces, blocks, text, params)
    return [_passage(doc, text, p) for p in pieces]


def _windows(
    text: str, block: Block, index: int, count_tokens: TokenCounter, limit: int
) -> list[_Piece]:
    """Consecutive sentence-aligned windows of one long paragraph, each within `limit`."""
    spans = [(block.start + s, block.start + e) for s, e in split_sentences(block.text)]
    counts = count_tokens([text[s:e] for s, e in spans])
    units: list[tuple[int, int, int]] = []
    for (s, e), n in zip(spans, counts, strict=True):
        if n <= limit:
            units.append((s, e, n))
        else:  # one sentence longer than the model's input: cut at clauses, then words
            for s2, e2 in split_long(text, s, e, lambda t: count_tokens([t])[0] <= limit):
                units.append((s2, e2, count_tokens([text[s2:e2]])[0]))
    windows: list[_Piece] = []
    cur: _Piece | None = None
    for s, e, n in units:
        # Word pieces of whitespace-separated text add up, so the sum is the window's count.
        if cur is not None and cur.tokens + n <= limit:
            cur.end = e
            cur.tokens += n
        else:
            cur = _Piece(s, e, index, index, n)
            windows.append(cur)
    return windows


# One line in brackets, of a few words: where the quotation above it comes from.
_SOURCE_NOTE = re.compile(r"\((?:[^()\s]+ ){0,11}[^()\s]+\)")


def _too_short(text: str, params: ChunkParams) -> bool:
    return len(text) < params.min_chars or len(text.split()) < params.min_words


def _joinable(a: Block, b: Block) -> bool:
    # A fragment joins a neighbour of the same section, and footnotes join only footnotes.
    same_place = a.section == b.section and a.part == b.part
    return same_place and (a.kind == "footnote") == (b.kind == "footnote")


def _join_fragments(
    pieces: list[_Piece], blocks: Sequence[Block], text: str, params: ChunkParams
) -> list[_Piece]:
    """A fragment joins the passage after it (a lead-in belongs to what follows), or the
    one before it when nothing can follow (a closing date line) or when it signs what is
    above it (a quotation's author on the line under it: "John D. Rockefeller")."""

    def short(p: _Piece) -> bool:
        return _too_short(text[p.start : p.end], params)

    def signs_above(p: _Piece) -> bool:
        line = text[p.start : p.end].strip()
        if blocks[p.first_block].kind == "verse":
            return False  # a verse in brackets is a verse ("(For we walk by faith ...)")
        # A name, not a title in capitals ("TO MY PET TORTOISE" leads into its verse), or
        # where the quotation above is from: "(in a funeral sermon over a British nobleman)".
        name = short(p) and is_signature(line) and not line.isupper()
        return name or bool(_SOURCE_NOTE.fullmatch(line))

    def can_join(a: _Piece, b: _Piece) -> bool:
        return a.tokens + b.tokens <= params.max_tokens and _joinable(
            blocks[a.last_block], blocks[b.first_block]
        )

    def merge(a: _Piece, b: _Piece) -> _Piece:
        return _Piece(a.start, b.end, a.first_block, b.last_block, a.tokens + b.tokens)

    out: list[_Piece] = []

    def settle(fragment: _Piece) -> None:
        if out and can_join(out[-1], fragment):
            out[-1] = merge(out[-1], fragment)
        else:
            out.append(fragment)  # nothing to join: quotable or not, it is kept

    carry: _Piece | None = None
    for p in pieces:
        if carry is not None:
            if can_join(carry, p):
                p = merge(carry, p)
            else:
                settle(carry)
            carry = None
        if out and signs_above(p) and can_join(out[-1], p):
            out[-1] = merge(out[-1], p)
        elif short(p):
            carry = p
        else:
            out.append(p)
    if carry is not None:
        settle(carry)
    return out


def _passage(doc: Document, text: str, p: _Piece) -> Passage:
    first, last = doc.blocks[p.first_block], doc.blocks[p.last_block]
    notes: list[str] = []
    for b in doc.blocks[p.first_block : p.last_block + 1]:
        notes.extend(n for n in b.notes if n not in notes)
    locator = locator_range(first.locator, last.locator)
    return Passage(
        source=doc.source,
        text=text[p.start : p.end],
        start=p.start,
        end=p.end,
        section=first.section,
        part=first.part,
        kind=first.kind,
        block=p.first_block,
        notes=tuple(notes),
        headword=first.headword,
        locator=locator,
        note_id=first.note_id,
    )
