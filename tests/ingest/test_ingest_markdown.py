"""Markdown: front matter, headings as sections, paragraphs, lists, links, emphasis."""

from __future__ import annotations

import pytest

from tests.ingest.ingest_helpers import Corpus


def texts(corpus: Corpus, source: str) -> list[str]:
    return [b.text for b in corpus.read(source).blocks]


def test_headings_set_the_section_of_the_blocks_below_them(corpus: Corpus) -> None:
    doc = corpus.document(
        "essay.md",
        "Opening words.\n\n## Part one\n\nFirst.\n\n### Detail\n\nSecond.\n\n"
        "Setext heading\n--------------\n\nThird.\n",
    )
    assert [(b.section, b.text) for b in doc.blocks] == [
        ("", "Opening words."),
        ("Part one", "First."),
        ("Detail", "Second."),
        ("Setext heading", "Third."),
    ]
    assert doc.format == "markdown"


def test_a_leading_h1_is_the_title_not_a_section(corpus: Corpus) -> None:
    doc = corpus.document("essay.md", "# The Title\n\nBody text.\n")
    assert doc.meta.title == "The Title"
    assert [(b.section, b.text) for b in doc.blocks] == [("", "Body text.")]


def test_under_a_title_in_the_front_matter_a_leading_h1_is_a_section(corpus: Corpus) -> None:
    # "# Chapter One" went as if it were the title: chapter one's passages had no section.
    text = "---\ntitle: My Book\n---\n\n# Chapter One\n\nFirst.\n\n# Chapter Two\n\nSecond.\n"
    doc = corpus.document("book.md", text)
    assert doc.meta.title == "My Book"
    assert [(b.section, b.text) for b in doc.blocks] == [
        ("Chapter One", "First."),
        ("Chapter Two", "Second."),
    ]


# A Markdown file, and the text of its blocks.
BLOCK_TEXTS = [
    pytest.param(
        "poem.md",
        "A paragraph wrapped\nacross two lines.\n\nRoses are red,  \nviolets are blue,\\\nsugar.\n",
        [
            "A paragraph wrapped across two lines.",
            "Roses are red,\nviolets are blue,\nsugar.",
        ],
        id="hard-wrapped-lines-join-but-hard-breaks-stay",
    ),
    pytest.param(
        "mixed.md",
        "- first item\n- second item\n  continued\n\n1. numbered\n\n"
        "> quoted words\n> go on\n\n```\ncode  stays\n   verbatim\n```\n",
        [
            "first item",
            "second item continued",
            "numbered",
            "quoted words go on",
            "code  stays\n   verbatim",
        ],
        id="list-items-quotes-and-code",
    ),
    pytest.param(
        "emph.md",
        "**Strong** and __strong__, *em* and _em_; snake_case_name stays, "
        "2 * 3 * 4 stays, \\[1\\*\\] and \\*literal\\* unescape.\n",
        [
            "Strong and strong, em and em; snake_case_name stays, "
            "2 * 3 * 4 stays, [1*] and *literal* unescape."
        ],
        id="emphasis-and-escapes-are-removed-without-eating-words",
    ),
    pytest.param(
        "raw.md",
        "Before.\n\n___\n\n***\n\n<!-- a comment\nover lines -->\n\n"
        "Inline <span class='x'>tags</span> go,<br>breaks stay.\n\n"
        "<div>\nBlock html text.\n</div>\n",
        [
            "Before.",
            "Inline tags go,\nbreaks stay.",
            "Block html text.",
        ],
        id="rules-comments-and-raw-tags-are-dropped",
    ),
    pytest.param(
        "script.md",
        "Text about sects.\n\n<script>\nvar secret = 1;\n</script>\n\n"
        "<style>p { color: red }</style>\n\nAfter.\n",
        ["Text about sects.", "After."],
        id="scripts-and-styles-are-no-text",
    ),
    pytest.param(
        "code.md",
        "Intro text.\n\n```\n[^1]: this is code\n[^note] too\n```\n\nAfter.\n",
        ["Intro text.", "[^1]: this is code\n[^note] too", "After."],
        id="footnote-syntax-in-code-stays-as-written",
    ),
    pytest.param(
        "rule.md",
        "---\n\nJust text after a rule.\n",
        ["Just text after a rule."],
        id="an-unclosed-opening-rule-is-not-front-matter",
    ),
]


@pytest.mark.parametrize(("name", "markdown", "blocks"), BLOCK_TEXTS)
def test_the_text_of_the_blocks(
    corpus: Corpus, name: str, markdown: str, blocks: list[str]
) -> None:
    corpus.write(name, markdown)
    assert texts(corpus, name) == blocks


def test_links_keep_their_text_and_set_aside_their_url(corpus: Corpus) -> None:
    doc = corpus.document(
        "links.md",
        "See [the archive](https://example.org/a) and ![a picture](pic.png) "
        "<https://example.org/auto> [ref link][r].\n\n[r]: https://example.org/r\n",
    )
    assert [b.text for b in doc.blocks] == ["See the archive and ref link."]
    assert doc.links == (
        "https://example.org/a",
        "https://example.org/auto",
        "https://example.org/r",
    )


