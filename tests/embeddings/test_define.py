"""/define's ranking: which passages define a term, which only use it, in what order.

Most tests read small synthetic documents (no model needed): the shapes a definition
takes, singular/plural/case, grouping by work, the no-definition and never-mentioned
cases. The end-to-end checks on the seed corpus are in tests/bot/test_define_command.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pytest

from embeddings.define import (
    DEFINITION,
    RELATED,
    USAGE,
    Definitions,
    Finding,
    definition_index,
    find_definitions,
    find_mentions,
    parse_term,
    recognise,
)
from embeddings.documents import Block, Document, DocumentMeta, Footnote, with_offsets
from embeddings.errors import QueryError
from embeddings.passages import ChunkParams, Passage, chunk_document
from embeddings.sparse import SparseIndex
from embeddings.store import DocumentRecord, IndexData, Manifest
from embeddings.vocabulary import vocabulary_of
from tests.embeddings.definition_examples import Example, every_example

# -- helpers ----------------------------------------------------------------------------------


def shapes(term: str, text: str) -> set[str]:
    """The definitional shapes recognised for `term` in `text` (empty: mere usage)."""
    parsed = parse_term(term)
    return {s.how for s in recognise(parsed, text, find_mentions(parsed, text))}


def strength(term: str, text: str) -> float:
    parsed = parse_term(term)
    return max(
        (s.strength for s in recognise(parsed, text, find_mentions(parsed, text))), default=0
    )


def document(
    source: str,
    *paragraphs: str | Block,
    title: str = "",
    author: str = "",
    footnotes: dict[str, Footnote] | None = None,
) -> Document:
    blocks = [p if isinstance(p, Block) else Block(p) for p in paragraphs]
    return Document(
        source=source,
        meta=DocumentMeta(title=title or source, author=author),
        blocks=with_offsets(blocks),
        footnotes=footnotes or {},
    )


def index_of(*docs: Document) -> IndexData:
    """An index of `docs` without the model: passages and BM25 are real, vectors are not
    (the ranking uses the term's vector only to break ties)."""
    passages: list[Passage] = []
    records: list[DocumentRecord] = []
    for doc in docs:
        ps = chunk_document(doc, _word_count, ChunkParams(max_tokens=254))
        records.append(
            DocumentRecord(
                doc.source,
                doc.meta,
                "text",
                "",
                len(passages),
                len(ps),
                footnotes=dict(doc.footnotes),
            )
        )
        passages.extend(ps)
    manifest = Manifest(1, "none", 4, len(passages), len(records), "", {}, {}, "", 0.0)
    vectors = np.zeros((len(passages), 4), dtype=np.float32)
    sparse = SparseIndex.build([p.text for p in passages])
    return IndexData(manifest, records, passages, vectors, None, sparse)


def _word_count(texts: Sequence[str]) -> list[int]:
    return [len(t.split()) for t in texts]


@dataclass(frozen=True)
class Found:
    """find_definitions' answer, with the index it was read from."""

    index: IndexData
    answer: Definitions

    @property
    def findings(self) -> list[Finding]:
        return self.answer.findings

    @property
    def texts(self) -> list[str]:
        return [self.index.passages[f.passage_id].text for f in self.findings]

    @property
    def sources(self) -> list[str]:
        return [self.index.passages[f.passage_id].source for f in self.findings]

    @property
    def labels(self) -> list[str]:
        return [f.label for f in self.findings]

    def highlighted(self, n: int) -> str:
        start, end = self.findings[n].highlight or (0, 0)
        return self.texts[n][start:end]


def define(index: IndexData, term: str, limit: int = 10) -> Found:
    return Found(index, find_definitions(index, term, limit=limit))


# -- the shapes of a definition ---------------------------------------------------------------


@pytest.mark.parametrize("example", every_example())
def test_each_shape_of_a_definition_is_recognised(example: Example) -> None:
    assert example.shape in shapes(example.term, example.text)


@pytest.mark.parametrize(
    ("term", "sentence"),
    [
        ("sect", "The road of the sect is a blind alley."),
        ("sectarianism", 'The opposite but equal stupidity to "sectarianism" is "Liberalism."'),
        ("sect", "Sect-type groups are everywhere."),  # part of another word
        ("sect", "There are more sects now than ever before."),
        # The Bible's inverted sentences: a connective or a predicate first, not a subject.
        ("therefore", "Therefore is the kingdom of heaven likened unto a certain king."),
        ("faith", "Faithful are the wounds of a friend."),  # another word of the stem
        ("labour", "The labourer is worthy of his reward."),
    ],
)
def test_mere_usage_is_not_a_definition(term: str, sentence: str) -> None:
    assert shapes(term, sentence) == set()


def test_a_plain_statement_of_what_the_term_is_still_defines() -> None:
    assert shapes("faith", "Now faith is the substance of things hoped for.") == {"is"}


def test_explain_takes_a_term_s_meaning_only_from_a_shape_that_says_it() -> None:
    # Explain shows one definition per term beside a passage, as what the term means:
    # "X is not ..." (what it is not) and weaker shapes are /define's alone.
    from embeddings.explain import EXPLAINS

    assert strength("sect", "A sect is a group that sets its boundary by its program.") >= EXPLAINS
    assert strength("sect", "A sect is glorious.") >= EXPLAINS  # loose, but says what it is
    assert 0 < strength("sect", "A sect is not a party.") < EXPLAINS  # what it is not


def test_a_present_sense_outranks_a_past_one_and_a_negation_is_weakest() -> None:
    present = strength(
        "sectarianism", 'When Marxists speak of "sectarianism," they refer to a situation.'
    )
    past = strength("sectarianism", "Sectarianism originally referred to religious splits.")
    negated = strength("sectarianism", "Sectarianism is not struggling hard for principles.")
    assert present > past > negated > 0


def test_is_not_simply_but_rather_still_defines() -> None:
    contrast = "A party is not simply an electoral organization but rather the class's arm."
    assert strength("party", contrast) > strength("party", "A party is not a club.")


# -- matching the term -------------------------------------------------------------------------


def test_any_case_singular_or_plural_finds_the_term() -> None:
    text = "A sect is a group. Sects multiply."
    for asked in ("sect", "SECT", "Sects", "sects"):
        found = find_mentions(parse_term(asked), text)
        assert [text[m.start : m.end] for m in found] == ["sect", "Sects"]
        assert all(m.exact for m in found)


@pytest.mark.parametrize("asked", ["labour", "labor", "Labours"])
def test_british_and_american_spellings_are_one_word(asked: str) -> None:
    # Bierce's LABOR was no answer to "labour", the Manifesto's and the Bible's spelling.
    text = "Other men laboured; the labor question; wage labour; four hours."
    found = find_mentions(parse_term(asked), text)
    assert [text[m.start : m.end] for m in found] == ["laboured", "labor", "labour"]
    assert [m.exact for m in found] == [False, True, True]


def test_hyphens_and_spaces_are_the_same_and_a_plural_last_word_matches() -> None:
    text = "A working-class party; working class parties; the working-class party-line."
    found = find_mentions(parse_term("Working Class Party"), text)
    assert [text[m.start : m.end] for m in found] == [
        "working-class party",
        "working class parties",
        "working-class party",
    ]
    assert [m.whole for m in found] == [True, True, False]


def test_a_word_that_only_shares_the_stem_is_a_weaker_match() -> None:
    parsed = parse_term("sectarianism")
    (mention,) = find_mentions(parsed, "He was called a sectarian.")
    assert not mention.exact
    exact = strength("sectarianism", "Sectarianism means putting the group first.")
    related = strength("sectarianism", "Sectarian means putting the group first.")
    assert exact > related > 0


def test_other_words_with_the_same_beginning_are_not_mentions() -> None:
    assert find_mentions(parse_term("sect"), "sectlets, sectors and sections") == []


def test_a_term_needs_a_word() -> None:
    with pytest.raises(QueryError):
        parse_term("?!")


# -- the corpus: entries, footnotes, grouping ------------------------------------------------


DICTIONARY = document(
    "devils.txt",
    Block(
        "CYNIC, n.  A blackguard whose faulty vision sees things as they are.",
        kind="entry",
        headword="CYNIC",
    ),
    Block("ACCUSE, v.t.  To affirm another's guilt or unworth.", kind="entry", headword="ACCUSE"),
    Block("ACCUSER, n.  One's former friend.", kind="entry", headword="ACCUSER"),
    Block(
        "BABE or BABY, n.  A misshapen creature of no particular age.",
        kind="entry",
        headword="BABE or BABY",
    ),
    Block("Some verse follows here about nothing in particular at all."),
    Block("G.J."),
    Block(
        "RICHES, n.  A gift from Heaven signifying this is my beloved son.",
        kind="entry",
        headword="RICHES",
    ),
    Block(
        "RICH, adj.  Holding in trust the property of the indolent.", kind="entry", headword="RICH"
    ),
    Block(
        "TZETZE (or TSETSE) FLY, n.  An African insect whose bite cures insomnia.",
        kind="entry",
        headword="TZETZE (or TSETSE) FLY",
    ),
    Block("The cynic and the rich man went to town, and the baby cried all the way home."),
    title="The Devil's Dictionary",
    author="Ambrose Bierce",
)


def test_a_dictionary_entry_comes_first() -> None:
    found = define(index_of(DICTIONARY), "Cynic")
    assert found.texts[0].startswith("CYNIC, n.")
    assert found.findings[0].how == "entry" and found.findings[0].label == DEFINITION


def test_a_headword_in_american_spelling_is_the_entry_of_the_british_word() -> None:
    labor = Block(
        "LABOR, n.  One of the processes by which A acquires property for B.",
        kind="entry",
        headword="LABOR",
    )
    index = index_of(document("devils.txt", labor))
    for asked in ("labour", "labor"):
        found = define(index, asked)
        assert found.texts[0].startswith("LABOR, n.") and found.findings[0].how == "entry"


def test_each_form_of_a_headword_finds_its_entry() -> None:
    index = index_of(DICTIONARY)
    for asked in ("babe", "baby", "BABIES"):
        assert define(index, asked).texts[0].startswith("BABE or BABY"), asked
    for asked in ("tsetse", "tzetze fly", "Tsetse fly"):  # "(or TSETSE)": a variant
        found = define(index, asked)
        assert found.texts[0].startswith("TZETZE (or TSETSE) FLY"), asked
        assert found.findings[0].label == DEFINITION, asked


def test_the_entry_for_the_word_asked_beats_an_entry_for_a_related_word() -> None:
    index = index_of(DICTIONARY)
    assert define(index, "accuse").texts[0].startswith("ACCUSE,")
    assert define(index, "accuser").texts[0].startswith("ACCUSER,")
    assert define(index, "rich").texts[0].startswith("RICH,")
    assert "RICHES, n." in define(index, "riches").texts[0]  # after "G.J.", see below


def test_an_entry_after_a_short_attribution_line_is_still_an_entry() -> None:
    # "G.J." is too short to quote alone and joins the entry after it.
    found = define(index_of(DICTIONARY), "riches")
    assert found.texts[0].startswith("G.J.\n\nRICHES, n.")
    assert found.highlighted(0).startswith("RICHES, n.")


def test_a_footnote_on_the_term_defines_it_though_it_never_repeats_the_word() -> None:
    essay = document(
        "draper.md",
        Block("The sect-socialist [2*] has always felt a soul-torn difficulty.", notes=("2*",)),
        Block("Later on, the sect-socialist kept to the sect.", section="Body"),
        Block(
            "We use this awkward term instead of “sectarian.” A term is needed for one who "
            "bases himself on sect organization.",
            section="Footnotes",
            kind="footnote",
            note_id="2*",
        ),
        footnotes={
            "2*": Footnote("2*", "We use this awkward term instead of", "The sect-socialist")
        },
    )
    found = define(index_of(essay), "sect-socialist")
    first = found.findings[0]
    assert found.texts[0].startswith("We use this awkward term")
    assert (first.label, first.how, first.note, first.anchor) == (
        DEFINITION,
        "footnote",
        "2*",
        "The sect-socialist",
    )
    assert found.labels[1:] == [USAGE, USAGE]


MIM = document(
    "mim.txt",
    "Sectarianism originally referred to splits within one religion.",
    'When Marxists speak of "sectarianism," they refer to a group putting its needs first.',
    "MIM opposes sectarianism by giving credit where credit is due.",
    title="Definition of sectarianism",
    author="MIM",
)
DRAPER = document(
    "draper.md",
    "We use this awkward term instead of “sectarian,” which is usually understood to mean "
    "one who carries on certain policies.",
    "One is the proposal to abolish sectarianism by a call for unity.",
    title="Anatomy of the Micro-Sect",
    author="Hal Draper",
)


def test_the_best_definition_of_each_work_comes_first_then_the_rest_then_usage() -> None:
    found = define(index_of(MIM, DRAPER), "sectarianism")
    assert found.labels == [DEFINITION, RELATED, DEFINITION, USAGE, USAGE]
    # MIM's "speak of" first; then Draper's best, which defines "sectarian", a word of the
    # term's stem, and says so; then MIM's second definition (the older sense), then the
    # passages that use the word.
    assert found.sources[:3] == ["mim.txt", "draper.md", "mim.txt"]
    assert "speak of" in found.texts[0] and "originally referred" in found.texts[2]
    assert found.answer.defined_in == 1  # Draper defines a related word, not the term


def test_an_entry_for_a_word_of_the_stem_alone_is_a_related_word() -> None:
    # OPPORTUNITY was labelled a definition of "opportunism"; ACCUSE, of "accuser".
    found = define(index_of(DICTIONARY), "accuser")
    assert found.labels[:2] == [DEFINITION, RELATED]
    assert found.texts[0].startswith("ACCUSER") and found.texts[1].startswith("ACCUSE,")
    entry = Block("OPPORTUNITY, n.  A favorable occasion.", kind="entry", headword="OPPORTUNITY")
    alone = define(index_of(document("devils.txt", entry)), "opportunism")
    assert alone.labels == [RELATED] and not alone.answer.defined


def test_a_term_nothing_defines_comes_back_as_usage() -> None:
    found = define(index_of(MIM, DRAPER), "credit")
    assert found.answer.mentioned and not found.answer.defined
    assert found.labels == [USAGE]
    assert "giving credit" in found.highlighted(0)


def test_a_term_never_mentioned_is_not_found() -> None:
    found = define(index_of(MIM, DRAPER), "photosynthesis")
    assert not found.answer.mentioned and found.findings == []


def test_the_limit_keeps_the_best_definition_of_each_work() -> None:
    found = define(index_of(MIM, DRAPER), "sectarianism", limit=2)
    assert found.labels == [DEFINITION, RELATED]
    assert found.sources == ["mim.txt", "draper.md"]


# -- what /define keeps with a loaded index ---------------------------------------------------


def test_what_define_reads_is_made_once_per_index_and_goes_with_it() -> None:
    index, rebuilt = index_of(DICTIONARY), index_of(DICTIONARY)
    assert definition_index(index) is definition_index(index)
    assert vocabulary_of(index) is vocabulary_of(index)
    # A reindex is a new index: nothing carries over from the old one.
    assert definition_index(rebuilt) is not definition_index(index)
    assert vocabulary_of(rebuilt) is not vocabulary_of(index)


def test_an_index_built_before_the_vocabulary_existed_gets_one_from_its_passages() -> None:
    index = index_of(DICTIONARY)
    assert len(index.vocabulary) == 0
    found = vocabulary_of(index).lookup("cynic")
    assert found is not None and found.kind == "headword"
