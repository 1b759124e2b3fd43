"""Plain text: paragraphs, verse, bullet lists, headings, the MIM page."""

from __future__ import annotations

import re

import pytest

from embeddings.ingest import text as text_reader
from tests.ingest.ingest_helpers import Corpus


def blocks(corpus: Corpus, text: str, name: str = "plain.txt") -> list[tuple[str, str]]:
    corpus.write(name, text)
    return [(b.section, b.text) for b in corpus.read(name).blocks]


def test_paragraphs_split_on_blank_lines_and_wrapped_lines_join(corpus: Corpus) -> None:
    text = (
        "The first paragraph is wrapped\nover two lines.\n\n  \n"
        "A second one, with a hyphenated subject-\nmatter and a dash--\nright here.\n"
    )
    assert blocks(corpus, text) == [
        ("", "The first paragraph is wrapped over two lines."),
        ("", "A second one, with a hyphenated subject-matter and a dash-- right here."),
    ]


def test_indented_verse_keeps_its_lines_without_the_common_indent(corpus: Corpus) -> None:
    prose = "This is ordinary prose, long enough to set the wrap width of the text for all.\n\n"
    verse = "  Spring beckons!  All things to the call respond;\n    The trees are leaving.\n"
    assert blocks(corpus, prose + verse)[1] == (
        "",
        "Spring beckons! All things to the call respond;\n  The trees are leaving.",
    )


def test_short_capitalised_lines_are_verse(corpus: Corpus) -> None:
    text = (
        "Prose wrapped at the usual width goes on and on until the line is full, and then\n"
        "it breaks, because that is how hard-wrapped plain text files were written.\n\n"
        "Tyger Tyger, burning bright,\nIn the forests of the night;\nWhat immortal hand or eye,\n"
    )
    assert blocks(corpus, text)[1][1] == (
        "Tyger Tyger, burning bright,\nIn the forests of the night;\nWhat immortal hand or eye,"
    )


def test_a_file_of_verse_alone_keeps_its_lines(corpus: Corpus) -> None:
    # No prose to set the wrap width: flush-left stanzas ran into one line each.
    stanza = (
        "The apple trees stand bare and grey,\nTheir branches black against the snow;\n"
        "The birds that sang in early May\nHave somewhere else to go.\n"
    )
    assert blocks(corpus, stanza + "\n" + stanza.replace("grey", "gray"))[0][1] == (stanza.strip())


def test_bullets_make_one_block_per_item(corpus: Corpus) -> None:
    text = "Examples:\n  • Selling books.\n  • Posting links\n    over two lines.\n* star\n- dash\n"
    assert [t for _, t in blocks(corpus, text)] == [
        "Examples:",
        "Selling books.",
        "Posting links over two lines.",
        "star",
        "dash",
    ]


def test_heading_lines_set_sections_and_are_not_blocks(corpus: Corpus) -> None:
    text = (
        "CHAPTER I: DISCUSSION AND BED\n\nUp at the League.\n\n"
        "Chapter 2\n\nSecond chapter.\n\n"
        "IV.  POSITION OF THE COMMUNISTS IN RELATION TO THE\n"
        "VARIOUS EXISTING OPPOSITION PARTIES\n\n"
        "Section II has made clear.\n\n"
        "A. Feudal Socialism\n\nOwing to their historical position.\n\n"
        "WORKING MEN OF ALL COUNTRIES, UNITE!\n"
    )
    assert blocks(corpus, text) == [
        ("CHAPTER I: DISCUSSION AND BED", "Up at the League."),
        ("Chapter 2", "Second chapter."),
        (
            "IV. POSITION OF THE COMMUNISTS IN RELATION TO THE VARIOUS EXISTING OPPOSITION PARTIES",
            "Section II has made clear.",
        ),
        ("A. Feudal Socialism", "Owing to their historical position."),
        # Closing punctuation: a slogan, not a heading.
        ("A. Feudal Socialism", "WORKING MEN OF ALL COUNTRIES, UNITE!"),
    ]


def test_ordinary_short_lines_are_not_headings(corpus: Corpus) -> None:
    text = "Part of the problem is this\n\nTwo things result from this fact.\n"
    assert blocks(corpus, text) == [
        ("", "Part of the problem is this"),
        ("", "Two things result from this fact."),
    ]


