"""Errors -> short, friendly, ephemeral replies; tracebacks go to the log only.

The project's typed errors (`QuotebotError`) are worded by `bot/messages.py`, as in the
console and the CLI. Anything else is a bug: the user gets an apology, the log gets the
traceback with enough context to find the interaction.
"""

from __future__ import annotations

import logging
import math

import discord
from discord import app_commands

from bot.cards import error_card
from bot.discord import render, replies
from bot.discord.audience import told
from bot.discord.checks import NotAdmin, NotHere
from bot.discord.limits import RateLimited
from embeddings.errors import QuotebotError

log = logging.getLogger(__name__)

APOLOGY = "Something went wrong on my side, sorry. It has been logged; please try again later."


def unwrap(error: BaseException) -> BaseException:
    """The exception a command or an option's transformer raised, out of discord.py's
    wrapper (bot/discord/options.py refuses options with the core's own errors)."""
    if isinstance(error, app_commands.CommandInvokeError):
        return error.original
    if isinstance(error, app_commands.TransformerError) and isinstance(
        error.__cause__, QuotebotError
    ):
        return error.__cause__
    return error


def friendly(error: BaseException, interaction: discord.Interaction) -> str | None:
    """The message for an expected error, or None for a bug."""
    if isinstance(error, QuotebotError):
        return told(interaction, error)
    if isinstance(error, RateLimited):
        seconds = max(1, math.ceil(error.retry_after))
        unit = "second" if seconds == 1 else "seconds"
        if error.scope == "server":
            return f"This server is sending me a lot of commands; try again in {seconds} {unit}."
        return f"Slow down a little: you can use {error.command} again in {seconds} {unit}."
    if isinstance(error, NotAdmin):
        return f"Only the bot's owners and members with Manage Server can use {error.command}."
    if isinstance(error, NotHere):
        return f"{error.command} only works in a server I am in."
    if isinstance(error, app_commands.NoPrivateMessage):
        return "That command only works in a server."
    if isinstance(error, app_commands.TransformerError):
        return f"I could not read “{error.value}” for that option; check it and try again."
    if isinstance(error, app_commands.CommandNotFound | app_commands.CommandSignatureMismatch):
        return "That command has just changed; wait a minute for Discord to update it."
    if isinstance(error, app_commands.CheckFailure):
        return "You can't use that command here."
    return None


async def report(interaction: discord.Interaction, error: BaseException) -> None:
    """Tell the user, ephemerally; log the traceback if it is a bug."""
    cause = unwrap(error)
    message = friendly(cause, interaction)
    where = interaction.command.qualified_name if interaction.command else "a button"
    if message is None:
        log.error(
            "unexpected error in %s (interaction %s, user %s, guild %s)",
            where,
            interaction.id,
            interaction.user.id,
            interaction.guild_id,
            exc_info=cause,
        )
        message = APOLOGY
    else:
        log.info("%s: %s (user %s)", where, cause, interaction.user.id)
    await replies.send(interaction, embeds=[render.embed(error_card(message))], ephemeral=True)


async def on_app_command_error(
    interaction: discord.Interaction, error: app_commands.AppCommandError
) -> None:
    """The command tree's error handler: every slash command and context menu ends here."""
    try:
        await report(interaction, error)
    except Exception:  # reporting must never raise into discord.py's task
        log.exception("could not report an error for interaction %s", interaction.id)
