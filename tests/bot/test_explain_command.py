"""Explain and /compare through the command layer: what a passage's explanation holds, how
a passage reference outlives restarts and reindexes (and fails when its passage changed),
and that a server explains and compares only the base and its own texts."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from bot.app import App
from bot.cards import explain_card
from bot.commands.compare import CompareRequest, compare, split_works
from bot.commands.explain import explain
from bot.commands.quote import QuoteRequest, quote
from bot.commands.results import Quote, plain_quote
from bot.messages import PASSAGE_GONE, describe
from embeddings import scope_define
from embeddings.errors import NotFoundError, QueryError
from embeddings.explain import ExplainParams, PassageRef, candidate_terms, resolve
from tests.bot.test_quote_command import CREATION
from tests.bot.test_servers import SERVER_A, SERVER_B, add_garden, restarted
from tests.wording import raises_saying

DRAPER = "Anatomy of the Micro-Sect"
ROAD = "About the Road to an American Socialist Movement"
MIM = "Definition of sectarianism"
SECT_SOCIALIST = "The sect-socialist [2*] has always felt"
NOTE_2 = (
    "We use this awkward term instead of “sectarian,” which is usually understood to mean "
    "one who carries on certain policies. A term is needed for one who bases himself on "
    "sect organization, whatever the policies of the sect."
)


def passage_quote(app: App, starts: str, guild: int | None = None) -> Quote:
    """The quote of the passage holding the words `starts` (found by searching them)."""
    for q in quote(app, QuoteRequest(starts, count=10, guild=guild)).quotes:
        if starts in q.text:
            return q
    raise AssertionError(f"no passage starts with {starts!r}")


# -- what an explanation holds -----------------------------------------------------------------


def test_a_passage_is_explained_with_its_footnote_verbatim_and_where_it_sits(
    seed_app: App,
) -> None:
    q = passage_quote(seed_app, SECT_SOCIALIST)
    found = explain(seed_app, q.ref)
    assert found.quote.text == q.text
    assert [(n.marker, n.text) for n in found.notes] == [("2*", NOTE_2)]
    where = found.where
    assert where.title == DRAPER
    # Its heading under the one that holds it (an h4 under an h3 in the Markdown).
    assert where.section == f"{ROAD} › 4. Sects and Trade Unions"
    assert 1 <= where.paragraph <= where.paragraphs


def test_a_footnote_is_explained_with_the_passages_that_cite_it(seed_app: App) -> None:
    note = passage_quote(seed_app, NOTE_2[:40])
    found = explain(seed_app, note.ref)
    assert found.note_markers == ["2*"]
    assert [c.text[: len(SECT_SOCIALIST)] for c in found.cited_by] == [SECT_SOCIALIST]


def test_the_terms_of_a_passage_are_defined_elsewhere_in_the_corpus(seed_app: App) -> None:
    q = passage_quote(seed_app, SECT_SOCIALIST)
    terms = explain(seed_app, q.ref).terms
    assert 1 <= len(terms) <= 3
    # Draper's footnote defines the term his paragraph uses.
    assert terms[0].term == "sect-socialist" and terms[0].definition.text == NOTE_2
    for t in terms:
        assert t.definition.ref != q.ref  # never the passage itself
        assert t.definition.highlighted  # its defining sentence
    # Quoted apart from its passage, a definition says where it is, not only whose it is.
    shown = {f.name: f.value for f in explain_card(explain(seed_app, q.ref)).fields}
    assert shown["sect-socialist"].endswith(
        f"— Hal Draper, {DRAPER}, {terms[0].definition.section} (1973)"
    )


def test_other_works_are_compared_one_passage_each_never_the_passages_own(
    seed_app: App,
) -> None:
    q = passage_quote(seed_app, SECT_SOCIALIST)
    others = explain(seed_app, q.ref).others
    assert 1 <= len(others) <= 3
    assert all(o.title != DRAPER for o in others)
    assert len({o.title for o in others}) == len(others)


def test_no_explanation_shows_one_passage_twice(seed_app: App) -> None:
    # MIM's "sect" passage defined a term of Draper's introduction and came again as the
    # other work saying the same.
    searcher = seed_app.index.searcher
    for pid in range(len(searcher.index.passages)):
        explained = explain(seed_app, plain_quote(searcher, pid).ref)
        shown = [t.definition.ref for t in explained.terms] + [o.ref for o in explained.others]
        assert len(shown) == len(set(shown)), explained.quote.text[:60]


def test_nothing_above_the_floor_means_no_other_work(seed_app: App) -> None:
    strict = replace(seed_app.settings.explain, compare_floor=0.99)
    q = passage_quote(seed_app, SECT_SOCIALIST)
    assert explain(seed_app, q.ref, params=strict).others == []


def test_the_json_of_an_explanation_keeps_the_reference_and_the_scores(seed_app: App) -> None:
    q = passage_quote(seed_app, SECT_SOCIALIST)
    data = explain(seed_app, q.ref).to_json()
    assert data["ref"] == q.ref and data["footnotes"][0]["marker"] == "2*"
    assert all("score" in c for c in data["compare"])


# -- references ----------------------------------------------------------------------------


def test_a_reference_names_a_file_an_offset_and_a_hash_and_nonsense_is_refused(
    seed_app: App,
) -> None:
    q = passage_quote(seed_app, SECT_SOCIALIST)
    ref = PassageRef.parse(q.ref)
    assert ref.source == q.source and str(ref) == q.ref
    for bad in ("", "draper.md", "draper.md#12", "draper.md#x:abcdef", "a#1:not-hex!"):
        with raises_saying(QueryError, "not a passage reference"):
            explain(seed_app, bad)


def test_a_reference_without_its_file_name_still_resolves(seed_app: App) -> None:
    q = passage_quote(seed_app, SECT_SOCIALIST)
    short = q.ref[q.ref.rfind("#") :]
    assert explain(seed_app, short).quote.text == q.text


def test_a_reference_outlives_a_restart_and_a_reindex_of_other_text(app: App) -> None:
    q = passage_quote(app, SECT_SOCIALIST)
    mim = next(Path(app.settings.corpus).glob("mim-*.txt"))
    mim.write_text(mim.read_text(encoding="utf-8") + "\n\nA new closing paragraph.\n")
    app.index.reindex()
    again = restarted(app)
    again.index.load()
    assert explain(again, q.ref).quote.text == q.text


def test_a_changed_passage_is_no_longer_explained_never_another_one(app: App) -> None:
    q = passage_quote(app, SECT_SOCIALIST)
    draper = next(Path(app.settings.corpus).glob("draper-*.md"))
    text = draper.read_text(encoding="utf-8")
    draper.write_text(text.replace("soul-torn difficulty", "soul-torn trouble"), encoding="utf-8")
    app.index.reindex()
    with pytest.raises(NotFoundError) as exc:
        explain(app, q.ref)
    assert describe(exc.value) == PASSAGE_GONE


# -- /compare --------------------------------------------------------------------------------


def test_compare_gives_the_best_passage_of_each_work_best_first(seed_app: App) -> None:
    found = compare(seed_app, CompareRequest("what makes a group a sect?"))
    titles = [r.quote.title for r in found.rows if r.quote]
    assert len(titles) == len(set(titles)) == 2  # the seed corpus has two works
    scores = [r.quote.score for r in found.rows if r.quote]
    assert scores == sorted(scores, reverse=True)


def test_compare_named_works_and_by_author(seed_app: App) -> None:
    named = compare(seed_app, CompareRequest("what is a sect?", (DRAPER, MIM)))
    assert {r.name for r in named.rows} == {DRAPER, next(w for w in _titles(seed_app) if MIM in w)}
    authors = compare(seed_app, CompareRequest("what is a sect?", by="author"))
    assert all(r.quote for r in authors.rows) and len(authors.rows) == 2


def _titles(app: App) -> list[str]:
    return [r.name for r in compare(app, CompareRequest("sect")).rows]


def test_compare_refuses_one_work_an_unknown_one_and_an_unknown_grouping(seed_app: App) -> None:
    with raises_saying(QueryError, "at least two works"):
        compare(seed_app, CompareRequest("sect", (DRAPER,)))
    with raises_saying(QueryError, "at least two works"):  # two names of one work
        compare(seed_app, CompareRequest("sect", (DRAPER, "micro-sect")))
    with raises_saying(NotFoundError, "No work matching “Leviathan”"):
        compare(seed_app, CompareRequest("sect", (DRAPER, "Leviathan")))
    with raises_saying(QueryError, "by “work” or by “author”"):
        compare(seed_app, CompareRequest("sect", by="century"))
    with raises_saying(QueryError, "at most 6"):  # a field each: six stay readable
        compare(seed_app, CompareRequest("sect", tuple(f"{DRAPER} {n}" for n in range(7))))


@pytest.mark.parametrize("named", [("Genesis", "Exodus"), ("gen", "Ex")])
def test_compare_takes_books_of_a_bible_as_works_as_the_source_filter_does(
    two_books_app: App, named: tuple[str, str]
) -> None:
    # Every book's title is the Bible's: "Genesis; Exodus" named no work, though /quote's
    # source kept to either book.
    found = compare(two_books_app, CompareRequest(CREATION, named))
    assert sorted(r.name for r in found.rows) == ["Exodus", "Genesis"]
    for row in found.rows:
        assert row.quote is not None and row.quote.section.startswith(f"{row.name} ")


def test_compare_refuses_one_book_twice_and_a_book_the_bible_lacks(two_books_app: App) -> None:
    with raises_saying(QueryError, "at least two works"):
        compare(two_books_app, CompareRequest(CREATION, ("Genesis", "Gen")))
    with raises_saying(NotFoundError, "No work matching “Hebrews”"):
        compare(two_books_app, CompareRequest(CREATION, ("Genesis", "Hebrews")))


def test_a_book_with_no_good_match_is_named_by_the_book(two_books_app: App) -> None:
    query = "quantum chromodynamics of gluon plasma"
    found = compare(two_books_app, CompareRequest(query, ("gen", "ex")))
    assert [r.quote for r in found.rows] == [None, None]
    assert {r.name for r in found.rows} == {"Genesis", "Exodus"}


def test_works_are_split_on_semicolons_when_a_title_holds_a_comma() -> None:
    assert split_works("Draper, MIM") == ("Draper", "MIM")
    assert split_works("News from Nowhere, an Epoch; Draper") == (
        "News from Nowhere, an Epoch",
        "Draper",
    )


# -- servers ---------------------------------------------------------------------------------


def test_a_server_explains_and_compares_only_the_base_and_its_own_texts(app: App) -> None:
    add_garden(app, SERVER_A)
    garden = passage_quote(app, "Bees swarm in late spring", guild=SERVER_A)
    assert explain(app, garden.ref, guild=SERVER_A).quote.text == garden.text
    for elsewhere in (SERVER_B, None):
        with raises_saying(NotFoundError, "no longer in the corpus"):
            explain(app, garden.ref, guild=elsewhere)
        with raises_saying(NotFoundError, "No work matching"):
            compare(app, CompareRequest("bees", ("Beekeeper", DRAPER), guild=elsewhere))
    rows = compare(app, CompareRequest("bees", ("Beekeeper", DRAPER), guild=SERVER_A)).rows
    assert rows[0].name == "The Beekeeper's Almanac"
    # Explaining a base passage in server B never shows server A's texts.
    q = passage_quote(app, SECT_SOCIALIST, guild=SERVER_B)
    loose = replace(app.settings.explain, compare_floor=0.0)
    seen = explain(app, q.ref, guild=SERVER_B, params=loose)
    assert all(o.title != "The Beekeeper's Almanac" for o in seen.others)


def test_a_quotes_reference_resolves_to_its_passage_id_in_the_same_build(seed_app: App) -> None:
    q = passage_quote(seed_app, SECT_SOCIALIST)
    assert resolve(seed_app.live_for(None).searcher, q.ref) == q.passage_id


def test_the_explain_settings_are_read_and_checked(tmp_path: Path) -> None:
    from bot.settings import SettingsError, load_settings

    assert load_settings(env={}).explain.compare_floor == 0.5
    config = tmp_path / "settings.toml"
    config.write_text("[explain]\ncompare_floor = 0.6\nterms_tried = 9\n")
    read = load_settings(config, env={}).explain
    assert (read.compare_floor, read.terms_tried) == (0.6, 9)
    for bad in ("compare_floor = 2", "compare_floor = 'high'", "terms_tried = 0"):
        config.write_text(f"[explain]\n{bad}\n")
        with raises_saying(SettingsError, "explain"):
            load_settings(config, env={})


def test_a_work_a_server_hid_is_neither_explained_nor_compared_there(app: App) -> None:
    from bot.commands import corpus as texts
    from tests.bot.test_servers import admin_of

    mim = passage_quote(app, "Sectarianism originally referred")
    texts.hide_work(app, SERVER_A, mim.title, actor=admin_of(SERVER_A))
    with raises_saying(NotFoundError, "no longer in the corpus"):
        explain(app, mim.ref, guild=SERVER_A)
    draper = passage_quote(app, SECT_SOCIALIST, guild=SERVER_A)
    loose = replace(app.settings.explain, compare_floor=0.0)
    assert all(
        o.title != mim.title for o in explain(app, draper.ref, guild=SERVER_A, params=loose).others
    )
    assert any(
        o.title == mim.title for o in explain(app, draper.ref, guild=SERVER_B, params=loose).others
    )
    with raises_saying(NotFoundError, "No work matching"):
        compare(app, CompareRequest("sect", (DRAPER, MIM), guild=SERVER_A))


def test_where_a_passage_sits_reads_work_section_and_paragraph_or_verse(seed_app: App) -> None:
    from bot.cards import where_line
    from embeddings.explain import Location

    found = explain(seed_app, passage_quote(seed_app, SECT_SOCIALIST).ref)
    w = found.where
    assert (
        where_line(found)
        == f"{DRAPER} › {ROAD} › 4. Sects and Trade Unions › paragraph {w.paragraph} of "
        f"{w.paragraphs}"
    )
    verse = replace(
        found, where=Location("The King James Bible", "Genesis", "Genesis 1:3", 3, 31, "")
    )
    assert where_line(verse) == "The King James Bible › Genesis 1:3"


@pytest.fixture
def dictionary_app(app: App) -> App:
    """The seeds and an excerpt of the Devil's Dictionary."""
    shutil.copy(
        Path(__file__).parents[1] / "ingest" / "fixtures" / "devils-dictionary-excerpt.txt",
        app.settings.corpus,
    )
    app.collections.base.reindex()
    return app


