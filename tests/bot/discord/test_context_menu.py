"""The "Find sources" message context menu: a quote search on someone's message."""

from __future__ import annotations

from bot.app import App
from bot.discord.cogs.quote import NO_TEXT
from tests.bot.discord.conftest import RunningBot, answered
from tests.fake_discord import FakeDiscord

SAYING = "A sect puts its own little program above the interests of the whole movement."


async def test_find_sources_quotes_passages_that_match_the_message(
    fake_discord: FakeDiscord, app: App, running_bot: RunningBot
) -> None:
    async with running_bot(app):
        rec = await answered(
            fake_discord.send_message_command("Find sources", SAYING, author="bob")
        )
        # The person who used the menu, not the message's author, owns the pager.
        await answered(fake_discord.click(rec, "pager:next", user="alice"))
    assert rec.response_type in ("message", "deferred") and rec.embed is not None
    assert rec.embed["footer"]["text"].startswith("Result 2 of")
    assert "**" in rec.embed["description"]


async def test_find_sources_cuts_a_very_long_message_instead_of_refusing_it(
    fake_discord: FakeDiscord, app: App, running_bot: RunningBot
) -> None:
    long_message = " ".join([SAYING] * 60)  # about 4,800 characters
    assert len(long_message) > app.settings.search.max_query_chars
    async with running_bot(app):
        rec = await answered(fake_discord.send_message_command("Find sources", long_message))
    assert rec.embed is not None and rec.embed["title"] != "Sorry"
    assert rec.embed["footer"]["text"].startswith("Result 1 of")


async def test_find_sources_on_a_message_without_text_says_so_privately(
    fake_discord: FakeDiscord, app: App, running_bot: RunningBot
) -> None:
    async with running_bot(app):
        rec = await answered(fake_discord.send_message_command("Find sources", "   "))
    assert rec.response_type == "message" and rec.ephemeral
    assert rec.embed is not None and rec.embed["description"] == NO_TEXT
