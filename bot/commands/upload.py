"""What an uploaded file must be to enter the corpus: a safe name, a size within the cap, and
text (plain, Markdown or HTML) whatever its name claims.

The name a user gives is never trusted: only its last path component is kept, reduced to
letters, digits, `-`, `_` and `.`, without a leading dot (hidden files are skipped by the
indexer) and with one of the suffixes the indexer reads. The content is checked by what it
is, not by its name: images, archives and documents renamed `.txt` are refused, and so is
anything the indexer would skip (binary, empty, no text left once cleaned).
"""

from __future__ import annotations

import hashlib
import re
import time
import unicodedata
from dataclasses import dataclass

from embeddings.errors import QuotebotError
from embeddings.ingest.encoding import decode
from embeddings.ingest.errors import IngestError
from embeddings.ingest.reader import HTML_SUFFIXES, parse, sniff_html

SUFFIXES = (".txt", ".text", ".md", ".markdown", ".html", ".htm")
STEM_MAX = 80  # characters of the name before its suffix
# ... and its bytes: file systems allow 255 bytes a name, and the work's sidecars add to it
# (".meta.toml", ".companion.tsv"); 80 letters outside the BMP take 320.
STEM_MAX_BYTES = 160
KINDS = ".txt, .md or .html"

# File signatures of what people upload by mistake (or on purpose), first bytes first.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (or a Word, EPUB or OpenDocument file)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Microsoft Office document"),
    (b"{\\rtf", "an RTF document"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"\x7fELF", "a program"),
    (b"SQLite format 3\x00", "a database"),
    (b"OggS", "an audio or video file"),
    (b"fLaC", "an audio file"),
    (b"ID3", "an audio file"),
    (b"RIFF", "an image, audio or video file"),  # WebP, WAV, AVI
)
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\u00ad]")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_UNSAFE = re.compile(r"[^\w.\-]+")  # \w: letters and digits of any script, and "_"


class UploadRefused(QuotebotError):
    """A file that cannot enter the corpus; the message says why and what to do instead."""


def check_size(size: int, limit: int) -> None:
    if size > limit:
        raise UploadRefused(
            f"That file is {_size(size)}; the largest file I accept is {_size(limit)}. "
            "Split it, or ask the bot's host to raise upload_max_bytes."
        )


def safe_name(raw: str, *, tagged: bool = True) -> str:
    """The file name to store an upload under, or UploadRefused. A name cut short ends
    with a tag of the whole name (`tagged`; without: as names were stored before)."""
    name = unicodedata.normalize("NFC", raw)
    name = re.split(r"[/\\]", name)[-1]  # the last component, whatever the separator
    name = _CONTROL.sub("", _INVISIBLE.sub("", name))
    name = _UNSAFE.sub("-", name)
    stem, dot, suffix = name.rpartition(".")
    suffix = f".{suffix.lower()}"
    if not dot or suffix not in SUFFIXES:
        raise UploadRefused(
            f"I only add {KINDS} files to the corpus; rename the file if it is text."
        )
    stem = re.sub(r"\.{2,}", ".", re.sub(r"-{2,}", "-", stem)).strip(".-_")
    cut = stem[:STEM_MAX]
    while len(cut.encode("utf-8")) > STEM_MAX_BYTES:
        cut = cut[:-1]
    if cut != stem and tagged:
        # Two long names alike for their first characters must not be one stored name:
        # the second would be told to replace the first.
        tag = hashlib.blake2b(stem.encode("utf-8"), digest_size=4).hexdigest()
        cut = cut[: len(cut) - len(tag) - 1].rstrip(".-_") + "-" + tag
    stem = cut.rstrip(".-_")  # no hidden file, no trailing dot
    if not stem:
        raise UploadRefused("That file name has no letters or digits I can use; rename the file.")
    return stem + suffix


def check_content(data: bytes, name: str) -> None:
    """Refuse what the indexer could not read as a document, with the reason."""
    if not data.strip():
        raise UploadRefused("That file is empty.")
    kind = sniff_binary(data)
    if kind:
        raise UploadRefused(f"That file is {kind}, not text; I only add {KINDS} files.")
    suffix = name[name.rfind(".") :]
    is_html = suffix in HTML_SUFFIXES or sniff_html(data)
    try:
        text = decode(data, name, html=is_html)
        parsed = parse(text, name, suffix=suffix, is_html=is_html)
    except IngestError as exc:
        raise UploadRefused(f"That file cannot be indexed: {exc.reason}.") from exc
    if not parsed.blocks:
        raise UploadRefused("That file has no text left once its markup is removed.")


def sniff_binary(data: bytes) -> str:
    """What a file is when its first bytes say it is not text ("" for text)."""
    for signature, kind in _SIGNATURES:
        if data.startswith(signature):
            return kind
    if data[4:8] == b"ftyp":
        return "a video or image file (MP4, MOV or HEIC)"
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if b"<svg" in head and b"<html" not in head:
        return "an SVG image"
    return ""


@dataclass(frozen=True)
class Room:
    """What a server's share of the disk holds: its texts, and its trash (which counts
    until each version leaves it, `trash_days` after it went in)."""

    texts: int
    trash: int
    trash_days: float
    next_out: float | None = None  # when the oldest version leaves the trash (epoch s)


def check_room(room: Room, size: int, limit: int) -> None:
    """Refuse a file that would take a server's texts and trash past `limit` (0: none),
    saying what frees room: a removed work goes to the trash and still counts there."""
    used = room.texts + room.trash
    if not limit or used + size <= limit:
        return
    said = (
        f"This server's texts and trash hold {_size(used)} of the {_size(limit)} it may use "
        f"(the trash {_size(room.trash)}); this file needs {_size(size)} more. "
    )
    days = f"{room.trash_days:g} days"
    if room.next_out is not None:
        day = time.strftime("%Y-%m-%d", time.gmtime(room.next_out))
        said += (
            f"A removed or replaced work stays in the trash, and counts, for {days}: the "
            f"oldest leaves it on {day}. "
        )
    else:
        said += f"A work you remove stays in the trash, and counts, for {days}. "
    raise UploadRefused(said + "For room sooner, ask the bot's host to raise server_max_bytes.")


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n} bytes"
