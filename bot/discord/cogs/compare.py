"""/compare: one question, the best passage of each work (or author), side by side."""

from __future__ import annotations

import asyncio
from functools import partial

from discord import app_commands

from bot.app import App
from bot.cards import compare_card
from bot.commands.compare import CompareRequest, check, split_works
from bot.commands.compare import compare as compare_works
from bot.commands.quote import complete_source
from bot.discord import render, replies
from bot.discord.autocomplete import MAX_CHARS, suggest
from bot.discord.base import BotCog, Interaction
from bot.discord.checks import in_servers_and_dms, rate_limit, server_of
from bot.discord.options import clean_name
from bot.discord.search import in_time
from bot.discord.warm import answers_publicly

WORKS_MAX_CHARS = 600  # six titles and their commas


class CompareCog(BotCog, name="Compare"):
    @app_commands.command(
        name="compare",
        description="One question, the best passage of each work side by side",
        extras=answers_publicly(),
    )
    @app_commands.describe(
        query="A question, a paraphrase or a few words",
        works="Only these works or books of the Bible (two or more), split by ; or ,  Empty: all",
        by="One passage per work (default) or per author",
    )
    @app_commands.choices(
        by=[
            app_commands.Choice(name="work", value="work"),
            app_commands.Choice(name="author", value="author"),
        ]
    )
    @in_servers_and_dms
    @app_commands.check(rate_limit)
    async def compare(
        self,
        interaction: Interaction,
        query: str,
        works: str = "",
        by: str = "work",
    ) -> None:
        app = self.bot.app
        guild = server_of(interaction)
        names = split_works(works[: WORKS_MAX_CHARS * 4])
        names = tuple(n for n in (clean_name(n, "works") for n in names) if n)
        request = CompareRequest(query, names, by, guild)
        # Checked before anything public exists, so a refusal is private.
        check(app, request)
        task = asyncio.ensure_future(asyncio.to_thread(partial(compare_works, app, request)))
        found = await in_time(interaction, app, task)
        if found is not None:
            await replies.send(interaction, embeds=[render.embed(compare_card(found))])

    @compare.autocomplete("works")
    async def works_autocomplete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """Completes the last work typed, a book of a Bible too (as /quote's source); the
        ones before it stay as they are."""
        app, guild = self.bot.app, server_of(interaction)
        sep = ";" if ";" in current or current.count(",") == 0 else ","
        done, _, last = current.rpartition(sep)
        head = f"{done.strip()}{sep} " if done.strip() else ""

        def complete(_: str) -> list[str]:
            # A work named already (in full, or by words that name it alone: "Anatomy")
            # would only be compared with itself.
            named = set()
            for typed in (n.strip() for n in done.split(sep) if n.strip()):
                found = complete_source(app, typed, guild=guild)
                named |= {typed.casefold()} | ({found[0].casefold()} if len(found) == 1 else set())
            titles = complete_source(app, last.strip(), guild=guild)
            # A choice's value holds 100 characters: one cut inside the works typed would
            # drop them, and one cut inside the title offered must still name that work.
            room = MAX_CHARS - len(head)
            return [
                head + t
                for t in titles
                if t.casefold() not in named
                and (len(t) <= room or _names_alone(app, t, t[: max(room, 0)], guild))
            ]

        return await suggest(interaction, complete, current)


def _names_alone(app: App, title: str, prefix: str, guild: int | None) -> bool:
    """Whether `prefix` of `title`, typed, names that work and no other."""
    return bool(prefix.strip()) and complete_source(app, prefix, guild=guild) == [title]
