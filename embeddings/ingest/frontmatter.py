"""YAML front matter at the top of a Markdown file (Jekyll, Hugo, Pandoc)."""

from __future__ import annotations

import re

import yaml

from embeddings.documents import DocumentMeta
from embeddings.ingest.errors import IngestError
from embeddings.ingest.languages import language_code
from embeddings.ingest.pieces import EMPTY_META
from embeddings.ingest.values import date_value, text_value

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(?P<yaml>(?:.*?\n)??)(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
_FIRST_YAML_LINE = 2  # the opening "---" is line 1 of the file


def split_front_matter(text: str, source: str) -> tuple[DocumentMeta, str]:
    """(metadata, body). Without a closing "---" the opening one is just a rule."""
    m = _FRONT_MATTER.match(text)
    if m is None:
        return EMPTY_META, text
    data = _load(m.group("yaml"), source)
    body = text[m.end() :]
    return _meta(data, source), body


def _load(raw: str, source: str) -> dict[str, object]:
    try:
        data = yaml.safe_load(raw)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + _FIRST_YAML_LINE}: " if mark is not None else ""
        raise IngestError(source, f"broken front matter ({where}{exc.problem or exc})") from exc
    except (yaml.YAMLError, ValueError, TypeError, RecursionError) as exc:
        # PyYAML raises ValueError for impossible dates ("date: 2002-13-45").
        raise IngestError(source, f"broken front matter ({exc})") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise IngestError(source, "broken front matter (not a mapping of keys to values)")
    return {str(k).lower(): v for k, v in data.items()}


def _meta(data: dict[str, object], source: str) -> DocumentMeta:
    def text(*keys: str) -> str:
        for key in keys:
            value = text_value(data.get(key))
            if value is None:
                raise IngestError(source, f"broken front matter ({key} is not text)")
            if value:
                return value
        return ""

    date = date_value(data.get("date"))
    if date is None:
        raise IngestError(source, "broken front matter (date is not a date)")
    # A Jekyll permalink ("/drapersw/Anatomy-of-the-micro-sect") is a path on some site,
    # not an address a reader can follow: `metadata.resolve` keeps web addresses only.
    url = text("url", "permalink")
    return DocumentMeta(
        title=text("title"),
        author=text("author", "authors"),
        date=date,
        url=url,
        collection=text("collection"),
        language=language_code(text("language", "lang")),
    )
