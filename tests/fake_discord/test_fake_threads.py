"""Threads and forum posts in the fake Discord, as discord.py sees them.

A tiny bot answers `/here` with what discord.py made of the interaction's channel, and with
the permissions discord.py would compute itself from its cache, so each test pins down that
the fake's payloads agree with Discord's rules and with the client that reads them.
"""

from __future__ import annotations

import json
from typing import Any

import discord
import pytest

from tests.fake_discord import FakeDiscord, run_client
from tests.fake_discord.test_fake_discord import eventually
from tests.fake_discord.test_fake_guilds import WAIT, GuildBot

pytest_plugins = ["tests.fake_discord.fixtures"]


def seen(interaction: discord.Interaction) -> dict[str, Any]:
    """What discord.py made of where an interaction came from."""
    channel = interaction.channel
    guild = interaction.guild
    cached = guild is not None and channel is not None and guild.get_thread(channel.id) is not None
    thread = channel if isinstance(channel, discord.Thread) else None
    computed = None
    if thread is not None and cached and guild is not None and guild.me is not None:
        computed = thread.permissions_for(guild.me).value  # from the cache: the parent's
    return {
        "channel": None if channel is None else channel.id,
        "type": None if channel is None else str(channel.type),
        "parent": None if thread is None else thread.parent_id,
        "owner": None if thread is None else thread.owner_id,
        "cached": cached,
        "joined": thread is not None and thread.me is not None,
        "app": interaction.app_permissions.value,
        "app_by_discord_py": computed,
        "member": interaction.permissions.value,
    }


class PlaceView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=60)

    @discord.ui.button(label="Here", custom_id="place:here")
    async def here(self, interaction: discord.Interaction, button: discord.ui.Button[Any]) -> None:
        await interaction.response.send_message(json.dumps(seen(interaction)))


class ThreadBot(GuildBot):
    """GuildBot, with `/here` (and its button) telling where discord.py thinks it is."""

    def __init__(self) -> None:
        super().__init__()
        self.threads_created: list[int] = []

        @self.tree.command(description="Where discord.py thinks this is")
        async def here(interaction: discord.Interaction) -> None:
            await interaction.response.send_message(json.dumps(seen(interaction)), view=PlaceView())

    async def on_thread_create(self, thread: discord.Thread) -> None:
        self.threads_created.append(thread.id)


async def here(fake: FakeDiscord, **how: Any) -> dict[str, Any]:
    record = await fake.send_slash("here", **how)
    await record.wait_done(WAIT)
    place: dict[str, Any] = json.loads(record.content)
    return place


def permissions(*names: str) -> int:
    return discord.Permissions(**dict.fromkeys(names, True)).value


async def test_a_public_thread_is_known_from_guild_create_and_carries_its_parents_permissions(
    fake_discord: FakeDiscord,
) -> None:
    fake = fake_discord
    thread = fake.add_thread("reading group", owner="bob")
    async with run_client(ThreadBot(), fake) as bot:
        place = await here(fake, channel="reading group", user="mod")
        in_general = await here(fake, user="mod")
        guild = bot.get_guild(fake.guild_id)
        assert guild is not None and [t.id for t in guild.threads] == [thread]
    assert place["channel"] == thread and place["type"] == "public_thread"
    assert place["parent"] == fake.channel_id and place["owner"] == fake.user_ids["bob"]
    assert place["cached"] and not place["joined"] and bot.threads_created == []
    # The parent's permissions (no overwrites here): what discord.py computes from its cache.
    assert place["app"] == place["app_by_discord_py"] == in_general["app"]
    assert place["member"] == in_general["member"] == fake.member_permissions(fake.user_ids["mod"])


async def test_a_thread_started_while_connected_arrives_by_thread_create(
    fake_discord: FakeDiscord,
) -> None:
    fake = fake_discord
    async with run_client(ThreadBot(), fake) as bot:
        thread = await fake.add_thread("late", parent="quotes")
        place = await here(fake, channel=thread)
    assert bot.threads_created == [thread]  # newly_created: on_thread_create, not a join
    assert place["cached"] and place["parent"] == fake.channel_ids["quotes"]


