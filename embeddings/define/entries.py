"""Dictionary entries in the passages: where each begins and ends, and the forms of its
headword a reader may ask for."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from embeddings.ingest.dictionary import loose_headword, strict_headword
from embeddings.passages import Passage


def headword_forms(headword: str) -> list[str]:
    """The ways a reader may ask for a headword: "BABE or BABY" -> BABE, BABY;
    "TZETZE (or TSETSE) FLY" -> TZETZE FLY, TSETSE FLY, and the word that varies alone
    (TZETZE, TSETSE: what a reader asks); "CONFIDANT, CONFIDANTE"."""
    m = re.fullmatch(r"(.*?)\s*\(or\s+([^)]+)\)\s*(.*)", headword.strip())
    if m:
        if not m.group(3):
            return [m.group(1), m.group(2)]
        rest = f" {m.group(3)}"
        return [f"{m.group(1)}{rest}", f"{m.group(2)}{rest}", m.group(1), m.group(2)]
    parts = [p.strip() for p in re.split(r",\s+|\s+or\s+", headword) if p.strip()]
    return parts or [headword]


def dictionary_entries(passages: Sequence[Passage]) -> Iterator[tuple[int, int, int, str]]:
    """(passage id, start, end, headword) of every dictionary entry, with offsets of the
    entry's paragraph in the passage.

    An entry can sit inside a passage that starts with something else (a short line such
    as a verse's "G.J." attribution joins the entry after it), so the paragraphs of every
    passage of a dictionary are read, not only the passage's own `headword`.
    """
    dictionaries = {p.source for p in passages if p.kind == "entry"}
    for pid, p in enumerate(passages):
        if p.source not in dictionaries:
            continue
        pos = 0
        for para in p.text.split("\n\n"):
            start, pos = pos, pos + len(para) + 2
            if not para.strip():
                continue
            headword = p.headword if start == 0 and p.kind == "entry" else ""
            if not headword:
                first_line = para.split("\n", 1)[0].strip()
                headword = strict_headword(first_line) or loose_headword(para) or ""
            if headword:
                yield pid, start, start + len(para), headword
