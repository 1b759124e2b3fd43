"""Questions encoded in one pass are searched together (embeddings/passes.py): each finds
exactly what it finds searched alone, every candidate with the same scores."""

from __future__ import annotations

import numpy as np

from bench.quality import QUERIES, load_queries
from bot.app import App
from embeddings.search import Filters, QueryEmbeddings, Searcher


def test_a_burst_searched_together_ranks_exactly_as_each_question_alone(seed_app: App) -> None:
    base = seed_app.index.searcher
    queries = list(dict.fromkeys(base.prepare(q["query"]) for q in load_queries(QUERIES)))[:64]
    alone = Searcher(
        base.index, base.encoder, base.params, QueryEmbeddings(base.encoder, 1024, batching=False)
    )
    burst = QueryEmbeddings(base.encoder, 1024, max_batch=32)
    together = Searcher(base.index, base.encoder, base.params, burst)
    for future in [burst.submit(q) for q in queries]:
        future.result(30)
    assert sum(burst.group_of(q) is not None for q in queries) >= len(queries) - 1
    for q in queries:
        vec = burst.get(q)
        mine = together.ranking(q, vec, None, "convex")
        its_own = alone.ranking(q, vec, None, "convex")
        np.testing.assert_array_equal(mine.ids, its_own.ids, err_msg=q)
        np.testing.assert_array_equal(mine.fused, its_own.fused, err_msg=q)
        np.testing.assert_array_equal(mine.cosines, its_own.cosines, err_msg=q)


def test_a_question_searched_again_or_with_filters_is_searched_alone(seed_app: App) -> None:
    base = seed_app.index.searcher
    burst = QueryEmbeddings(base.encoder, 1024)
    together = Searcher(base.index, base.encoder, base.params, burst)
    # The first is encoded at once, alone; the others arrive during its pass and share the next.
    questions = ["what is a sect?", "who decides what sectarianism means?", "who was Draper?"]
    for future in [burst.submit(q) for q in questions]:
        future.result(30)
    asked = questions[2]
    group = burst.group_of(asked)
    assert group is not None and asked.casefold() in group.keys
    first = together.search(asked)
    assert group.take(together, asked.casefold(), lambda v: []) is None  # taken by `first`
    again = together.search(asked)  # searched alone, the same answer
    assert [h.passage_id for h in first.hits] == [h.passage_id for h in again.hits]
    by_draper = together.search(questions[1], filters=Filters(author="draper"))
    assert group.take(together, questions[1].casefold(), lambda v: []) is not None  # not used
    sources = {base.index.passages[h.passage_id].source for h in by_draper.hits}
    assert sources == {"draper-anatomy-of-the-micro-sect.md"}