# A heading is the section of what it heads, never a passage of its own. Title-cased lines
# over prose: glued to the paragraph below as a fragment, "The Early Years" was quoted
# and highlighted as the start of it, and /source listed "(no sections)".
HEADINGS = {
    "a title-cased line over prose": (
        "Introduction\n\nThese letters were found in a drawer of the\nold bakery.\n\n"
        "The Early Years\n\nI was born above my father's bakery\nin 1889.\n\n"
        "Of the Committee\n\nThe committee shall meet on the first Monday of every month.\n",
        [
            ("Introduction", "These letters were found in a drawer of the old bakery."),
            ("The Early Years", "I was born above my father's bakery in 1889."),
            ("Of the Committee", "The committee shall meet on the first Monday of every month."),
        ],
    ),
    "a short line over a list": (
        "Examples of working with people we disagree with\n\n"
        "  • Selling books of all kinds.\n  • Posting links to rivals.\n\n"
        "Examples of connections we did not make\n\n"
        "Generally we prefer our own reporting.\n\n"
        "  • A page on prisons.\n",
        [
            ("Examples of working with people we disagree with", "Selling books of all kinds."),
            ("Examples of working with people we disagree with", "Posting links to rivals."),
            ("Examples of connections we did not make", "Generally we prefer our own reporting."),
            ("Examples of connections we did not make", "A page on prisons."),
        ],
    ),
}


@pytest.mark.parametrize("shape", HEADINGS)
def test_a_line_that_heads_what_follows_is_its_section(corpus: Corpus, shape: str) -> None:
    text, expected = HEADINGS[shape]
    assert blocks(corpus, text) == expected


def test_a_title_cased_line_over_a_short_line_is_no_heading(corpus: Corpus) -> None:
    text = "And So It Goes\n\nThe Wind Blows\n\nEnd.\n"
    assert {b.section for b in corpus.document("poem.txt", text).blocks} == {""}


def test_mim_page(corpus: Corpus) -> None:
    corpus.copy_fixture("mim-definition-of-sectarianism.txt")
    doc = corpus.read("mim-definition-of-sectarianism.txt")

    assert doc.format == "text"
    assert doc.meta.title == (
        "Definition of sectarianism: What is sectarianism? What are you doing about it?"
    )
    assert doc.meta.date == "2002-01-26"
    assert doc.meta.author == ""  # "[email protected]" is no author

    texts = [b.text for b in doc.blocks]
    assert texts[0].startswith("Sectarianism originally referred to the splintering")
    whole = doc.text
    assert "This is an archive of the former website" not in whole
    assert "[About]" not in whole and "[RAIL]" not in whole and "See also," not in whole
    assert "[email" not in whole
    assert "Maoist Internationalist Movement\n" not in whole

    marxists = next(t for t in texts if 'When Marxists speak of "sectarianism,"' in t)
    assert marxists.startswith("In discussions of communism and socialism, it is an insult")
    assert marxists.endswith(
        "especially prone to splits based on the individual's relationship to God."
    )

    bullets = [t for t in texts if t.startswith("Selling books") or t.startswith("Redistributing")]
    assert len(bullets) == 3
    assert not any(t.startswith("•") for t in texts)
    assert texts[-1].startswith("A tell-tale sign of sectarianism")


def test_a_lead_in_line_or_a_line_far_from_a_list_stays_a_paragraph(corpus: Corpus) -> None:
    text = (
        "These are the examples:\n\n  • One.\n\n"
        "A line with no list near it\n\nProse.\n\nMore prose.\n\n  • Two.\n"
    )
    assert [t for _, t in blocks(corpus, text)] == [
        "These are the examples:",
        "One.",
        "A line with no list near it",
        "Prose.",
        "More prose.",
        "Two.",
    ]


