"""How a search command runs: check the input, search in a worker thread, answer, page.

The input is checked first, with the core's own validation (no encoding, a few
milliseconds): a mistake is answered ephemerally, which is impossible once a public
"thinking…" placeholder exists. Encoding and searching then run in a worker thread so the
gateway heartbeat never waits on the model. Most searches finish well within Discord's
3-second deadline, so the answer is sent as the reply itself (one request, no
placeholder); only a search still running after `defer_after_seconds` is deferred first.
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
from embeddings.errors import NameTooLong, QueryError
from embeddings.query import clean
from embeddings.search import Filters

NAME_MAX_CHARS = 200  # an author, a title or a file name; longer is not a name


def check_query(
    app: App, query: str, author: str = "", title: str = "", *, guild: int | None = None
) -> None:
    """Raise the core's QueryError / NotFoundError for a query that cannot be searched."""
    searcher = app.live_for(guild).searcher
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
        raise NameTooLong(option, len(text), NAME_MAX_CHARS)
    return text


def check_count(app: App, count: int | None) -> int:
    """The number of results asked for, checked before deferring: Discord's client keeps
    `count` within the option's bounds, but a crafted interaction may not."""
    return clamp_count(app, count or 0)


async def search_and_page(
    interaction: discord.Interaction,
    app: App,
    query: str,
    work: Callable[[], Answer],
    ready: Answer | None = None,
) -> None:
    """Run `work` off the event loop and show its answer (public) with a pager, deferring
    first if it takes longer than `defer_after_seconds`. An answer `ready` (cached) is
    shown at once."""
    if ready is not None:
        await show_answer(interaction, app, query, ready, ephemeral=False)
        return
    task = asyncio.ensure_future(asyncio.to_thread(work))
    done, _ = await asyncio.wait({task}, timeout=app.settings.defer_after_seconds)
    if not done and not await replies.defer(interaction):
        # Discord refused the deferral: nobody will see the answer. The worker thread
        # cannot be stopped; let it finish and drop its result (or its error).
        task.add_done_callback(lambda t: t.cancelled() or t.exception())
        return
    answer = await task
    await show_answer(interaction, app, query, answer, ephemeral=False)
