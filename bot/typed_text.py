"""Lines of standard input whose bytes are not UTF-8 (a Windows-1252 file piped in, a
terminal set to Latin-1): read in the encoding they were written in, and said so.

Without this, such a byte ended the run with an internal error where the locale reads
standard input strictly, and was dropped without a word where it does not (C.UTF-8).
Standard input is read with errors="surrogateescape", which keeps each such byte as a lone
surrogate: the line's bytes are exactly recoverable, then read again as a whole.
"""

from __future__ import annotations

import io
import re
import sys

from embeddings.ingest.encoding import guess

_ESCAPED = re.compile("[\udc80-\udcff]")  # what surrogateescape makes of a byte ≥ 0x80


def tolerate_stdin() -> None:
    """Read standard input as above, whatever the locale says (once, at start)."""
    if isinstance(sys.stdin, io.TextIOWrapper):
        sys.stdin.reconfigure(errors="surrogateescape")


def recovered(line: str) -> tuple[str, str]:
    """The line as it was meant, and the encoding it was read as ("utf-8": as it came)."""
    if not _ESCAPED.search(line):
        return line, "utf-8"
    return guess(line.encode("utf-8", "surrogateescape"))