def test_a_stanza_of_a_dictionary_entry_is_placed_after_its_headword_line(
    dictionary_app: App,
) -> None:
    # ABDICATION's definition, then its verses: the first stanza is the entry's second
    # paragraph, not the first of the verses alone.
    app = dictionary_app
    q = passage_quote(app, "Poor Isabella's Dead")
    where = explain(app, q.ref).where
    assert where.section == "ABDICATION" and (where.paragraph, where.paragraphs) == (2, 2)


def test_an_explained_stanza_keeps_its_lines(dictionary_app: App) -> None:
    # /quote showed the stanza line by line; Explain ran its lines into one paragraph.
    q = passage_quote(dictionary_app, "Poor Isabella's Dead")
    body = explain_card(explain(dictionary_app, q.ref)).plain_body
    assert "Poor Isabella's Dead, whose abdication\nSet all tongues wagging" in body


def test_a_work_with_no_good_match_is_named_by_its_title_not_by_what_was_typed(
    seed_app: App,
) -> None:
    found = compare(
        seed_app, CompareRequest("photosynthesis in green plants", ("micro-sect", "mim"))
    )
    assert [r.quote for r in found.rows] == [None, None]
    assert {r.name for r in found.rows} == set(_titles(seed_app))


# -- which terms a dictionary explains ------------------------------------------------------------

