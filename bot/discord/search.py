"""How a search command runs: check the input, search in a worker thread, answer, page.

The input is checked first, with the core's own validation (no encoding, a few
milliseconds; for /quote, `commands.quote.cached_quote`, which also finds a cached answer):
a mistake is answered ephemerally, which a public "thinking…" placeholder would allow
only by deleting it first (bot/discord/replies.py). Encoding and searching then run in a
worker thread so the gateway heartbeat never waits on the model. Most searches finish
well within Discord's 3-second deadline, so the answer is sent as the reply itself (one
request, no placeholder); only a search still running after `defer_after_seconds` is
deferred first.

A /quote hands its question to the model from the event loop (`encode_first`) and waits
for the vector without holding a thread, so a burst of questions reaches the model's
micro-batcher at once and shares one forward pass. Its search then queues for the bot's
few search threads, first come first served: fifty searches in fifty threads would all
finish at the end of the burst, fighting over the GIL and two cores; queued, the first
answers go out while the last are still being searched.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable
from concurrent.futures import Future
from typing import TypeVar

import numpy as np

from bot.app import App
from bot.commands.results import Answer
from bot.discord import replies
from bot.discord.base import Interaction
from bot.discord.checks import server_of
from bot.discord.views import show_answer

T = TypeVar("T")


async def search_and_page(
    interaction: Interaction,
    app: App,
    query: str,
    work: Callable[[], Answer],
    ready: Answer | None = None,
    *,
    encode_first: bool = False,
) -> None:
    """Run `work` off the event loop and show its answer (public) with a pager, deferring
    first if it takes longer than `defer_after_seconds`. An answer `ready` (cached) is
    shown at once. `encode_first`: `work` searches for `query` as the server of the
    interaction reads; its vector is computed first, without holding a thread, and `work`
    then runs on the bot's search threads."""
    if ready is not None:
        await show_answer(interaction, app, query, ready, ephemeral=False)
        return
    if encode_first:
        searcher = app.live_for(server_of(interaction)).searcher
        vector = searcher.embeddings.submit(searcher.prepare(query))  # cached when done
        task = asyncio.ensure_future(_search_when_encoded(interaction, work, vector))
    else:
        task = asyncio.ensure_future(asyncio.to_thread(work))
    answer = await in_time(interaction, app, task)
    if answer is not None:
        await show_answer(interaction, app, query, answer, ephemeral=False)


async def in_time(
    interaction: Interaction, app: App, task: asyncio.Future[T], *, ephemeral: bool = False
) -> T | None:
    """The task's result, the interaction deferred (publicly unless `ephemeral`) first if
    the task runs past `defer_after_seconds`; None when Discord refused the deferral: nobody
    would see the answer. The task's worker thread cannot be stopped; it finishes, and its
    result (or its error) is dropped."""
    done, _ = await asyncio.wait({task}, timeout=app.settings.defer_after_seconds)
    if not done and not await replies.defer(interaction, ephemeral=ephemeral):
        task.add_done_callback(lambda t: t.cancelled() or t.exception())
        return None
    return await task


async def _search_when_encoded(
    interaction: Interaction, work: Callable[[], Answer], vector: Future[np.ndarray]
) -> Answer:
    # Shielded: the future may be shared with others asking the same question.
    await asyncio.shield(asyncio.wrap_future(vector))
    context = contextvars.copy_context()  # as asyncio.to_thread does
    pool = interaction.client.searches
    return await asyncio.get_running_loop().run_in_executor(pool, context.run, work)
