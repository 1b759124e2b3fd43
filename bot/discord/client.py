"""The bot: a `commands.Bot` built from the App, with the cogs and the synced command tree."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import discord
from discord.ext import commands

from bot.app import App
from bot.discord.base import QuoteBotBase
from bot.discord.checks import IN_SERVERS, INSTALLS
from bot.discord.cogs import make_cogs
from bot.discord.errors import on_app_command_error
from bot.discord.explain import ExplainButton
from bot.discord.replies import NO_PINGS
from bot.discord.views import PagerButton, expire
from bot.discord.warm import ReadingTree

log = logging.getLogger(__name__)

WORKER_THREADS = 64


def intents() -> discord.Intents:
    """The least the bot needs: slash commands, buttons and context menus arrive as
    interactions, which carry their own data (message content included)."""
    wanted = discord.Intents.none()
    wanted.guilds = True  # the guild and channel cache interactions refer to
    return wanted


class QuoteBot(QuoteBotBase):
    """The bot's state (bot/discord/base.py) with its cogs, error handler and start-up."""

    def __init__(self, app: App, *, sync: bool = True, **options: Any) -> None:
        super().__init__(
            app,
            expire_pager=expire,
            command_prefix=commands.when_mentioned,  # unused: there are no text commands
            intents=intents(),
            help_command=None,
            allowed_mentions=NO_PINGS,  # the default for every message; replies pass it too
            tree_cls=ReadingTree,
            allowed_installs=INSTALLS,  # where Discord offers each command: bot/discord/checks.py
            allowed_contexts=IN_SERVERS,
            **options,
        )
        self.sync_on_start = sync
        self._promoted = False  # queries moved to the passage backend (on_ready)
        self.tree.error(on_app_command_error)

    async def setup_hook(self) -> None:
        # Searches run in worker threads (asyncio.to_thread). The default pool has
        # cores + 4 threads, which would cap how many concurrent queries can wait on one
        # shared encoding batch; waiting threads cost nothing, so allow many.
        asyncio.get_running_loop().set_default_executor(
            ThreadPoolExecutor(max_workers=WORKER_THREADS, thread_name_prefix="quotebot-work")
        )
        await self.load_owners()
        # Buttons answered by pattern, not by a view kept per message: Explain answers after
        # a restart too, and a pager's buttons find their page by message id.
        self.add_dynamic_items(ExplainButton, PagerButton)
        for cog in make_cogs(self):
            await self.add_cog(cog)
        assert isinstance(self.tree, ReadingTree)
        self.tree.read_before_commands()
        if self.sync_on_start:
            await self.sync_commands()

    async def sync_commands(self) -> None:
        """To the development server when one is set (instant), else globally (Discord
        may take up to an hour to show changes). A failure is logged: the commands
        already registered keep working."""
        guild_id = self.app.settings.dev_guild_id
        try:
            if guild_id:
                guild = discord.Object(id=guild_id)
                self.tree.copy_global_to(guild=guild)
                synced = await self.tree.sync(guild=guild)
                log.info("synced %d commands to server %s", len(synced), guild_id)
            else:
                synced = await self.tree.sync()
                log.info("synced %d commands globally", len(synced))
        except discord.HTTPException as exc:
            log.error("could not sync commands: %s %s", exc.status, exc.text)

    async def load_owners(self) -> None:
        """The application's owner, or its team's members, from Discord. A failure leaves
        the configured admin IDs as the only owners (the safe side)."""
        try:
            info = await self.application_info()
        except discord.HTTPException as exc:
            log.warning("could not read the application's owners: %s", exc.status)
            return
        if info.team is not None:
            # Its admins and developers; not read-only members, nor anyone invited to the
            # team who has not accepted yet (Discord lists them as members too).
            readers = discord.TeamMemberRole.read_only
            accepted = discord.TeamMembershipState.accepted
            self.owners = frozenset(
                m.id
                for m in info.team.members
                if m.role != readers and m.membership_state == accepted
            )
        else:
            self.owners = frozenset({info.owner.id})
        log.info(
            "bot owners: %d from the application, %d configured",
            len(self.owners),
            len(self.app.settings.admin_ids),
        )

    def serves(self, guild_id: int) -> bool:
        """Whether this process's connection receives that server's events."""
        return True

    async def on_guild_remove(self, guild: discord.Guild) -> None:
        """Removed from a server: its texts are kept on disk (see bot.on_leave), and what was
        held in memory for it is let go."""
        log.info("removed from server %s", guild.id)
        await asyncio.to_thread(self.app.collections.left, guild.id)

    async def on_guild_join(self, guild: discord.Guild) -> None:
        log.info("added to server %s", guild.id)
        await asyncio.to_thread(self.app.collections.rejoined, guild.id)

    async def on_ready(self) -> None:
        log.info(
            "connected as %s (%s) to %d servers", self.user, self.application_id, len(self.guilds)
        )
        if not self._promoted:  # on_ready comes again after each reconnect
            self._promoted = True
            # Connected on the numpy encoder (no torch import before READY); torch's
            # kernels answer faster once loaded, so load them now, in the background.
            self.app.encoder.promote_queries_later()
        # Servers that re-invited or removed the bot while it was down (no join or remove
        # event came), and collections to delete (on_leave = "delete"), now that Discord
        # has said which servers the bot is in (unavailable ones included).
        present = {guild.id for guild in self.guilds}
        seen = self.app.collections.servers_seen
        for done in await asyncio.to_thread(seen, present, self.serves):
            log.info("%s", done)


class ShardedQuoteBot(QuoteBot, commands.AutoShardedBot):
    """The same bot over several gateway connections (shards) in one process.

    Discord sends each server's events, interactions included, on shard
    (server id >> 22) % shards and direct messages on shard 0; every process runs the shards
    named in its settings, and all of them serve the same index folder."""

    async def on_shard_ready(self, shard_id: int) -> None:
        log.info("shard %d of %s ready", shard_id, self.shard_count)

    def serves(self, guild_id: int) -> bool:
        shards = self.shard_ids if self.shard_ids is not None else range(self.shard_count or 1)
        return (guild_id >> 22) % (self.shard_count or 1) in shards


def make_bot(app: App, *, sync: bool = True) -> QuoteBot:
    """One connection, or the shards the settings give this process. Only the process that
    runs shard 0 syncs the commands: they are the application's, not a shard's."""
    settings = app.settings
    if not settings.shards:
        return QuoteBot(app, sync=sync)
    return ShardedQuoteBot(
        app,
        sync=sync and (not settings.shard_ids or 0 in settings.shard_ids),
        shard_count=settings.shards,
        shard_ids=list(settings.shard_ids) or None,
    )
