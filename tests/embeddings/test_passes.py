"""Groups of questions from one pass: each searcher computes a group's candidates once,
for all its questions, and hands each question its own once."""

from __future__ import annotations

import threading
import time

import numpy as np

from embeddings.passes import Group, groups


class Owner:
    """Stands in for a searcher: counts the group computations it runs."""

    def __init__(self, slow: float = 0.0) -> None:
        self.calls: list[int] = []
        self.slow = slow

    def compute(self, vectors: np.ndarray) -> list[np.ndarray]:
        self.calls.append(len(vectors))
        time.sleep(self.slow)
        return [row * 10 for row in vectors]


def group_of_three() -> Group:
    return Group(["a", "b", "c"], np.array([[1.0], [2.0], [3.0]]))


def test_a_searcher_computes_the_whole_group_on_its_first_question() -> None:
    group, owner = group_of_three(), Owner()
    got = {key: group.take(owner, key, owner.compute) for key in ("b", "a", "c")}
    assert owner.calls == [3]
    assert {k: float(v[0]) for k, v in got.items() if v is not None} == {
        "a": 10.0,
        "b": 20.0,
        "c": 30.0,
    }


def test_a_question_taken_once_is_not_answered_from_the_group_again() -> None:
    group, owner = group_of_three(), Owner()
    assert group.take(owner, "a", owner.compute) is not None
    assert group.take(owner, "a", owner.compute) is None
    assert owner.calls == [3]


def test_each_searcher_computes_for_itself() -> None:
    group, base, collection = group_of_three(), Owner(), Owner()
    group.take(base, "a", base.compute)
    group.take(collection, "a", collection.compute)
    assert base.calls == [3] and collection.calls == [3]


def test_searches_arriving_while_the_group_is_computed_wait_for_it() -> None:
    group, owner = group_of_three(), Owner(slow=0.2)
    results: dict[str, np.ndarray | None] = {}

    def take(key: str) -> None:
        results[key] = group.take(owner, key, owner.compute)

    threads = [threading.Thread(target=take, args=(k,)) for k in ("a", "b", "c")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    assert owner.calls == [3]
    assert all(results[k] is not None for k in "abc")


def test_a_pass_is_cut_into_groups_in_the_order_its_questions_came() -> None:
    keys = [f"q{i}" for i in range(5)]
    cut = groups(keys, np.arange(5.0)[:, None], size=2)
    assert [g.keys for g in cut] == [("q0", "q1"), ("q2", "q3"), ("q4",)]
    np.testing.assert_array_equal(cut[2].vector("q4"), [4.0])
