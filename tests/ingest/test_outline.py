"""The headings above a point of a plain text, told by their numbering."""

from __future__ import annotations

import pytest

from embeddings.ingest.outline import Outline


def parts(*headings: str) -> list[str]:
    outline = Outline(levelled=False)
    out = []
    for heading in headings:
        outline.enter(heading, 2)
        out.append(outline.part)
    return out


@pytest.mark.parametrize(
    ("outer", "inner", "next_outer"),
    [
        ("BOOK I. THE OLD WORLD", "CHAPTER 1. THE VOYAGE", "BOOK II. THE NEW WORLD"),
        ("ACT I", "SCENE 2", "ACT II"),
    ],
)
def test_a_chapter_nests_under_its_book_and_a_scene_under_its_act(
    outer: str, inner: str, next_outer: str
) -> None:
    # Every "word" numbering was one kind: CHAPTER closed BOOK, and no part was kept.
    assert parts(outer, inner, next_outer) == ["", outer, ""]


def test_the_same_word_numbering_closes_what_it_opened() -> None:
    assert parts("CHAPTER I", "1. Morning", "CHAPTER II") == ["", "CHAPTER I", ""]
