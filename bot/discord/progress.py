"""Reindex progress, from the worker thread to one Discord message.

The build calls `progress(stage, done, total)` in its own thread, often (once per batch);
Discord allows a handful of edits per few seconds. The callback only records the latest
state on the event loop (thread-safe); a task shows it at most once every `interval` s.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

Show = Callable[[str, int, int], Awaitable[None]]


class ThrottledProgress:
    def __init__(
        self, loop: asyncio.AbstractEventLoop, show: Show, *, interval: float = 2.0
    ) -> None:
        self._loop = loop
        self._show = show
        self._interval = interval
        self._latest: tuple[str, int, int] | None = None
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        """The build's progress callback; runs in the worker thread."""
        # A closed loop means the bot is shutting down: the build goes on regardless.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._note, stage, done, total)

    def _note(self, stage: str, done: int, total: int) -> None:
        self._latest = (stage, done, total)
        self._changed.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="quotebot: reindex progress")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            await self._changed.wait()
            self._changed.clear()
            if self._latest is not None:
                try:
                    await self._show(*self._latest)
                except Exception:  # progress is a courtesy; never let it stop the build
                    log.exception("could not show reindex progress")
            await asyncio.sleep(self._interval)
