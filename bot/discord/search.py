"""How a search command runs: check the input, defer, search in a worker thread, page.

The input is checked before deferring, with the core's own validation (no encoding, a few
milliseconds): a mistake is answered ephemerally, which is impossible once a public
"thinking…" placeholder exists. Encoding and searching then run in a worker thread so the
gateway heartbeat never waits on the model.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import discord

from bot.app import App
from bot.commands.quote import clamp_count
from bot.commands.results import Answer
from bot.discord import replies
from bot.discord.views import show_answer
from embeddings.errors import QueryError
from embeddings.query import clean
from embeddings.search import Filters

NAME_MAX_CHARS = 200  # an author, a title or a file name; longer is not a name


def check_query(app: App, query: str, author: str = "", title: str = "") -> None:
    """Raise the core's QueryError / NotFoundError for a query that cannot be searched."""
    searcher = app.index.searcher
    searcher.prepare(query)
    searcher.allowed(Filters(author.strip(), title.strip()))


def clean_name(value: str, option: str) -> str:
    """An optional name option (author, source, work) as a filter: invisible and control
    characters dropped, "" when nothing is left (no filter), QueryError when it is far too
    long to be a name (the refusal then never repeats thousands of characters)."""
    try:
        text = clean(value, max_chars=len(value) + 1)
    except QueryError:
        return ""
    if len(text) > NAME_MAX_CHARS:
        raise QueryError(
            f"The {option} option is {len(text):,} characters long; a name has at most "
            f"{NAME_MAX_CHARS}. Type part of it instead."
        )
    return text


def check_count(app: App, count: int | None) -> int:
    """The number of results asked for, checked before deferring: Discord's client keeps
    `count` within the option's bounds, but a crafted interaction may not."""
    return clamp_count(app, count or 0)


async def search_and_page(
    interaction: discord.Interaction, app: App, query: str, work: Callable[[], Answer]
) -> None:
    """Defer (public), run `work` off the event loop, show its answer with a pager."""
    if not await replies.defer(interaction):
        return
    answer = await asyncio.to_thread(work)
    await show_answer(interaction, app, query, answer, ephemeral=False)
