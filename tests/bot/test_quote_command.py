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