class _Watched:
    """A regex stand-in that records how much text each search was given."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern, self.sizes = pattern, [0]

    def search(self, text: str) -> re.Match[str] | None:
        self.sizes.append(len(text))
        return self.pattern.search(text)


def test_joining_a_paragraph_reads_each_line_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # A hard-wrapped book with no blank line is one paragraph: each line searched the whole
    # text joined so far, and a 1.2 MB upload took 48 minutes to read.
    watched = _Watched(text_reader._HYPHEN_END)
    monkeypatch.setattr(text_reader, "_HYPHEN_END", watched)
    lines = [f"Line {n} of a long book." for n in range(2000)] + ["A hyphen-", "ated end"]
    joined = text_reader.join_prose(lines)
    assert joined.endswith(". A hyphen-ated end") and joined.count(" Line ") == 1999
    assert max(watched.sizes) <= 2  # the end of the line before, not the text so far


def test_numbered_headings_nest_by_their_numbering(corpus: Corpus) -> None:
    # The Manifesto's Part III: "A. Feudal Socialism" is cited under "1. REACTIONARY
    # SOCIALISM", under "III. ..."; a numbering seen before closes what it had opened. "I."
    # is a Roman one unless it follows "H.", and a heading without a number (the
    # Manifesto's own name, over its four parts) holds no numbered one.
    text = (
        "MANIFESTO OF THE COMMUNIST PARTY\n\nA spectre is haunting Europe.\n\n"
        "I. BOURGEOIS AND PROLETARIANS\n\nThe history of all hitherto existing society.\n\n"
        "II. PROLETARIANS AND COMMUNISTS\n\nIn what relation do the Communists stand?\n\n"
        "III. SOCIALIST AND COMMUNIST LITERATURE\n\n1. REACTIONARY SOCIALISM\n\n"
        "A. Feudal Socialism\n\nOwing to their historical position.\n\n"
        "B. Petty-Bourgeois Socialism\n\nThe feudal aristocracy was not the only class.\n\n"
        "2. CONSERVATIVE, OR BOURGEOIS, SOCIALISM\n\nA part of the bourgeoisie is desirous.\n\n"
        "IV. POSITION OF THE COMMUNISTS\n\nSection II has made clear the relations.\n"
    )
    corpus.write("plain.txt", text)
    assert [(b.part, b.section, b.text) for b in corpus.read("plain.txt").blocks][:3] == [
        ("", "MANIFESTO OF THE COMMUNIST PARTY", "A spectre is haunting Europe."),
        ("", "I. BOURGEOIS AND PROLETARIANS", "The history of all hitherto existing society."),
        ("", "II. PROLETARIANS AND COMMUNISTS", "In what relation do the Communists stand?"),
    ]
    assert [(b.part, b.section, b.text) for b in corpus.read("plain.txt").blocks][3:] == [
        (
            "III. SOCIALIST AND COMMUNIST LITERATURE › 1. REACTIONARY SOCIALISM",
            "A. Feudal Socialism",
            "Owing to their historical position.",
        ),
        (
            "III. SOCIALIST AND COMMUNIST LITERATURE › 1. REACTIONARY SOCIALISM",
            "B. Petty-Bourgeois Socialism",
            "The feudal aristocracy was not the only class.",
        ),
        (
            "III. SOCIALIST AND COMMUNIST LITERATURE",
            "2. CONSERVATIVE, OR BOURGEOIS, SOCIALISM",
            "A part of the bourgeoisie is desirous.",
        ),
        ("", "IV. POSITION OF THE COMMUNISTS", "Section II has made clear the relations."),
    ]
    assert corpus.read("plain.txt").sections[3:6] == [
        "III. SOCIALIST AND COMMUNIST LITERATURE",
        "1. REACTIONARY SOCIALISM",
        "A. Feudal Socialism",
    ]


def test_a_chapter_holds_the_numbered_headings_under_it_until_the_next_one(corpus: Corpus) -> None:
    text = (
        "CHAPTER I: DISCUSSION AND BED\n\nUp at the League.\n\n"
        "1. The Morning\n\nA bright morning it was.\n\n"
        "CHAPTER II: A MORNING BATH\n\nThe river ran clear.\n"
    )
    corpus.write("plain.txt", text)
    assert [(b.part, b.section) for b in corpus.read("plain.txt").blocks] == [
        ("", "CHAPTER I: DISCUSSION AND BED"),
        ("CHAPTER I: DISCUSSION AND BED", "1. The Morning"),
        ("", "CHAPTER II: A MORNING BATH"),
    ]
