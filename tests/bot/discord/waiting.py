"""Waiting on the bot's own state (not the fake's, which `FakeDiscord.wait_for` watches)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

POLL = 0.02


async def eventually(condition: Callable[[], bool], timeout: float, what: str = "") -> None:
    """Until `condition()` holds; TimeoutError naming `what` after `timeout` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise TimeoutError(f"not after {timeout} s: {what or condition}")
        await asyncio.sleep(POLL)
