"""/corpus add, remove, restore, hide, unhide and log (admins): a server's own texts.

The logic is in bot/commands/corpus.py; this is the Discord layer. A server's admins
(Manage Server in that server) change that server's collection; `base: True` acts on the
shared base corpus, which only the bot's owners may change. Everything that can be
refused is refused before anything is downloaded or written: who asks (server-side
checks), the rate limit, the metadata, the file name, the size Discord reports, and
whether another reindex of that collection runs. Then the attachment is downloaded
through discord.py, checked by its content, written, and indexed, with progress and a
summary in the admin's private reply.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from functools import partial
from typing import TypeAlias

import aiohttp
import discord
from discord import app_commands
from discord.ext import commands

from bot.app import App
from bot.audit import Entry
from bot.cards import Card, Field, Segment, clip
from bot.commands import corpus as texts
from bot.commands.corpus import Actor, Change
from bot.commands.sidecar import checked_meta
from bot.commands.upload import UploadRefused
from bot.discord import render, replies
from bot.discord.audience import shown_to, told
from bot.discord.autocomplete import suggest
from bot.discord.base import BotCog, Interaction
from bot.discord.checks import admin_command, is_admin, is_owner, server_of
from bot.discord.options import Name
from bot.discord.reindexing import report_fields, run_with_progress
from bot.discord.search import in_time
from bot.servers import Collection
from embeddings.build import ProgressFn
from embeddings.errors import QueryError

log = logging.getLogger(__name__)

NO_WORK = "Name the work: its title or its file name (start typing for suggestions)."
NO_TRASHED = "Name the work to restore (start typing for what is in the trash)."
DOWNLOAD_FAILED = "I could not download that file from Discord; please try again."
# Seconds a download may take (a file within upload_max_bytes takes one or two); the
# collection's slot is held meanwhile, and aiohttp alone would wait five minutes.
DOWNLOAD_SECONDS = 60.0


BASE_OPTION = "The shared base corpus instead of this server's texts (bot owners only)"

# A work's title or file name: cleaned, and refused when far too long (bot/discord/options.py).
Work: TypeAlias = app_commands.Transform[str, Name("work")]


def actor_of(interaction: Interaction, admin_ids: frozenset[int]) -> Actor:
    guild = interaction.guild
    return Actor(
        interaction.user.id,
        interaction.user.name,
        server_of(interaction),
        guild.name if guild else "",
        owner=is_owner(interaction, admin_ids),
        admin=is_admin(interaction, admin_ids),
    )


def collection_of(app: App, interaction: Interaction, base: bool) -> Collection:
    """The collection a command acts on: this server's, or the base when asked."""
    guild = server_of(interaction)
    return app.collections.base if base or guild is None else app.collections.of(guild)


