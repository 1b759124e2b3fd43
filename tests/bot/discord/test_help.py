"""/help, and what the bot registers with Discord when it starts."""

from __future__ import annotations

import discord
import pytest

from bot.app import App
from tests.bot.discord.conftest import Ask, BotWith, RunningBot, answered
from tests.fake_discord import FakeDiscord

COMMANDS = {"quote", "define", "compare", "source", "reindex", "corpus", "help"}
ADMINS = {"reindex", "corpus"}
GUILD, BOT_DM, GUILD_INSTALL = 0, 1, 0  # Discord's interaction context and install types


async def test_help_explains_every_command_privately(ask: Ask) -> None:
    rec = await ask("help")
    assert rec.response_type == "message" and rec.ephemeral
    embed = rec.embed
    assert embed is not None and "never write a word of my own" in embed["description"]
    names = " ".join(f["name"] for f in embed["fields"])
    for command in COMMANDS - {"help", "reindex", "corpus"}:  # a reader's help
        assert f"/{command}" in names
    assert "Find sources" in names


async def test_help_shows_the_admins_commands_only_to_those_who_may_use_them(
    fake_discord: FakeDiscord, app: App, running_bot: RunningBot
) -> None:
    # Discord shows /reindex and /corpus only to members with Manage Server; /help showed
    # them to everyone, in direct messages too.
    async with running_bot(app):
        member = await answered(fake_discord.send_slash("help", member_permissions=0))
        dm = await answered(fake_discord.send_slash("help", guild=False))
        admin = await answered(fake_discord.send_slash("help", user="owner"))
    for rec, shown in ((member, False), (dm, False), (admin, True)):
        assert rec.embed is not None
        names = " ".join(f["name"] for f in rec.embed["fields"])
        assert ("/reindex" in names) == shown and ("/corpus" in names) == shown
        assert "/define term [count]" in names


async def test_commands_are_synced_globally_with_minimal_intents(
    fake_discord: FakeDiscord, app: App, running_bot: RunningBot
) -> None:
    async with running_bot(app):
        pass
    assert len(fake_discord.syncs) == 1 and fake_discord.syncs[0].guild_id is None
    synced = {c["name"]: c for c in fake_discord.syncs[0].commands}
    assert set(synced) == COMMANDS | {"Find sources"}
    assert synced["Find sources"]["type"] == 3  # a message context menu
    manage_guild = discord.Permissions(manage_guild=True).value
    for admin_command in ADMINS:
        assert synced[admin_command]["default_member_permissions"] == str(manage_guild)
    assert [o["name"] for o in synced["corpus"]["options"]] == [
        "add",
        "remove",
        "restore",
        "hide",
        "unhide",
        "log",
    ]
    intents = discord.Intents._from_value(fake_discord.intents or 0)
    assert intents.guilds and not intents.message_content and not intents.members


async def test_commands_are_offered_in_servers_and_the_readers_in_direct_messages_too(
    fake_discord: FakeDiscord, app: App, running_bot: RunningBot
) -> None:
    async with running_bot(app):
        # Discord offers the admins' commands in servers only: from a DM, none is sent.
        for admin_command in ("reindex", "corpus log"):
            with pytest.raises(ValueError, match="not available in a DM"):
                await fake_discord.send_slash(admin_command, user="owner", guild=False)
        source = await answered(fake_discord.send_slash("source", guild=False))
        menu = await answered(
            fake_discord.send_message_command("Find sources", "what makes a sect?", guild=False)
        )
    assert source.embed is not None and menu.embed is not None
    assert [r.name for r in fake_discord.records] == ["source", "Find sources"]
    # What the bot asks for (Discord would fill in a default for a field left out). It is
    # installed to servers only (no user install), so PRIVATE_CHANNEL is never offered.
    (sync,) = fake_discord.requests_to("PUT /applications/*/commands")
    for name, command in {c["name"]: c for c in sync.body}.items():
        assert command["integration_types"] == [GUILD_INSTALL], name
        assert command["contexts"] == ([GUILD] if name in ADMINS else [GUILD, BOT_DM]), name


async def test_commands_are_synced_to_the_development_server_when_set(
    fake_discord: FakeDiscord, bot_with: BotWith
) -> None:
    async with bot_with(dev_guild_id=fake_discord.guild_id):
        rec = await answered(fake_discord.send_slash("help"))
    assert [s.guild_id for s in fake_discord.syncs] == [fake_discord.guild_id]
    assert {c["name"] for c in fake_discord.syncs[0].commands} == COMMANDS | {"Find sources"}
    assert rec.embed is not None


async def test_help_names_every_admin_subcommand_and_option_discord_shows(
    fake_discord: FakeDiscord, app: App, running_bot: RunningBot
) -> None:
    async with running_bot(app):
        rec = await answered(fake_discord.send_slash("help", user="owner"))
    synced = {c["name"]: c for c in fake_discord.syncs[0].commands}
    assert rec.embed is not None
    names = " ".join(f["name"] for f in rec.embed["fields"])
    for sub in synced["corpus"]["options"]:
        assert sub["name"] in names, sub["name"]
    for option in synced["reindex"]["options"]:
        assert f"[{option['name']}]" in names, option["name"]
    assert "except Explain" in rec.embed["footer"]["text"]  # anyone may press it
