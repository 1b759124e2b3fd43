"""/quote's command logic: best sentences are settled by the model now or when shown."""

from __future__ import annotations

from bot.app import App
from bot.commands.quote import QuoteRequest, quote, settle

# A paraphrase sharing no content word with most passages: the model must pick sentences.
QUERY = "people who refuse to cooperate with anyone outside their own little group"


def test_settling_later_picks_the_same_sentence_as_settling_now(seed_app: App) -> None:
    eager = quote(seed_app, QuoteRequest(QUERY, count=5)).quotes
    lazy = quote(seed_app, QuoteRequest(QUERY, count=5, settle_now=1)).quotes
    assert [q.passage_id for q in lazy] == [q.passage_id for q in eager]
    assert lazy[0].settled and lazy[0].highlight == eager[0].highlight
    assert not all(q.settled for q in lazy)  # some were left for the model to settle later
    for guessed, settled in zip(lazy, eager, strict=True):
        assert settle(seed_app, QUERY, guessed).highlight == settled.highlight
        assert settle(seed_app, QUERY, guessed).settled


def test_every_quote_is_settled_unless_asked_otherwise(seed_app: App) -> None:
    assert all(q.settled for q in quote(seed_app, QuoteRequest(QUERY, count=5)).quotes)


def test_a_question_asked_again_is_answered_from_the_cache(fresh_app: App) -> None:
    first = quote(fresh_app, QuoteRequest(QUERY, count=3))
    answers = fresh_app.index.live.answers
    hits = answers.hits
    again = quote(fresh_app, QuoteRequest("  " + QUERY.upper() + " ", count=3))
    assert answers.hits == hits + 1  # no search ran
    assert again.quotes == first.quotes
    assert again.query == QUERY.upper()  # the echo keeps the asker's spelling


def test_a_different_request_is_not_served_another_ones_answer(fresh_app: App) -> None:
    three = quote(fresh_app, QuoteRequest(QUERY, count=3))
    two = quote(fresh_app, QuoteRequest(QUERY, count=2))
    by_draper = quote(fresh_app, QuoteRequest(QUERY, author="draper", count=3))
    assert len(three.quotes) == 3 and len(two.quotes) == 2
    assert {q.author for q in by_draper.quotes} == {"Hal Draper"}


def test_a_rebuilt_index_never_serves_an_answer_cached_from_the_old_one(
    fresh_app: App,
) -> None:
    before = quote(fresh_app, QuoteRequest(QUERY, count=3))
    fresh_app.index.load()  # what a reindex does when it swaps the new build in
    assert len(fresh_app.index.live.answers) == 0
    after = quote(fresh_app, QuoteRequest(QUERY, count=3))
    assert [q.text for q in after.quotes] == [q.text for q in before.quotes]
