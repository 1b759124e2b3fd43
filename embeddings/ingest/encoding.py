"""Bytes to text: find the encoding, refuse binary data, normalise newlines and Unicode.

Order of trust: a byte-order mark, then strict UTF-8 (most of the corpus), then the
charset an HTML file declares, then UTF-8 with its few stray bytes read as cp1252 when
most of it is UTF-8, then cp1252 (old Windows files with curly quotes), and latin-1 last
because it decodes anything.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

from embeddings.ingest.errors import IngestError

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# <meta charset="x"> and <meta http-equiv="Content-Type" content="text/html; charset=x">
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
# Browsers read these labels as windows-1252 (WHATWG Encoding); files labelled
# iso-8859-1 routinely contain cp1252 curly quotes.
_CP1252_ALIASES = {"iso8859-1", "ascii", "cp1252"}
# Control characters that never occur in text (tab, newlines, form feed and escape can).
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f-\x84\x86-\x9f]")
_BINARY_RATIO = 0.05
_NEWLINES = re.compile(r"\r\n?|[\f\v\x85\u2028\u2029]")


def decode(data: bytes, source: str, *, html: bool = False) -> str:
    """Decode a corpus file to NFC text with "\\n" line ends; IngestError if it is binary."""
    text = _decode(data, source, html=html)
    if _looks_binary(text):
        raise IngestError(source, "binary file (not text in any known encoding)")
    text = _NEWLINES.sub("\n", text.lstrip("\ufeff"))
    return unicodedata.normalize("NFC", text)


def _decode(data: bytes, source: str, *, html: bool) -> str:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(encoding)
            except UnicodeDecodeError as exc:
                # A UTF-8 mark says it is UTF-8, whatever its stray bytes.
                mixed = _mostly_utf8(data[len(bom) :], marked=True) if encoding == "utf-8" else None
                if mixed is not None:
                    return mixed
                raise IngestError(source, f"binary file (invalid {encoding} after BOM)") from exc
    if b"\x00" in data:
        utf16 = _utf16_without_bom(data)
        if utf16 is None:
            # UTF-16 of another script saved without its byte-order mark looks the same.
            raise IngestError(
                source, "binary file (contains NUL bytes; if it is text, save it as UTF-8)"
            )
        return utf16
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if html:
        declared = _declared_charset(data)
        if declared is not None:
            try:
                return data.decode(declared)
            except UnicodeDecodeError:
                pass
    mixed = _mostly_utf8(data)
    return mixed if mixed is not None else guess(data)[0]


# A character of two bytes or more as UTF-8 writes it.
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)
# A byte UTF-8 could not read, as the "surrogateescape" error handler keeps it.
_ESCAPED = re.compile("[\udc80-\udcff]")


def _mostly_utf8(data: bytes, *, marked: bool = False) -> str | None:
    """UTF-8 with a few bytes of another encoding (a line pasted from an old file, one
    stray byte): the UTF-8 read as UTF-8 and each other byte as cp1252 (else Latin-1).
    Read whole as cp1252, every "é" became "Ã©". None when the bytes UTF-8 cannot read
    outnumber its characters of two bytes or more: a cp1252 file, whose few pairs of
    accented letters only look like UTF-8."""
    text = data.decode("utf-8", "surrogateescape")
    strays = len(_ESCAPED.findall(text))
    if not marked and strays > len(_UTF8_SEQUENCE.findall(data)):
        return None
    return _ESCAPED.sub(lambda m: guess(bytes([ord(m.group()) - 0xDC00]))[0], text)


def guess(data: bytes) -> tuple[str, str]:
    """Short text of unknown encoding (a line typed or piped in) as the last resort of a
    file's: strict UTF-8, then cp1252, then latin-1, which decodes anything; with the
    encoding it was read as."""
    for encoding in ("utf-8", "cp1252"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            pass
    return data.decode("latin-1"), "latin-1"


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 text saved without its byte-order mark (Windows editors do): nearly every
    other byte NUL, on one side, and the whole decoding. None for anything else."""
    if len(data) < 2 or len(data) % 2:
        return None
    for nul_side, encoding in ((1, "utf-16-le"), (0, "utf-16-be")):
        nuls = data[nul_side::2].count(0)
        if nuls >= 0.9 * (len(data) // 2) and data[1 - nul_side :: 2].count(0) == 0:
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                return None
    return None


def _declared_charset(data: bytes) -> str | None:
    m = _META_CHARSET.search(data[:4096])
    if m is None:
        return None
    try:
        name = codecs.lookup(m.group(1).decode("ascii")).name
    except (LookupError, UnicodeDecodeError):
        return None
    if name in _CP1252_ALIASES:
        return "cp1252"
    # A UTF-8 label is no news: strict UTF-8 has already failed by the time we look.
    return None if name.startswith("utf") else name


def _looks_binary(text: str) -> bool:
    if not text:
        return False
    controls = sum(1 for _ in _CONTROL.finditer(text))
    return controls / len(text) > _BINARY_RATIO
