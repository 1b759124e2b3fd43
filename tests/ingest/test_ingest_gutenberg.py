"""Project Gutenberg texts: header metadata, markers, credits and licence removed."""

from __future__ import annotations

from embeddings.ingest.gutenberg import header_meta
from tests.ingest.ingest_helpers import Corpus


def test_manifesto_header_body_and_footer(corpus: Corpus) -> None:
    corpus.copy_fixture("manifesto-excerpt.txt")
    raw = corpus.root.joinpath("manifesto-excerpt.txt").read_bytes()
    assert b"\r\n" in raw  # the fixture keeps the file's CRLF line ends
    doc = corpus.read("manifesto-excerpt.txt")

    assert doc.format == "gutenberg"
    assert doc.meta.title == "The Communist Manifesto"
    assert doc.meta.author == "Karl Marx and Friedrich Engels"
    # "Release Date: January 25, 2005 [EBook #61]": the e-book's date, not 1848's.
    assert doc.meta.date == ""
    assert doc.meta.url == "https://www.gutenberg.org/ebooks/61"
    assert doc.meta.language == "en"

    text = doc.text
    assert "\r" not in text
    for debris in ("Project Gutenberg", "Transcribed by", "START OF", "END OF", "gutenberg.net"):
        assert debris not in text
    # The edition's note is front matter, not the Manifesto's text: its first paragraph is.
    assert "From the English edition of 1888" not in text
    assert doc.blocks[0].section == "MANIFESTO OF THE COMMUNIST PARTY"
    assert doc.blocks[0].text.startswith(
        "A spectre is haunting Europe--the spectre of Communism. All the Powers of old Europe"
    )
    assert doc.blocks[-1].text == "WORKING MEN OF ALL COUNTRIES, UNITE!"


def test_title_continuation_lines_and_credits(corpus: Corpus) -> None:
    corpus.copy_fixture("news-from-nowhere-excerpt.txt")
    doc = corpus.read("news-from-nowhere-excerpt.txt")

    assert doc.meta.title == (
        "News from Nowhere or An Epoch of Rest, being some chapters from A Utopian Romance"
    )
    assert doc.meta.author == "William Morris"
    # "Release Date: May 8, 2007 [eBook #3261]" is the e-book's, not the work's (1890).
    assert doc.meta.date == ""
    assert doc.meta.url == "https://www.gutenberg.org/ebooks/3261"
    assert "Transcribed from the 1908" not in doc.text
    assert "All rights reserved" not in doc.text
    # The title page, the imprint and the edition's history are front matter: they were
    # the first answers to "News from Nowhere" and "William Morris".
    assert doc.blocks[0].section == "CHAPTER I: DISCUSSION AND BED"
    for front in ("NEWS FROM NOWHERE", "WILLIAM MORRIS", "LONGMANS", "TENTH IMPRESSION"):
        assert front not in doc.text and all(front not in b.section for b in doc.blocks)
    chapter_one = [b for b in doc.blocks if b.section == "CHAPTER I: DISCUSSION AND BED"]
    assert chapter_one[0].text.startswith("Up at the League, says a friend, there had been")
    assert "good-tempered; for those present being used to public meetings and after-lecture" in (
        chapter_one[1].text
    )


def test_a_subtitle_in_capitals_on_its_own_line_is_set_off() -> None:
    # Run on, "The Hedgehog's Almanac Being Notes on Its Habits" read as one odd title.
    header = "Title: The Hedgehog's Almanac\n       Being Notes on Its Habits\n\nAuthor: A. Hedge\n"
    assert header_meta(header).title == "The Hedgehog's Almanac: Being Notes on Its Habits"
    run_on = "Title: News from Nowhere\n       or An Epoch of Rest\n"
    assert header_meta(run_on).title == "News from Nowhere or An Epoch of Rest"


def test_only_the_front_matter_before_the_text_goes(corpus: Corpus) -> None:
    header = (
        "Title: Essays\nAuthor: Anon\n\n*** START OF THE PROJECT GUTENBERG EBOOK ESSAYS ***\n\n"
    )
    body = (
        "ESSAYS\n\nBY ANON\n\nFirst printed 1901.\n\n"
        "In 1848, the year of revolutions, the old order of Europe shook and did not fall.\n\n"
        "Reprinted 1902.\n"  # after the text has begun: the author's words, kept
    )
    footer = "\n*** END OF THE PROJECT GUTENBERG EBOOK ESSAYS ***\n"
    doc = corpus.document("essays.txt", header + body + footer)
    assert [b.text for b in doc.blocks] == [
        "In 1848, the year of revolutions, the old order of Europe shook and did not fall.",
        "Reprinted 1902.",
    ]


