"""Project Gutenberg files: the header's metadata, and the text between the markers.

Title: News from Nowhere
       or An Epoch of Rest, ...        <- indented lines continue the title
Author: William Morris
Release Date: May 8, 2007  [eBook #3261]
***START OF THE PROJECT GUTENBERG EBOOK NEWS FROM NOWHERE***
Transcribed from the 1908 ... edition by David Price    <- credit, dropped
...the work...
End of the Project Gutenberg EBook of ...               <- dropped
*** END OF THIS PROJECT GUTENBERG EBOOK ... ***         <- licence follows, dropped
"""

from __future__ import annotations

import re

from embeddings.documents import DocumentMeta
from embeddings.ingest.languages import language_code
from embeddings.ingest.pieces import Piece

START = re.compile(r"^[ \t]*\*+[ \t]*START OF (?:THE|THIS) PROJECT GUTENBERG.*$", re.I | re.M)
END = re.compile(r"^[ \t]*\*+[ \t]*END OF (?:THE|THIS) PROJECT GUTENBERG.*$", re.I | re.M)
# Inside HTML the markers are not alone on their lines.
_START_ANYWHERE = re.compile(r"\*+\s*START OF (?:THE|THIS) PROJECT GUTENBERG", re.I)
_END_ANYWHERE = re.compile(r"\*+\s*END OF (?:THE|THIS) PROJECT GUTENBERG", re.I)
_FIELD = re.compile(
    r"^(?P<key>Title|Author|Release Date|Posting Date|Language):[ \t]*(?P<value>.*)$"
)
_EBOOK = re.compile(r"\[\s*e-?book\s*#\s*(\d+)\s*\]", re.IGNORECASE)
_CREDIT = re.compile(
    r"(?:produced|transcribed|prepared|scanned|proofread|e-?text|this e-?book|"
    r"html version|updated editions)\b|.*\bdistributed proofread",
    re.I,
)
_CREDIT_WINDOW = 3  # credits sit in the first paragraphs after START
_END_LINE = re.compile(r"end of (?:the |this )?project gutenberg", re.I)


# A Gutenberg file's START marker follows its header (the e-book's name, its "Title:" and
# "Author:" lines, a licence, long in old files) within the first tens of thousands of
# characters. A START line further down, or after text that is no such header, is a text
# quoting one: read as the marker, it dropped everything before it.
HEADER_MAX = 40_000
_HEADER_SIGN = re.compile(r"project gutenberg|^(?:Title|Author):", re.I | re.M)


def _start(text: str) -> re.Match[str] | None:
    start = START.search(text, 0, HEADER_MAX)
    if start is None or not _HEADER_SIGN.search(text, 0, start.start()):
        return None
    return start


def is_gutenberg(text: str) -> bool:
    return _start(text) is not None


def split(text: str) -> tuple[str, str]:
    """(header, body): what precedes the START marker, and what lies between the markers."""
    start = _start(text)
    if start is None:
        return "", text
    body = text[start.end() :]
    end = END.search(body)
    if end is not None:
        body = body[: end.start()]
    return text[: start.start()], body


def header_meta(header: str) -> DocumentMeta:
    """Title, author, the e-book's link and language from the header's "Key: value" lines."""
    fields: dict[str, str] = {}
    key = ""
    for line in header.split("\n"):
        m = _FIELD.match(line)
        if m is not None:
            key = m.group("key").lower()
            fields.setdefault(key, m.group("value").strip())
        elif key == "title" and line[:1].isspace() and line.strip():
            # A subtitle on a line of its own: "or An Epoch of Rest" runs on; "Being Notes
            # on ..." (a capital, no punctuation between) is set off as printed titles are.
            more = line.strip()
            run_on = more[:1].islower() or fields["title"].endswith((",", ":", ";", "—"))
            fields["title"] += (" " if run_on else ": ") + more
        else:
            key = ""
    # The release (or posting) date is the e-book's, not the work's: the Manifesto is not
    # of 2005. It is left unknown (a sidecar can give the work's date), and the line's
    # e-book number becomes the link a citation gives.
    released = fields.get("release date") or fields.get("posting date") or ""
    number = _EBOOK.search(released)
    return DocumentMeta(
        title=" ".join(fields.get("title", "").split()),
        author=" ".join(fields.get("author", "").split()),
        url=f"https://www.gutenberg.org/ebooks/{number.group(1)}" if number else "",
        language=language_code(fields.get("language", "")),
    )


