"""Rate limits: per user and command, and per server; the answer says how long to wait."""

from __future__ import annotations

from bot.app import App
from bot.discord.checks import SlidingWindow
from bot.discord.client import QuoteBot
from tests.bot.discord.conftest import WAIT, app_like
from tests.fake_discord import FakeDiscord, run_client


async def test_a_user_who_repeats_a_command_too_soon_is_told_how_long_to_wait(
    fake_discord: FakeDiscord, seed_app: App
) -> None:
    app = app_like(seed_app, cooldown_seconds=30, server_limit=0)
    async with run_client(QuoteBot(app), fake_discord):
        first = await fake_discord.send_slash("help", user="alice")
        again = await fake_discord.send_slash("help", user="alice")
        other_user = await fake_discord.send_slash("help", user="bob")
        other_command = await fake_discord.send_slash("source", user="alice")
        for rec in (first, again, other_user, other_command):
            await rec.wait_done(WAIT)
    assert first.embed is not None and first.embed["title"] == "quotebot"
    assert again.ephemeral and again.embed is not None
    assert again.embed["description"] == (
        "Slow down a little: you can use /help again in 30 seconds."
    )
    assert other_user.embed is not None and other_user.embed["title"] == "quotebot"
    assert other_command.embed is not None and "works in the corpus" in other_command.embed["title"]


async def test_the_context_menu_has_its_own_cooldown(
    fake_discord: FakeDiscord, seed_app: App
) -> None:
    app = app_like(seed_app, cooldown_seconds=30, server_limit=0)
    async with run_client(QuoteBot(app), fake_discord):
        first = await fake_discord.send_message_command("Find sources", "what is a sect?")
        await first.wait_done(WAIT)
        again = await fake_discord.send_message_command("Find sources", "what is a sect?")
        await again.wait_done(WAIT)
    assert first.embed is not None and first.embed["title"] != "Sorry"
    assert again.ephemeral and again.embed is not None
    assert again.embed["description"] == (
        "Slow down a little: you can use “Find sources” again in 30 seconds."
    )


async def test_a_busy_server_is_limited_as_a_whole(
    fake_discord: FakeDiscord, seed_app: App
) -> None:
    app = app_like(seed_app, cooldown_seconds=0, server_limit=2, server_window_seconds=60)
    async with run_client(QuoteBot(app), fake_discord):
        answers = []
        for user in ("alice", "bob", "mod"):
            rec = await fake_discord.send_slash("help", user=user)
            await rec.wait_done(WAIT)
            answers.append(rec)
    assert [r.embed["title"] for r in answers if r.embed] == ["quotebot", "quotebot", "Sorry"]
    assert answers[2].ephemeral and answers[2].embed is not None
    assert answers[2].embed["description"] == (
        "This server is sending me a lot of commands; try again in 60 seconds."
    )


def test_the_sliding_window_allows_rate_uses_per_period_then_counts_down() -> None:
    now = [100.0]
    window = SlidingWindow(2, 10.0, clock=lambda: now[0])
    assert window.wait("k") == 0
    window.record("k")
    now[0] += 1
    window.record("k")
    assert window.wait("k") == 9.0  # the oldest use expires at 110
    assert window.wait("other") == 0
    now[0] = 110.0
    assert window.wait("k") == 0


def test_a_zero_limit_means_no_limit() -> None:
    window = SlidingWindow(0, 60.0)
    for _ in range(100):
        window.record("k")
    assert window.wait("k") == 0
