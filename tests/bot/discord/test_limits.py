"""Rate limits on every kind of interaction (commands, the context menu, buttons, autocomplete),
per user and per server; the answer says how long to wait, autocomplete just offers nothing."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from bot.discord.limits import (
    AUTOCOMPLETES_PER_COMMAND,
    CLICKS_PER_COMMAND,
    Limits,
    RateLimited,
    SlidingWindow,
)
from bot.discord.views import NOT_YOURS
from bot.settings import Settings
from tests.bot.discord.conftest import WAIT, BotWith, answered, answered_each
from tests.fake_discord import FakeDiscord, Upload


async def test_a_user_who_repeats_a_command_too_soon_is_told_how_long_to_wait(
    fake_discord: FakeDiscord, bot_with: BotWith
) -> None:
    async with bot_with(cooldown_seconds=30, server_limit=0):
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
    fake_discord: FakeDiscord, bot_with: BotWith
) -> None:
    async with bot_with(cooldown_seconds=30, server_limit=0):
        first = await answered(fake_discord.send_message_command("Find sources", "what is a sect?"))
        again = await answered(fake_discord.send_message_command("Find sources", "what is a sect?"))
    assert first.embed is not None and first.embed["title"] != "Sorry"
    assert again.ephemeral and again.embed is not None
    assert again.embed["description"] == (
        "Slow down a little: you can use “Find sources” again in 30 seconds."
    )


async def test_a_busy_server_is_limited_as_a_whole(
    fake_discord: FakeDiscord, bot_with: BotWith
) -> None:
    async with bot_with(cooldown_seconds=0, server_limit=2, server_window_seconds=60):
        answers = await answered_each(
            fake_discord.send_slash("help", user=user) for user in ("alice", "bob", "mod")
        )
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


# -- every kind of interaction is limited ------------------------------------------------------

SLOW_DOWN = "Slow down a little: you can use {} again in 30 seconds."


@pytest.mark.parametrize(
    ("name", "options", "user"),
    [
        ("quote", {"query": "what is a sect?"}, "alice"),
        ("define", {"term": "sect"}, "alice"),
        ("source", {}, "alice"),
        ("help", {}, "alice"),
        ("reindex", {}, "mod"),
        ("corpus add", {"file": Upload("tool.exe", b"MZ")}, "mod"),
        ("corpus remove", {"work": "Necronomicon"}, "mod"),
    ],
    ids=["quote", "define", "source", "help", "reindex", "corpus-add", "corpus-remove"],
)
async def test_every_slash_command_has_a_per_user_cooldown(
    fake_discord: FakeDiscord, bot_with: BotWith, name: str, options: dict[str, Any], user: str
) -> None:
    async with bot_with(cooldown_seconds=30, server_limit=0):
        first = await fake_discord.send_slash(name, options, user=user)
        await first.wait_for(lambda r: r.done and (r.embed or {}).get("title") != "Reindexing…")
        again = await answered(fake_discord.send_slash(name, options, user=user))
    assert first.embed is not None and "Slow down" not in first.embed.get("description", "")
    assert again.ephemeral and again.embed is not None
    assert again.embed["description"] == SLOW_DOWN.format(f"/{name}")


async def test_a_user_clicking_too_fast_is_told_to_slow_down_and_the_page_stays(
    fake_discord: FakeDiscord, bot_with: BotWith
) -> None:
    async with bot_with(cooldown_seconds=0, server_limit=0, click_limit=2, click_window_seconds=30):
        rec = await answered(
            fake_discord.send_slash("quote", {"query": "what is a sect?", "count": 5})
        )
        clicks = await answered_each(fake_discord.click(rec, "pager:next") for _ in range(3))
        other = await answered(fake_discord.send_slash("quote", {"query": "sect"}, user="bob"))
        bobs = await answered(fake_discord.click(other, "pager:next", user="bob"))
    assert [c.response_type for c in clicks] == ["update_message", "update_message", "message"]
    refused = clicks[2]
    assert refused.ephemeral and refused.embed is not None
    assert refused.embed["description"] == SLOW_DOWN.format("the buttons")
    assert rec.embed is not None and rec.embed["footer"]["text"].startswith("Result 3 of")
    assert bobs.response_type == "update_message"  # the limit is per user


async def test_explain_clicks_count_against_the_same_limit(
    fake_discord: FakeDiscord, bot_with: BotWith
) -> None:
    # Explain is open to anyone, and costs a search: unlimited, any member could flood it.
    async with bot_with(cooldown_seconds=0, server_limit=0, click_limit=2, click_window_seconds=30):
        rec = await answered(fake_discord.send_slash("quote", {"query": "what is a sect?"}))
        explain = next(b["custom_id"] for b in rec.buttons if b["label"] == "Explain")
        clicks = await answered_each(fake_discord.click(rec, explain, user="bob") for _ in range(3))
    assert [c.embed["title"].startswith("Explain") for c in clicks if c.embed] == [
        True,
        True,
        False,
    ]
    refused = clicks[2]
    assert refused.ephemeral and refused.embed is not None
    assert refused.embed["description"] == SLOW_DOWN.format("the buttons")


async def test_a_server_clicking_too_much_is_limited_as_a_whole(
    fake_discord: FakeDiscord, bot_with: BotWith
) -> None:
    # One command a minute for the server, so CLICKS_PER_COMMAND clicks a minute.
    async with bot_with(cooldown_seconds=0, server_limit=1, click_limit=0):
        rec = await answered(
            fake_discord.send_slash("quote", {"query": "what is a sect?", "count": 5})
        )
        answers = await answered_each(  # strangers' clicks count too
            fake_discord.click(rec, "pager:cite", user=user)
            for user in ["alice", "bob", "mod", "alice", "alice"]
        )
    assert CLICKS_PER_COMMAND == 4
    assert [a.embed["title"] if a.embed else a.content for a in answers] == [
        "Citation",
        NOT_YOURS,
        NOT_YOURS,
        "Citation",
        "Sorry",
    ]
    assert answers[4].embed is not None and answers[4].embed["description"] == (
        "This server is sending me a lot of commands; try again in 60 seconds."
    )


async def test_autocomplete_over_the_limit_offers_nothing_at_once(
    fake_discord: FakeDiscord, bot_with: BotWith
) -> None:
    typing = {"name": "anat"}
    async with bot_with(cooldown_seconds=0, server_limit=0, autocomplete_limit=2):
        mine = await answered_each(
            fake_discord.send_autocomplete("source", typing, focused="name") for _ in range(3)
        )
        bobs = await answered(
            fake_discord.send_autocomplete("source", typing, focused="name", user="bob")
        )
    draper = [{"name": "Anatomy of the Micro-Sect", "value": "Anatomy of the Micro-Sect"}]
    assert [r.choices for r in mine] == [draper, draper, []]
    assert all(r.response_type == "autocomplete" and r.violations == [] for r in mine)
    assert bobs.choices == draper


async def test_a_server_autocompleting_too_much_gets_nothing_for_a_while(
    fake_discord: FakeDiscord, bot_with: BotWith
) -> None:
    async with bot_with(cooldown_seconds=0, server_limit=1, autocomplete_limit=0):
        answers = await answered_each(
            fake_discord.send_autocomplete(
                "define", {"term": "sect"}, focused="term", user=("alice", "bob", "mod")[i % 3]
            )
            for i in range(AUTOCOMPLETES_PER_COMMAND + 1)
        )
    assert all(r.choices for r in answers[:-1])
    assert answers[-1].choices == [] and answers[-1].response_type == "autocomplete"


def test_a_refused_use_is_not_counted_against_the_user_or_the_server() -> None:
    # Counted, a refusal would push the wait further with every impatient retry.
    now = [0.0]
    settings = replace(Settings(), cooldown_seconds=3.0, server_limit=2, server_window_seconds=60.0)
    limits = Limits(settings, clock=lambda: now[0])
    limits.check("quote", 1, 10)
    now[0] = 2.0
    with pytest.raises(RateLimited):
        limits.check("quote", 1, 10)  # within the user's cooldown
    now[0] = 3.5
    limits.check("quote", 1, 10)  # 3 s after the first use, not after the refusal
    now[0] = 30.0
    with pytest.raises(RateLimited):
        limits.check("quote", 2, 10)  # the server's two uses are spent
    now[0] = 61.0
    limits.check("quote", 3, 10)  # the first use left the window; the refusal never counted
