"""/source: the works in the corpus, or one work's details; work titles autocomplete."""

from __future__ import annotations

from dataclasses import replace

from discord import app_commands

from bot.cards import work_card, works_card
from bot.commands import source as sources
from bot.discord import render, replies
from bot.discord.autocomplete import suggest_here
from bot.discord.base import BotCog, Interaction
from bot.discord.checks import in_servers_and_dms, rate_limit, server_of
from bot.discord.options import Name
from bot.discord.status import for_admins


class SourceCog(BotCog, name="Source"):
    @app_commands.command(name="source", description="The works in the corpus, or one work")
    @app_commands.describe(name="A title, an author or a file name (leave out for the list)")
    @in_servers_and_dms
    @app_commands.check(rate_limit)
    async def source(
        self, interaction: Interaction, name: app_commands.Transform[str, Name("name")] = ""
    ) -> None:
        # Reads the loaded index's metadata only (no model, no search): answered at once.
        app = self.bot.app
        guild = server_of(interaction)
        if not name:
            card = works_card(sources.works(app, guild=guild))
        else:
            # NotFoundError: a friendly ephemeral reply
            found = sources.find(app, name, guild=guild)
            exact = found[0].key.casefold() == name.casefold()
            if len(found) == 1 or exact:
                card = work_card(found[0])
            else:
                card = replace(works_card(found), title=f"{len(found)} works match “{name}”")
        card = for_admins(interaction, app, card)
        await replies.send(interaction, embeds=[render.embed(card)], ephemeral=True)

    @source.autocomplete("name")
    async def name_autocomplete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await suggest_here(interaction, sources.complete, current)
