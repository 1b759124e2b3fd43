"""The pagers' store: each pager until its timeout after its page was last shown, then
expired once, oldest first; a pager that cannot be expired does not stop the rest."""

from __future__ import annotations

import asyncio

import pytest

from bot.discord.pages import PagerStore, Pages
from tests.bot.discord.waiting import eventually

WAIT = 10.0


def pages(query: str) -> Pages:
    return Pages(owner_id=1, guild=None, query=query, quotes=[], notice="")


def recording(timeout: float, *queries: str) -> tuple[PagerStore, list[str]]:
    """A store holding a pager per query (message ids 1, 2, ...), and the queries of the
    pagers it expires, in order."""
    expired: list[str] = []

    async def expire(p: Pages) -> None:
        expired.append(p.query)

    store = PagerStore(timeout, expire)
    for message_id, query in enumerate(queries, start=1):
        store.add(message_id, pages(query))
    return store, expired


async def test_pagers_expire_once_in_the_order_they_were_last_used() -> None:
    store, expired = recording(0.2, "first", "second", "third")
    store.renew(1)  # a page turned: its timeout starts again, so it goes last
    await eventually(lambda: len(expired) == 3, WAIT, "every pager expired")
    assert expired == ["second", "third", "first"]
    assert len(store) == 0 and store.get(2) is None
    store.close()


async def test_looking_a_pager_up_does_not_extend_it() -> None:
    # A click that shows no new page (Cite, Context, More, a stranger's) brings no token
    # that can edit the pager's message, so the first token must still do it at expiry.
    store, expired = recording(0.2, "first", "second")
    assert store.get(1) is not None
    await eventually(lambda: len(expired) == 2, WAIT, "both pagers expired")
    assert expired == ["first", "second"]
    store.close()


async def test_a_pager_is_kept_until_its_timeout() -> None:
    store, expired = recording(3600.0, "kept")
    kept = store.get(1)
    await asyncio.sleep(0.05)
    assert kept is not None and store.get(1) is kept and expired == []
    store.close()  # a closing bot drops them unexpired
    assert store.get(1) is None and expired == []


async def test_one_pager_that_cannot_be_expired_does_not_stop_the_others(
    caplog: pytest.LogCaptureFixture,
) -> None:
    expired: list[str] = []

    async def expire(p: Pages) -> None:
        if p.query == "broken":
            raise RuntimeError("Discord said no")
        expired.append(p.query)

    store = PagerStore(0.05, expire)
    store.add(1, pages("broken"))
    store.add(2, pages("fine"))
    await eventually(lambda: expired == ["fine"], WAIT, "the second pager expired")
    assert "could not expire the pager on message 1" in caplog.text
    # The sweep ended with the store empty; a new pager starts it again.
    store.add(3, pages("later"))
    await eventually(lambda: expired == ["fine", "later"], WAIT, "a later pager expired")
    store.close()


async def test_one_slow_expiry_does_not_hold_back_the_pagers_behind_it() -> None:
    # Each pager expires by an edit through its own token, which Discord kills 15 minutes
    # after its interaction. One edit that takes long (a 429 waited out, Discord's 5xx
    # retried: seconds each) must not push the next pagers' edits past their tokens' lives.
    loop = asyncio.get_running_loop()
    started: dict[str, float] = {}
    hold = asyncio.Event()

    async def expire(p: Pages) -> None:
        started[p.query] = loop.time()
        if p.query == "slow":
            await hold.wait()  # e.g. discord.py sleeping out a 429's retry_after

    store = PagerStore(0.1, expire)
    added = loop.time()
    store.add(1, pages("slow"))
    store.add(2, pages("on time"))
    try:
        await eventually(lambda: "slow" in started, WAIT, "the first expiry started")
        await asyncio.sleep(1.0)  # ten timeouts
        assert "on time" in started, "the second pager waits for the first one's edit"
        assert started["on time"] - added < 0.5
    finally:
        hold.set()
        store.close()
