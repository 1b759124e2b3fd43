"""/reindex (admins): rebuild this server's texts' index (or, for the bot's owners, the
base corpus's) in a worker thread, showing progress, then a summary.

Queries keep using the old index until `IndexService` swaps the new one in. One reindex at a
time (bot/discord/reindexing.py). A failure (disk full, a damaged build) is told to the admin
in plain words; the previous index stays in use.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import TYPE_CHECKING

from discord import app_commands

from bot.cards import Card, Segment
from bot.commands.corpus import audit, permit
from bot.discord import errors, render, replies
from bot.discord.audience import shown_to, told
from bot.discord.base import BotCog, Interaction
from bot.discord.checks import admin_command, is_owner
from bot.discord.cogs.corpus import actor_of, collection_of
from bot.discord.reindexing import BUSY as BUSY  # re-exported: tests and docs name it here
from bot.discord.reindexing import PROGRESS_INTERVAL as PROGRESS_INTERVAL
from bot.discord.reindexing import (
    failure_card,
    progress_card,
    report_fields,
    run_with_progress,
)
from bot.discord.status import for_admins
from bot.servers import Collection
from embeddings.build import BuildReport
from embeddings.errors import QueryError, QuotebotError

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)

NOTHING_OF_ITS_OWN = (
    "This server has no texts of its own to reindex yet: /corpus add adds one. The shared "
    "base corpus is reindexed by the bot's owners."
)
NOTHING_OF_ITS_OWN_TO_AN_OWNER = (
    "This server has no texts of its own to reindex yet: /corpus add adds one. The shared "
    "base corpus is reindexed with base: True."
)


def report_card(report: BuildReport, interaction: Interaction) -> Card:
    """The summary; with the index warnings this admin must see (the base's to the owners,
    this server's to its admins), as when the new build could not be served."""
    card = Card(
        title="Reindex finished",
        body=(Segment(report.summary()),),
        fields=report_fields(report, partial(shown_to, interaction)),
        tone="info",
    )
    return for_admins(interaction, interaction.client.app, card)


class AdminCog(BotCog, name="Admin"):
    @app_commands.command(
        name="reindex", description="Rebuild the index after the corpus changed (admins only)"
    )
    @app_commands.describe(
        force="Embed every passage again instead of only new or changed ones",
        base="The shared base corpus instead of this server's texts (bot owners only)",
    )
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.guild_only()
    @admin_command
    async def reindex(
        self, interaction: Interaction, force: bool = False, base: bool = False
    ) -> None:
        app = self.bot.app
        collection = collection_of(app, interaction, base)
        actor = actor_of(interaction, app.settings.admin_ids)
        permit(collection, actor, "reindex")
        if not collection.is_base and not collection.has_works() and collection.live() is None:
            owner = is_owner(interaction, app.settings.admin_ids)
            raise QueryError(NOTHING_OF_ITS_OWN_TO_AN_OWNER if owner else NOTHING_OF_ITS_OWN)
        with self.bot.reindex_slot.claim(collection):  # before the first await: busy error
            ended = await self._reindex(interaction, collection, force)
            audit(collection, actor, "reindex", "", f"forced, {ended}" if force else ended)

    async def _reindex(self, interaction: Interaction, collection: Collection, force: bool) -> str:
        """Rebuild and report; how it ended, for the audit log ("ok" or "failed")."""
        log.info(
            "reindex of %s (force=%s) started by user %s in guild %s",
            collection.name,
            force,
            interaction.user.id,
            interaction.guild_id,
        )
        starting = render.embed(progress_card("Starting", 0, 0))
        await replies.send(interaction, embeds=[starting], ephemeral=True)
        try:
            report = await run_with_progress(
                interaction,
                self.bot.reindex_slot,
                lambda progress: collection.reindex(force=force, progress=progress),
            )
            card = report_card(report, interaction)
            ended = "ok"
            log.info("reindex finished: %s", report.summary())
        except QuotebotError as exc:
            card = failure_card(told(interaction, exc))
            ended = "failed"
            log.warning("reindex failed: %s", exc)
        except Exception:
            card = failure_card(errors.APOLOGY)
            ended = "failed"
            log.exception("reindex failed")
        await replies.edit_original(interaction, embeds=[render.embed(card)])
        return ended