def test_front_matter_is_metadata_not_text(corpus: Corpus) -> None:
    doc = corpus.document(
        "fm.md",
        "---\ntitle: Front Title\nauthor: [Karl Marx, Friedrich Engels]\ndate: 1848-02-21\n"
        "permalink: /site/path\nlang: English\n---\n\nBody.\n",
    )
    assert doc.meta.title == "Front Title"
    assert doc.meta.author == "Karl Marx and Friedrich Engels"
    assert doc.meta.date == "1848-02-21"
    assert doc.meta.url == ""  # a permalink is a path on some site, not a URL
    assert doc.meta.language == "en"
    assert [b.text for b in doc.blocks] == ["Body."]


@pytest.mark.parametrize(
    ("author", "read"),
    [
        # Quarto: people with affiliations; the whole file was refused as "author is not text".
        (
            "\n  - name: Ada Fenwick\n    affiliation: Delta Institute\n  - name: Bo Li",
            "Ada Fenwick and Bo Li",
        ),
        ("\n  name: Ada Fenwick\n  email: ada@example.org", "Ada Fenwick"),
        # Pandoc and CSL: given and family names.
        ("\n  - given: Ada\n    family: Fenwick", "Ada Fenwick"),
        ("\n  - name:\n      given: Ada\n      family: Fenwick", "Ada Fenwick"),
    ],
)
def test_people_written_as_quarto_or_pandoc_write_them_are_the_author(
    corpus: Corpus, author: str, read: str
) -> None:
    doc = corpus.document("rivers.md", f"---\ntitle: Rivers\nauthor:{author}\n---\n\nBody.\n")
    assert doc.meta.author == read


def test_absolute_front_matter_url_is_kept(corpus: Corpus) -> None:
    corpus.write("fm.md", "---\ntitle: T\nurl: https://example.org/essay\n---\nBody.\n")
    assert corpus.read("fm.md").meta.url == "https://example.org/essay"


def test_draper_excerpt(corpus: Corpus) -> None:
    corpus.copy_fixture("draper-excerpt.md")
    doc = corpus.read("draper-excerpt.md")

    assert doc.meta.title == "Anatomy of the Micro-Sect"
    assert doc.meta.author == "Hal Draper"  # from the "## Hal Draper" / "### (1973)" pair
    assert doc.meta.date == "1973"

    intro = [b for b in doc.blocks if b.section == "Introduction"]
    assert len(intro) == 1
    assert intro[0].text.startswith("There is a terminological problem. “Sect” is often used")
    assert (
        "A sect presents itself as the embodiment of the socialist movement, though it is a "
        "membership organization" in intro[0].text
    )
    assert "4. Sects and Trade Unions" in doc.sections

    text = doc.text
    for debris in ("Top of the page", "Last updated", "MIA", "Marked up by", "Downloaded with"):
        assert debris not in text
    assert "http" not in text and "](" not in text
    assert "http://csh.gn.apc.org/" in doc.links
    # The source note survives the credits around it, with its footnote marker.
    assert doc.blocks[0].text == "Unpublished document circulated privately in 1973. [1]"
    assert doc.format == "markdown"


def test_a_table_is_one_block_a_row_a_line_without_its_markup(corpus: Corpus) -> None:
    # CommonMark has no tables: the pipes and dashes were quoted as one line of markup.
    doc = corpus.document(
        "bread.md",
        "The ratio matters.\n\n| Flour | Water | Salt |\n|-------|:-----:|------|\n"
        "| 1000 g | 750 g | 20 g |\n| 500 g | *375 g* | [10 g](salt.md) |\n\nAfter.\n",
    )
    assert [b.text for b in doc.blocks] == [
        "The ratio matters.",
        "Flour | Water | Salt\n1000 g | 750 g | 20 g\n500 g | 375 g | 10 g",
        "After.",
    ]


def test_an_unclosed_style_element_leaves_the_prose_after_it(corpus: Corpus) -> None:
    # Read as running to the end of the file, it took the whole document with it.
    doc = corpus.document("style.md", "Intro.\n\n<style> elements belong in the head\n\nProse.\n")
    assert "Prose." in [b.text for b in doc.blocks]


def test_named_footnotes_are_numbered_once_across_code_blocks(corpus: Corpus) -> None:
    # Numbered apart between fences, a reference before a code block lost its note after it.
    text = (
        "The word is old.[^origin]\n\n```\ncode [^x]\n```\n\n"
        "- a list item\n\n      indented code [^y]\n\n"
        "[^origin]: First said of the early churches.\n"
    )
    doc = corpus.document("notes.md", text)
    assert [n.text for n in doc.footnotes.values()] == ["First said of the early churches."]
    texts_ = [b.text for b in doc.blocks]
    assert "code [^x]" in texts_ and "indented code [^y]" in texts_


def test_a_heading_s_part_is_the_headings_of_higher_levels_above_it(corpus: Corpus) -> None:
    # Draper's essay: its numbered sections are h4s under an h3; its footnotes an h3 again.
    doc = corpus.document(
        "essay.md",
        "Opening words.\n\n### About the Road\n\nIntro.\n\n#### 1. The Road Forward\n\n"
        "First.\n\n#### 2. Fragmentation\n\nSecond.\n\n### Footnotes\n\nA note.\n",
    )
    assert [(b.part, b.section, b.text) for b in doc.blocks] == [
        ("", "", "Opening words."),
        ("", "About the Road", "Intro."),
        ("About the Road", "1. The Road Forward", "First."),
        ("About the Road", "2. Fragmentation", "Second."),
        ("", "Footnotes", "A note."),
    ]