def drop_credits(pieces: list[Piece]) -> list[Piece]:
    """Without the producers' credits after START and the "End of ..." line before END."""
    kept = list(pieces)
    start = 0
    while start < min(len(kept), _CREDIT_WINDOW) and _CREDIT.match(kept[start].text):
        start += 1
    kept = kept[start:]
    while kept and _END_LINE.match(kept[-1].text):
        kept.pop()
    return kept


# A printed book's front matter, before its text: the title page and the imprint, set in
# capitals ("NEWS FROM NOWHERE / OR / AN EPOCH OF REST"), "All rights reserved", and the
# edition's history, a line or two each with a year ("Kelmscott Press Edition, 1892.").
# Quoted, it answered "News from Nowhere" and "William Morris" before the book did.
_YEAR = re.compile(r"\b1[5-9]\d\d\b")
_RIGHTS = re.compile(r"all rights reserved\.?|copyright\b.*", re.I)
# Front matter is short: a title page in capitals up to 40 words, an edition's line up to
# 12 (25 when it lists several years); a first paragraph of text with a year is longer.
_CAPITALS_WORDS, _YEAR_WORDS, _YEARS_WORDS = 40, 12, 25


def drop_front_matter(pieces: list[Piece]) -> list[Piece]:
    """The pieces from the book's first text on: leading front matter goes, and so do
    headings left with nothing under them ("TENTH IMPRESSION")."""
    start = 0
    while start < len(pieces) and (pieces[start].is_heading or _front(pieces[start])):
        start += 1
    lead = [p for p in pieces[:start] if p.is_heading]
    # Of the headings above the text, the last one heads it; those before it, nothing.
    return lead[-1:] + pieces[start:]


def _front(piece: Piece) -> bool:
    text = piece.text.strip()
    if piece.kind != "text":
        return False
    words = len(text.split())
    letters = [ch for ch in text if ch.isalpha()]
    if letters and sum(ch.isupper() for ch in letters) >= 0.9 * len(letters):
        return words < _CAPITALS_WORDS
    years = len(_YEAR.findall(text))
    return (
        bool(_RIGHTS.fullmatch(text))
        or (years >= 1 and words < _YEAR_WORDS)
        or (years >= 2 and words < _YEARS_WORDS)
    )


# Project Gutenberg's plain texts print italics as _words_: typography, not the author's
# words, and shown as such in a quote ("(_Pignoramus intolerabilis_)"). Not inside a
# word (snake_case) and not across a paragraph.
_EMPHASIS = re.compile(r"(?<!\w)_(?=[^\s_])([^_]{1,300}?)(?<=[^\s_])_(?!\w)")


def plain_emphasis(pieces: list[Piece]) -> list[Piece]:
    """The pieces with _italics_ as their words alone."""
    for piece in pieces:
        if "_" in piece.text and not piece.verbatim:
            piece.text = _EMPHASIS.sub(r"\1", piece.text)
    return pieces


def trim_pieces(pieces: list[Piece]) -> tuple[list[Piece], DocumentMeta | None]:
    """For HTML: drop what precedes a START marker and follows an END marker.

    Returns the kept pieces, and the header's metadata when there was a START marker.
    """
    start = next((i for i, p in enumerate(pieces) if _START_ANYWHERE.search(p.text)), None)
    meta = None
    if start is not None:
        header = _START_ANYWHERE.split("\n".join(p.text for p in pieces[: start + 1]))[0]
        if len(header) > HEADER_MAX or not _HEADER_SIGN.search(header):
            start = None  # a page quoting a marker, as for plain text (`_start`)
    if start is not None:
        meta = header_meta(header)
        pieces = drop_credits(pieces[start + 1 :])
    end = next((i for i, p in enumerate(pieces) if _END_ANYWHERE.search(p.text)), None)
    if end is not None:
        pieces = pieces[:end]
    while pieces and _END_LINE.match(pieces[-1].text):
        pieces.pop()
    return pieces, meta
