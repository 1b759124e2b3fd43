"""Reindexes started from Discord (/reindex, /corpus add, remove and restore).

One at a time per collection (the base, or one server's): the slot is claimed before the
command's first await, so two quick commands cannot both start, and the core's file lock
stops other processes (`quotebot reindex`). Builds of different collections may be asked
for at once; `max_builds` of them run at a time, each in a thread of the builds' own pool,
and the others wait in its queue, showing "waiting". The admin's message shows a build's
progress; queries keep using the old index until `IndexService` swaps the new one in.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import TypeVar

import discord

from bot.app import App
from bot.cards import Card, Field, Segment, clip
from bot.discord import render, replies
from bot.discord.progress import ThrottledProgress
from bot.messages import REINDEX_BUSY
from bot.progress import STAGE_LABELS
from bot.servers import Collection
from embeddings.build import BuildReport, ProgressFn
from embeddings.errors import QuotebotError, ReindexBusyError

BUSY = REINDEX_BUSY  # the one wording (bot/messages.py); tests name it here
WAITING_THREADS = 4  # build threads beyond max_builds: see ReindexSlot
PROGRESS_INTERVAL = 2.0  # seconds between progress edits (Discord rate-limits edits)
KEEPS_ANSWERING = "The current index keeps answering until the new one is ready."
STOPPED = "The bot is shutting down: the reindex stopped, and the current index stays in use."

T = TypeVar("T")

log = logging.getLogger(__name__)


class ReindexStopped(QuotebotError):
    """The bot is closing; a build in progress gave up before writing anything."""


class ReindexSlot:
    """The one reindex each collection may run at a time, and the threads builds run in."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.running: set[str] = set()  # collection names
        # Builds have threads of their own. In the default pool, which searches,
        # autocomplete and buttons share, each build waiting for its turn held a thread:
        # admins of enough servers, each adding a text, stalled every server's answers.
        # `max_builds` of them build at once (the app's gate); a few more threads let a
        # corpus change wait for another process's build (up to 15 minutes) without
        # holding back this process's other builds. Beyond those, builds queue here.
        self.threads = max(1, app.settings.max_builds) + WAITING_THREADS
        self.pool = ThreadPoolExecutor(self.threads, thread_name_prefix="quotebot-build")
        self.started = 0  # builds handed to the pool and not ended (on the event loop)

    async def run(self, work: Callable[[], T], progress: ProgressFn) -> T:
        """`work()` in a build thread, once one is free ("waiting" until then)."""
        if self.started >= self.threads:
            progress("waiting", 0, 0)
        loop = asyncio.get_running_loop()
        running = self.pool.submit(contextvars.copy_context().run, work)  # as to_thread does
        self.started += 1
        # Counted down when the work ends, not when its caller stops waiting for it.
        running.add_done_callback(lambda _: self._ended(loop))
        return await asyncio.wrap_future(running)

    def _ended(self, loop: asyncio.AbstractEventLoop) -> None:
        """In the build's thread: count it out on the event loop (unless that is closed)."""

        def count_down() -> None:
            self.started -= 1

        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(count_down)

    def close(self) -> None:
        """Builds still waiting never start; a running one stops at its next report."""
        self.pool.shutdown(wait=False, cancel_futures=True)

    def busy(self, collection: Collection) -> bool:
        return collection.name in self.running or collection.service.building

    @contextlib.contextmanager
    def claim(self, collection: Collection) -> Iterator[None]:
        """Hold the collection's slot for a block; ReindexBusyError at once when taken."""
        if self.busy(collection):
            raise ReindexBusyError()
        self.running.add(collection.name)
        try:
            yield
        finally:
            self.running.discard(collection.name)


def progress_card(stage: str, done: int, total: int, title: str = "Reindexing…") -> Card:
    label = STAGE_LABELS.get(stage, stage.capitalize())
    counts = f": {done:,} of {total:,}" if total else ""
    return Card(
        title=title, body=(Segment(f"{label}{counts}"),), footer=KEEPS_ANSWERING, tone="info"
    )


def report_fields(
    report: BuildReport, shown: Callable[[str], str] = lambda said: said
) -> tuple[Field, ...]:
    """What a build left out, by kind: files skipped, companion lines not used; each reason
    as `shown` gives it (a server's admins read no host folder)."""
    fields = []
    for title, warnings in (
        ("Skipped", report.skipped),
        ("Companion lines not used", report.companion_problems),
    ):
        if warnings:
            said = "\n".join(f"• {shown(w)}" for w in warnings)
            fields.append(Field(f"{title} ({len(warnings)})", clip(said, 1000), inline=False))
    return tuple(fields)


def failure_card(message: str, title: str = "Reindex failed") -> Card:
    return Card(title=title, body=(Segment(clip(message, 1500)),), tone="error")


async def run_with_progress(
    interaction: discord.Interaction,
    slot: ReindexSlot,
    work: Callable[[ProgressFn], T],
    *,
    title: str = "Reindexing…",
) -> T:
    """`work(progress)` in one of `slot`'s build threads, its progress shown in the
    interaction's original message at most every PROGRESS_INTERVAL seconds."""

    async def show(stage: str, done: int, total: int) -> None:
        card = progress_card(stage, done, total, title)
        await replies.edit_original(interaction, embeds=[render.embed(card)])

    progress = ThrottledProgress(asyncio.get_running_loop(), show, interval=PROGRESS_INTERVAL)
    progress.start()
    try:
        report = stop_when_closing(interaction.client, progress)
        return await slot.run(partial(work, report), report)
    finally:
        await progress.stop()


def stop_when_closing(client: discord.Client, progress: ProgressFn) -> ProgressFn:
    """`progress`, which stops the build (ReindexStopped) once the bot is closing.

    `docker stop` allows 10 s after SIGTERM and a build can take minutes: it stops at its
    next report (one per batch) and the previous build stays current. Saving is let finish:
    it is short, and atomic either way."""

    def report(stage: str, done: int, total: int) -> None:
        if client.is_closed() and stage != "save":
            log.warning("stopping the reindex in progress: the bot is shutting down")
            raise ReindexStopped(STOPPED)
        progress(stage, done, total)

    return report
