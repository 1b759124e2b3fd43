"""HTML: blocks, furniture, navigation rows, head metadata, Bible verses."""

from __future__ import annotations

from tests.ingest.ingest_helpers import Corpus

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <title>On Sects | Some Archive</title>
  <meta name="author" content="Hal Draper">
  <meta name="date" content="1973-10-01">
  <style>p { color: red }</style>
  <script>var x = "not text";</script>
</head>
<body>
  <header><a href="/">Home</a></header>
  <nav><a href="/a">About</a> <a href="/c">Contact</a></nav>
  <p class="nav"><a href="/prev">Previous</a> | <a href="/">Home</a> | <a href="/next">Next</a></p>
  <h1>Anatomy of the Micro-Sect</h1>
  <p>First paragraph with <em>emphasis</em> and a
     <a href="https://example.org/x">link</a>.</p>
  <h2>The Road</h2>
  <p>Line one<br>line two</p>
  <ul><li>An item</li><li>Another <b>item</b></li></ul>
  <blockquote><p>A quoted paragraph.</p></blockquote>
  <dl><dt>Term</dt><dd>Its definition.</dd></dl>
  <pre>  keep
    spacing</pre>
  <aside>Sidebar text</aside>
  <footer>Footer text</footer>
</body>
</html>
"""


def test_blocks_sections_and_furniture(corpus: Corpus) -> None:
    doc = corpus.document("page.html", PAGE)

    assert doc.format == "html"
    assert [(b.section, b.text) for b in doc.blocks] == [
        ("", "First paragraph with emphasis and a link."),
        ("The Road", "Line one\nline two"),
        ("The Road", "An item"),
        ("The Road", "Another item"),
        ("The Road", "A quoted paragraph."),
        ("The Road", "Term"),
        ("The Road", "Its definition."),
        ("The Road", "  keep\n    spacing"),
    ]
    assert doc.links == ("https://example.org/x",)


def test_banners_share_buttons_and_comments_are_furniture_too(corpus: Corpus) -> None:
    # A cookie banner was a passage, the first answer to "does this site use cookies".
    doc = corpus.document(
        "clocks.html",
        "<div id='cookie-banner'>We use cookies to improve your experience. Accept?</div>"
        "<article class='post'><p>Geneva's clockmakers fled the ban on jewellery.</p>"
        "<div class='share-bar'>Share this: <a href='t'>Twitter</a></div></article>"
        "<section id='comments'><p>Great article! Loved it. Bob</p></section>"
        "<p class='shareholders'>Shareholders met in 1601.</p>",
    )
    assert [b.text for b in doc.blocks] == [
        "Geneva's clockmakers fled the ban on jewellery.",
        "Shareholders met in 1601.",  # a word that only starts like one
    ]


def test_head_and_first_h1_describe_the_page(corpus: Corpus) -> None:
    corpus.write("page.html", PAGE)
    meta = corpus.read("page.html").meta
    assert meta.title == "Anatomy of the Micro-Sect"
    assert meta.author == "Hal Draper"
    assert meta.date == "1973-10-01"
    assert meta.language == "en"


def test_title_element_when_there_is_no_h1(corpus: Corpus) -> None:
    corpus.write("t.htm", "<html><head><title>A Page</title></head><body><p>Text.</p></body>")
    assert corpus.read("t.htm").meta.title == "A Page"


def test_later_h1_headings_are_sections(corpus: Corpus) -> None:
    doc = corpus.document("two.html", "<h1>Title</h1><p>a</p><h1>Second Part</h1><p>b</p>")
    assert doc.meta.title == "Title"
    assert [(b.section, b.text) for b in doc.blocks] == [("", "a"), ("Second Part", "b")]


PREFACE = "This preface tells how the book came to be written, " * 5


def test_an_h1_after_the_text_begins_is_a_section_and_the_title_element_names_the_page(
    corpus: Corpus,
) -> None:
    # "Chapter 1" after a preface became the work's title, and its section was lost.
    page = (
        f"<html><head><title>The Real Book</title></head><body><p>{PREFACE}</p>"
        "<h1>Chapter 1</h1><p>It begins.</p></body></html>"
    )
    doc = corpus.document("real.html", page)
    assert doc.meta.title == "The Real Book"
    assert [b.section for b in doc.blocks] == ["", "Chapter 1"]


def test_an_h1_under_a_byline_is_still_the_title(corpus: Corpus) -> None:
    page = (
        "<html><head><title>Marxists Internet Archive</title></head><body>"
        "<p>Hal Draper, 1973</p><h1>Anatomy of the Micro-Sect</h1><p>The text.</p></body></html>"
    )
    assert corpus.document("b.html", page).meta.title == "Anatomy of the Micro-Sect"
    untitled = "<html><body><p>" + PREFACE + "</p><h1>Chapter 1</h1><p>x</p></body></html>"
    assert corpus.document("c.html", untitled).meta.title == "Chapter 1"  # nothing better


def test_html_is_sniffed_whatever_the_file_is_called(corpus: Corpus) -> None:
    doc = corpus.document(
        "page.txt", "<!DOCTYPE html><html><body><p>Para &amp; more</p></body></html>"
    )
    assert doc.format == "html"
    assert [b.text for b in doc.blocks] == ["Para & more"]


def test_kjv_excerpt_verses(corpus: Corpus) -> None:
    corpus.copy_fixture("kjv-genesis-excerpt.htm", "kjv/book01.htm")
    doc = corpus.read("kjv/book01.htm")

    assert doc.meta.title == "Genesis"  # the <title> "Book 01" names a file, not a work
    assert all(b.kind == "verse" for b in doc.blocks)
    assert [b.locator for b in doc.blocks] == [
        "1:1", "1:2", "1:3", "1:4", "1:5", "2:1", "2:2", "50:26",
    ]  # fmt: skip
    assert doc.blocks[0].text == "In the beginning God created the heaven and the earth."
    assert doc.blocks[1].text == (
        "And the earth was without form, and void; and darkness was upon the face of the "
        "deep. And the Spirit of God moved upon the face of the waters."
    )
    text = doc.text
    assert "Previous" not in text and "Chapter" not in text and "Next" not in text
    assert doc.links == ()  # navigation links go with their rows


def test_a_time_of_day_is_not_a_verse(corpus: Corpus) -> None:
    corpus.write(
        "minutes.html",
        "<p>The meeting was long.</p><p>10:30 The chair opened it.</p><p>It went on.</p>",
    )
    assert [b.kind for b in corpus.read("minutes.html").blocks] == ["text", "text", "text"]
