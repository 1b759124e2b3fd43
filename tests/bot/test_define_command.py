"""/define end to end on the seed corpus: each work's definition first, then usage; a clear
answer when nothing defines a term or the corpus never mentions it; term completion."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from bot.app import App
from bot.cards import answer_cards
from bot.cli import main
from bot.commands.define import complete, define
from bot.messages import describe
from embeddings import store
from embeddings.define import term_asked
from embeddings.errors import NoWords, OnlyCommonWords, QueryError

DICTIONARY = Path(__file__).parents[1] / "ingest" / "fixtures" / "devils-dictionary-excerpt.txt"
DRAPER = "Hal Draper"
MIM = "Maoist Internationalist Movement (MIM)"


# -- the defining passage comes first --------------------------------------------------------


def test_sectarianism_is_defined_first_by_mims_when_marxists_speak_of(seed_app: App) -> None:
    first = define(seed_app, "sectarianism").quotes[0]
    assert first.label == "definition" and first.author == MIM
    assert 'When Marxists speak of "sectarianism," they refer to' in first.highlighted


def test_sect_is_defined_first_by_drapers_a_sect_presents_itself_as(seed_app: App) -> None:
    first = define(seed_app, "sect").quotes[0]
    assert first.label == "definition" and first.author == DRAPER
    assert first.section == "Introduction"
    assert first.highlighted.startswith("A sect presents itself as the embodiment")


def test_sect_socialist_is_defined_by_drapers_footnote_on_the_term(seed_app: App) -> None:
    first = define(seed_app, "sect-socialist").quotes[0]
    assert first.label == "definition" and first.kind == "footnote"
    assert first.text.startswith("We use this awkward term instead of “sectarian,”")
    # The footnote never says "sect-socialist": its card says which words it explains.
    assert "2*" in first.section and "The sect-socialist" in first.section


def test_working_class_party_is_defined_first_by_drapers_introduction(seed_app: App) -> None:
    first = define(seed_app, "working-class party").quotes[0]
    assert first.label == "definition" and first.author == DRAPER
    assert first.highlighted.startswith("In contrast, a working-class party is not simply")


# -- grouping, forms of the term ------------------------------------------------------------------


def test_each_work_gives_its_best_definition_before_any_further_passage(seed_app: App) -> None:
    quotes = define(seed_app, "sect", count=10).quotes
    assert [q.author for q in quotes[:2]] == [DRAPER, MIM]
    labels = [q.label for q in quotes]
    assert labels[:2] == ["definition", "definition"]
    assert "usage" in labels
    assert labels == sorted(labels)  # every "definition" before every "usage"


@pytest.mark.parametrize("asked", ["SECTS", "Sects", "sect", " Sect "])
def test_any_case_singular_or_plural_gives_the_same_answer(seed_app: App, asked: str) -> None:
    assert define(seed_app, asked).quotes[0].text == define(seed_app, "sect").quotes[0].text


def test_the_count_is_respected(seed_app: App) -> None:
    assert len(define(seed_app, "sect", count=3).quotes) == 3
    with pytest.raises(QueryError):
        define(seed_app, "sect", count=99)


# -- no definition, never mentioned ------------------------------------------------------------


def test_a_term_nothing_defines_says_so_and_quotes_its_usage(seed_app: App) -> None:
    answer = define(seed_app, "Castro")
    assert answer.notice == "Nothing in the corpus defines “Castro”; these passages use it."
    assert answer.quotes and all(q.label == "usage" for q in answer.quotes)
    assert all("Castro" in q.highlighted for q in answer.quotes)
    cards = answer_cards(answer)
    assert len(cards) == len(answer.quotes)  # one card per quote, for the pager
    assert all(c.footer.startswith("Nothing in the corpus defines") for c in cards)
    assert ("Kind", "usage") in [(f.name, f.value) for f in cards[0].fields]


def test_a_term_never_mentioned_is_not_found_with_suggestions(seed_app: App) -> None:
    answer = define(seed_app, "sectarinism")
    assert answer.quotes == []
    assert answer.notice == "“sectarinism” does not occur in the corpus."
    assert answer.suggestions[0] == "sectarianism"
    (card,) = answer_cards(answer)
    assert card.title == "Not found" and "Did you mean: sectarianism" in card.plain_body


def test_a_term_never_mentioned_and_like_none_is_not_found_too(seed_app: App) -> None:
    # Without a suggestion it was titled "No good match", as if weak matches followed.
    answer = define(seed_app, "banana")
    (card,) = answer_cards(answer)
    assert answer.quotes == [] and answer.weak == [] and answer.suggestions == []
    assert card.title == "Not found"


def test_a_term_must_have_a_word(seed_app: App) -> None:
    with pytest.raises(QueryError):
        define(seed_app, "  ?! ")


@pytest.mark.parametrize(
    "asked",
    ["sect", "a sect", "What is a sect?", "what are sects", "define sect", "meaning of sect"],
)
def test_a_term_asked_as_readers_ask_is_the_term(seed_app: App, asked: str) -> None:
    # "what is a sect?" used to be a term of four words that nothing defines.
    answer = define(seed_app, asked)
    assert answer.quotes[0].label == "definition"
    assert answer.quotes[0].author == DRAPER and "sect" in answer.query.casefold()


@pytest.mark.parametrize(
    ("asked", "term"),
    [
        ("What does cynic mean?", "cynic"),
        ("who was Mammon", "Mammon"),
        ("the bourgeoisie", "bourgeoisie"),
        ("golden mean", "golden mean"),  # "mean" only ends a question
        ("The", "The"),  # an article alone is left to be refused as a common word
        ("what does it mean to be a sect", "what does it mean to be a sect"),
    ],
)
def test_the_words_around_a_term_are_read_only_when_they_frame_it(asked: str, term: str) -> None:
    assert term_asked(asked) == term


@pytest.mark.parametrize("term", ["the", "Of the", "and of"])
def test_a_term_of_only_common_words_is_refused_by_every_front_end(
    seed_app: App, term: str
) -> None:
    # Every text uses "the" and none defines it: answering would label passages that
    # merely contain it as its definitions.
    with pytest.raises(OnlyCommonWords) as refused:
        define(seed_app, term)
    assert describe(refused.value) == (
        "That term is made only of very common words (like “the” or “of”), which every "
        "text uses and none defines; give a word that carries meaning."
    )


@pytest.fixture
def dictionary_app(seed_app: App, tmp_path: Path) -> App:
    """The seed corpus and an excerpt of The Devil's Dictionary, indexed."""
    corpus = tmp_path / "corpus"
    shutil.copytree(seed_app.settings.corpus, corpus)
    shutil.copy(DICTIONARY, corpus / DICTIONARY.name)
    app = App(replace(seed_app.settings, corpus=corpus, index=tmp_path / "index"), seed_app.encoder)
    app.ensure_index()
    return app


