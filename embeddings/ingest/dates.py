"""Dates as printed ("January 26, 2002", "(1973)") to ISO-like strings ("2002-01-26", "1973")."""

from __future__ import annotations

import datetime as dt
import re

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = r"(?P<month>[A-Za-z]{3,9})\.?"
_PATTERNS = (
    re.compile(r"(?P<year>\d{4})-(?P<mnum>\d{1,2})-(?P<day>\d{1,2})(?:[T ].*)?"),
    re.compile(r"(?P<year>\d{4})-(?P<mnum>\d{1,2})"),
    re.compile(r"(?P<year>\d{4})"),
    re.compile(rf"{_MONTH}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<year>\d{{4}})"),
    re.compile(rf"(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+{_MONTH},?\s+(?P<year>\d{{4}})"),
    re.compile(rf"{_MONTH},?\s+(?P<year>\d{{4}})"),
)
# Gutenberg appends the e-book number to its dates: "January 25, 2005 [EBook #61]".
_BRACKETED = re.compile(r"\[[^\]]*\]")


def parse_date(value: object) -> str | None:
    """The ISO form of a date ("2002-01-26", "1973-10", "1973"), or None if it is not one."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int) and not isinstance(value, bool) and 1000 <= value <= 9999:
        return str(value)
    if not isinstance(value, str):
        return None
    text = _BRACKETED.sub(" ", value).strip().strip("()").strip().rstrip(".")
    for pattern in _PATTERNS:
        m = pattern.fullmatch(text)
        if m is None:
            continue
        groups = m.groupdict()
        year = int(groups["year"])
        if "month" in groups:
            month = _MONTHS.get(groups["month"].lower())
        elif "mnum" in groups:
            month = int(groups["mnum"])
        else:
            return f"{year:04d}"
        if month is None or not 1 <= month <= 12:
            continue
        if groups.get("day") is None:
            return f"{year:04d}-{month:02d}"
        try:
            return dt.date(year, month, int(groups["day"])).isoformat()
        except ValueError:
            return None
    return None


def normalise_date(value: object) -> str:
    """ISO where the date parses; otherwise the text as printed (ambiguous "27.9.2004" stays)."""
    parsed = parse_date(value)
    if parsed is not None:
        return parsed
    if value is None:
        return ""
    return " ".join(_BRACKETED.sub(" ", str(value)).split())
