"""Query hygiene: what users type becomes a clean query or a clear QueryError."""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

from embeddings.errors import EmptyQuery, NoWords, OnlyCommonWords, QueryTooLong
from embeddings.stopwords import stopwords
from embeddings.tokens import WORD, words

# Zero-width and bidirectional controls: invisible, and they break matching.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u00ad]")
_SPACE = re.compile(r"\s+")
_SPACING = {"Cc": " ", "Cs": ""}  # by Unicode category: controls, surrogates

DEFAULT_MAX_CHARS = 1000
# Typed on a phone or pasted: "don’t" and "don't" are one question, answered alike.
_STRAIGHT = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "“": '"', "”": '"'})


def clean(
    text: str,
    *,
    max_chars: int = DEFAULT_MAX_CHARS,
    truncate: bool = False,
    what: Literal["query", "term"] = "query",
) -> str:
    """Normalise a query; raise QueryError with a user-facing message when it is unusable."""
    # NFKC: fullwidth letters, ligatures and other compatibility forms become the plain
    # letters the corpus is written in ("ｓｅｃｔ" finds "sect").
    text = unicodedata.normalize("NFKC", text or "")
    text = _INVISIBLE.sub("", text).translate(_STRAIGHT)
    # Controls become spaces; a lone surrogate (what undecodable bytes become on a terminal
    # or a pipe, "\udcff") is no character at all, and the tokenizer refuses it.
    text = "".join(_SPACING.get(unicodedata.category(ch), ch) for ch in text)
    text = _SPACE.sub(" ", text).strip()
    if not text:
        raise EmptyQuery()
    if len(text) > max_chars:
        if not truncate:
            raise QueryTooLong(len(text), max_chars, what)
        cut = text[:max_chars]
        text = cut.rsplit(" ", 1)[0] if " " in cut else cut
    return text


def require_content(text: str, what: Literal["query", "term"] = "query") -> None:
    """Refuse a query (or a term to define) made only of punctuation or of very common
    words."""
    found = words(text)
    stop = stopwords()
    if not found:
        # "a" or "I": a word too short to search, but a common one, and said so.
        letters = WORD.findall(text.lower())
        if letters and all(w in stop for w in letters):
            raise OnlyCommonWords(what)
        raise NoWords(what)
    if all(w in stop for w in found):
        raise OnlyCommonWords(what)