def test_a_text_quoting_a_start_marker_is_no_gutenberg_file(corpus: Corpus) -> None:
    # Everything before the quoted marker was dropped as a header, silently.
    essay = (
        "On digital libraries.\n\nVolunteers mark where a book begins, with a line like\n\n"
        "*** START OF THE PROJECT GUTENBERG EBOOK MOBY DICK ***\n\nand the text follows.\n"
    )
    doc = corpus.document("essay.txt", essay)
    assert doc.format == "text"
    assert doc.blocks[0].text == "On digital libraries."
    assert [b.text for b in doc.blocks][1:] == [
        "Volunteers mark where a book begins, with a line like",
        "and the text follows.",
    ]


def test_a_page_quoting_a_start_marker_keeps_what_comes_before_it(corpus: Corpus) -> None:
    page = (
        "<html><body><p>On digital libraries.</p><p>*** START OF THE PROJECT GUTENBERG EBOOK "
        "MOBY DICK ***</p><p>And the text follows.</p></body></html>"
    )
    texts_ = [b.text for b in corpus.document("essay.html", page).blocks]
    assert texts_[0] == "On digital libraries." and texts_[-1] == "And the text follows."


def test_news_from_nowhere_footnotes(corpus: Corpus) -> None:
    corpus.copy_fixture("news-from-nowhere-excerpt.txt")
    doc = corpus.read("news-from-nowhere-excerpt.txt")

    note = doc.footnotes["1"]
    assert note.text.startswith('"Elegant," I mean, as a Persian pattern is elegant')
    assert note.anchor.endswith("a thinnish stream of elegantly")
    referencing = next(b for b in doc.blocks if "elegantly {1}" in b.text)
    assert referencing.notes == ("1",)
    definitions = [b for b in doc.blocks if b.kind == "footnote"]
    assert [(b.note_id, b.section) for b in definitions] == [
        ("1", "FOOTNOTES"),
        ("2", "FOOTNOTES"),
        ("3", "FOOTNOTES"),
    ]


def test_the_link_from_a_posting_date_line_and_no_date_of_the_ebooks(corpus: Corpus) -> None:
    corpus.copy_fixture("devils-dictionary-excerpt.txt")
    doc = corpus.read("devils-dictionary-excerpt.txt")
    # "Posting Date: July 26, 2008 [EBook #972]": the e-book's date, not Bierce's (1911).
    assert doc.meta.date == ""
    assert doc.meta.url == "https://www.gutenberg.org/ebooks/972"
    assert doc.meta.author == "Ambrose Bierce"
    assert "Produced by Aloysius" not in doc.text
    assert "by Ambrose Bierce" not in doc.text  # the byline is metadata
    assert "End of Project Gutenberg" not in doc.text


def test_markers_inside_html_are_stripped(corpus: Corpus) -> None:
    doc = corpus.document(
        "pg.html",
        "<html><head><title>The Project Gutenberg eBook of Essays</title></head><body>"
        "<pre>The Project Gutenberg EBook of Essays\n\nTitle: Essays\n\nAuthor: A. Writer\n"
        "</pre><p>*** START OF THIS PROJECT GUTENBERG EBOOK ESSAYS ***</p>"
        "<p>Produced by Someone Kind.</p><h2>ONE</h2><p>The essay itself.</p>"
        "<p>*** END OF THIS PROJECT GUTENBERG EBOOK ESSAYS ***</p><p>The licence.</p>"
        "</body></html>",
    )
    assert [(b.section, b.text) for b in doc.blocks] == [("ONE", "The essay itself.")]
    assert doc.meta.title == "Essays"
    assert doc.meta.author == "A. Writer"


def test_italics_printed_as_underscores_are_words_alone(corpus: Corpus) -> None:
    # "By _Abracadabra_ we signify" was quoted with Project Gutenberg's typography.
    corpus.copy_fixture("devils-dictionary-excerpt.txt")
    doc = corpus.read("devils-dictionary-excerpt.txt")
    assert "_" not in doc.text
    assert any("By Abracadabra we signify" in b.text for b in doc.blocks)
    # In a verse too, its lines kept.
    verse = 'But "Abracadabra, abracadab,\n        Abracada, abracad,\n'
    assert any(verse in b.text for b in doc.blocks)


def test_an_underscore_inside_a_word_or_a_name_stays(corpus: Corpus) -> None:
    body = "He spoke of snake_case and of _mis_managed roads, and of __init__.\n"
    header = (
        "Title: Essays\nAuthor: Anon\n\n*** START OF THE PROJECT GUTENBERG EBOOK ESSAYS ***\n\n"
    )
    footer = "\n*** END OF THE PROJECT GUTENBERG EBOOK ESSAYS ***\n"
    doc = corpus.document("essay.txt", header + body + footer)
    assert "snake_case" in doc.text and "_mis_managed" in doc.text and "__init__" in doc.text
