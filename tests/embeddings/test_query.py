"""Query hygiene: every bad query gets a clear message, never an exception of another kind."""

from __future__ import annotations

import pytest

from embeddings.errors import QueryError
from embeddings.query import clean, require_content
from tests.wording import raises_saying


def test_whitespace_and_invisible_characters_are_normalised() -> None:
    assert clean("  what\u200b is\ta   sect?\u202e ") == "what is a sect?"


def test_control_characters_become_spaces() -> None:
    assert clean("sect\x00arian\x07ism") == "sect arian ism"


def test_curly_apostrophes_and_quotes_read_as_straight_ones() -> None:
    # Typed on a phone, "don’t" asked another question than "don't".
    assert clean("don’t “work” with ‘rivals’") == clean("don't \"work\" with 'rivals'")


def test_lone_surrogates_are_dropped() -> None:
    # What undecodable input bytes become; the tokenizer cannot take them.
    assert clean("what is a sect\udcff") == "what is a sect"


@pytest.mark.parametrize("text", ["", "   ", "\u200b\u200b", "\x00\x01"])
def test_empty_queries_are_refused_with_a_message(text: str) -> None:
    with raises_saying(QueryError, "search for"):
        clean(text)


def test_overlong_queries_are_refused_or_truncated_at_a_word() -> None:
    text = "sect " * 500
    with raises_saying(QueryError, "2,499 characters long; the limit is 1,000"):
        clean(text)
    cut = clean(text, truncate=True)
    assert len(cut) <= 1000 and cut.endswith("sect")


def test_stop_word_only_queries_are_refused() -> None:
    with raises_saying(QueryError, "very common words"):
        require_content("the of and to")


def test_punctuation_only_queries_are_refused() -> None:
    with raises_saying(QueryError, "no words"):
        require_content("?!… 🙂")


def test_a_content_word_is_enough() -> None:
    require_content("the sect")
