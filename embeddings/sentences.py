"""Sentence boundaries, as character spans, for chunking long paragraphs and highlighting.

A regex splitter is enough for edited prose; the care goes into not splitting after
abbreviations and initials ("Mr.", "e.g.", "M. Friedman", "U.S."), which would cut a
quote in the middle of a sentence.
"""

from __future__ import annotations

import re
from collections.abc import Callable

# Lower-cased, without the final period.
_ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "st",
        "jr",
        "sr",
        "prof",
        "rev",
        "gen",
        "col",
        "capt",
        "lt",
        "sgt",
        "mt",
        "ft",
        "vs",
        "etc",
        "eg",
        "ie",
        "cf",
        "al",
        "viz",
        "no",
        "nos",
        "vol",
        "vols",
        "ch",
        "chap",
        "p",
        "pp",
        "ed",
        "eds",
        "trans",
        "fig",
        "esp",
        "approx",
        "dept",
        "est",
        "inc",
        "ltd",
        "co",
        "corp",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
    ]
)

# A candidate boundary: terminal punctuation, optional closing quotes/brackets, a
# footnote marker the sentence ends with ("own rules.[1] Pastures"), whitespace.
_BOUNDARY = re.compile(
    r"""[.!?…]+["'”’)\]]*(?:\[(?:\d{1,3}\*?|\*{1,3}|[a-z])\]|\{\d{1,3}\})?(?=\s+)"""
)
_NEXT_START = re.compile(r"""\s+["'“‘(\[]*(\S)""")


def _is_abbreviation(text: str, end: int) -> bool:
    """Does the period ending at `end` close an abbreviation or an initial?"""
    m = re.search(r"([A-Za-z][A-Za-z.]*)\.$", text[:end])
    if not m:
        return False
    word = m.group(1)
    if len(word) == 1 and word.isupper():
        return True  # an initial: "M. Friedman"
    if "." in word:
        return True  # "e.g", "U.S"
    return word.lower() in _ABBREVIATIONS


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Spans `(start, end)` of the sentences of `text`, covering all its non-space text."""
    spans: list[tuple[int, int]] = []
    start = 0
    n = len(text)
    while start < n and text[start].isspace():
        start += 1
    for m in _BOUNDARY.finditer(text):
        end = m.end()
        if end <= start:
            continue
        nxt = _NEXT_START.match(text, end)
        if nxt is None:
            continue
        first = nxt.group(1)
        # A new sentence starts with a capital, a digit or an opening quote; a lower-case
        # word after a period is more likely an abbreviation ("cf. the text").
        if not (first.isupper() or first.isdigit()):
            continue
        if text[end - 1] == "." and _is_abbreviation(text, end):
            continue
        spans.append((start, end))
        start = nxt.start(1)
        # keep opening quotes/brackets with the sentence they open
        while start > end and text[start - 1] in "\"'“‘([":
            start -= 1
    tail_end = len(text.rstrip())
    if start < tail_end:
        spans.append((start, tail_end))
    return spans


# A line that signs or dates what stands above it: initials ("G.J."), a name ("Jamrach
# Holobom", "(Old play)"), a date ("October 1973"); no sentence's closing punctuation.
_INITIALS = re.compile(r"(?:[A-Z]\.\s?){1,4}")
_SIGNATURE_MAX_WORDS = 4


def is_attribution(text: str, start: int, end: int) -> bool:
    """Whether `text[start:end]`, a passage's last sentence, is the line that signs or dates
    what is above it, set off by a blank line: it reads as a sentence of its own, says
    nothing, and was highlighted ("G.J." under a verse of the Devil's Dictionary)."""
    before = text[:start]
    if before[len(before.rstrip()) :].count("\n") < 2:  # not set off by a blank line
        return False
    return is_signature(text[start:end])


def is_signature(line: str) -> bool:
    """Whether `line` has the shape of a line that signs or dates: a name, initials or a
    date of a few words, without a sentence's closing punctuation."""
    line = line.strip()
    core = line.strip("\"'“”‘’()[]")
    if not core or "\n" in line or len(core.split()) > _SIGNATURE_MAX_WORDS:
        return False
    if _INITIALS.fullmatch(core):
        return True
    # No closing punctuation ("Pray without ceasing." is a verse), a capital or a digit first.
    return core[-1].isalnum() and (core[0].isupper() or core[0].isdigit())


def scored_sentences(text: str) -> list[tuple[int, int]]:
    """The sentences a passage is scored and highlighted by: `split_sentences`, less a
    closing attribution line (`is_attribution`) when other sentences remain."""
    spans = split_sentences(text)
    if len(spans) > 1 and is_attribution(text, *spans[-1]):
        return spans[:-1]
    return spans


_CLAUSE = re.compile(r"[;:,—–]\s+|\s+--\s+|--")


def split_long(
    text: str, start: int, end: int, fits: Callable[[str], bool]
) -> list[tuple[int, int]]:
    """Split `text[start:end]` into consecutive spans for which `fits(span_text)` is true.

    Used when a single sentence exceeds the model's input: cut at clause punctuation
    first, then between words.
    """
    pieces: list[tuple[int, int]] = []
    cuts = [m.end() + start for m in _CLAUSE.finditer(text[start:end])]
    boundaries = [start, *[c for c in cuts if start < c < end], end]
    # Merge clause pieces greedily while they fit.
    cur = boundaries[0]
    i = 1
    while i < len(boundaries):
        j = i
        while j + 1 < len(boundaries) and fits(text[cur : boundaries[j + 1]]):
            j += 1
        if fits(text[cur : boundaries[j]]):
            pieces.append((cur, boundaries[j]))
        else:
            pieces.extend(_split_words(text, cur, boundaries[j], fits))
        cur = boundaries[j]
        i = j + 1
    return pieces


def _split_words(
    text: str, start: int, end: int, fits: Callable[[str], bool]
) -> list[tuple[int, int]]:
    words = [m.start() + start for m in re.finditer(r"\S+", text[start:end])]
    pieces: list[tuple[int, int]] = []
    cur = prev = start
    # Candidate cuts: before each word after the first, and the end itself (so the last
    # piece is checked too). A single word that does not fit stays whole.
    for cut in [*words[1:], end]:
        if prev > cur and not fits(text[cur:cut]):
            pieces.append((cur, prev))
            cur = prev
        prev = cut
    pieces.append((cur, end))
    return pieces
