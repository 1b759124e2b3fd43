"""/define with term autocomplete."""

from __future__ import annotations

import asyncio

from discord import app_commands

from bot.commands.define import check_term, check_term_in
from bot.commands.define import complete as complete_terms
from bot.commands.define import define as search_definitions
from bot.discord.autocomplete import suggest_here
from bot.discord.base import BotCog, Interaction
from bot.discord.checks import in_servers_and_dms, rate_limit, server_of
from bot.discord.options import Count, counted_command
from bot.discord.search import search_and_page
from bot.discord.warm import answers_publicly
from embeddings.errors import NoWords, OnlyCommonWords


class DefineCog(BotCog, name="Define"):
    @counted_command(
        name="define", description="What the corpus says a term means", extras=answers_publicly()
    )
    @app_commands.describe(term="A word or a short phrase", count="How many passages")
    @in_servers_and_dms
    @app_commands.check(rate_limit)
    async def define(
        self,
        interaction: Interaction,
        term: str,
        count: app_commands.Transform[int, Count] | None = None,
    ) -> None:
        app = self.bot.app
        guild = server_of(interaction)
        # Checked before deferring, so a refusal is private: once a public "thinking…"
        # placeholder exists, the answer can only be public.
        try:
            check_term(term)
        except (NoWords, OnlyCommonWords):
            # Rare ("I", "R.I.P."): a dictionary may have an entry for it. Its index may
            # have to be loaded first: off the event loop, and no longer than a search waits
            # before "thinking…" (the answer then refuses it, publicly, if it must).
            check = asyncio.ensure_future(asyncio.to_thread(check_term_in, app, term, guild))
            try:
                await asyncio.wait_for(asyncio.shield(check), app.settings.defer_after_seconds)
            except TimeoutError:
                check.add_done_callback(lambda t: t.cancelled() or t.exception())
        n = count or 0  # 0: the configured default
        await search_and_page(
            interaction, app, term, lambda: search_definitions(app, term, n, guild=guild)
        )

    @define.autocomplete("term")
    async def term_autocomplete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await suggest_here(interaction, complete_terms, current)
