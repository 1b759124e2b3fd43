"""From a reader's pieces to blocks: the steps that are the same for every format.

1. drop debris (navigation, breadcrumbs, credits near the top or bottom),
2. read the masthead (title, byline, author and date headings),
3. give each block the section of the heading above it (an entry's section is its
   headword),
4. link footnotes to the paragraphs that reference them.
"""

from __future__ import annotations

from embeddings.documents import Block, DocumentMeta
from embeddings.ingest.cleanup import is_debris, strip_debris_lines
from embeddings.ingest.footnotes import is_notes_heading, link_footnotes
from embeddings.ingest.masthead import read_masthead
from embeddings.ingest.outline import Outline
from embeddings.ingest.pieces import EMPTY_META, Parsed, Piece

_HEAD, _TAIL = 8, 5  # credits are looked for in this many pieces at each end


def assemble(
    pieces: list[Piece],
    format: str,
    own: DocumentMeta = EMPTY_META,
    front: DocumentMeta = EMPTY_META,
) -> Parsed:
    pieces = _clean(pieces)
    pieces, masthead = read_masthead(pieces)
    blocks: list[Block] = []
    in_notes: list[bool] = []
    links: dict[str, None] = {}
    section, notes = "", False
    outline = Outline(levelled=format in ("markdown", "html"))
    for piece in pieces:
        if piece.is_heading:
            section = section_name(piece.text)
            notes = is_notes_heading(section)
            outline.enter(section, piece.heading)
            continue
        if piece.kind == "entry":
            section = piece.headword  # its own heading: the letter above it is navigation
        blocks.append(
            Block(
                text=piece.text,
                section=section,
                part="" if piece.kind == "entry" else outline.part,
                kind=piece.kind,
                headword=piece.headword,
                locator=piece.locator,
                note_id=piece.note_id,
            )
        )
        in_notes.append(notes)
        links.update(dict.fromkeys(piece.links))
    blocks, footnotes = link_footnotes(blocks, in_notes)
    return Parsed(
        blocks=[b for b in blocks if b.text.strip()],
        format=format,
        own=own.merged_over(masthead),
        front=front,
        footnotes=footnotes,
        links=list(links),
    )


def section_name(heading: str) -> str:
    """A heading as a section name: one line, without "FOOTNOTES:"'s colon or _markup_."""
    return " ".join(heading.split()).strip("_*").rstrip(":").strip()


def _clean(pieces: list[Piece]) -> list[Piece]:
    kept = []
    for i, piece in enumerate(pieces):
        if piece.verbatim:
            if piece.text.strip():
                kept.append(piece)
            continue
        if i < _HEAD or i >= len(pieces) - _TAIL:
            piece.text = strip_debris_lines(piece.text)
        piece.text = piece.text.strip()
        if not piece.text or is_debris(
            piece.text, link_only=piece.link_only, n_links=piece.n_links
        ):
            continue
        kept.append(piece)
    return kept
