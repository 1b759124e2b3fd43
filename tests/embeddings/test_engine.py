"""End to end on the seed corpus: the right passages come back with the right citation."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.app import App
from bot.commands.quote import QuoteRequest, quote
from embeddings.errors import NotFoundError, QueryError
from tests.wording import raises_saying


def ask(app: App, query: str, **kw: object) -> list:
    return quote(app, QuoteRequest(query, **kw)).quotes  # type: ignore[arg-type]


def test_a_paraphrase_finds_drapers_definition_of_a_sect(seed_app: App) -> None:
    quotes = ask(seed_app, "what makes a group a sect rather than a movement?")
    best = quotes[0]
    assert "A sect presents itself as the embodiment of the socialist movement" in best.text
    assert best.author == "Hal Draper"
    assert best.title == "Anatomy of the Micro-Sect"
    assert best.section == "Introduction"
    assert best.date == "1973"
    assert best.url == "https://www.marxists.org/archive/draper/1973/xx/microsect.htm"


def test_a_question_finds_mims_definition_with_its_date(seed_app: App) -> None:
    quotes = ask(seed_app, "When Marxists accuse a group of sectarianism, what do they mean?")
    top = quotes[:2]
    hit = next(q for q in top if "its own needs above those of the international" in q.text)
    assert hit.author == "Maoist Internationalist Movement (MIM)"
    assert hit.date == "2002-01-26"
    assert hit.title.startswith("Definition of sectarianism")


def test_the_best_sentence_is_highlighted(seed_app: App) -> None:
    quotes = ask(
        seed_app, "an organization putting its own needs above the proletariat", title="defin"
    )
    hit = next(q for q in quotes if "When Marxists speak of" in q.text)
    assert hit.highlight is not None
    assert "its own needs above those of the international proletariat" in hit.highlighted
    assert all(q.highlight is not None for q in quotes)


def test_quotes_are_verbatim_without_markup_or_navigation(seed_app: App) -> None:
    for q in ask(seed_app, "Top of the page Marxists Internet Archive", count=10):
        assert "](" not in q.text and "**" not in q.text and "Top of the page" not in q.text


def test_filters_by_author_and_title_are_case_insensitive_and_partial(seed_app: App) -> None:
    assert {q.author for q in ask(seed_app, "sectarianism", author="DRAPER")} == {"Hal Draper"}
    titles = {q.title for q in ask(seed_app, "sectarianism", title="definition of")}
    assert len(titles) == 1 and titles.pop().startswith("Definition of sectarianism")


def test_an_unknown_author_is_a_clear_not_found(seed_app: App) -> None:
    with raises_saying(NotFoundError, "No work by an author matching “Tolstoy”"):
        ask(seed_app, "sectarianism", author="Tolstoy")


def test_results_can_be_capped_per_work(seed_app: App) -> None:
    quotes = ask(seed_app, "sect", count=6, per_document=1)
    assert len({q.source for q in quotes}) == len(quotes) <= 2


def test_windows_of_one_paragraph_are_not_repeated(seed_app: App) -> None:
    quotes = ask(seed_app, "the sect form of organization", count=10)
    keys = [(q.source, seed_app.index.searcher.index.passages[q.passage_id].block) for q in quotes]
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize(
    "query",
    [
        "recette de cuisine et pâtisserie française",
        "квантовая хромодинамика",
        "🍕🍕🍕 pizza toppings",
    ],
)
def test_unrelated_or_foreign_queries_get_an_honest_no_good_match(
    seed_app: App, query: str
) -> None:
    answer = quote(seed_app, QuoteRequest(query))
    assert answer.quotes == []
    assert answer.notice.startswith("No good match")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "search for"),
        ("   \t ", "search for"),
        ("x" * 2000, "the limit is 1,000"),
        ("the and of", "very common words"),
    ],
)
def test_bad_queries_get_a_clear_message(seed_app: App, query: str, message: str) -> None:
    with raises_saying(QueryError, message):
        quote(seed_app, QuoteRequest(query))


def test_control_characters_in_a_query_do_no_harm(seed_app: App) -> None:
    assert ask(seed_app, "what\x00 is a\u200b sect\x1b[31m?")


def test_count_out_of_range_is_refused(seed_app: App) -> None:
    with raises_saying(QueryError, "between 1 and 10"):
        ask(seed_app, "sect", count=50)


def test_a_dictionary_entry_shows_its_definition_not_its_headword(fresh_app: App) -> None:
    # "PROPERTY, n." shares the query's word, but says nothing: the sentence after it is
    # the one to show (and the only one /compare prints).
    shutil.copy(
        Path(__file__).parents[1] / "ingest" / "fixtures" / "devils-dictionary-excerpt.txt",
        fresh_app.settings.corpus,
    )
    fresh_app.collections.base.reindex()
    quotes = ask(fresh_app, "abdication of a sovereign", title="devil")
    entry = next(q for q in quotes if q.text.startswith("ABDICATION, n."))
    assert entry.highlight is not None and entry.highlight[0] > 0
    assert entry.highlighted.startswith("An act whereby a sovereign")