@pytest.mark.parametrize(
    ("asked", "entry"),
    [("R.I.P.", "R.I.P. A careless"), ("r.i.p", "R.I.P. A careless"), ("I", "I is the first")],
)
def test_a_headword_no_search_would_read_is_defined_by_its_entry(
    dictionary_app: App, asked: str, entry: str
) -> None:
    # "R.I.P." has no word of two letters and "I" is a common word: both were refused, yet
    # the dictionary defines them.
    first = define(dictionary_app, asked).quotes[0]
    assert first.label == "definition" and first.text.startswith(entry)


@pytest.mark.parametrize(
    ("asked", "refused"), [("the", OnlyCommonWords), ("a", OnlyCommonWords), ("x", NoWords)]
)
def test_a_common_word_or_a_letter_no_entry_defines_is_still_refused(
    dictionary_app: App, asked: str, refused: type[QueryError]
) -> None:
    # "a" is a common word, not "no words"; "x" is neither a word nor a headword here.
    with pytest.raises(refused):
        define(dictionary_app, asked)


def test_the_cli_refuses_a_term_of_only_common_words_in_one_line(
    seed_app: App, capsys: pytest.CaptureFixture[str], shared_model: None
) -> None:
    paths = ["--corpus", str(seed_app.settings.corpus), "--index", str(seed_app.settings.index)]
    assert main(["define", "the", *paths]) == 1
    err = capsys.readouterr().err
    assert "That term is made only of very common words" in err and "Traceback" not in err


# -- completion -----------------------------------------------------------------------------------


def test_completion_offers_defined_terms_and_key_phrases(seed_app: App) -> None:
    found = complete(seed_app, "sec")
    assert found[0] == "sect"
    assert {"sectarianism", "sect-socialist"} <= set(found)
    assert "working-class party" in complete(seed_app, "working")
    assert complete(seed_app, "sectarin")[0] == "sectarianism"  # misspelt
    assert len(complete(seed_app, "")) == 25
    assert len(complete(seed_app, "s", limit=100)) <= 25


def test_the_cli_completes_and_defines_as_json(
    seed_app: App, capsys: pytest.CaptureFixture[str], shared_model: None
) -> None:
    paths = ["--corpus", str(seed_app.settings.corpus), "--index", str(seed_app.settings.index)]
    assert main(["define", *paths, "--complete", "sec", "--json"]) == 0
    completion = json.loads(capsys.readouterr().out)
    assert completion["prefix"] == "sec" and "sect" in completion["suggestions"]
    assert main(["define", *paths, "working-class party", "-k", "2", "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["results"][0]["label"] == "definition"


# -- the vocabulary is part of the index --------------------------------------------------------


def test_the_vocabulary_is_saved_and_checksummed_with_the_index(seed_app: App) -> None:
    build = store.current_build(seed_app.settings.index)
    manifest = json.loads((build / "manifest.json").read_text())
    assert "vocabulary.json" in manifest["checksums"]
    vocabulary = store.load(seed_app.settings.index).vocabulary
    assert vocabulary.lookup("sect-socialist") is not None


def test_an_index_built_before_the_vocabulary_still_loads_and_completes(fresh_app: App) -> None:
    build = store.current_build(fresh_app.settings.index)
    (build / "vocabulary.json").unlink()
    manifest = json.loads((build / "manifest.json").read_text())
    del manifest["checksums"]["vocabulary.json"]
    (build / "manifest.json").write_text(json.dumps(manifest))
    fresh_app.index.load()
    assert len(fresh_app.index.searcher.index.vocabulary) == 0
    assert complete(fresh_app, "sec")[0] == "sect"  # rebuilt from the passages