GLOSSARY = """\
CYNIC, n.  A blackguard whose faulty vision sees things as they are, not as they
ought to be.

GOOD, adj.  Sensible, madam, to the worth of this present writer.

HOPE, n.  Desire and expectation rolled into one.

OLD, adj.  In that stage of usefulness which is not inconsistent with general
inefficiency.

TREE, n.  A tall vegetable intended by nature to serve as a penal apparatus.
"""
GOSSIP = "The old cynic was a good neighbour in his day."
CLERK = "The clerk wrote adj for adjective, and adj was all he wrote."


@pytest.fixture
def glossary_app(app: App) -> App:
    """The seeds, a small dictionary of nouns and adjectives, a passage using them and one
    naming a part of speech in its prose."""
    corpus = Path(app.settings.corpus)
    (corpus / "glossary.txt").write_text(GLOSSARY, encoding="utf-8")
    (corpus / "gossip.txt").write_text(GOSSIP + "\n", encoding="utf-8")
    (corpus / "clerk.txt").write_text(CLERK + "\n", encoding="utf-8")
    app.collections.base.reindex()
    return app


def test_an_entry_s_part_of_speech_is_no_term_of_its_passage(glossary_app: App) -> None:
    searcher = glossary_app.index.searcher
    (vocabulary, _), *_ = scope_define.vocabularies(searcher)
    assert vocabulary.lookup("adj") is not None  # the clerk's prose uses it: a word to it
    good = next(i for i, p in enumerate(searcher.index.passages) if p.text.startswith("GOOD"))
    assert "adj" not in candidate_terms(searcher, good, ExplainParams())


def test_an_adjective_s_entry_explains_no_word_of_a_passage(glossary_app: App) -> None:
    # "old" and "good" qualify the cynic in passing: the entries of such common words
    # (OLD, adj.; GOOD, adj.) filled Explain's terms on the Devil's Dictionary. CYNIC names
    # whom the passage is about.
    terms = explain(glossary_app, passage_quote(glossary_app, GOSSIP).ref).terms
    assert [(t.term, t.definition.text.split(",")[0]) for t in terms] == [("cynic", "CYNIC")]
