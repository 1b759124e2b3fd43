"""read_document: one corpus file to a `Document`.

Sniff the format, decode, hand the text to its reader, assemble the pieces into
blocks, then resolve the metadata layers.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from embeddings.documents import Document, with_offsets
from embeddings.ingest.assemble import assemble
from embeddings.ingest.discovery import CorpusFile
from embeddings.ingest.encoding import decode
from embeddings.ingest.errors import IngestError
from embeddings.ingest.gutenberg import (
    drop_credits,
    drop_front_matter,
    header_meta,
    is_gutenberg,
    plain_emphasis,
    split,
)
from embeddings.ingest.html import read_html_pieces
from embeddings.ingest.markdown import read_markdown_pieces
from embeddings.ingest.metadata import resolve
from embeddings.ingest.pieces import Parsed
from embeddings.ingest.text import read_text_pieces

HTML_SUFFIXES = (".html", ".htm")
MARKDOWN_SUFFIXES = (".md", ".markdown")
_HTML_STARTS = (b"<!doctype html", b"<html")


def read_document(file: CorpusFile, root: Path) -> Document:
    """The cleaned document in `file`; IngestError if it is binary, empty or malformed."""
    source = file.source
    try:
        data = file.path.read_bytes()
    except OSError as exc:
        raise IngestError(source, f"cannot read ({exc.strerror or exc})") from exc
    if not data.strip():
        raise IngestError(source, "empty file")
    suffix = file.path.suffix.lower()
    is_html = suffix in HTML_SUFFIXES or sniff_html(data)
    text = decode(data, source, html=is_html)
    if not text.strip():
        raise IngestError(source, "empty file")

    parsed = parse(text, source, suffix=suffix, is_html=is_html)
    if not parsed.blocks:
        raise IngestError(source, "no text left after cleaning")

    resolved = resolve(root, source, front=parsed.front, own=parsed.own)
    blocks = parsed.blocks
    if resolved.section_prefix:
        prefix = resolved.section_prefix
        blocks = [b if b.section else replace(b, section=prefix) for b in blocks]
    return Document(
        source=source,
        meta=resolved.meta,
        blocks=with_offsets(blocks),
        footnotes=parsed.footnotes,
        links=tuple(parsed.links),
        format=parsed.format,
    )


def parse(text: str, source: str, *, suffix: str, is_html: bool) -> Parsed:
    """Decoded text to blocks and self-description, by format."""
    if is_html:
        pieces, own = read_html_pieces(text)
        return assemble(pieces, "html", own=own)
    if suffix in MARKDOWN_SUFFIXES:
        pieces, own, front = read_markdown_pieces(text, source)
        return assemble(pieces, "markdown", own=own, front=front)
    if is_gutenberg(text):
        header, body = split(text)
        pieces = drop_front_matter(drop_credits(plain_emphasis(read_text_pieces(body))))
        return assemble(pieces, "gutenberg", own=header_meta(header))
    return assemble(read_text_pieces(text), "text")


def sniff_html(data: bytes) -> bool:
    """HTML whatever its name: the first bytes open a document."""
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith(_HTML_STARTS)
