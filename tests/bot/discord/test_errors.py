"""Mistakes get a short, friendly, private answer; bugs get an apology, and the log gets
the traceback."""

from __future__ import annotations

import logging

import pytest

from bot.app import App
from bot.discord.client import QuoteBot
from bot.discord.errors import APOLOGY
from tests.bot.discord.conftest import WAIT
from tests.fake_discord import FakeDiscord, run_client


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ({"query": "the of and"}, "made only of very common words"),
        ({"query": "?!…"}, "has no words to search for"),
        ({"query": "sect " * 300}, "the limit is 1,000"),
        (
            {"query": "sect", "author": "Nobody Atall"},
            "No work by an author matching “Nobody Atall”",
        ),
        ({"query": "sect", "source": "Necronomicon"}, "with a title matching “Necronomicon”"),
    ],
    ids=["common-words", "punctuation", "too-long", "unknown-author", "unknown-source"],
)
async def test_a_query_that_cannot_be_searched_gets_a_private_explanation(
    fake_discord: FakeDiscord, app: App, options: dict[str, str], says: str
) -> None:
    async with run_client(QuoteBot(app), fake_discord):
        rec = await fake_discord.send_slash("quote", options)
        await rec.wait_done(WAIT)
    assert rec.response_type == "message" and rec.ephemeral
    assert rec.embed is not None and rec.embed["title"] == "Sorry"
    assert says in rec.embed["description"]
    assert "Traceback" not in rec.embed["description"]


async def test_define_with_only_common_words_gets_a_private_explanation(
    fake_discord: FakeDiscord, app: App
) -> None:
    async with run_client(QuoteBot(app), fake_discord):
        rec = await fake_discord.send_slash("define", {"term": "the"})
        await rec.wait_done(WAIT)
    assert rec.ephemeral and rec.embed is not None
    assert "That term is made only of very common words" in rec.embed["description"]


async def test_a_bug_gets_an_apology_and_the_traceback_goes_to_the_log(
    fake_discord: FakeDiscord,
    app: App,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    import bot.discord.cogs.quote as cog

    def broken(*args: object) -> None:
        raise RuntimeError("internal detail: /srv/secret/path")

    monkeypatch.setattr(cog, "search_quotes", broken)
    with caplog.at_level(logging.ERROR, logger="bot.discord"):
        async with run_client(QuoteBot(app), fake_discord) as client:
            rec = await fake_discord.send_slash("quote", {"query": "what is a sect?"})
            await rec.wait_done(WAIT)
            # The bot carries on.
            ok = await fake_discord.send_slash("help")
            await ok.wait_done(WAIT)
            assert not client.is_closed()
    assert rec.embed is not None and rec.embed["description"] == APOLOGY
    assert "secret" not in str(rec.final_message.payload if rec.final_message else "")
    errors = [r for r in caplog.records if r.exc_info]
    assert errors and "RuntimeError: internal detail" in caplog.text
    assert "Traceback" in caplog.text
    assert ok.embed is not None and ok.embed["title"] == "quotebot"


async def test_a_failing_button_gets_an_apology_too(
    fake_discord: FakeDiscord,
    app: App,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    import bot.discord.views as views

    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("passage 12")

    monkeypatch.setattr(views, "context", broken)
    with caplog.at_level(logging.ERROR, logger="bot.discord"):
        async with run_client(QuoteBot(app), fake_discord):
            rec = await fake_discord.send_slash("quote", {"query": "what is a sect?"})
            await rec.wait_done(WAIT)
            click = await fake_discord.click(rec, "pager:context")
            await click.wait_done(WAIT)
    assert click.ephemeral and click.embed is not None
    assert click.embed["description"] == APOLOGY
    assert "KeyError" in caplog.text
