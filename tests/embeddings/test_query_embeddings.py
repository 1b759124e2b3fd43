"""Query vectors under bursts: one pass for a burst, no pass for a question already known or
already on its way, no wait for company when a question comes alone."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from typing import cast

import numpy as np
import pytest

from embeddings.batching import MicroBatcher
from embeddings.encoder import Encoder
from embeddings.search import QueryEmbeddings


class CountingModel:
    """Stands in for the encoder: a vector per text, each pass recorded; `hold` keeps a
    pass running until released, `fail` makes the next pass raise."""

    def __init__(self) -> None:
        self.passes: list[list[str]] = []
        self.hold = threading.Event()
        self.hold.set()
        self.running = threading.Event()
        self.fail = False

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        self.passes.append(list(texts))
        self.running.set()
        self.hold.wait(5)
        if self.fail:
            self.fail = False
            raise RuntimeError("model crashed")
        return np.array([[len(t), 1.0] for t in texts], dtype=np.float32)

    def held_in_pass(
        self, submit: Callable[[str], Future[np.ndarray]], text: str = "first"
    ) -> Future[np.ndarray]:
        """`submit(text)` with the model held: returns once that pass is running, so what is
        submitted next waits for it until `hold.set()`."""
        self.hold.clear()
        future = submit(text)
        assert self.running.wait(5)
        return future


@pytest.fixture
def model() -> CountingModel:
    return CountingModel()


@pytest.fixture
def vectors(model: CountingModel) -> QueryEmbeddings:
    return QueryEmbeddings(cast(Encoder, model), size=100)


@pytest.fixture
def batcher(model: CountingModel) -> Iterator[MicroBatcher]:
    """A batcher that waits up to 50 ms for stragglers, closed after the test."""
    batcher = MicroBatcher(model.encode_queries, max_wait=0.05)
    yield batcher
    batcher.close()


def test_a_question_asked_again_while_it_is_being_encoded_waits_for_that_pass(
    model: CountingModel, vectors: QueryEmbeddings
) -> None:
    first = model.held_in_pass(vectors.submit, "What is a sect?")
    again = [vectors.submit("what is a SECT?"), vectors.submit("What is a sect?")]
    model.hold.set()
    assert all(f is first for f in again)
    np.testing.assert_array_equal(first.result(5), [15.0, 1.0])
    assert model.passes == [["What is a sect?"]]


def test_a_known_question_is_answered_at_once_without_the_model(
    model: CountingModel, vectors: QueryEmbeddings
) -> None:
    vectors.get("what is a sect?")
    known = vectors.submit("What is a sect?")
    assert known.done()
    np.testing.assert_array_equal(known.result(), [15.0, 1.0])
    assert len(model.passes) == 1


def test_a_failed_encoding_is_not_remembered_and_the_next_ask_tries_again(
    model: CountingModel, vectors: QueryEmbeddings
) -> None:
    model.fail = True
    failed = vectors.submit("what is a sect?")
    assert isinstance(failed.exception(5), RuntimeError)
    np.testing.assert_array_equal(vectors.get("what is a sect?"), [15.0, 1.0])
    assert len(model.passes) == 2


def test_a_question_whose_wait_was_cancelled_is_encoded_afresh_when_asked_again(
    model: CountingModel, vectors: QueryEmbeddings
) -> None:
    model.held_in_pass(vectors.submit)
    assert vectors.submit("what is a sect?").cancel()
    model.hold.set()
    np.testing.assert_array_equal(vectors.get("what is a sect?"), [15.0, 1.0])
    assert model.passes[-1] == ["what is a sect?"]


@pytest.mark.parametrize("asked_before", [False, True], ids=["first", "soon after another"])
def test_a_lone_question_does_not_wait_for_company(
    model: CountingModel, asked_before: bool
) -> None:
    # A steady trickle (a question every few tens of milliseconds) is not a burst either.
    batcher = MicroBatcher(model.encode_queries, max_wait=5.0)
    if asked_before:
        batcher.encode("what is a sect?")
        time.sleep(2 * batcher.idle_gap)
    started = time.monotonic()
    batcher.encode("who was Draper?")
    assert time.monotonic() - started < 2.5  # not the 5 s a batch may wait for stragglers
    batcher.close()


def test_a_lone_question_that_came_while_a_pass_ran_waits_for_company(
    model: CountingModel,
) -> None:
    # Questions that come while the model is busy are a burst: the next pass waits for
    # stragglers, however long ago the last question came.
    batcher = MicroBatcher(model.encode_queries, max_wait=1.0)
    first = model.held_in_pass(batcher.submit)
    time.sleep(2 * batcher.idle_gap)
    during = batcher.submit("asked during the pass")
    model.hold.set()
    first.result(5)
    time.sleep(0.05)  # within max_wait of the pass's end
    straggler = batcher.submit("a straggler")
    for future in (during, straggler):
        future.result(5)
    batcher.close()
    assert model.passes == [["first"], ["asked during the pass", "a straggler"]]


def test_questions_arriving_during_a_pass_share_the_next_one(
    model: CountingModel, batcher: MicroBatcher
) -> None:
    first = model.held_in_pass(batcher.submit)
    burst = [batcher.submit(f"question {i}") for i in range(20)]
    model.hold.set()
    for future in [first, *burst]:
        future.result(5)
    assert model.passes == [["first"], [f"question {i}" for i in range(20)]]


def test_a_cancelled_question_is_skipped_and_the_others_are_still_encoded(
    model: CountingModel, batcher: MicroBatcher
) -> None:
    first = model.held_in_pass(batcher.submit)
    gone, kept = batcher.submit("gone"), batcher.submit("kept")
    assert gone.cancel()
    model.hold.set()
    kept.result(5)
    assert first.done() and batcher.encode("after") is not None
    assert ["gone"] not in model.passes and ["kept"] in model.passes


def test_a_burst_is_encoded_in_even_passes_of_at_most_the_cap(model: CountingModel) -> None:
    batcher = MicroBatcher(model.encode_queries, max_batch=16, max_wait=0.05)
    first = model.held_in_pass(batcher.submit)
    burst = [batcher.submit(f"question {i}") for i in range(50)]
    model.hold.set()
    for future in [first, *burst]:
        future.result(5)
    batcher.close()
    assert [len(p) for p in model.passes] == [1, 13, 13, 12, 12]
    assert [t for p in model.passes[1:] for t in p] == [f"question {i}" for i in range(50)]


def test_the_questions_of_one_pass_are_grouped_and_a_highlights_sentences_are_not(
    model: CountingModel, vectors: QueryEmbeddings
) -> None:
    model.held_in_pass(vectors.submit)
    burst = [vectors.submit(q) for q in ("What is a sect?", "who was Draper", "Why?")]
    sentences = [vectors.batcher.submit("A sentence of a hit.")] if vectors.batcher else []
    model.hold.set()
    for future in [*burst, *sentences]:
        future.result(5)
    assert model.passes[1] == ["What is a sect?", "who was Draper", "Why?", "A sentence of a hit."]
    group = vectors.group_of("WHAT IS A SECT?")
    assert group is not None and group.keys == ("what is a sect?", "who was draper", "why?")
    np.testing.assert_array_equal(group.vector("why?"), [4.0, 1.0])
    assert vectors.group_of("who was Draper") is group
    assert vectors.group_of("first") is None  # encoded alone: nothing to share
    assert vectors.group_of("A sentence of a hit.") is None
