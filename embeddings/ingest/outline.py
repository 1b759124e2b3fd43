"""The headings above a point of a text: a passage is cited by its own heading and found
through the headings that hold it ("III. SOCIALIST AND COMMUNIST LITERATURE › 1.
REACTIONARY SOCIALISM" above "A. Feudal Socialism").

Markdown and HTML say each heading's level. Plain text does not, so a heading's numbering
tells it: a numbering not yet open nests under the heading above ("1." under "III.", "A."
under "1."), a numbering already open closes what it had opened ("B." after "A.", "IV."
after everything under "III."), and a heading without a number starts the outline again
and holds none that has one.
"""

from __future__ import annotations

import re

from embeddings.documents import PART_SEPARATOR

# Numberings: "III." (Roman), "1." (Arabic), "A." (a letter), and "Chapter 2" or "PART I"
# (a word: each word a numbering of its own, so "CHAPTER 1" nests under "BOOK I"). "I.",
# "V.", "C." may be a letter or a numeral: a letter only right after the letter before it
# ("I." after "H.").
_WORD = re.compile(r"(?i)(chapter|part|book|section|canto|act|scene)\s+[\dIVXLC]+\b")
_NUMBERINGS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("arabic", re.compile(r"\d+[.)]\s")),
    ("roman", re.compile(r"[IVXLC]+[.)]\s")),
    ("letter", re.compile(r"[A-Z][.)]\s")),
    ("roman-lower", re.compile(r"[ivxlc]+[.)]\s")),
    ("letter-lower", re.compile(r"[a-z][.)]\s")),
)


def numbering(heading: str, after: str = "") -> str:
    """The kind of number a plain-text heading opens with ("" for none); `after`: the
    letter heading open before it, if any ("H. ..." makes "I. ..." a letter)."""
    word = _WORD.match(heading)
    if word:
        return "word:" + word.group(1).lower()
    for name, pattern in _NUMBERINGS:
        if pattern.match(heading):
            if name.startswith("roman") and len(heading.split(".")[0].split(")")[0]) == 1:
                letter = heading[0]
                if after[:1] and ord(after[0]) == ord(letter) - 1:
                    return "letter" if letter.isupper() else "letter-lower"
            return name
    return ""


class Outline:
    """The open headings, outermost first, as a reader goes down the text."""

    def __init__(self, levelled: bool) -> None:
        self._levelled = levelled  # Markdown, HTML: a heading says its level
        self._open: list[tuple[int | str, str]] = []  # (level or numbering, heading)

    def enter(self, heading: str, level: int) -> None:
        if self._levelled:
            while self._open and int(self._open[-1][0]) >= level:
                self._open.pop()
            self._open.append((level, heading))
            return
        letters = [h for k, h in self._open if str(k).startswith("letter")]
        kind = numbering(heading, letters[-1] if letters else "")
        if not kind:
            self._open = []
        else:
            # A name without a number (a work's own, over its parts) holds no numbered
            # heading: "MANIFESTO OF THE COMMUNIST PARTY" above every chapter says nothing.
            self._open = [(k, h) for k, h in self._open if k]
            kinds = [k for k, _ in self._open]
            if kind in kinds:
                del self._open[kinds.index(kind) :]
        self._open.append((kind, heading))

    @property
    def part(self) -> str:
        """The headings that hold the innermost one ("" at the top level)."""
        return PART_SEPARATOR.join(h for _, h in self._open[:-1])

    @property
    def headings(self) -> list[str]:
        return [h for _, h in self._open]
