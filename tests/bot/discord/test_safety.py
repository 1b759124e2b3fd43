"""Corpus text cannot ping, link or format: whatever a document says, it is shown as text."""

from __future__ import annotations

import re
from pathlib import Path

from bot.app import App
from tests.bot.discord.conftest import (
    ACTIVE_MASKED_LINK,
    BotWith,
    RunningBot,
    all_embed_text,
    answered,
    app_like,
    message_bodies,
    pager_expired,
)
from tests.fake_discord import FakeDiscord

HOSTILE = (
    "Attention @everyone and @here: the heretics gather at dawn by the old mill. "
    "Claim your reward at [the official site](https://evil.example/claim) or "
    "https://evil.example/raw, ask <@&123456789012345678> or <@123456789012345678>, "
    "and **shout** it in `code` and ||spoilers|| in <#123456789012345678>.\n"
    "# Not a heading\n"
    "> not a quote\n"
)


async def test_hostile_corpus_text_neither_pings_nor_links_nor_formats(
    fake_discord: FakeDiscord, fresh_app: App, running_bot: RunningBot
) -> None:
    (Path(fresh_app.settings.corpus) / "hostile.txt").write_text(HOSTILE)
    fresh_app.index.reindex()
    app = app_like(fresh_app, cooldown_seconds=0, server_limit=0)
    async with running_bot(app):
        rec = await answered(
            fake_discord.send_slash(
                "quote", {"query": "heretics gather at dawn by the old mill", "source": "hostile"}
            )
        )
        cite = await answered(fake_discord.click(rec, "pager:cite"))
        context = await answered(fake_discord.click(rec, "pager:context"))

    assert fake_discord.pings == []
    shown = [rec.embed, cite.embed, context.embed]
    assert all(shown)
    for embed in shown:
        assert embed is not None
        text = all_embed_text(embed)
        assert "heretics" in text  # it is the hostile passage
        assert not ACTIVE_MASKED_LINK.search(text)
        assert "https://evil" not in text  # not even a bare autolink
        assert "@everyone" not in text and "@here" not in text
        assert not re.search(r"(?<!\\)<[@#]", text)  # mentions and channel links escaped
        assert "**shout**" not in text and "`code`" not in text and "||spoilers||" not in text
        assert "\n# Not" not in text and "\n> not" not in text
    # Every message and edit the bot sent switched mentions off, whatever it contained.
    bodies = list(message_bodies(fake_discord))
    assert bodies
    for body in bodies:
        assert body["allowed_mentions"]["parse"] == []


async def test_page_turns_and_the_expiry_edit_switch_mentions_off_too(
    fake_discord: FakeDiscord, bot_with: BotWith
) -> None:
    # Not only by the client's default: every call passes allowed mentions itself, the
    # update of a page turn and the edit that expires the buttons included.
    async with bot_with(cooldown_seconds=0, server_limit=0, view_timeout_seconds=1.0):
        rec = await answered(
            fake_discord.send_slash("quote", {"query": "what makes a group a sect?"})
        )
        turned = await answered(fake_discord.click(rec, "pager:next"))
        assert turned.response_type == "update_message"
        await pager_expired(fake_discord, rec)
    bodies = list(message_bodies(fake_discord))
    assert len(bodies) >= 3  # the answer, the page turn, the expiry
    for body in bodies:
        assert body["allowed_mentions"]["parse"] == []
