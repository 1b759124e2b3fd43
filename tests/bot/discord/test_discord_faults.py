"""Discord failing under the bot: rate limits, server errors, expired tokens, dropped
connections. The bot waits out what can be waited out, logs what cannot, and keeps
answering; no answer Discord would still accept is lost.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest

import bot.discord.cogs.compare as compare_cog
import bot.discord.cogs.quote as quote_cog
from bot.app import App
from bot.commands.quote import QuoteRequest, quote
from bot.commands.results import Answer
from tests.bot.discord.conftest import WAIT, Gate, RunningBot, answered, app_like
from tests.bot.discord.waiting import eventually
from tests.fake_discord import FakeDiscord, InteractionRecord

QUERY = "what is a sect?"


def answered_with_a_quote(rec: InteractionRecord) -> bool:
    return rec.embed is not None and rec.embed["footer"]["text"].startswith("Result 1 of")


def reindexed(rec: InteractionRecord) -> bool:
    return (rec.embed or {}).get("title") == "Reindex finished"


@pytest.mark.parametrize(
    ("command", "options", "route", "status"),
    [
        ("help", {}, "POST /interactions/*/callback", 429),
        ("help", {}, "POST /interactions/*/callback", 500),
        ("quote", {"query": QUERY}, "POST /interactions/*/callback", 429),
        # The answer after "thinking…" replaces the placeholder.
        ("quote", {"query": QUERY}, "PATCH /webhooks/*/messages/@original", 429),
        ("quote", {"query": QUERY}, "PATCH /webhooks/*/messages/@original", 500),
        # The summary edit of an owner's reindex of the base.
        ("reindex", {"base": True}, "PATCH /webhooks/*/messages/@original", 429),
        ("reindex", {"base": True}, "PATCH /webhooks/*/messages/@original", 502),
    ],
    ids=[
        "429-on-a-reply",
        "500-on-a-reply",
        "429-on-a-deferral",
        "429-on-the-answer-after-thinking",
        "500-on-the-answer-after-thinking",
        "429-on-an-edit",
        "502-on-an-edit",
    ],
)
async def test_a_rate_limit_or_server_error_is_retried_and_the_answer_arrives(
    fake_discord: FakeDiscord,
    app: App,
    running_bot: RunningBot,
    command: str,
    options: dict[str, Any],
    route: str,
    status: int,
) -> None:
    app = app_like(app, defer_after_seconds=0.0)  # /quote says "thinking…", then answers
    async with running_bot(app):
        fake_discord.fail_next(route, status=status, retry_after=0.25)
        # The bot's owner: the only one who may reindex the base.
        rec = await fake_discord.send_slash(command, options, user="owner")
        await rec.wait_for(lambda r: r.done and (r.embed or {}).get("title") != "Reindexing…")
        after = await answered(fake_discord.send_slash("help", user="bob"))
    assert len(fake_discord.faults_fired) == 1  # the fault did happen
    assert status in [e.status for e in rec.events]
    assert rec.embed is not None and rec.embed["title"] not in ("Sorry", "Reindex failed")
    assert after.embed is not None and after.embed["title"] == "quotebot"


@pytest.fixture
def late_app(fresh_app: App) -> App:
    """A private corpus and index, without rate limits, and late.txt not indexed yet."""
    app = app_like(fresh_app, cooldown_seconds=0, server_limit=0)
    (app.settings.corpus / "late.txt").write_text(
        "A late essay on the long patience of archives.\n"
    )
    return app


@pytest.fixture
def held_search(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """/quote searches wait (in their worker thread) until the event is set."""
    release = threading.Event()

    def held(app: App, request: QuoteRequest) -> Answer:
        release.wait(WAIT)
        return quote(app, request)

    monkeypatch.setattr(quote_cog, "search_quotes", held)
    yield release
    release.set()


@pytest.mark.parametrize("status", [401, 404])
async def test_an_expired_interaction_token_is_logged_and_the_next_one_answered(
    fake_discord: FakeDiscord,
    app: App,
    running_bot: RunningBot,
    held_search: threading.Event,
    caplog: pytest.LogCaptureFixture,
    status: int,
) -> None:
    fake_discord.expect_violations("token.expired")  # the bot tried, as it should
    caplog.set_level(logging.WARNING, logger="bot")
    async with running_bot(app) as client:
        slow = await fake_discord.send_slash("quote", {"query": QUERY})
        await slow.wait_for(lambda r: r.acknowledged, WAIT)  # "thinking…"
        fake_discord.expire_token(slow, status=status)  # 15 minutes pass
        held_search.set()
        await slow.wait_for(lambda r: any(e.status == status for e in r.events), WAIT)
        following = await fake_discord.send_slash("quote", {"query": QUERY}, user="bob")
        await following.wait_for(answered_with_a_quote, WAIT)
        assert not client.is_closed()
    assert f"could not send for quote (interaction {slow.id}): {status}" in caplog.text
    assert [v.rule for v in fake_discord.violations] == ["token.expired"]


async def test_a_reindex_outliving_its_token_still_finishes_and_is_logged(
    fake_discord: FakeDiscord,
    late_app: App,
    gate: Gate,
    caplog: pytest.LogCaptureFixture,
    running_bot: RunningBot,
) -> None:
    fake_discord.expect_violations("token.expired")
    caplog.set_level(logging.INFO, logger="bot")
    before = late_app.index.searcher.build
    async with running_bot(late_app):
        rec = await fake_discord.send_slash("reindex", {"base": True}, user="owner")
        await gate.wait_reached()
        fake_discord.expire_token(rec)
        gate.opened.set()
        await rec.wait_for(lambda r: any(e.status == 401 for e in r.events), WAIT)
        await eventually(lambda: late_app.index.searcher.build != before, WAIT, "the swap")
        after = await answered(
            fake_discord.send_slash("quote", {"query": "the patience of archives"})
        )
    assert "reindex finished: Indexed 3 documents" in caplog.text  # the log has the summary
    assert after.embed is not None and after.embed["footer"]["text"].endswith("late.txt")


@pytest.mark.parametrize("code", [None, 4000, 1006], ids=["network-drop", "4000", "1006"])
async def test_a_dropped_gateway_is_resumed_and_missed_commands_are_answered(
    fake_discord: FakeDiscord, app: App, running_bot: RunningBot, code: int | None
) -> None:
    async with running_bot(app):
        await fake_discord.drop_gateway(code=code, hold=True)
        missed = await fake_discord.send_slash("quote", {"query": QUERY})  # while away
        assert not missed.dispatched
        fake_discord.release_gateway()
        await fake_discord.wait_for_resume(WAIT)
        await missed.wait_for(answered_with_a_quote, WAIT)
        following = await answered(fake_discord.send_slash("source", user="bob"))
    assert fake_discord.identify_count == 1 and fake_discord.resume_count == 1
    assert following.embed is not None and "works in the corpus" in following.embed["title"]


async def test_a_reindex_survives_a_dropped_gateway(
    fake_discord: FakeDiscord, late_app: App, gate: Gate, running_bot: RunningBot
) -> None:
    async with running_bot(late_app):
        rec = await fake_discord.send_slash("reindex", {"base": True}, user="owner")
        await gate.wait_reached()
        await fake_discord.drop_gateway()
        gate.opened.set()
        await fake_discord.wait_for_resume(WAIT)
        await rec.wait_for(reindexed, WAIT)
    assert rec.embed is not None and "1 added" in rec.embed["description"]


@pytest.mark.parametrize(
    ("command", "options", "module", "function"),
    [
        ("quote", {"query": QUERY}, quote_cog, "search_quotes"),
        ("compare", {"query": QUERY}, compare_cog, "compare_works"),
    ],
    ids=["quote", "compare"],
)
async def test_a_refused_deferral_drops_the_answer_and_the_bot_goes_on(
    fake_discord: FakeDiscord,
    app: App,
    running_bot: RunningBot,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    command: str,
    options: dict[str, Any],
    module: ModuleType,
    function: str,
) -> None:
    # A search that outlives Discord's deadline: its "thinking…" comes too late, Discord
    # answers 404 Unknown interaction, and nobody could see an answer any more.
    fake_discord.ack_deadline = 0.2
    fake_discord.expect_violations("ack.late")
    app = app_like(app, defer_after_seconds=0.5)
    release, finished = threading.Event(), threading.Event()
    searched = getattr(module, function)

    def held(*args: Any) -> Any:
        release.wait(WAIT)
        try:
            return searched(*args)
        finally:
            finished.set()

    monkeypatch.setattr(module, function, held)
    caplog.set_level(logging.WARNING, logger="bot")
    async with running_bot(app) as client:
        late = await fake_discord.send_slash(command, options)
        await late.wait_for(lambda r: any(e.error_code == 10062 for e in r.events), WAIT)
        release.set()
        await eventually(finished.is_set, WAIT, "the held search")
        following = await answered(fake_discord.send_slash("help", user="bob"))
        assert not client.is_closed()
    assert [e.kind for e in late.events] == ["callback"]  # the refused deferral, nothing after
    assert f"could not defer for {command} (interaction {late.id}): 404" in caplog.text
    assert following.embed is not None and following.embed["title"] == "quotebot"


async def test_a_click_discord_refuses_to_answer_is_logged_and_the_bot_goes_on(
    fake_discord: FakeDiscord,
    app: App,
    running_bot: RunningBot,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="bot")
    async with running_bot(app):
        rec = await answered(fake_discord.send_slash("quote", {"query": QUERY, "count": 3}))
        fake_discord.fail_next("POST /interactions/*/callback", status=404)
        click = await fake_discord.click(rec, "pager:next")
        await click.wait_for(lambda r: any(e.status == 404 for e in r.events), WAIT)
        following = await answered(fake_discord.send_slash("help", user="bob"))
    assert f"could not update for component (interaction {click.id}): 404" in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert following.embed is not None and following.embed["title"] == "quotebot"
