"""The Explain button: anyone may press it on any quote, and gets the explanation privately.

The button carries the passage's reference in its custom id, and the bot listens for that
pattern itself (a discord.py dynamic item), so a button on a message from before a restart
still answers: with the explanation while the passage is unchanged, else with the one line
"That passage is no longer in the corpus; search again."
"""

from __future__ import annotations

import asyncio
import logging
import re
from functools import partial
from typing import TYPE_CHECKING, Any

import discord

from bot.cards import explain_card
from bot.commands.explain import explain
from bot.discord import errors, render, replies
from bot.discord.base import bot_of
from bot.discord.checks import server_of
from bot.discord.dynamic import FromCustomId, counted_click

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)

PREFIX = "explain:"
CUSTOM_ID_MAX = 100  # Discord's limit


def custom_id(ref: str) -> str:
    """The button's id for a passage reference; a reference too long for Discord's 100
    characters drops its file name (resolved by offset and hash alone)."""
    whole = PREFIX + ref
    if len(whole) <= CUSTOM_ID_MAX:
        return whole
    return PREFIX + ref[ref.rfind("#") :]


class ExplainButton(
    FromCustomId,
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=re.escape(PREFIX) + r"(?P<ref>.+)",
):
    def __init__(self, ref: str) -> None:
        super().__init__(
            discord.ui.Button(
                label="Explain", style=discord.ButtonStyle.secondary, custom_id=custom_id(ref)
            )
        )
        self.ref = ref

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        return await counted_click(interaction)

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            await send_explanation(interaction, bot_of(interaction).app, self.ref)
        except Exception as exc:  # a dynamic item's errors are only logged by discord.py
            await errors.report(interaction, exc)


async def send_explanation(interaction: discord.Interaction, app: App, ref: str) -> None:
    """Explain the passage `ref`, privately, as the clicker's server reads the corpus."""
    if not await replies.defer(interaction, ephemeral=True):
        return
    found = await asyncio.to_thread(partial(explain, app, ref, guild=server_of(interaction)))
    card = explain_card(found)
    await replies.send(interaction, embeds=[render.embed(card)], ephemeral=True)
