"""A work's metadata given on upload, checked and written as its `<file>.meta.toml` sidecar.

The keys are those the indexer reads (embeddings/ingest/metadata.py): title, author, date
and url. Values come from strangers' typing, so they are cleaned (no control or invisible
characters, bounded lengths), the date must be one the indexer reads as a date, the url a
web address, and every value is written as an escaped TOML string that reads back exactly
as given.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import asdict, dataclass

from bot.commands.upload import UploadRefused
from embeddings.ingest.dates import parse_date
from embeddings.ingest.values import web_address

KEYS = ("title", "author", "date", "url")
MAX_CHARS = {"title": 200, "author": 200, "date": 40, "url": 500}
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\u00ad]")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# The forms the reader turns into a date (embeddings/ingest/dates.py): a date it cannot read
# would show on every card and in Cite as typed.
UNREADABLE_DATE = (
    "The date must read as a date: 1848, 1848-02 or 1848-02-21, or written out as "
    "“February 1848”, “February 21, 1848” or “21 February 1848”; or roughly, as "
    "“c. 380 BC” or “5th century BC”."
)
# Dates before the year 1000 or known only roughly, which no ISO form holds (a classic's):
# kept and shown as written.
_ROUGH_DATE = re.compile(
    r"(?:(?:c\.|ca\.|circa|about)\s*)?(?:AD\s+)?\d{1,4}(?:\s*(?:BC|BCE|AD|CE))?"
    r"|(?:(?:early|late|mid)[- ])?\d{1,2}(?:st|nd|rd|th)\s+century(?:\s+(?:BC|BCE|AD|CE))?",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class WorkMeta:
    title: str = ""
    author: str = ""
    date: str = ""
    url: str = ""

    @property
    def empty(self) -> bool:
        return not any(asdict(self).values())

    def to_toml(self) -> str:
        return _sidecar_text({k: v for k, v in asdict(self).items() if v})

    def over(self, old: str) -> str | None:
        """The sidecar of a new version: these values over the old sidecar's (`old`, its
        text), which keeps what this one leaves empty; None when the old one is broken or
        holds values other than text (then the caller keeps one of the two whole)."""
        try:
            kept = tomllib.loads(old)
        except tomllib.TOMLDecodeError:
            return None
        if not all(isinstance(v, str) for v in kept.values()):
            return None
        return _sidecar_text(kept | {k: v for k, v in asdict(self).items() if v})


def _sidecar_text(values: dict[str, str]) -> str:
    lines = ["# A work's metadata, written by /corpus add (keys: title, author, date, url)."]
    lines += [f"{key} = {toml_string(value)}" for key, value in values.items()]
    text = "\n".join(lines) + "\n"
    # What is written must read back as given; anything else is a bug worth stopping.
    if tomllib.loads(text) != values:
        raise RuntimeError(f"sidecar does not read back as written: {text!r}")
    return text


def checked_meta(title: str = "", author: str = "", date: str = "", url: str = "") -> WorkMeta:
    """The metadata options cleaned and checked, or UploadRefused naming the bad one."""
    values = {}
    for key, raw in zip(KEYS, (title, author, date, url), strict=True):
        value = _one_line(raw)
        if len(value) > MAX_CHARS[key]:
            raise UploadRefused(
                f"The {key} is {len(value):,} characters long; at most {MAX_CHARS[key]} please."
            )
        values[key] = value
    if values["url"] and not web_address(values["url"]):
        raise UploadRefused(
            "The url must be a web address starting with http:// or https:// and a host "
            "name, such as https://example.org/essay."
        )
    date = values["date"]
    if date and parse_date(date) is None and not _ROUGH_DATE.fullmatch(date):
        raise UploadRefused(UNREADABLE_DATE)
    return WorkMeta(**values)


def toml_string(text: str) -> str:
    """`text` as a TOML basic string: quotes, backslashes and control characters escaped."""
    out = []
    for ch in text:
        code = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _one_line(raw: str) -> str:
    text = unicodedata.normalize("NFC", raw or "")
    text = _CONTROL.sub(" ", _INVISIBLE.sub("", text))
    return " ".join(text.split())
