"""Markdown to pieces, with markdown-it-py's CommonMark parser.

The parser settles the hard cases (emphasis inside words such as snake_case, escaped
"\\*", link references, setext headings); this module only decides what each token
becomes: headings, one piece per paragraph or list item, code kept verbatim, a table as
one piece (a row a line), links reduced to their text with the URL set aside, images,
raw HTML and rules dropped.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from markdown_it import MarkdownIt
from markdown_it.token import Token

from embeddings.documents import DocumentMeta
from embeddings.ingest.cleanup import is_debris
from embeddings.ingest.footnotes import marker_id
from embeddings.ingest.frontmatter import split_front_matter
from embeddings.ingest.pieces import EMPTY_META, Piece

_PARSER = MarkdownIt("commonmark").enable("table")  # GitHub tables, read row by row
_CELLS = " | "  # between a row's cells, as the table is typed
_BREAK_TAG = re.compile(r"<br\s*/?>", re.I)
_TAG = re.compile(r"<!--.*?-->|<[^>]*>", re.S)
# Elements whose content is no text a reader sees (a page's scripts and styles), when
# closed: an unclosed one may run to the end of the file, and its prose stays.
_HIDDEN = re.compile(r"<(script|style|noscript|template)\b[^>]*>.*?</\1\s*>", re.S | re.I)
_SPACES = re.compile(r"[ \t\u00a0]+")
_ALNUM = re.compile(r"[^\W_]")
# GitHub/Pandoc footnotes: "[^2]" in the text, "[^2]: ..." as the definition. Labels
# may be names ("[^starter]"); those are numbered, as GitHub shows them.
_GFM_DEFINITION = re.compile(r"^\[\^(\d{1,3}\*?|[a-z])\]:[ \t]*", re.M)
_GFM_REFERENCE = re.compile(r"\[\^(\d{1,3}\*?|[a-z])\]")
_GFM_LABEL = re.compile(r"\[\^([^\]\s^]{1,60})\]")
_GFM_NAMED_DEFINITION = re.compile(r"^\[\^([^\]\s^]{1,60})\]:", re.M)
_NUMBER = re.compile(r"(\d{1,3})\*?")


def read_markdown_pieces(text: str, source: str) -> tuple[list[Piece], DocumentMeta, DocumentMeta]:
    """(pieces, what the document says of itself, front matter)."""
    front, body = split_front_matter(text, source)
    body = _footnote_paragraphs(body)
    pieces = _pieces(_PARSER.parse(body))
    pieces, own = _title_heading(pieces, front)
    return pieces, own, front


def _code_and_prose(body: str) -> list[tuple[bool, str]]:
    """The body in runs of lines, each code (a fenced or indented block, as markdown-it
    reads them, lists included) or not: footnote syntax in code is verbatim."""
    lines = body.splitlines(keepends=True)
    code = [False] * len(lines)
    for token in _PARSER.parse(body):
        if token.type in ("fence", "code_block") and token.map is not None:
            first, end = token.map
            code[first:end] = [True] * (end - first)
    runs: list[tuple[bool, str]] = []
    for line, in_code in zip(lines, code, strict=True):
        if runs and runs[-1][0] == in_code:
            runs[-1] = (in_code, runs[-1][1] + line)
        else:
            runs.append((in_code, line))
    return runs


def _footnote_paragraphs(body: str) -> str:
    """Footnote labels numbered over the whole text, and each definition a "\\[2\\] ..."
    paragraph of its own (written on consecutive lines, they were one paragraph: the
    first note), which the footnote pass recognises; code blocks as written."""
    if "[^" not in body:
        return body  # no footnote syntax: no second parse to find the code blocks
    runs = _code_and_prose(body)
    numbers = _label_numbers("".join(text for in_code, text in runs if not in_code))
    out = []
    for in_code, text in runs:
        if not in_code:
            text = _GFM_LABEL.sub(lambda m: f"[^{numbers.get(m.group(1), m.group(1))}]", text)
            text = _GFM_DEFINITION.sub(lambda m: f"\n\\[{m.group(1)}\\] ", text)
        out.append(text)
    return "".join(out)


def _label_numbers(body: str) -> dict[str, str]:
    """Named footnote labels ("[^starter]") as numbers after the document's own: the
    footnote pass reads markers as numbers, stars or single letters, so that words in
    brackets ("[sic]") never become notes. Only labels with a definition are footnotes."""
    defined = set(_GFM_NAMED_DEFINITION.findall(body))
    named = [
        label
        for label in dict.fromkeys(_GFM_LABEL.findall(body))
        if label in defined and not _GFM_REFERENCE.fullmatch(f"[^{label}]")
    ]
    taken = {int(m.group(1)) for m in map(_NUMBER.fullmatch, _GFM_LABEL.findall(body)) if m}
    numbers: dict[str, str] = {}
    n = 0
    for label in named:
        n += 1
        while n in taken:
            n += 1
        numbers[label] = str(n)
    return numbers


def _title_heading(pieces: list[Piece], front: DocumentMeta) -> tuple[list[Piece], DocumentMeta]:
    """A "# Title" before any paragraph names the document; it is not a section."""
    for i, piece in enumerate(pieces):
        if not piece.is_heading:
            if is_debris(piece.text, link_only=piece.link_only, n_links=piece.n_links):
                continue  # breadcrumbs and navigation may come first
            break
        same_as_front = front.title and piece.text.casefold() == front.title.casefold()
        # Under a title of its own in the front matter, a "# Chapter One" is a section.
        if same_as_front or (piece.heading == 1 and not front.title):
            return pieces[:i] + pieces[i + 1 :], DocumentMeta(title=piece.text)
    return pieces, EMPTY_META


def _pieces(tokens: list[Token]) -> list[Piece]:
    pieces: list[Piece] = []
    heading = 0
    rows: list[list[str]] | None = None  # inside a table: its rows so far
    for token in tokens:
        if token.type == "table_open":
            rows = []
        elif token.type == "table_close" and rows is not None:
            # One piece, a row a line: a row's cells mean something only together.
            table = "\n".join(_CELLS.join(row) for row in rows if any(row))
            if table:
                pieces.append(Piece(table, verbatim=True))
            rows = None
        elif rows is not None:
            if token.type == "tr_open":
                rows.append([])
            elif token.type == "inline" and rows:
                cell = _inline(token.children or [])
                rows[-1].append(" ".join(cell.text.split()) if cell is not None else "")
        elif token.type == "heading_open":
            heading = int(token.tag[1:])
        elif token.type == "heading_close":
            heading = 0
        elif token.type == "inline":
            piece = _inline(token.children or [])
            if piece is not None:
                piece.heading = heading
                pieces.append(piece)
        elif token.type in ("fence", "code_block"):
            code = token.content.rstrip("\n")
            if code.strip():
                pieces.append(Piece(code, verbatim=True))
        elif token.type == "html_block":
            pieces.extend(_html_block(token.content))
    return pieces


def _html_block(raw: str) -> list[Piece]:
    """Raw HTML in Markdown: the tags go, any text between them stays."""
    text = html.unescape(_TAG.sub("", _BREAK_TAG.sub("\n", _HIDDEN.sub("", raw))))
    out = []
    for para in re.split(r"\n[ \t\u00a0]*\n", text):
        flat = "\n".join(_SPACES.sub(" ", line).strip() for line in para.split("\n"))
        flat = re.sub(r"\n{2,}", "\n", flat).strip()
        if flat:
            out.append(Piece(flat))
    return out


@dataclass
class _Inline:
    """Text of one paragraph, keeping apart what was link text (to spot navigation)."""

    parts: list[tuple[bool, str]] = field(default_factory=list)  # (inside a link, text)
    links: list[str] = field(default_factory=list)
    n_links: int = 0

    def add(self, text: str, *, linked: bool = False) -> None:
        if text:
            self.parts.append((linked, text))


def _inline(children: list[Token]) -> Piece | None:
    out = _Inline()
    i = 0
    while i < len(children):
        token = children[i]
        if token.type == "link_open":
            close = _closing(children, i)
            _link(token, children[i + 1 : close], out)
            i = close + 1
            continue
        _leaf(token, out, linked=False)
        i += 1
    text = "".join(t for _, t in out.parts)
    text = "\n".join(_SPACES.sub(" ", line).strip() for line in text.split("\n")).strip()
    if not text:
        return None
    plain = "".join(t for linked, t in out.parts if not linked)
    linked_text = "".join(t for linked, t in out.parts if linked)
    return Piece(
        text,
        links=tuple(out.links),
        n_links=out.n_links,
        link_only=bool(_ALNUM.search(linked_text)) and not _ALNUM.search(plain),
    )


def _closing(children: list[Token], start: int) -> int:
    depth = 0
    for j in range(start, len(children)):
        if children[j].type == "link_open":
            depth += 1
        elif children[j].type == "link_close":
            depth -= 1
            if depth == 0:
                return j
    return len(children)


def _link(token: Token, inner: list[Token], out: _Inline) -> None:
    href = str(token.attrs.get("href") or "")
    label = _Inline()
    for child in inner:
        _leaf(child, label, linked=True)
    label_text = "".join(t for _, t in label.parts)
    note = marker_id(label_text)
    if note is not None and "#" in href:
        # A footnote marker: kept in plain form; its URL only jumps within the page.
        # It counts as link text so that a row of numbered links reads as navigation.
        out.add(f"[{note}]", linked=True)
        out.n_links += 1
        return
    if href:
        out.links.append(href)
        out.n_links += 1
    if token.markup == "autolink":
        return  # the visible text is the URL itself
    for linked, text in label.parts:
        out.add(text, linked=linked)


def _leaf(token: Token, out: _Inline, *, linked: bool) -> None:
    kind = token.type
    if kind == "text":
        out.add(_GFM_REFERENCE.sub(r"[\1]", token.content), linked=linked)
    elif kind == "code_inline":
        out.add(token.content, linked=linked)
    elif kind == "softbreak":
        out.add(" ", linked=linked)
    elif kind == "hardbreak" or (
        kind == "html_inline" and _BREAK_TAG.fullmatch(token.content.strip())
    ):
        out.add("\n", linked=linked)
    # Emphasis markers, images and other raw HTML add no text.
