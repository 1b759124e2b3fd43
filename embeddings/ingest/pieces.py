"""What the format readers hand to the shared assembly step: headings and paragraphs.

Readers know syntax (Markdown, HTML, plain-text layout); `assemble` knows what is the
same everywhere (debris, mastheads, sections, footnotes). `Piece` is the hand-over.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from embeddings.documents import Block, BlockKind, DocumentMeta, Footnote

EMPTY_META = DocumentMeta(title="")
# A line that ends as a sentence or a clause does (its mark, then any closing quotes or
# brackets): what tells plain text's prose lines from its titles and headings.
ENDS_A_CLAUSE = re.compile(r"[.!?,;]['\"’”)\]]*$")


@dataclass
class Piece:
    """A heading (`heading` > 0) or a paragraph in reading order, as plain text."""

    text: str
    heading: int = 0
    kind: BlockKind = "text"
    headword: str = ""
    locator: str = ""
    note_id: str = ""  # set when the syntax itself marks a footnote definition
    links: tuple[str, ...] = ()
    n_links: int = 0
    link_only: bool = False  # every word of it is link text: navigation, not prose
    verbatim: bool = False  # code or preformatted text: no debris cleanup

    @property
    def is_heading(self) -> bool:
        return self.heading > 0


@dataclass
class Parsed:
    """A reader's result before metadata resolution."""

    blocks: list[Block]
    format: str
    own: DocumentMeta = EMPTY_META  # what the document says of itself
    front: DocumentMeta = EMPTY_META  # Markdown front matter
    footnotes: dict[str, Footnote] = field(default_factory=dict)
    links: list[str] = field(default_factory=list)
