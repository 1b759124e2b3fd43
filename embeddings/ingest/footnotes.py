"""Footnote markers, footnote definitions, and the words each footnote explains.

Readers leave markers in the text in a plain form: "[2*]", "[1]", or "{1}" as
Gutenberg prints them. Here definitions ("[2*] We use this awkward term ...") become
footnote blocks, referencing blocks list their markers in `notes`, and each footnote
gets the words before its first marker as its `anchor`.
"""

from __future__ import annotations

import re
from dataclasses import replace

from embeddings.documents import Block, Footnote

_MARKER = r"\d{1,3}\*?|\*{1,3}|[a-z]"
REFERENCE = re.compile(rf"\[(?P<b>{_MARKER})\]|\{{(?P<c>\d{{1,3}})\}}")
_DEFINITION = re.compile(
    rf"(?:\[(?P<b>{_MARKER})\.?\]|\{{(?P<c>\d{{1,3}})\}}|(?P<n>\d{{1,3}}\*?)[.)])\s+(?P<text>\S.*)",
    re.S,
)
# Link or superscript texts that are footnote markers: "[2*]", "2*.", "\[1\]", "1".
_MARKER_TEXT = re.compile(rf"\[?\s*({_MARKER})\s*\.?\s*\]?")
NOTES_HEADING = re.compile(
    r"(?:foot|end)?notes?\b.*|notes?\s+on\b.*|references|sources", re.I | re.S
)
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+|\n")
# Periods that do not end a sentence: initials and common abbreviations.
_ABBREVIATION = re.compile(
    r"(?:\b[A-Z]|\b(?:Mr|Mrs|Ms|Dr|St|Prof|Rev|vs|etc|cf|viz|ibid|op|No|pp?|vol|ch|ed|e\.g|i\.e))\.$"
)
_MAX_ANCHOR = 600


def marker_id(text: str) -> str | None:
    """The footnote id a link or superscript text stands for ("\\[2\\*\\]" -> "2*"), if any."""
    m = _MARKER_TEXT.fullmatch(text.replace("\\", "").strip())
    return m.group(1) if m else None


def is_notes_heading(text: str) -> bool:
    return NOTES_HEADING.fullmatch(text.strip().rstrip(":")) is not None


def link_footnotes(
    blocks: list[Block], in_notes: list[bool]
) -> tuple[list[Block], dict[str, Footnote]]:
    """Turn definitions into footnote blocks and link references to them.

    A paragraph that starts with a marker is a definition when it sits under a notes
    heading or when the same marker was referenced earlier; otherwise the marker is just
    a reference that happens to open a paragraph.
    """
    out: list[Block] = []
    definitions: dict[str, str] = {}
    first_ref: dict[str, tuple[int, int]] = {}
    for i, block in enumerate(blocks):
        if block.kind == "footnote" and block.note_id:
            definitions.setdefault(block.note_id, block.text)
            out.append(block)
            continue
        if block.kind == "text":
            note_id, text = _definition(block.text, in_notes[i], first_ref)
            if note_id:
                definitions.setdefault(note_id, text)
                out.append(replace(block, kind="footnote", note_id=note_id, text=text))
                continue
        for m in REFERENCE.finditer(block.text):
            first_ref.setdefault(m.group("b") or m.group("c"), (len(out), m.start()))
        out.append(block)

    for i, block in enumerate(out):
        if block.kind == "footnote":
            continue
        ids = [m.group("b") or m.group("c") for m in REFERENCE.finditer(block.text)]
        notes = tuple(dict.fromkeys(n for n in ids if n in definitions))
        if notes:
            out[i] = replace(block, notes=notes)

    footnotes = {}
    for note_id, text in definitions.items():
        anchor = ""
        if note_id in first_ref:
            index, pos = first_ref[note_id]
            anchor = anchor_before(out[index].text, pos)
        footnotes[note_id] = Footnote(marker=note_id, text=text, anchor=anchor)
    return out, footnotes


def _definition(
    text: str, in_notes: bool, first_ref: dict[str, tuple[int, int]]
) -> tuple[str, str]:
    m = _DEFINITION.match(text)
    if m is None:
        return "", ""
    note_id = m.group("b") or m.group("c") or (m.group("n") if in_notes else None)
    if not note_id or not (in_notes or note_id in first_ref):
        return "", ""
    return note_id, m.group("text").strip()


def anchor_before(text: str, pos: int) -> str:
    """The words before position `pos`, from the start of their sentence."""
    before = REFERENCE.sub("", text[:pos]).rstrip()
    start = 0
    for m in _SENTENCE_END.finditer(before):
        if m.end() >= len(before):
            break
        if _ABBREVIATION.search(before[: m.start()]):
            continue
        start = m.end()
    anchor = before[start:].strip()
    if len(anchor) > _MAX_ANCHOR:
        cut = anchor[-_MAX_ANCHOR:]
        anchor = cut[cut.find(" ") + 1 :] if " " in cut else cut
    return anchor
