"""Who reads a message from the core: the bot's owners read it whole, host folders and
all; a server's admins and members read it without the host's folders, and with what only
the owners can mend said to be theirs (a server's admins can do nothing with a path on a
machine they do not run, and should not learn its layout)."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import discord

from bot.discord.base import Interaction, bot_of
from bot.discord.checks import is_owner
from bot.messages import describe, describe_to_server, hide_folders
from embeddings.errors import QuotebotError


def told(interaction: discord.Interaction, error: QuotebotError) -> str:
    """`error`'s sentence as this user may read it."""
    folders = _hidden_from(interaction)
    return describe(error) if folders is None else describe_to_server(error, folders)


def shown_to(interaction: discord.Interaction, text: str) -> str:
    """A sentence already written (a skipped file's reason, a build's warning) as this user may
    read it."""
    folders = _hidden_from(interaction)
    return text if folders is None else hide_folders(text, folders)


def _hidden_from(interaction: discord.Interaction) -> tuple[Path, ...] | None:
    """The folders this user may not read: None for the bot's owners."""
    settings = bot_of(interaction).app.settings  # checks the client: the cast is safe
    if is_owner(cast(Interaction, interaction), settings.admin_ids):
        return None
    return settings.host_folders
