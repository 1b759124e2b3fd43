"""What a hit shows: a dictionary headword left alone by the cutting comes with its
definition."""

from __future__ import annotations

from dataclasses import dataclass

from embeddings.hits import Hit, result_text, with_its_definition
from embeddings.passages import Passage


@dataclass
class Index:
    passages: list[Passage]


def entry(text: str, section: str, source: str = "dictionary.txt") -> Passage:
    return Passage(source=source, text=text, start=0, end=len(text), section=section, kind="entry")


DICTIONARY = Index(
    [
        entry("REGALIA, n.", "REGALIA"),
        entry("Distinguishing insignia, jewels and costume of ancient orders.", "REGALIA"),
        entry("RELIGION, n.", "RELIGION"),
        entry("A daughter of Hope and Fear.", "RELIGION", source="other.txt"),
        entry("SAINT, n. A dead sinner revised and edited.", "SAINT"),
    ]
)


def test_a_bare_headword_is_shown_with_the_passage_that_defines_it() -> None:
    shown = with_its_definition(DICTIONARY, Hit(0, 1.0, 0.5, 2.0, highlight=(0, 11)))
    assert shown.window == (0, 1) and shown.highlight == (0, 11)
    assert result_text(DICTIONARY, shown) == (
        "REGALIA, n.\nDistinguishing insignia, jewels and costume of ancient orders."
    )


def test_anything_else_is_shown_as_it_is() -> None:
    for hit in (
        Hit(4, 1.0, 0.5, 2.0),  # an entry with its definition
        Hit(1, 1.0, 0.5, 2.0),  # a definition's passage
        Hit(2, 1.0, 0.5, 2.0),  # a headword whose next passage is another work's
        Hit(0, 1.0, 0.5, 2.0, window=(0, 1)),  # a window already
    ):
        assert with_its_definition(DICTIONARY, hit) == hit
