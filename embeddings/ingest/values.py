"""Metadata values from YAML or TOML (strings, numbers, lists of names) as one line of text."""

from __future__ import annotations

import datetime as dt

from embeddings.ingest.dates import normalise_date


def text_value(value: object) -> str | None:
    """The value as text ("" when absent); lists of names become "A and B". None if not text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return None
    if isinstance(value, str | int | float):
        return " ".join(str(value).split())
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        names = [" ".join(v.split()) for v in value if v.strip()]
        if len(names) <= 2:
            return " and ".join(names)
        return ", ".join(names[:-1]) + " and " + names[-1]
    return None


def date_value(value: object) -> str | None:
    """A date as ISO where it parses ("" when absent). None if it is not a date at all."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | dt.date):
        return None
    return normalise_date(value)
