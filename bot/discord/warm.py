"""A server's own texts read off the event loop, before an interaction needs them.

A server's index is read from disk at its first question after a start, and again after
it was let go (`[bot] servers_in_memory`). Read by the command itself, on the event loop,
it would hold every other server's answers meanwhile; read here, in a thread, the loop
goes on. The command tree checks every slash command, context menu and autocomplete here,
and a pager's buttons do the same.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import discord
from discord import app_commands

from bot.discord.base import bot_of
from bot.discord.checks import server_of

log = logging.getLogger(__name__)


async def read_off_the_loop(interaction: discord.Interaction) -> None:
    """Load what the interaction's server reads, in a thread, if its next question would
    read it from disk (a look-up otherwise)."""
    app = bot_of(interaction).app
    guild = server_of(interaction)
    if guild is None or not app.collections.needs_loading(guild):
        return
    try:
        await asyncio.to_thread(app.live_for, guild)
    except Exception as exc:
        # Raised out of a check, it would reach no error handler (discord.py hands its
        # own errors only): the command reads it again and says what went wrong.
        log.warning("server %s: reading its texts ahead failed: %r", guild, exc)


class ReadingTree(app_commands.CommandTree[Any]):
    """The bot's command tree: every interaction's server is read before its command."""

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        await read_off_the_loop(interaction)
        return True