async def test_a_private_thread_the_bot_did_not_join_is_built_from_the_interaction_alone(
    fake_discord: FakeDiscord,
) -> None:
    fake = fake_discord
    async with run_client(ThreadBot(), fake) as bot:
        thread = await fake.add_thread("plans", private=True, owner="bob", members=["alice"])
        place = await here(fake, channel="plans")
        # A moderator sees every private thread (MANAGE_THREADS); others only as members.
        moderated = await here(fake, channel="plans", user="mod")
        fake.add_member("carol")
        with pytest.raises(ValueError, match="cannot see private thread"):
            fake.slash_payload("here", channel="plans", user="carol")
        # Nor does the bot hear what is said there; in #general it does.
        await fake.send_user_message("between us", channel="plans")
        await fake.send_user_message("out loud")
        await eventually(lambda: len(bot.messages) > 0)
    assert [text for _, text in bot.messages] == ["out loud"]
    assert bot.threads_created == []  # no THREAD_CREATE: the bot cannot see it
    assert place["channel"] == thread and place["type"] == "private_thread"
    assert place["parent"] == fake.channel_id and not place["cached"]
    assert moderated["channel"] == thread


async def test_a_private_thread_the_bot_joined_is_in_guild_create_with_its_membership(
    fake_discord: FakeDiscord,
) -> None:
    fake = fake_discord
    fake.add_thread("staff", private=True, owner="mod", members=["alice"], bot_joined=True)
    async with run_client(ThreadBot(), fake):
        place = await here(fake, channel="staff")
    assert place["cached"] and place["joined"] and place["type"] == "private_thread"


async def test_a_forum_post_is_a_thread_of_the_forum_opening_with_its_owners_message(
    fake_discord: FakeDiscord,
) -> None:
    fake = fake_discord
    forum = fake.add_forum("questions")
    post = fake.add_thread("Who said it?", parent="questions", owner="bob", message="Who?")
    async with run_client(ThreadBot(), fake) as bot:
        guild = bot.get_guild(fake.guild_id)
        assert guild is not None and isinstance(guild.get_channel(forum), discord.ForumChannel)
        place = await here(fake, channel=post)
        on_post = await fake.send_message_command("Message guild", message=post)
        await on_post.wait_done(WAIT)
        command = await fake.send_slash("here", channel=post)
        await command.wait_done(WAIT)
        click = await fake.click(command, "place:here")
        await click.wait_done(WAIT)
    assert place["type"] == "public_thread" and place["parent"] == forum and place["cached"]
    # The post's opening message has the thread's id and is in the thread.
    assert fake.messages[post].content == "Who?"
    assert on_post.content == f"{fake.guild_id} {post} Who?"
    assert json.loads(click.content)["channel"] == post
    with pytest.raises(ValueError, match="is a forum"):
        fake.slash_payload("here", channel="questions")
    with pytest.raises(ValueError, match="is a category"):
        fake.slash_payload("here", channel="Text Channels")


async def test_without_send_messages_in_threads_a_thread_takes_embeds_and_files_away(
    fake_discord: FakeDiscord,
) -> None:
    fake = fake_discord
    fake.app_permissions &= ~permissions("send_messages_in_threads")
    fake.add_thread("quiet")
    async with run_client(ThreadBot(), fake):
        place = await here(fake, channel="quiet")
        in_general = await here(fake)
    needs_sending = permissions("embed_links", "attach_files")
    assert in_general["app"] & needs_sending == needs_sending  # SEND_MESSAGES is there
    assert place["app"] & needs_sending == 0
    assert place["app"] == in_general["app"] & ~needs_sending


async def test_a_thread_needs_a_text_or_forum_channel_and_a_free_name(
    fake_discord: FakeDiscord,
) -> None:
    fake = fake_discord
    fake.add_forum("ideas")
    with pytest.raises(ValueError, match="text or forum"):
        fake.add_thread("voice chat", parent="Lounge")
    with pytest.raises(ValueError, match="public threads"):
        fake.add_thread("secret post", parent="ideas", private=True)
    with pytest.raises(ValueError, match="already has a channel"):
        fake.add_thread("general")
    with pytest.raises(ValueError, match="only a forum post"):
        fake.add_thread("chat", message="hello")
    with pytest.raises(ValueError, match="DM"):
        fake.add_thread("nowhere", guild=False)
