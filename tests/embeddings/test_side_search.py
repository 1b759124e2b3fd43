"""The nearest sentences found on the side executor while the passages are searched: the
same candidates, in the same order, as one after the other, filtered or not."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest

from bench.quality import QUERIES, load_queries
from bot.app import App
from embeddings import search as search_module
from embeddings.search import Filters, Searcher


class Recording(ThreadPoolExecutor):
    """A one-worker executor that remembers which threads ran what it was given."""

    def __init__(self) -> None:
        super().__init__(max_workers=1, thread_name_prefix="side-test")
        self.ran_on: list[str] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        def recorded() -> Any:
            self.ran_on.append(threading.current_thread().name)
            return fn(*args, **kwargs)

        return super().submit(recorded)


@pytest.fixture
def side() -> Iterator[Recording]:
    executor = Recording()
    yield executor
    executor.shutdown()


def _pair(app: App, side: Recording) -> tuple[Searcher, Searcher]:
    base = app.index.searcher
    return (
        Searcher(base.index, base.encoder, base.params, base.embeddings),
        Searcher(base.index, base.encoder, base.params, base.embeddings, side),
    )


def test_with_a_side_executor_every_ranking_is_the_same(seed_app: App, side: Recording) -> None:
    in_turn, beside = _pair(seed_app, side)
    queries = list(dict.fromkeys(in_turn.prepare(q["query"]) for q in load_queries(QUERIES)))
    for q in queries[:40]:
        vec = in_turn.embeddings.get(q)
        a = in_turn.ranking(q, vec, None, "convex")
        b = beside.ranking(q, vec, None, "convex")
        np.testing.assert_array_equal(a.ids, b.ids, err_msg=q)
        np.testing.assert_array_equal(a.fused, b.fused, err_msg=q)
    assert side.ran_on and all(name.startswith("side-test") for name in side.ran_on)


@pytest.mark.parametrize("subset_limit", [0, 10**9], ids=["index-subset", "scan-subset"])
def test_filtered_searches_find_the_same_beside(
    seed_app: App, side: Recording, monkeypatch: pytest.MonkeyPatch, subset_limit: int
) -> None:
    # Both ways a filtered search can take: the FAISS index told the allowed ids, or a scan.
    monkeypatch.setattr(search_module, "SUBSET_SCAN_LIMIT", subset_limit)
    in_turn, beside = _pair(seed_app, side)
    draper = Filters(author="draper")
    for q in ("what is a sect?", "how should socialists organise?", "the Third Camp"):
        a, b = in_turn.search(q, k=5, filters=draper), beside.search(q, k=5, filters=draper)
        assert [h.passage_id for h in a.hits] == [h.passage_id for h in b.hits]
        assert [h.passage_id for h in a.weak] == [h.passage_id for h in b.weak]
    assert side.ran_on


def test_an_error_on_the_side_reaches_the_caller(seed_app: App, side: Recording) -> None:
    _, beside = _pair(seed_app, side)

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise MemoryError("the sentence table")

    table = beside.index.sentences
    assert table is not None
    original = table.nearest_passages_of_many
    table.nearest_passages_of_many = broken  # type: ignore[method-assign]
    try:
        with pytest.raises(MemoryError, match="the sentence table"):
            beside.search("what is a sect, really?")
    finally:
        table.nearest_passages_of_many = original  # type: ignore[method-assign]


def test_the_application_gives_every_index_one_side_worker(fresh_app: App) -> None:
    base = fresh_app.index
    assert isinstance(base.side, ThreadPoolExecutor)
    assert base.searcher.side is base.side
    assert fresh_app.collections.of(123456789012345678).service.side is base.side
