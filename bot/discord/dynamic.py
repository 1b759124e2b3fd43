"""What the bot's dynamic buttons share: they are made again from their custom id at each
click (discord.py's `DynamicItem`), and every click counts against the clicker's and the
server's limits, a refused one too: answering it costs as much."""

from __future__ import annotations

import re
from typing import Any, Self

import discord

from bot.discord import errors
from bot.discord.base import bot_of
from bot.discord.limits import RateLimited


class FromCustomId:
    """Put before `discord.ui.DynamicItem` in the bases: the item is made from its
    template's named groups, given as keyword arguments."""

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> Self:
        return cls(**match.groupdict())


async def counted_click(interaction: discord.Interaction) -> bool:
    """Whether the click is within the limits; when not, the clicker is told why."""
    try:
        bot_of(interaction).limits.check_click(interaction.user.id, interaction.guild_id)
    except RateLimited as exc:
        await errors.report(interaction, exc)
        return False
    return True
