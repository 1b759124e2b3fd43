"""Metadata precedence: sidecar > front matter > collection > self-description > file name."""

from __future__ import annotations

import pytest

from embeddings.ingest.dates import normalise_date
from embeddings.ingest.masthead import parse_byline
from embeddings.ingest.metadata import title_from_filename
from tests.ingest.ingest_helpers import Corpus

FRONT = "---\ntitle: Front Title\nauthor: Front Author\n---\n\n"
BODY = "# Own Title\n\nby Own Author, May 1, 1901\n\nThe body.\n"


def test_file_name_is_the_last_resort(corpus: Corpus) -> None:
    corpus.write("my-essay_v2.md", "Just a paragraph.\n")
    assert corpus.read("my-essay_v2.md").meta.title == "My essay v2"
    assert title_from_filename("book01.htm") == "Book01"


def test_self_description_beats_the_file_name(corpus: Corpus) -> None:
    corpus.write("essay.md", BODY)
    meta = corpus.read("essay.md").meta
    assert (meta.title, meta.author, meta.date) == ("Own Title", "Own Author", "1901-05-01")


def test_collection_beats_self_description(corpus: Corpus) -> None:
    corpus.write("works/_collection.meta.toml", 'author = "Collected Author"\nlanguage = "en"\n')
    corpus.write("works/essay.md", BODY)
    meta = corpus.read("works/essay.md").meta
    assert (meta.title, meta.author, meta.language) == ("Own Title", "Collected Author", "en")


def test_front_matter_beats_collection(corpus: Corpus) -> None:
    corpus.write("works/_collection.meta.toml", 'author = "Collected Author"\n')
    corpus.write("works/essay.md", FRONT + BODY)
    meta = corpus.read("works/essay.md").meta
    assert (meta.title, meta.author, meta.date) == ("Front Title", "Front Author", "1901-05-01")


def test_sidecar_beats_front_matter(corpus: Corpus) -> None:
    corpus.write("works/_collection.meta.toml", 'author = "Collected Author"\n')
    corpus.write("works/essay.md", FRONT + BODY)
    corpus.write(
        "works/essay.md.meta.toml",
        'title = "Sidecar Title"\ndate = 1973-10-01\nurl = "https://example.org/e"\n',
    )
    meta = corpus.read("works/essay.md").meta
    assert (meta.title, meta.author, meta.date, meta.url) == (
        "Sidecar Title",
        "Front Author",
        "1973-10-01",
        "https://example.org/e",
    )


def test_a_link_discord_would_refuse_gives_way_to_the_next_sources(corpus: Corpus) -> None:
    # Discord refuses a whole message whose embed links to a malformed address: a
    # hand-written sidecar's bad link must not silence every answer from its work.
    corpus.write("works/_collection.meta.toml", 'url = "https://example.org/works"\n')
    corpus.write("works/essay.md", FRONT + BODY)
    for bad in ("http://[oops", "https://a:99999999/", "https://%", "javascript:alert(1)"):
        corpus.write("works/essay.md.meta.toml", f'url = "{bad}"\n')
        assert corpus.read("works/essay.md").meta.url == "https://example.org/works", bad


def test_bidi_controls_never_reach_a_title_or_an_author(corpus: Corpus) -> None:
    # An unclosed right-to-left override would turn the " — Author" shown after a title.
    corpus.write(
        "essay.md", '---\ntitle: "Mill Chronicle \u202e"\nauthor: "A.\u2066 Miller"\n---\n\nText.\n'
    )
    meta = corpus.read("essay.md").meta
    assert (meta.title, meta.author) == ("Mill Chronicle", "A. Miller")


def test_nearest_collection_file_wins(corpus: Corpus) -> None:
    corpus.write("_collection.meta.toml", 'author = "Root"\nlanguage = "en"\n')
    corpus.write("a/b/_collection.meta.toml", 'author = "Nearest"\n')
    corpus.write("a/b/c.txt", "Some text.\n")
    meta = corpus.read("a/b/c.txt").meta
    assert (meta.author, meta.language) == ("Nearest", "en")


