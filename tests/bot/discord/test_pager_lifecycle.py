"""The pager's edits racing each other and Discord: an expiry held up by another pager's,
a late refinement landing after a page turn, a page turn landing after the expiry."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest

from bot.app import App
from bot.discord import views
from tests.bot.discord.conftest import WAIT, BotWith, RunningBot, answered, app_like
from tests.bot.discord.test_quote import QUERY, UNDECIDED
from tests.bot.discord.waiting import eventually
from tests.fake_discord import FakeDiscord, InteractionRecord


def expired(rec: InteractionRecord) -> bool:
    """Every pager button but Explain disabled on the message."""
    return all(b.get("disabled") for b in rec.buttons if b["label"] != "Explain")


def unsettled_app(fresh_app: App, **settings: Any) -> App:
    """The seed corpus without sentence vectors: the model settles each page's best
    sentence after it is shown (a refinement edited in), as on a large corpus."""
    app = app_like(fresh_app, cooldown_seconds=0, server_limit=0, **settings)
    app.index.searcher.index.sentences = None
    return app


async def test_a_pager_held_up_by_anothers_expiry_still_has_its_buttons_disabled(
    fake_discord: FakeDiscord, bot_with: BotWith
) -> None:
    # Tokens last 4 s here (15 minutes on Discord), pagers 1.5 s (10 minutes). The first
    # pager's expiry edit is rate-limited for 4 s: its own token dies meanwhile (its bad
    # luck), but the second pager, due 0.3 s later, must not wait for it.
    fake_discord.token_lifetime = 4.0
    fake_discord.expect_violations("token.expired")  # the first pager's retried edit
    async with bot_with(cooldown_seconds=0, server_limit=0, view_timeout_seconds=1.5) as bot:
        first = await answered(fake_discord.send_slash("quote", {"query": QUERY}))
        second = await answered(fake_discord.send_slash("quote", {"query": QUERY}, user="bob"))
        kept = [bot.pagers.get(r.original_id or 0) for r in (first, second)]
        await eventually(lambda: all(p and p.refining is None for p in kept), WAIT, "refined")
        fake_discord.fail_next("PATCH /webhooks/*", 429, retry_after=4.0)
        await first.wait_for(lambda r: any(e.status == 401 for e in r.events), WAIT)
        await second.wait_for(lambda r: expired(r) or any(e.status == 401 for e in r.events), WAIT)
    assert expired(second), [e.status for e in second.events]


async def test_a_late_refinement_does_not_turn_the_page_back(
    fake_discord: FakeDiscord,
    fresh_app: App,
    running_bot: RunningBot,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The model's sentence for page 1 is edited in through the command's token. That edit
    # is slow (rate-limited here; any network delay does it): the owner turns to page 2
    # meanwhile, and the edit, made for page 1, lands after the turn.
    app = unsettled_app(fresh_app)
    held, released = threading.Event(), threading.Event()
    settle = views.settle

    def held_settle(*args: Any, **kwargs: Any) -> Any:
        if not kwargs.get("urgent", True):  # the refinement of a page already shown
            held.set()
            released.wait(WAIT)
        return settle(*args, **kwargs)

    monkeypatch.setattr(views, "settle", held_settle)
    async with running_bot(app) as bot:
        rec = await answered(fake_discord.send_slash("quote", {"query": UNDECIDED, "count": 3}))
        pages = bot.pagers.get(rec.original_id or 0)
        assert pages is not None and await asyncio.to_thread(held.wait, WAIT)
        fault = fake_discord.fail_next("PATCH /webhooks/*/messages/@original", 429, retry_after=1.0)
        released.set()
        await eventually(lambda: bool(fault.fired), WAIT, "the refinement's edit sent")
        turned = await answered(fake_discord.click(rec, "pager:next"))
        assert turned.response_type == "update_message"
        await eventually(lambda: pages.refining is None, WAIT, "the refinement done")
    assert pages.page == 1  # the pager counts page 2 ...
    assert rec.embed is not None
    assert rec.embed["footer"]["text"].startswith("Result 2 of 3")  # ... the message too


async def test_a_page_turned_as_the_pager_expires_does_not_bring_its_buttons_back(
    fake_discord: FakeDiscord,
    fresh_app: App,
    running_bot: RunningBot,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A click accepted just before the expiry waits (up to defer_after_seconds) for the
    # model to settle the new page; the pager expires meanwhile and its buttons are
    # disabled; then the click's update sends live buttons again, for a pager that is gone.
    app = unsettled_app(fresh_app, view_timeout_seconds=1.0, defer_after_seconds=2.0)
    holding = threading.Event()
    settle = views.settle
    state: dict[str, Any] = {}

    def held_settle(*args: Any, **kwargs: Any) -> Any:
        if holding.is_set() and kwargs.get("urgent", True):  # the click's page
            pages = state["pages"]
            deadline = time.monotonic() + WAIT
            while not pages.expired and time.monotonic() < deadline:
                time.sleep(0.01)
            time.sleep(0.3)  # the expiry's edit made
        return settle(*args, **kwargs)

    monkeypatch.setattr(views, "settle", held_settle)
    async with running_bot(app) as bot:
        rec = await answered(fake_discord.send_slash("quote", {"query": UNDECIDED, "count": 3}))
        state["pages"] = pages = bot.pagers.get(rec.original_id or 0)
        assert pages is not None and not pages.quotes[1].settled
        holding.set()
        click = await answered(fake_discord.click(rec, "pager:next"))
        assert click.response_type == "update_message" and pages.expired
        assert bot.pagers.get(rec.original_id or 0) is None  # nothing answers them now
    assert expired(rec), rec.buttons


async def test_each_page_shown_gives_the_pager_its_whole_time_again(
    fake_discord: FakeDiscord, bot_with: BotWith
) -> None:
    # view_timeout_seconds counts from when a page was last shown, not from the answer: a
    # reader turning pages keeps the buttons working for as long as they read on.
    async with bot_with(cooldown_seconds=0, server_limit=0, view_timeout_seconds=2.0) as bot:
        rec = await answered(fake_discord.send_slash("quote", {"query": QUERY}))
        for action in ("next", "previous", "next", "previous"):
            await asyncio.sleep(0.9)
            click = await answered(fake_discord.click(rec, f"pager:{action}"))
            assert click.response_type == "update_message", click.content
        assert bot.pagers.get(rec.original_id or 0) is not None
    assert not expired(rec)
