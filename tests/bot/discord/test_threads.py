"""The bot in threads and forum posts, where members use it as much as in channels.

Three places, as discord.py meets them: a public thread of #general (known from
GUILD_CREATE), a private thread the bot never joined (discord.py knows it only from the
interaction's own `channel`), and a post in a forum channel. In each, the readers'
commands, the "Find sources" menu and the pager's buttons answer there, and an admin
command's check still sees the member's server permissions.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from bot.app import App
from bot.discord.cogs.admin import NOTHING_OF_ITS_OWN
from tests.bot.discord.conftest import RunningBot, answered
from tests.bot.discord.test_admin import private_app
from tests.bot.discord.test_context_menu import SAYING
from tests.bot.discord.test_define import DEFINING_SENTENCE
from tests.bot.discord.test_quote import BEST_TITLE, QUERY
from tests.fake_discord import FakeDiscord


@dataclass(frozen=True)
class Room:
    """Where the commands are used, and a message by bob saying SAYING there."""

    id: int
    message: int


def public_thread(fake: FakeDiscord) -> Room:
    room = fake.add_thread("reading group", owner="bob")
    return Room(room, fake.post_user_message(SAYING, author="bob", channel=room).id)


def private_thread(fake: FakeDiscord) -> Room:
    room = fake.add_thread("study plans", private=True, owner="bob", members=["alice", "mod"])
    return Room(room, fake.post_user_message(SAYING, author="bob", channel=room).id)


def forum_post(fake: FakeDiscord) -> Room:
    fake.add_forum("questions")
    post = fake.add_thread("Where is this from?", parent="questions", owner="bob", message=SAYING)
    return Room(post, post)  # the post opens with bob's message, which has the post's id


@pytest.fixture(params=[public_thread, private_thread, forum_post])
def room(request: pytest.FixtureRequest, fake_discord: FakeDiscord) -> Room:
    """Each place in turn, made before the bot connects."""
    made: Room = request.param(fake_discord)
    return made


async def test_quote_answers_in_the_thread_and_its_pager_turns_there(
    fake_discord: FakeDiscord, app: App, running_bot: RunningBot, room: Room
) -> None:
    async with running_bot(app):
        rec = await answered(fake_discord.send_slash("quote", {"query": QUERY}, channel=room.id))
        await answered(fake_discord.click(rec, "pager:next"))
        turned = rec.embed
        back = await answered(fake_discord.click(rec, "pager:previous"))
        cite = await answered(fake_discord.click(rec, "pager:cite"))
    assert rec.final_message is not None and rec.final_message.channel_id == room.id
    assert not rec.ephemeral and back.embed is not None
    assert turned is not None and turned["footer"]["text"].startswith("Result 2 of")
    assert back.embed["title"].startswith(BEST_TITLE)
    assert back.embed["footer"]["text"].startswith("Result 1 of")
    assert cite.ephemeral and cite.embed is not None and cite.embed["title"] != "Sorry"


async def test_define_answers_in_the_thread(
    fake_discord: FakeDiscord, app: App, running_bot: RunningBot, room: Room
) -> None:
    async with running_bot(app):
        rec = await answered(
            fake_discord.send_slash("define", {"term": "sectarianism"}, channel=room.id)
        )
    assert rec.final_message is not None and rec.final_message.channel_id == room.id
    assert rec.embed is not None and f"**{DEFINING_SENTENCE}**" in rec.embed["description"]


async def test_find_sources_quotes_a_message_of_the_thread(
    fake_discord: FakeDiscord, app: App, running_bot: RunningBot, room: Room
) -> None:
    async with running_bot(app):
        rec = await answered(
            fake_discord.send_message_command("Find sources", message=room.message)
        )
        await answered(fake_discord.click(rec, "pager:next"))
    assert rec.final_message is not None and rec.final_message.channel_id == room.id
    assert rec.embed is not None and rec.embed["footer"]["text"].startswith("Result 2 of")


async def test_an_admin_commands_check_sees_the_members_server_permissions_in_the_thread(
    fake_discord: FakeDiscord, fresh_app: App, running_bot: RunningBot, room: Room
) -> None:
    app = private_app(fresh_app, cooldown_seconds=0, server_limit=0)
    async with running_bot(app):
        # Manage Server through the Moderator role: past the check, to the answer.
        moderated = await answered(fake_discord.send_slash("reindex", user="mod", channel=room.id))
        refused = await answered(fake_discord.send_slash("reindex", user="alice", channel=room.id))
    assert moderated.embed is not None and moderated.embed["description"] == NOTHING_OF_ITS_OWN
    assert refused.ephemeral and refused.embed is not None
    assert refused.embed["description"] == (
        "Only the bot's owners and members with Manage Server can use /reindex."
    )