def test_collection_title_makes_the_own_title_a_section(corpus: Corpus) -> None:
    corpus.write(
        "kjv/_collection.meta.toml",
        'title = "The King James Bible"\nlanguage = "en"\n',
    )
    corpus.copy_fixture("kjv-genesis-excerpt.htm", "kjv/book01.htm")
    doc = corpus.read("kjv/book01.htm")
    assert doc.meta.title == "The King James Bible"
    assert doc.meta.collection == "The King James Bible"
    assert {b.section for b in doc.blocks} == {"Genesis"}


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_a_title_and_its_byline_on_adjacent_lines_are_metadata(
    corpus: Corpus, newline: str
) -> None:
    # Joined as prose they were one passage, "On Bridges by Thomas Kellner, March 3, 1998",
    # the first answer to a question about bridges, and the author stayed unknown.
    text = newline.join(
        ["On Bridges", "by Thomas Kellner, March 3, 1998", "", "A bridge spans a river.", ""]
    )
    doc = corpus.document("bridges.txt", text)
    assert (doc.meta.title, doc.meta.author, doc.meta.date) == (
        "On Bridges",
        "Thomas Kellner",
        "1998-03-03",
    )
    assert [b.text for b in doc.blocks] == ["A bridge spans a river."]


def test_two_lines_of_prose_are_no_title_and_byline(corpus: Corpus) -> None:
    doc = corpus.document("note.txt", "We crossed it at dawn,\nled by the old ferryman.\n")
    assert [b.text for b in doc.blocks] == ["We crossed it at dawn, led by the old ferryman."]


@pytest.mark.parametrize("between", [" |", " ·", " —", ","])
def test_a_byline_may_part_its_date_as_sites_do(between: str) -> None:
    # "By Henri Duval | February 12, 2018" was no byline: the article had no author.
    byline = f"By Henri Duval{between} February 12, 2018"
    assert parse_byline(byline) == ("Henri Duval", "2018-02-12")


@pytest.mark.parametrize(
    ("byline", "read"),
    [
        ("by Hal Draper, 1973", ("Hal Draper", "1973")),
        ("by Jane Doe (1901)", ("Jane Doe", "1901")),
        ("by Mark Twain, May 1901", ("Mark Twain", "1901-05")),
    ],
)
def test_a_byline_with_a_bare_year_is_read_though_the_surname_looks_like_a_month(
    byline: str, read: tuple[str, str]
) -> None:
    # "Draper, 1973" has the shape of "March, 1973": the surname was taken for a month,
    # the date did not parse, and the whole line was no byline.
    assert parse_byline(byline) == read


def test_a_text_with_a_bare_year_byline_takes_its_title_and_author(corpus: Corpus) -> None:
    doc = corpus.document("rain.txt", "Essay on Rain\nby Jane Doe, 1901\n\nIt rained all May.\n")
    assert (doc.meta.title, doc.meta.author, doc.meta.date) == ("Essay on Rain", "Jane Doe", "1901")
    assert [b.text for b in doc.blocks] == ["It rained all May."]


def test_an_html_byline_names_the_author(corpus: Corpus) -> None:
    doc = corpus.document(
        "escapement.html",
        "<h1>The Escapement</h1><p>By Henri Duval | February 12, 2018</p>"
        "<p>The escapement is the heart of a mechanical clock.</p>",
    )
    assert (doc.meta.author, doc.meta.date) == ("Henri Duval", "2018-02-12")
    assert [b.text for b in doc.blocks] == ["The escapement is the heart of a mechanical clock."]


def test_byline_with_an_email_placeholder_keeps_the_date() -> None:
    assert parse_byline("by [email\u00a0protected], January 26, 2002") == ("", "2002-01-26")
    assert parse_byline("by [email protected], January 26, 2002") == ("", "2002-01-26")
    assert parse_byline("by Ambrose Bierce") == ("Ambrose Bierce", "")
    assert parse_byline("By the way, this is not a byline") is None


@pytest.mark.parametrize(
    ("printed", "iso"),
    [
        ("January 26, 2002", "2002-01-26"),
        ("(1973)", "1973"),
        ("May 8, 2007  [eBook #3261]", "2007-05-08"),
        ("26 January 2002", "2002-01-26"),
        ("October 1973", "1973-10"),
        ("2002-01-26T10:00:00", "2002-01-26"),
        ("27.9.2004", "27.9.2004"),  # ambiguous: kept as printed
        ("February 30, 2002", "February 30, 2002"),
    ],
)
def test_dates(printed: str, iso: str) -> None:
    assert normalise_date(printed) == iso
