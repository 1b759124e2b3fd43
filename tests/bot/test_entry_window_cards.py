"""An entry whose headword line was cut off as a passage of its own ("REGALIA, n."; its one
long sentence is longer than the model's input) is shown with its definition: the card
must not highlight the bare headword, and Context must not show the definition twice."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bot.app import App
from bot.cards import answer_cards, context_card
from bot.commands.quote import QuoteRequest, context, quote
from bot.commands.results import Answer, Quote

ORDERS = "; ".join(f"the Ancient Order of Number {n} Troglodytes" for n in range(1, 80))
DICTIONARY = f"""ABASEMENT, n.  A decent and customary mental attitude in the presence of
wealth or power.

BORE, n.  A person who talks when you wish him to listen.

CYNIC, n.  A blackguard whose faulty vision sees things as they are, not as they ought to
be.

DEBT, n.  An ingenious substitute for the chain and whip of the slave-driver.

EDUCATION, n.  That which discloses to the wise and disguises from the foolish their lack
of understanding.

REGALIA, n.  Distinguishing insignia, jewels and costume of such ancient and honorable
orders as {ORDERS}; Prelates of the Tub-and-Sword.

RELIGION, n.  A daughter of Hope and Fear, explaining to Ignorance the nature of the
Unknowable.
"""


@pytest.fixture
def dictionary_app(fresh_app: App, tmp_path: Path) -> App:
    app = App(replace(fresh_app.settings, data=tmp_path / "data"), fresh_app.encoder)
    (app.settings.corpus / "dictionary.txt").write_text(DICTIONARY, encoding="utf-8")
    app.collections.base.reindex()
    return app


def regalia(app: App) -> Quote:
    for q in quote(app, QuoteRequest("regalia insignia of honorable orders", count=5)).quotes:
        if q.section == "REGALIA" and q.text.startswith("REGALIA, n."):
            return q
    raise AssertionError("REGALIA's entry was not found with its headword")


def test_the_highlighted_sentence_is_the_definition_not_the_bare_headword(
    dictionary_app: App,
) -> None:
    q = regalia(dictionary_app)
    [card] = answer_cards(Answer("regalia", [q]))
    bold = [s.text.strip() for s in card.body if s.strong]
    assert bold and bold != ["REGALIA, n."]


def test_context_of_an_entry_shown_with_its_headword_shows_its_definition_once(
    dictionary_app: App,
) -> None:
    q = regalia(dictionary_app)
    around = context(dictionary_app, q)
    focus = next(x.passage_id for x in around if not x.label)
    body = context_card(around, focus).plain_body
    assert body.count("Distinguishing insignia") == 1
    # What follows the quote in the entry is its neighbour, not a part of the quote again.
    assert around[-1].text not in q.text