def change_card(
    interaction: Interaction, collection: Collection, change: Change, done: str
) -> Card:
    """The summary of a corpus change: what changed, and what the index made of it."""
    app = interaction.client.app
    files = Field("Files", clip(", ".join(change.files), 1000), inline=False)
    if change.index_error is not None:
        return Card(
            title=clip(f"{done} “{change.work}”, but the index is not updated", 250),
            body=(
                Segment(
                    f"{told(interaction, change.index_error)} The texts have changed; the "
                    "previous index keeps answering until a /reindex succeeds."
                ),
            ),
            fields=(files,),
            tone="error",
        )
    fields = [files]
    if change.replaced:
        fields.append(
            Field("Replaced", "The previous file of that name is in the trash", inline=False)
        )
    if change.trashed is not None:
        base = " base: True" if collection.is_base else ""
        # The version by its trash label: a title can name another version by the time
        # the hint is used (two works of one title, or a later replace).
        undo = f"/corpus restore work: {change.trashed.label}{base}"
        keep = f"kept {app.settings.trash_days:g} days"
        fields.append(Field("Undo", f"{undo} ({keep})", inline=False))
    live = collection.live()
    index = live.searcher.index if live is not None else None
    doc = index.by_source.get(change.files[0]) if index is not None and change.files else None
    if doc is not None and done == "Added":
        meta = doc.meta
        fields += [Field("Title", clip(meta.title, 200)), Field("Author", meta.author or "—")]
        if meta.date:
            fields.append(Field("Date", meta.date))
        if meta.url:
            fields.append(Field("Link", meta.url, inline=False))
    body = ""
    if change.report is not None:
        body = change.report.summary()
        fields += report_fields(change.report, partial(shown_to, interaction))
    return Card(
        title=clip(f"{done} “{change.work}”", 250),
        body=(Segment(body),),
        fields=tuple(fields),
        tone="info",
    )


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class CorpusCog(
    BotCog,
    commands.GroupCog,
    group_name="corpus",
    group_description="This server's own texts: add, remove, restore, hide (admins only)",
):
    def _actor(self, interaction: Interaction) -> Actor:
        return actor_of(interaction, self.bot.app.settings.admin_ids)

    @app_commands.command(name="add", description="Add a .txt, .md or .html file to this server")
    @app_commands.describe(
        file="The text: plain text, Markdown or HTML",
        title="The work's title (else from the file itself)",
        author="Who wrote it",
        date="When it was written or published, e.g. 1848 or 1848-02-21",
        url="Where it can be read (http:// or https://)",
        replace="Replace a file of the same name (the old one goes to the trash)",
        base=BASE_OPTION,
    )
    @admin_command
    async def add(
        self,
        interaction: Interaction,
        file: discord.Attachment,
        title: str = "",
        author: str = "",
        date: str = "",
        url: str = "",
        replace: bool = False,
        base: bool = False,
    ) -> None:
        app = self.bot.app
        collection = collection_of(app, interaction, base)
        actor = self._actor(interaction)
        meta = checked_meta(title, author, date, url)
        name = texts.check_upload(
            app, collection, file.filename, file.size, actor=actor, replace=replace
        )
        with self.bot.reindex_slot.claim(collection):  # before the first await: busy error
            if not await replies.defer(interaction, ephemeral=True):
                return
            try:
                data = await asyncio.wait_for(file.read(), DOWNLOAD_SECONDS)
            except (discord.HTTPException, aiohttp.ClientError, TimeoutError) as exc:
                # An HTTP error, a connection the CDN cut off, or no answer in time.
                log.warning("could not download %s: %s", file.url, exc)
                raise UploadRefused(DOWNLOAD_FAILED) from exc
            change = await run_with_progress(
                interaction,
                self.bot.reindex_slot,
                lambda progress: texts.add_work(
                    app,
                    collection,
                    file.filename,
                    data,
                    meta,
                    actor=actor,
                    replace=replace,
                    progress=progress,
                ),
                title=clip(f"Adding {name}…", 250),
            )
        card = change_card(interaction, collection, change, "Added")
        await replies.edit_original(interaction, embeds=[render.embed(card)])

    @app_commands.command(name="remove", description="Move a work of this server to its trash")
    @app_commands.describe(work="The work's title or file name", base=BASE_OPTION)
    @admin_command
    async def remove(self, interaction: Interaction, work: Work, base: bool = False) -> None:
        app = self.bot.app
        collection, actor = self._named(interaction, base, work, NO_WORK)
        # Refused now, privately, rather than after deferring; who asks before what is
        # named, so a refusal is logged whether or not the name names a work.
        texts.permit(collection, actor, "remove", work)
        found = texts.find_work(app, collection, work, actor=actor)
        await self._change(
            interaction,
            collection,
            lambda progress: texts.remove_work(
                app, collection, work, actor=actor, progress=progress
            ),
            f"Removing {found.key}…",
            "Removed",
        )

    @app_commands.command(name="restore", description="Bring a removed work back from the trash")
    @app_commands.describe(work="The work's title (start typing for the trash)", base=BASE_OPTION)
    @admin_command
    async def restore(self, interaction: Interaction, work: Work, base: bool = False) -> None:
        collection, actor = self._named(interaction, base, work, NO_TRASHED)
        texts.permit(collection, actor, "restore", work)
        await self._change(
            interaction,
            collection,
            lambda progress: texts.restore_work(collection, work, actor=actor, progress=progress),
            f"Restoring {work}…",
            "Restored",
        )

    def _named(
        self, interaction: Interaction, base: bool, work: str, missing: str
    ) -> tuple[Collection, Actor]:
        """The collection and the admin of a command on one work; `missing` refuses an
        empty work name."""
        collection = collection_of(self.bot.app, interaction, base)
        actor = self._actor(interaction)
        if not work:
            raise QueryError(missing)
        return collection, actor

    async def _change(
        self,
        interaction: Interaction,
        collection: Collection,
        work: Callable[[ProgressFn], Change],
        title: str,
        done: str,
    ) -> None:
        """Run a change of `collection` with its reindex, showing progress privately, then
        its summary; the collection's slot is claimed before the first await."""
        with self.bot.reindex_slot.claim(collection):
            if not await replies.defer(interaction, ephemeral=True):
                return
            change = await run_with_progress(
                interaction, self.bot.reindex_slot, work, title=clip(title, 250)
            )
        card = change_card(interaction, collection, change, done)
        await replies.edit_original(interaction, embeds=[render.embed(card)])

    @app_commands.command(name="hide", description="Hide a base work in this server")
    @app_commands.describe(work="A work of the shared base corpus")
    @admin_command
    async def hide(self, interaction: Interaction, work: Work) -> None:
        await self._hide(interaction, work, hide=True)

    @app_commands.command(name="unhide", description="Show a hidden base work in this server again")
    @app_commands.describe(work="A base work this server hides")
    @admin_command
    async def unhide(self, interaction: Interaction, work: Work) -> None:
        await self._hide(interaction, work, hide=False)

    async def _hide(self, interaction: Interaction, work: str, *, hide: bool) -> None:
        app = self.bot.app
        guild = server_of(interaction)
        assert guild is not None  # admin_only refuses commands outside a server
        if not work:
            raise QueryError(NO_WORK)
        # Off the event loop: the server's state is changed under a lock that another
        # process (a shard, a terminal) may hold.
        change = partial(
            texts.hide_work, app, guild, work, actor=self._actor(interaction), hide=hide
        )
        found = await in_time(
            interaction, app, asyncio.ensure_future(asyncio.to_thread(change)), ephemeral=True
        )
        if found is None:
            return
        if hide:
            text = f"“{found.key}” is hidden in this server; /corpus unhide shows it again."
        else:
            text = f"“{found.key}” is shown in this server again."
        card = Card(title=clip(text, 250), body=(), tone="info")
        await replies.send(interaction, embeds=[render.embed(card)], ephemeral=True)

    @app_commands.command(name="log", description="The last changes to this server's texts")
    @app_commands.describe(base=BASE_OPTION)
    @admin_command
    async def log_(self, interaction: Interaction, base: bool = False) -> None:
        app = self.bot.app
        collection = collection_of(app, interaction, base)
        texts.permit(collection, self._actor(interaction), "read the log of")
        # Off the event loop: the log is read from its end, as far back as the entries
        # shown, and that may be far in a log flooded with refusals.
        reading = asyncio.ensure_future(asyncio.to_thread(texts.log_view, collection))
        view = await in_time(interaction, app, reading, ephemeral=True)
        if view is not None:
            card = log_card(collection, view)
            await replies.send(interaction, embeds=[render.embed(card)], ephemeral=True)

    @remove.autocomplete("work")
    async def work_autocomplete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._suggest_from(
            interaction,
            current,
            lambda collection, prefix: texts.work_names(texts.own_works(collection), prefix),
        )

    @restore.autocomplete("work")
    async def trash_autocomplete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._suggest_from(interaction, current, texts.trash_names)

    async def _suggest_from(
        self,
        interaction: Interaction,
        current: str,
        names: Callable[[Collection, str], list[str]],
    ) -> list[app_commands.Choice[str]]:
        """Names from the collection the user may change; none for anyone else."""
        collection = self._choosable(interaction)
        if collection is None:
            return []
        return await suggest(interaction, lambda prefix: names(collection, prefix), current)

    def _choosable(self, interaction: Interaction) -> Collection | None:
        """The collection whose works an autocomplete may offer: this server's to its
        admins, the base (the `base` option) to owners; None to anyone else."""
        ids = self.bot.app.settings.admin_ids
        if not is_admin(interaction, ids) or server_of(interaction) is None:
            return None
        base = bool(_option(interaction, "base"))
        if base and not is_owner(interaction, ids):
            return None
        return collection_of(self.bot.app, interaction, base)

    @hide.autocomplete("work")
    async def shown_autocomplete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._base_works(interaction, current, hidden=False)

    @unhide.autocomplete("work")
    async def hidden_autocomplete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._base_works(interaction, current, hidden=True)

    async def _base_works(
        self, interaction: Interaction, current: str, *, hidden: bool
    ) -> list[app_commands.Choice[str]]:
        app = self.bot.app
        guild = server_of(interaction)
        if guild is None or not is_admin(interaction, app.settings.admin_ids):
            return []
        return await suggest(
            interaction,
            lambda prefix: texts.hidden_names(app, guild, prefix, hidden=hidden),
            current,
        )


def _option(interaction: Interaction, name: str) -> object:
    """A sibling option's value in an autocomplete request (discord.py's namespace)."""
    return getattr(interaction.namespace, name, None)


def log_card(collection: Collection, view: texts.LogView) -> Card:
    """The last changes, newest first; refused attempts apart, in a field of their own, so
    that they cannot push the changes out of view."""
    entries, refused = view.changes, view.refused
    where = texts.place(collection)
    fields = (
        (Field("Refused lately", clip("\n".join(_lines(refused)), 1000), inline=False),)
        if refused
        else ()
    )
    if not entries:
        return Card(title=f"No changes to {where} yet", body=(), fields=fields, tone="info")
    return Card(
        title=f"The last {len(entries)} changes to {where}",
        body=(Segment(clip("\n".join(_lines(entries)), 3000)),),
        fields=fields,
        tone="info",
    )


def _lines(entries: list[Entry]) -> list[str]:
    return [
        f"{e.time[:16].replace('T', ' ')} · {e.user_name} ({e.user_id}) · {e.action}"
        + (f" “{clip(e.work, 80)}”" if e.work else "")  # a reindex is of no one work
        + f" · {clip(e.result, 60)}"
        for e in reversed(entries)
    ]
