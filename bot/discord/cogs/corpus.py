"""/corpus add and /corpus remove (admins): change the corpus from Discord, then reindex.

The logic is in bot/commands/corpus.py; this is the Discord layer. Everything that can be
refused is refused before anything is downloaded or written: who asks (server-side admin
check), the rate limit, the metadata, the file name, the size Discord reports, and whether
another reindex runs. Then the attachment is downloaded through discord.py, checked by its
content, written, and indexed, with progress and a summary in the admin's private reply.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import App
from bot.cards import Card, Field, Segment, clip
from bot.commands import source as sources
from bot.commands.corpus import Actor, Change, add_work, check_upload, find_work, remove_work
from bot.commands.sidecar import checked_meta
from bot.commands.upload import UploadRefused
from bot.discord import render, replies
from bot.discord.autocomplete import suggest
from bot.discord.checks import admin_only, is_admin, rate_limit
from bot.discord.reindexing import report_fields, run_with_progress
from bot.discord.search import clean_name
from embeddings.errors import QueryError

if TYPE_CHECKING:
    from bot.discord.client import QuoteBot

log = logging.getLogger(__name__)

NO_WORK = "Name the work to remove: its title or its file name (start typing for suggestions)."
DOWNLOAD_FAILED = "I could not download that file from Discord; please try again."


def actor_of(interaction: discord.Interaction) -> Actor:
    guild = interaction.guild
    return Actor(
        interaction.user.id,
        interaction.user.name,
        interaction.guild_id,
        guild.name if guild else "",
    )


def change_card(app: App, change: Change, done: str) -> Card:
    """The summary of a corpus change: what changed, and what the index made of it."""
    files = Field("Files", clip(", ".join(change.files), 1000), inline=False)
    if change.index_error:
        return Card(
            title=clip(f"{done} “{change.work}”, but the index is not updated", 250),
            body=(
                Segment(
                    f"{change.index_error} The corpus folder has changed; the previous index "
                    "keeps answering until a /reindex succeeds."
                ),
            ),
            fields=(files,),
            tone="error",
        )
    fields = [files]
    if change.replaced:
        fields.append(Field("Replaced", "The previous file of that name", inline=False))
    doc = app.index.searcher.index.by_source.get(change.files[0])
    if doc is not None and done == "Added":
        meta = doc.meta
        fields += [Field("Title", clip(meta.title, 200)), Field("Author", meta.author or "—")]
        if meta.date:
            fields.append(Field("Date", meta.date))
        if meta.url:
            fields.append(Field("Link", meta.url, inline=False))
    body = change.report.summary() if change.report else ""
    return Card(
        title=clip(f"{done} “{change.work}”", 250),
        body=(Segment(body),),
        fields=tuple(fields) + (report_fields(change.report) if change.report else ()),
        tone="info",
    )


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class CorpusCog(
    commands.GroupCog, group_name="corpus", group_description="Add or remove works (admins only)"
):
    def __init__(self, bot: QuoteBot) -> None:
        self.bot = bot

    @app_commands.command(name="add", description="Add a .txt, .md or .html file to the corpus")
    @app_commands.describe(
        file="The text: plain text, Markdown or HTML",
        title="The work's title (else from the file itself)",
        author="Who wrote it",
        date="When it was written or published, e.g. 1848 or 1848-02-21",
        url="Where it can be read (http:// or https://)",
        replace="Replace a file of the same name already in the corpus",
    )
    @app_commands.check(rate_limit)
    @app_commands.check(admin_only)  # checks run bottom-up: a non-admin is not rate-counted
    async def add(
        self,
        interaction: discord.Interaction,
        file: discord.Attachment,
        title: str = "",
        author: str = "",
        date: str = "",
        url: str = "",
        replace: bool = False,
    ) -> None:
        app = self.bot.app
        meta = checked_meta(title, author, date, url)
        name = check_upload(app, file.filename, file.size, meta, replace=replace)
        actor = actor_of(interaction)
        with self.bot.reindex_slot.claim():  # before the first await: ReindexBusyError
            if not await replies.defer(interaction, ephemeral=True):
                return
            try:
                data = await file.read()
            except discord.HTTPException as exc:
                log.warning("could not download %s: %s", file.url, exc)
                raise UploadRefused(DOWNLOAD_FAILED) from exc
            change = await run_with_progress(
                interaction,
                lambda progress: add_work(
                    app, file.filename, data, meta, actor=actor, replace=replace, progress=progress
                ),
                title=clip(f"Adding {name}…", 250),
            )
        card = change_card(app, change, "Added")
        await replies.edit_original(interaction, embeds=[render.embed(card)])

    @app_commands.command(name="remove", description="Take a work out of the corpus")
    @app_commands.describe(work="The work's title or file name")
    @app_commands.check(rate_limit)
    @app_commands.check(admin_only)
    async def remove(self, interaction: discord.Interaction, work: str) -> None:
        app = self.bot.app
        name = clean_name(work, "work")
        if not name:
            raise QueryError(NO_WORK)
        found = find_work(app, name)  # refused now, privately, rather than after deferring
        actor = actor_of(interaction)
        with self.bot.reindex_slot.claim():
            if not await replies.defer(interaction, ephemeral=True):
                return
            change = await run_with_progress(
                interaction,
                lambda progress: remove_work(app, name, actor=actor, progress=progress),
                title=clip(f"Removing {found.key}…", 250),
            )
        card = change_card(app, change, "Removed")
        await replies.edit_original(interaction, embeds=[render.embed(card)])

    @remove.autocomplete("work")
    async def work_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        app = self.bot.app
        if not is_admin(interaction, app.settings.admin_ids):
            return []  # nothing to choose for those who may not remove anything
        return await suggest(interaction, lambda prefix: sources.complete(app, prefix), current)
