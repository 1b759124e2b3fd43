"""/quote and the "Find sources" message context menu."""

from __future__ import annotations

from functools import partial

import discord
from discord import app_commands

from bot.commands.quote import QuoteRequest, cached_quote, complete_source
from bot.commands.quote import quote as search_quotes
from bot.discord.autocomplete import suggest_here
from bot.discord.base import BotCog, Interaction, QuoteBotBase
from bot.discord.checks import in_servers_and_dms, rate_limit, server_of
from bot.discord.options import Count, Name, counted_command
from bot.discord.search import search_and_page
from bot.discord.warm import answers_publicly
from embeddings.errors import QueryError
from embeddings.query import clean

NO_TEXT = "That message has no text to search for."


class QuoteCog(BotCog, name="Quote"):
    def __init__(self, bot: QuoteBotBase) -> None:
        super().__init__(bot)
        # Context menus cannot be declared inside a cog; this one is added on load.
        self.find_sources_menu = in_servers_and_dms(
            app_commands.ContextMenu(
                name="Find sources", callback=self.find_sources, extras=answers_publicly()
            )
        )
        self.find_sources_menu.add_check(rate_limit)

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.find_sources_menu)

    async def cog_unload(self) -> None:
        menu = self.find_sources_menu
        self.bot.tree.remove_command(menu.name, type=menu.type)

    @counted_command(
        name="quote",
        description="Passages that match a question or a paraphrase, verbatim",
        extras=answers_publicly(),
    )
    @app_commands.describe(
        query="A question, a paraphrase or a few words",
        author="Only works by an author matching this",
        source="Only this work (title or file name), or one book of the Bible (Matthew)",
        count="How many passages",
    )
    @in_servers_and_dms
    @app_commands.check(rate_limit)
    async def quote(
        self,
        interaction: Interaction,
        query: str,
        author: app_commands.Transform[str, Name("author")] = "",
        source: app_commands.Transform[str, Name("source")] = "",
        count: app_commands.Transform[int, Count] | None = None,
    ) -> None:
        app = self.bot.app
        guild = server_of(interaction)
        # The pager shows one quote at a time. Its best sentence is a lexical guess where
        # words cannot decide; the model settles it once the answer is out (the others'
        # as they are shown), so the model's time goes to the queries waiting first.
        request = QuoteRequest(query, author, source, count or 0, settle_now=0, guild=guild)
        # Checked (or found in the cache) before anything public exists: a refusal is private.
        ready = cached_quote(app, request)
        work = partial(search_quotes, app, request)
        await search_and_page(interaction, app, query, work, ready, encode_first=True)

    @quote.autocomplete("source")
    async def source_autocomplete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await suggest_here(interaction, complete_source, current)

    async def find_sources(self, interaction: Interaction, message: discord.Message) -> None:
        """Quote search on someone's message: where does this come from, what says the same?"""
        app = self.bot.app
        try:
            # Long messages are cut to the query limit rather than refused.
            text = clean(
                message.content, max_chars=app.settings.search.max_query_chars, truncate=True
            )
        except QueryError:
            raise QueryError(NO_TEXT) from None
        request = QuoteRequest(text, settle_now=0, guild=server_of(interaction))
        ready = cached_quote(app, request)  # checks the text before anything public exists
        work = partial(search_quotes, app, request)
        await search_and_page(interaction, app, text, work, ready, encode_first=True)
