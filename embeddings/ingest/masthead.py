"""What a document says of itself at its top: title, byline, author and date headings.

Maoist Internationalist Movement          <- masthead, dropped
Definition of sectarianism: ...           <- title
by [email protected], January 26, 2002    <- byline: the date; an e-mail is no author

## Hal Draper                              <- author heading
### (1973)                                 <- date heading
"""

from __future__ import annotations

import re

from embeddings.documents import DocumentMeta
from embeddings.ingest.dates import parse_date
from embeddings.ingest.pieces import EMPTY_META, Piece

_WINDOW = 8  # a masthead is in the first few pieces
_SUBSTANTIAL = 200  # a paragraph this long means the body has started
_DATE_TAIL = re.compile(
    r"(?:,|\s*[|·•–—])?\s+(?:on\s+)?(?P<date>(?:[A-Z][a-z]{2,8}\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4})"
    r"|(?:\d{1,2}\s+[A-Z][a-z]{2,8}\.?,?\s+\d{4})|(?:[A-Z][a-z]{2,8},?\s+\d{4})"
    r"|\(?\d{4}(?:-\d\d){0,2}\)?)\s*\.?$"
)
# The bare year alone: "Draper, 1973" also has the shape of a month and a year above, and a
# surname is no month, so a byline whose longer date does not parse tries this.
_YEAR_TAIL = re.compile(r"(?:,|\s*[|·•–—])?\s+\(?(?P<date>\d{4}(?:-\d\d){0,2})\)?\s*\.?$")
_BYLINE = re.compile(r"by\s+(?P<rest>\S.{0,150})", re.I | re.S)
# E-mail addresses, and what archiving leaves of them ("[email protected]").
_EMAIL = re.compile(r"\S+@\S+|\[?\s*e-?mail[\s\u00a0]*protected\s*\]?", re.I)
_NAME_WORD = re.compile(r"(?:[A-Z][\w'’.-]*|de|da|di|du|van|von|der|den|la|le|and|&)")


def read_masthead(pieces: list[Piece]) -> tuple[list[Piece], DocumentMeta]:
    """The pieces without their masthead, and the metadata the masthead gave."""
    pieces, author, date = _author_date_headings(pieces)
    pieces, meta = _byline(pieces)
    return pieces, DocumentMeta(
        title=meta.title, author=author or meta.author, date=date or meta.date
    )


def _top(pieces: list[Piece]) -> int:
    """How many leading pieces may belong to the masthead."""
    for i, piece in enumerate(pieces[:_WINDOW]):
        if not piece.is_heading and len(piece.text) >= _SUBSTANTIAL:
            return i
    return min(len(pieces), _WINDOW)


def looks_like_name(text: str) -> bool:
    words = text.split()
    if not 2 <= len(words) <= 6 or any(ch.isdigit() for ch in text):
        return False
    capitalised = sum(1 for w in words if w[0].isupper())
    return capitalised >= 2 and all(_NAME_WORD.fullmatch(w) for w in words)


def _author_date_headings(pieces: list[Piece]) -> tuple[list[Piece], str, str]:
    top = _top(pieces)
    for i in range(top - 1):
        name, when = pieces[i], pieces[i + 1]
        if not (name.is_heading and when.is_heading):
            continue
        date = parse_date(when.text)
        if date and looks_like_name(name.text):
            return pieces[:i] + pieces[i + 2 :], name.text.strip(), date
    return pieces, "", ""


def _byline(pieces: list[Piece]) -> tuple[list[Piece], DocumentMeta]:
    top = _top(pieces)
    for i in range(top):
        piece = pieces[i]
        if piece.is_heading or "\n" in piece.text:
            continue
        parsed = parse_byline(piece.text.strip())
        if parsed is None:
            continue
        author, date = parsed
        title = ""
        drop = {i}
        # The title sits just above the byline; a title does not end with a full stop.
        above = pieces[i - 1].text.strip() if i > 0 else ""
        if _short_line(above, 200) and not above.endswith("."):
            title = pieces[i - 1].text.strip()
            drop.add(i - 1)
            # Short lines above the title are the site's or publisher's name.
            drop.update(j for j in range(i - 1) if _short_line(pieces[j].text, 80))
        kept = [p for j, p in enumerate(pieces) if j not in drop]
        return kept, DocumentMeta(title=title, author=author, date=date)
    return pieces, EMPTY_META


def _short_line(text: str, limit: int) -> bool:
    text = text.strip()
    return bool(text) and "\n" not in text and len(text) < limit


def parse_byline(text: str) -> tuple[str, str] | None:
    """(author, ISO date) from "by NAME, DATE"; either may be empty. None if not a byline."""
    m = _BYLINE.fullmatch(text)
    if m is None:
        return None
    rest = m.group("rest").strip()
    date = ""
    for shape in (_DATE_TAIL, _YEAR_TAIL):
        tail = shape.search(rest)
        if tail is None:
            continue
        parsed = parse_date(tail.group("date"))
        if parsed:
            date = parsed
            rest = rest[: tail.start()].strip()
            break
    rest = rest.rstrip(",;.|·•–— ")
    if _EMAIL.fullmatch(rest):
        return ("", date) if date else None
    if not looks_like_name(rest) and not (len(rest.split()) == 1 and rest[:1].isupper()):
        return None
    return rest, date
