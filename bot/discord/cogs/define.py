"""/define with term autocomplete."""

from __future__ import annotations

from discord import app_commands

from bot.commands.define import check_term
from bot.commands.define import complete as complete_terms
from bot.commands.define import define as search_definitions
from bot.discord.autocomplete import suggest_here
from bot.discord.base import BotCog, Interaction
from bot.discord.checks import rate_limit, server_of
from bot.discord.options import Count, counted_command
from bot.discord.search import search_and_page


class DefineCog(BotCog, name="Define"):
    @counted_command(name="define", description="What the corpus says a term means")
    @app_commands.describe(term="A word or a short phrase", count="How many passages")
    @app_commands.check(rate_limit)
    async def define(
        self,
        interaction: Interaction,
        term: str,
        count: app_commands.Transform[int, Count] | None = None,
    ) -> None:
        app = self.bot.app
        # Checked before deferring, so a refusal is private: once a public "thinking…"
        # placeholder exists, the answer can only be public.
        check_term(term)
        guild = server_of(interaction)
        n = count or 0  # 0: the configured default
        await search_and_page(
            interaction, app, term, lambda: search_definitions(app, term, n, guild=guild)
        )

    @define.autocomplete("term")
    async def term_autocomplete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await suggest_here(interaction, complete_terms, current)
