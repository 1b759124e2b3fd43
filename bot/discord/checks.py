"""Who may run a command, and how often (the limits themselves: bot/discord/limits.py).

Admins: the configured user or role IDs, or Manage Server in the interaction's own
permissions. Both are checked here, on the bot's side: Discord's `default_member_permissions`
only hides a command, and server admins can change who sees it.

Where Discord offers a command (`integration_types`, `contexts`) is declared here too. The
bot is installed to servers only, never to a user's account: a user install would bring its
public answers into servers and group DMs whose admins never invited it, past every
server's own choices (its texts, its hidden works, its limits). So every command is a
guild install's, offered in servers; the readers' commands in the bot's direct messages
too (the base alone). PRIVATE_CHANNEL (group DMs, others' DMs) means something only to a
user install, so no command declares it.
"""

from __future__ import annotations

from typing import TypeVar

import discord
from discord import app_commands

from bot.discord.base import Interaction

T = TypeVar("T")

# The command tree's defaults: a command that declares nothing is a guild install's, in
# servers alone (so an admin's `guild_only` command is never offered in DMs by a default).
INSTALLS = app_commands.AppInstallationType(guild=True, user=False)
IN_SERVERS = app_commands.AppCommandContext(guild=True, dm_channel=False, private_channel=False)
# A reader's command: in servers and in direct messages with the bot.
in_servers_and_dms = app_commands.allowed_contexts(guilds=True, dms=True, private_channels=False)


class NotAdmin(app_commands.CheckFailure):
    def __init__(self, command: str) -> None:
        super().__init__(f"{command} refused: not an admin")
        self.command = command


def command_name(interaction: discord.Interaction) -> str:
    """How users know the command: "/quote", or a context menu's “Find sources”."""
    command = interaction.command
    if isinstance(command, app_commands.ContextMenu):
        return f"“{command.name}”"
    return f"/{command.qualified_name}" if command else "this command"


async def rate_limit(interaction: Interaction) -> bool:
    """An app-command check: within the per-user and per-server limits."""
    interaction.client.limits.check(
        command_name(interaction), interaction.user.id, interaction.guild_id
    )
    return True


class NotHere(app_commands.CheckFailure):
    """A server command from a DM, or from a server the bot is not in (a crafted request)."""

    def __init__(self, command: str) -> None:
        super().__init__(f"{command} refused: not in a server the bot is in")
        self.command = command


def server_of(interaction: discord.Interaction) -> int | None:
    """The server whose texts an interaction reads: its server if the bot is in it, else
    None (a DM, or a server the bot is not in: the base only)."""
    guild_id = interaction.guild_id
    if guild_id is None or interaction.client.get_guild(guild_id) is None:
        return None
    return guild_id


def is_owner(interaction: Interaction, admin_ids: frozenset[int]) -> bool:
    """A bot owner: a configured user or role ID, or the application's owner or team
    member (fetched at start-up). Owners may change the base corpus."""
    user = interaction.user
    if user.id in admin_ids:
        return True
    if isinstance(user, discord.Member) and any(r.id in admin_ids for r in user.roles):
        return True
    return user.id in interaction.client.owners


def is_admin(interaction: Interaction, admin_ids: frozenset[int]) -> bool:
    """A bot owner, or Manage Server in this server (a server the bot is in): who may
    change this server's own collection."""
    if is_owner(interaction, admin_ids):
        return True
    return server_of(interaction) is not None and interaction.permissions.manage_guild


async def admin_only(interaction: Interaction) -> bool:
    """An app-command check: refuses non-admins even when Discord shows them the command,
    and every server command outside a server the bot is in."""
    if server_of(interaction) is None:
        raise NotHere(command_name(interaction))
    if not is_admin(interaction, interaction.client.app.settings.admin_ids):
        raise NotAdmin(command_name(interaction))
    return True


def admin_command(command: T) -> T:
    """An admin command's two checks, in their order: discord.py runs checks bottom-up,
    so admin_only refuses a non-admin before rate_limit counts the request."""
    return app_commands.check(rate_limit)(app_commands.check(admin_only)(command))
