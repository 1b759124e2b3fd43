"""The start-up heap is frozen, and what a swap drops is freed without a collection.

`quotebot run` freezes the objects alive once start-up is done (bot/heap.py): full garbage
collections then skip them. A frozen object is only ever freed by reference counting, so an
index build swapped out must hold no reference cycle, or every reindex would leak the
build it replaces.
"""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from typing import Any

import pytest

from bot import heap
from bot.app import App
from bot.commands.define import define
from bot.commands.explain import explain_quote
from bot.commands.quote import QuoteRequest, quote


def _weak_refs(objects: dict[str, Any]) -> dict[str, weakref.ref[Any]]:
    return {name: weakref.ref(obj) for name, obj in objects.items() if _weakly_referable(obj)}


def _weakly_referable(obj: object) -> bool:
    try:
        weakref.ref(obj)
    except TypeError:
        return False
    return True


def _parts(name: str, obj: object) -> Iterator[tuple[str, object]]:
    """`obj` and what its attributes hold, one level down."""
    yield name, obj
    for attr, value in vars(obj).items() if hasattr(obj, "__dict__") else ():
        yield f"{name}.{attr}", value


@pytest.fixture
def collector_off() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@pytest.mark.parametrize("used_by", ["quote", "define", "explain"])
def test_a_swapped_out_index_build_is_freed_without_a_garbage_collection(
    fresh_app: App, collector_off: None, used_by: str
) -> None:
    # /define's lookup, which Explain reads too, is kept with the build: it held the build
    # back in a cycle, and the first build of every process stayed for good.
    if used_by != "quote":
        assert define(fresh_app, "sect").quotes
    if used_by == "explain":
        [first] = quote(fresh_app, QuoteRequest("what makes a group a sect", count=1)).quotes
        assert explain_quote(fresh_app, first).where is not None
    refs = _weak_refs(_build_parts(fresh_app))
    assert {"live", "searcher", "index", "index.passages"} <= refs.keys()

    fresh_app.index.load()  # the same build read again and swapped in: the old one dropped

    # What the old build shares with the new one (the encoder, the query vectors) stays.
    shared = {id(obj) for obj in _build_parts(fresh_app).values()}
    kept = [name for name, ref in refs.items() if ref() is not None and id(ref()) not in shared]
    assert kept == []


def _build_parts(app: App) -> dict[str, Any]:
    """The index in use, its searcher and build, and what their attributes hold, after a
    search has filled what a build caches as it answers (parsed passages, sentences)."""
    live = app.index.live
    searcher = live.searcher
    assert searcher.search("what makes a group a sect").hits
    parts = dict(_parts("live", live))
    parts.update(_parts("searcher", searcher))
    parts.update(_parts("index", searcher.index))
    return parts


class _Node:
    me: object


def test_settle_puts_what_is_alive_out_of_the_collectors_reach() -> None:
    node = _Node()
    node.me = node  # a reference cycle: only a collection can free it
    ref = weakref.ref(node)
    try:
        heap.settle()
        assert gc.get_freeze_count() > 0
        del node
        gc.collect()
        assert ref() is not None  # frozen: the collection skipped it
    finally:
        gc.unfreeze()
    gc.collect()
    assert ref() is None
