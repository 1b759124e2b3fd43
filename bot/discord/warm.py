"""A server's own texts read off the event loop, before an interaction needs them.

A server's index is read from disk at its first question after a start, and again after
it was let go (`[bot] servers_in_memory`). Read by the command itself, on the event loop,
it would hold every other server's answers meanwhile; read here, in a thread, the loop
goes on.

Where each interaction reads ahead:
- a slash command or context menu, after its own checks (`read_before_command`, the last
  check of each): a command refused for its limits or for its user reads nothing;
- an autocomplete within its rate limit, in the command tree's check (discord.py runs no
  command checks for it);
- a pager's buttons, in their own check (bot/discord/views.py).

Discord drops an interaction not acknowledged within 3 seconds, and a large collection of
a server's own may take longer than that to read. A command still waiting after
`defer_after_seconds` shows "thinking…" first, public or private as its answer will be
(`PUBLIC_REPLY`), and its answer follows; an autocomplete, which cannot be deferred, offers
nothing this once (the next keystroke finds the server read); a button goes on, its work
runs in threads that wait for the read there.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import discord
from discord import app_commands

from bot.discord import replies
from bot.discord.base import bot_of
from bot.discord.checks import server_of

log = logging.getLogger(__name__)

# In a command's `extras`: its answer goes to the channel, so a deferral made for it is
# public too. Without it a command's deferral is private (its answers are).
PUBLIC_REPLY = "quotebot.public_reply"


def answers_publicly() -> dict[Any, Any]:
    """A command's `extras` saying so; a dict of its own each time (discord.py keeps the
    one given, so a shared one changed for one command would change them all)."""
    return {PUBLIC_REPLY: True}


AUTOCOMPLETE_WAIT = 2.0  # s: an autocomplete unanswered within 3 s of its sending is lost


def _reading(interaction: discord.Interaction) -> asyncio.Future[Any] | None:
    """The read of the interaction's server, in a thread, if its next question would read
    its index from disk (the read under way, if one is); None when there is nothing to
    read (a look-up)."""
    bot = bot_of(interaction)
    guild = server_of(interaction)
    if guild is None:
        return None
    under_way = bot.readings.get(guild)
    if under_way is not None:
        return under_way
    if not bot.app.collections.needs_loading(guild):
        return None
    reading = asyncio.ensure_future(asyncio.to_thread(bot.app.live_for, guild))
    bot.readings[guild] = reading

    def done(read: asyncio.Future[Any]) -> None:
        del bot.readings[guild]
        # Raised into a check, it would reach no error handler (discord.py hands its own
        # errors only): the command reads it again and says what went wrong.
        if not read.cancelled() and read.exception() is not None:
            log.warning("server %s: reading its texts ahead failed: %r", guild, read.exception())

    reading.add_done_callback(done)
    return reading


async def read_ahead(interaction: discord.Interaction, *, wait: float) -> bool:
    """Read what the interaction's server reads, off the loop; False if that is still
    going on after `wait` seconds (it goes on in its thread)."""
    reading = _reading(interaction)
    if reading is None:
        return True
    done, _ = await asyncio.wait({reading}, timeout=wait)
    return bool(done)


async def read_before_command(interaction: discord.Interaction) -> bool:
    """An app-command check, the last of each command's: its server read first, with
    "thinking…" shown if that takes a while."""
    app = bot_of(interaction).app
    reading = _reading(interaction)
    if reading is None:
        return True
    done, _ = await asyncio.wait({reading}, timeout=app.settings.defer_after_seconds)
    if not done:
        command = interaction.command
        public = command is not None and bool(command.extras.get(PUBLIC_REPLY))
        # Refused (the token expired): the command runs on, and its replies fail quietly.
        await replies.defer(interaction, ephemeral=not public)
        await asyncio.wait({reading})
    return True


class ReadingTree(app_commands.CommandTree[Any]):
    """The bot's command tree: reads each interaction's server before its command."""

    def read_before_commands(self) -> None:
        """Make every command and context menu added so far read its server last among its
        checks (after its limits and its admin check)."""
        for kind in discord.AppCommandType:
            for command in self.walk_commands(type=kind):
                if isinstance(command, app_commands.Command | app_commands.ContextMenu):
                    command.add_check(read_before_command)

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        if interaction.type is not discord.InteractionType.autocomplete:
            return True  # a command reads after its own checks: read_before_command
        limits = bot_of(interaction).limits
        if not limits.autocomplete_allowed(interaction.user.id, interaction.guild_id):
            return True  # over its limit: offered nothing (autocomplete.suggest), read nothing
        if await read_ahead(interaction, wait=AUTOCOMPLETE_WAIT):
            return True
        try:
            await interaction.response.autocomplete([])  # nothing yet, rather than nothing ever
        except discord.HTTPException as exc:
            log.warning("could not answer autocomplete %s: %s", interaction.id, exc.status)
        return False
