"""Metadata values from YAML or TOML (strings, numbers, lists of names) as one line of text."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

from embeddings.ingest.dates import normalise_date

# Characters that turn the text after them around or hide it: a title carrying an
# unclosed right-to-left override reverses the " — Author" shown after it.
BIDI_CONTROLS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069\u061c]")
_LINK = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
# A host name's label (after IDNA): letters, digits, inner hyphens (and underscores, which
# browsers take in the names of hosts).
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?", re.IGNORECASE)


def web_address(value: str) -> str:
    """`value` when it is a web address a browser and Discord take (http or https, a host
    name or an IP address, a port that reads), else "". Discord refuses a whole message
    whose embed links to anything else ("Not a well formed URL")."""
    if not _LINK.fullmatch(value):
        return ""
    try:
        parts = urlsplit(value)
        port = parts.port  # raises on a port that is no number or out of range
        host = (parts.hostname or "").encode("idna").decode("ascii")
    except (ValueError, UnicodeError):
        return ""
    if not host or port == 0 or parts.netloc.endswith(":"):
        return ""
    if "[" in parts.netloc:  # only an IPv6 address goes in brackets ("[v1.x]" does not)
        return value if ":" in host else ""
    labels = host.rstrip(".").split(".")
    return value if all(_LABEL.fullmatch(label) for label in labels) else ""


def text_value(value: object) -> str | None:
    """The value as text ("" when absent); lists of names become "A and B", and a person
    written as Quarto, Pandoc or CSL write one ("name: Ada Fenwick", "given"/"family")
    their name. None if not text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return None
    if isinstance(value, str | int | float):
        return " ".join(str(value).split())
    people = value if isinstance(value, list) else [value] if isinstance(value, dict) else None
    if people is None:
        return None
    names = [_person(v) for v in people]
    if any(n is None for n in names):
        return None
    shown = [n for n in names if n]
    if len(shown) <= 2:
        return " and ".join(shown)
    return ", ".join(shown[:-1]) + " and " + shown[-1]


def _person(value: object) -> str | None:
    """A name: text, or a mapping with a "name" (itself text or given and family names),
    "literal", or "given" and "family"; anything else (an affiliation, an email) aside."""
    if isinstance(value, str):
        return " ".join(value.split())
    if not isinstance(value, dict):
        return None
    name = value.get("name", value)
    if isinstance(name, str):
        return " ".join(name.split())
    if not isinstance(name, dict):
        return None
    if isinstance(name.get("literal"), str):
        return " ".join(name["literal"].split())
    parts = [name.get(k) for k in ("given", "family")]
    if not any(isinstance(p, str) for p in parts):
        return None
    return " ".join(" ".join(p.split()) for p in parts if isinstance(p, str))


def date_value(value: object) -> str | None:
    """A date as ISO where it parses ("" when absent). None if it is not a date at all."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | dt.date):
        return None
    return normalise_date(value)
