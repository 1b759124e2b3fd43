"""Website and transcription debris, in every format."""

from __future__ import annotations

import pytest

from embeddings.ingest.cleanup import is_debris, strip_debris_lines
from tests.ingest.ingest_helpers import Corpus


@pytest.mark.parametrize(
    "text",
    [
        "[About]  [Contact]  [Home]  [News]  [RAIL]",
        "MIA > Archive > Draper",
        "Home » Articles » Sects",
        "Top of the page",
        "Back to the Draper Archive",
        "Last updated on 27.9.2004",
        "This is an archive of the former website of the Maoist Internationalist Movement, "
        "which was run by the now defunct Maoist Internationalist Party - Amerika.",
        'See also, "Why don\'t all you leftists work together?"',
        "Previous Home Next",
        "Chapter",
        "* * *",
        "[Illustration: The Thames at Hammersmith]",
        "_All rights reserved_",
    ],
)
def test_debris(text: str) -> None:
    assert is_debris(text)


@pytest.mark.parametrize(
    "text",
    [
        "Chapter 1",
        "First.",
        "The sect-socialist [2*] has always felt a soul-torn difficulty.",
        "[1] [2]",  # footnote markers are not a navigation row
        "Two things result from this fact.",
        "See also Lenin, What Is To Be Done?",
        "Back to the drawing board, said the committee, and they went back to it for a year.",
    ],
)
def test_not_debris(text: str) -> None:
    assert not is_debris(text)


def test_link_only_rows_are_navigation() -> None:
    assert is_debris("Genesis Exodus Leviticus", link_only=True, n_links=3)
    assert is_debris("Next chapter", link_only=True, n_links=1)
    long_link = "A single linked sentence that is long enough to be worth keeping as text."
    assert not is_debris(long_link, link_only=True, n_links=1)


def test_credit_lines_go_and_the_rest_of_the_paragraph_stays() -> None:
    paragraph = (
        "Unpublished document circulated privately in 1973. [1]\n"
        "Downloaded with thanks from the Center for Socialist History Website.\n"
        "© Center for Socialist History. Published here with kind permission.\n"
        "Marked up by Einde O’Callaghan for the Marxists’ Internet Archive."
    )
    assert strip_debris_lines(paragraph) == "Unpublished document circulated privately in 1973. [1]"


def test_credits_in_the_body_are_prose(corpus: Corpus) -> None:
    body = "\n\n".join(f"Paragraph {i} of the body." for i in range(10))
    corpus.write(
        "credits.txt",
        f"Transcribed by A. Volunteer\n\n{body}\n\nProduced by the workers, the goods were "
        f"sold by the owners.\n\n{body}\n\nLast updated on 1.2.2003\n",
    )
    texts = [b.text for b in corpus.read("credits.txt").blocks]
    assert "Transcribed by A. Volunteer" not in texts
    assert "Produced by the workers, the goods were sold by the owners." in texts
    assert not any(t.startswith("Last updated") for t in texts)


def test_markdown_breadcrumbs_and_nav_links(corpus: Corpus) -> None:
    doc = corpus.document(
        "nav.md",
        "[MIA](https://m.org/)  >  [Archive](https://m.org/a)  >  [Draper](https://m.org/d)\n\n"
        "[Home](/) [Index](/i) [Next](/n)\n\nThe text itself.\n\n"
        "[Top of the page](https://m.org/d#top)\n",
    )
    assert [b.text for b in doc.blocks] == ["The text itself."]
    assert doc.links == ()
