"""What the cogs, checks and views may use of the bot, and the interactions it receives.

A leaf of the Discord layer: it imports no cog, no check and not the client, so every
module here may import it. `client.QuoteBot` adds the cogs, the command tree's error
handler and the start-up on top; nothing below it needs to know that class.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, TypeAlias

import discord
from discord.ext import commands

from bot.app import App, set_search_pool_threads
from bot.discord.limits import Limits
from bot.discord.pages import PagerStore, Pages
from bot.discord.reindexing import ReindexSlot

# How long a thread may hold the GIL while another waits for it (Python's default: 5 ms).
# Each time the event loop makes a system call (a socket write, os.urandom for a view's
# id) it lets go of the GIL, and under a burst a search thread takes it: the loop then
# waited up to the whole interval to send the next reply (2.9 ms per os.urandom under a
# burst, 0.5 us alone). A shorter turn keeps replies flowing while searches run.
GIL_SWITCH_SECONDS = 0.0005


# How a pager's buttons are disabled when it expires, on this bot's session.
ExpireOn: TypeAlias = Callable[[discord.Client, Pages], Awaitable[None]]


class QuoteBotBase(commands.Bot):
    """The bot's state: the one app, its rate limits, its reindex slot, its owners, its
    search threads and its live result pagers (`expire_pager` disables one's buttons)."""

    def __init__(self, app: App, *, expire_pager: ExpireOn, **options: Any) -> None:
        super().__init__(**options)
        self.app = app
        self.limits = Limits(app.settings)
        self.pagers = PagerStore(app.settings.view_timeout_seconds, partial(expire_pager, self))
        self.reindex_slot = ReindexSlot(app)  # shared by /reindex and /corpus
        # The application's owner or team members (read at start-up): owners of the bot
        # like QUOTEBOT_ADMIN_IDS, who alone may change the shared base corpus.
        self.owners: frozenset[int] = frozenset()
        # Servers whose own texts are being read off the event loop (bot/discord/warm.py):
        # what arrives meanwhile waits for that read instead of starting one of its own.
        self.readings: dict[int, asyncio.Future[Any]] = {}
        sys.setswitchinterval(GIL_SWITCH_SECONDS)  # for the whole process: see above
        # Searches whose query vector is ready (bot/discord/search.py): one thread a core.
        # FAISS's thread count is per thread, so each sets it as App did for the main one.
        self.searches = ThreadPoolExecutor(
            max_workers=os.cpu_count() or 2,
            thread_name_prefix="quotebot-search",
            initializer=set_search_pool_threads,
            initargs=(app.settings.search_threads,),
        )

    async def close(self) -> None:
        await super().close()
        self.pagers.close()
        self.searches.shutdown(wait=False)  # a search still running finishes on its own
        self.reindex_slot.close()


class BotCog(commands.Cog):
    """A cog of this bot: `self.bot` is the quotebot, typed, in every cog."""

    def __init__(self, bot: QuoteBotBase) -> None:
        self.bot = bot


# Every command's, check's and autocomplete's interaction: `interaction.client` is the bot.
Interaction: TypeAlias = discord.Interaction[QuoteBotBase]


def bot_of(interaction: discord.Interaction) -> QuoteBotBase:
    """The bot behind a button's interaction. discord.py declares the handlers of views and
    items for any client, so they cannot take an `Interaction`; they ask here (checked,
    not cast: no other client ever sends them one)."""
    client = interaction.client
    if not isinstance(client, QuoteBotBase):
        raise TypeError(f"an interaction for {type(client).__name__}, not the quotebot")
    return client
