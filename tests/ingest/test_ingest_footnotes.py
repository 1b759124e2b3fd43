"""Footnote markers, definitions, and anchors (the words a footnote explains)."""

from __future__ import annotations

import pytest

from embeddings.documents import Block
from embeddings.ingest.footnotes import anchor_before, link_footnotes, marker_id
from tests.ingest.ingest_helpers import Corpus


def test_marker_texts() -> None:
    assert marker_id("[2*]") == "2*"
    assert marker_id("\\[2\\*\\]") == "2*"
    assert marker_id("2*.") == "2*"
    assert marker_id("1.") == "1"
    assert marker_id("Top of the page") is None


def test_anchor_runs_from_the_start_of_the_sentence() -> None:
    text = "It took grotesque forms. The sect-socialist [2*] has always felt"
    assert anchor_before(text, text.index("[2*]")) == "The sect-socialist"
    text = "Mr. Smith, i.e. the sect-socialist [1] said"
    assert anchor_before(text, text.index("[1]")) == "Mr. Smith, i.e. the sect-socialist"


def test_definitions_need_a_notes_heading_or_an_earlier_reference() -> None:
    blocks = [
        Block("[3] opens this paragraph but nothing defines it."),
        Block("Text with a marker [1] in it."),
        Block("[1] The first note."),
        Block("[2] Under a heading."),
    ]
    out, notes = link_footnotes(blocks, [False, False, False, True])
    assert [b.kind for b in out] == ["text", "text", "footnote", "footnote"]
    assert out[1].notes == ("1",)
    assert out[0].notes == ()
    assert notes["1"].text == "The first note."
    assert notes["1"].anchor == "Text with a marker"
    assert notes["2"].anchor == ""


def test_draper_footnotes(corpus: Corpus) -> None:
    corpus.copy_fixture("draper-excerpt.md")
    doc = corpus.read("draper-excerpt.md")

    note = doc.footnotes["2*"]
    assert note.marker == "2*"
    assert note.text.startswith("We use this awkward term instead of “sectarian,”")
    assert note.anchor.endswith("The sect-socialist")

    referencing = next(b for b in doc.blocks if b.text.startswith("The sect-socialist"))
    assert "The sect-socialist [2*] has always felt" in referencing.text
    assert referencing.notes == ("2*",)

    definition = next(b for b in doc.blocks if b.note_id == "2*")
    assert definition.kind == "footnote"
    assert definition.section == "Footnotes"
    assert definition.text == note.text

    # "[1]" (the note on the text) and "[1*]" are different notes.
    assert doc.footnotes["1"].text.startswith("This paper was originally drafted")
    assert doc.footnotes["1"].anchor == "Unpublished document circulated privately in 1973."
    assert doc.footnotes["1*"].text.startswith("The answer, by the way, is: No")
    assert doc.footnotes["1*"].anchor.endswith("the revolution with only umpteen good men?")
    assert next(b for b in doc.blocks if b.note_id == "1").section == "Note on the text"


def test_html_footnotes(corpus: Corpus) -> None:
    doc = corpus.document(
        "notes.html",
        "<h1>T</h1><p>The sect-socialist <sup><a href='#n2'>[2]</a></sup> has always felt.</p>"
        "<h4>Notes</h4><p><a name='f2' href='#n2'>2.</a> We use this awkward term.</p>",
    )
    assert doc.blocks[0].text == "The sect-socialist [2] has always felt."
    assert doc.blocks[0].notes == ("2",)
    assert doc.footnotes["2"].text == "We use this awkward term."
    assert doc.footnotes["2"].anchor == "The sect-socialist"


def test_pandoc_style_footnotes(corpus: Corpus) -> None:
    doc = corpus.document(
        "pandoc.html",
        "<p>Words<a href='#fn1' class='footnote-ref'><sup>1</sup></a> here.</p>"
        "<section class='footnotes'><ol><li id='fn1'><p>The note. "
        "<a href='#fnref1' class='footnote-back'>↩︎</a></p></li></ol></section>",
    )
    assert doc.footnotes["1"].text == "The note."
    assert doc.footnotes["1"].anchor == "Words"


def test_gfm_footnotes(corpus: Corpus) -> None:
    doc = corpus.document("gfm.md", "A claim.[^1] More.\n\n[^1]: The evidence.\n")
    assert doc.blocks[0].text == "A claim.[1] More."
    assert doc.footnotes["1"].text == "The evidence."
    assert doc.footnotes["1"].anchor == "A claim."


@pytest.mark.parametrize("between", ["\n", "\n\n"], ids=["consecutive", "apart"])
def test_gfm_footnotes_are_notes_of_their_own_in_either_layout(
    corpus: Corpus, between: str
) -> None:
    # One definition a line, the usual layout, was one paragraph: note 1 held the others.
    notes = between.join(f"[^{n}]: Note {n}." for n in (1, 2, 3))
    doc = corpus.document("gfm.md", "One.[^1] Two.[^2] Three.[^3]\n\n" + notes + "\n")
    assert [(k, n.text, n.anchor) for k, n in doc.footnotes.items()] == [
        (str(n), f"Note {n}.", word) for n, word in ((1, "One."), (2, "Two."), (3, "Three."))
    ]


def test_gfm_footnotes_with_names_are_numbered_after_the_numbered_ones(corpus: Corpus) -> None:
    doc = corpus.document(
        "gfm.md",
        "Bakers keep starters.[^starter] Others buy yeast.[^1] A [^nodef] stays text.\n\n"
        "- Light rye is sifted.\n\n"
        "[^1]: Since 1870.\n[^starter]: Some bakeries keep one for a century.\n",
    )
    assert (
        doc.blocks[0].text == "Bakers keep starters.[2] Others buy yeast.[1] A [^nodef] stays text."
    )
    assert doc.footnotes["2"].text == "Some bakeries keep one for a century."
    assert doc.footnotes["2"].anchor == "Bakers keep starters."
    assert [b.text for b in doc.blocks if b.kind == "text"][-1] == "Light rye is sifted."
