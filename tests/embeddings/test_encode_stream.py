"""Encoding while a reindex reads: batches made from the texts alone, one worker thread,
and errors and stops that reach the caller's thread (embeddings/encode_stream.py).

The stand-in encoder gives each text a vector that depends on its batch too (its width),
as a real model's does to the last bit: equal vectors mean equal batches.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from embeddings.encode_stream import Batcher, EncodeStream

DIM = 3


class StandIn:
    """An encoder that records its batches and the threads it ran in."""

    def __init__(self, *, fail_on: int | None = None, pause: float = 0.0) -> None:
        self.batches: list[list[str]] = []
        self.threads: set[str] = set()
        self.fail_on = fail_on
        self.pause = pause

    def __call__(self, texts: list[str]) -> np.ndarray:
        self.threads.add(threading.current_thread().name)
        self.batches.append(list(texts))
        if self.fail_on is not None and len(self.batches) == self.fail_on:
            raise MemoryError(f"out of memory in batch {self.fail_on}")
        time.sleep(self.pause)
        width = max(len(t) for t in texts)
        return np.array([[len(t), width, sum(map(ord, t)) % 97] for t in texts], np.float32)


def texts_of(lengths: list[int]) -> list[str]:
    return [chr(ord("a") + i % 26) * n for i, n in enumerate(lengths)]


LENGTHS = [5, 230, 7, 3, 240, 6, 231, 4, 2, 250, 9, 1, 233, 8, 5, 120]


def run(stream: EncodeStream, texts: list[str]) -> np.ndarray:
    try:
        for t in texts:
            stream.add(t, len(t))
        stream.close()
        list(stream.progress())
        return stream.vectors()
    finally:
        stream.stop()


def test_a_bucket_that_fills_is_a_batch_at_once_and_the_rest_waits_for_the_end() -> None:
    batcher = Batcher(size=3, width=8)
    assert batcher.add(0, 200) is None
    assert batcher.add(1, 10) is None
    assert batcher.add(2, 203) is None
    assert batcher.add(3, 201) == [0, 3, 2]  # 200..207 share a bucket, shortest first
    assert batcher.add(4, 30) is None
    assert batcher.rest() == [[1, 4]]
    assert batcher.rest() == []


def test_what_is_left_at_the_end_is_sorted_by_length_and_cut_into_full_batches() -> None:
    batcher = Batcher(size=2, width=4)
    for slot, tokens in enumerate([50, 10, 30, 20, 40]):
        assert batcher.add(slot, tokens) is None
    assert batcher.rest() == [[1, 3], [2, 4], [0]]


def test_each_text_is_encoded_once_with_its_row_in_the_order_it_was_added() -> None:
    texts = texts_of(LENGTHS)
    stand_in = StandIn()
    vectors = run(EncodeStream(stand_in, DIM, batch_size=3), texts)
    assert sorted(t for batch in stand_in.batches for t in batch) == sorted(texts)
    assert vectors[:, 0].tolist() == [float(n) for n in LENGTHS]


def test_overlapped_and_serial_streams_encode_the_same_batches_and_vectors() -> None:
    texts = texts_of(LENGTHS * 3)
    overlapped, serial = StandIn(pause=0.002), StandIn()
    a = run(EncodeStream(overlapped, DIM, batch_size=4, overlap=True), texts)
    b = run(EncodeStream(serial, DIM, batch_size=4, overlap=False), texts)
    assert overlapped.batches == serial.batches
    assert np.array_equal(a, b)
    assert overlapped.threads == {"reindex-encode"}
    assert serial.threads == {threading.current_thread().name}


def test_full_batches_are_encoded_while_texts_are_still_being_added() -> None:
    stand_in = StandIn()
    stream = EncodeStream(stand_in, DIM, batch_size=2)
    try:
        stream.add("x" * 100, 100)
        stream.add("y" * 100, 100)  # two of one length: a full batch for the worker
        deadline = time.monotonic() + 10
        while stream.poll() < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert stream.done == 2
        stream.add("z", 1)
    finally:
        stream.stop()


def test_the_model_is_loaded_once_in_the_callers_thread_before_the_first_batch() -> None:
    # torch applies its thread setting to the thread that loads it and to threads made later.
    order: list[tuple[str, str]] = []
    stand_in = StandIn()

    def encode(texts: list[str]) -> np.ndarray:
        order.append(("batch", threading.current_thread().name))
        return stand_in(texts)

    def warm_up() -> None:
        order.append(("warm up", threading.current_thread().name))

    run(EncodeStream(encode, DIM, batch_size=2, warm_up=warm_up), ["a", "b", "c"])
    assert order[0] == ("warm up", threading.current_thread().name)
    assert [what for what, _ in order].count("warm up") == 1
    assert {who for what, who in order if what == "batch"} == {"reindex-encode"}


def test_an_error_in_the_worker_is_raised_in_the_callers_thread_and_ends_the_worker() -> None:
    stream = EncodeStream(StandIn(fail_on=1), DIM, batch_size=2)
    with pytest.raises(MemoryError, match="batch 1"):
        run(stream, texts_of([10, 11, 12, 13, 200, 201]))
    assert not [t for t in threading.enumerate() if t.name == "reindex-encode"]


def test_an_error_in_the_worker_stops_the_reading_at_the_next_text() -> None:
    stream = EncodeStream(StandIn(fail_on=1), DIM, batch_size=2)
    try:
        stream.add("a" * 10, 10)
        stream.add("b" * 10, 10)  # a full batch, which fails
        with pytest.raises(MemoryError):
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                stream.add("c", 1)
                time.sleep(0.01)
    finally:
        stream.stop()


def test_stopping_waits_for_the_batch_being_encoded_and_drops_the_rest() -> None:
    stand_in = StandIn(pause=0.2)
    stream = EncodeStream(stand_in, DIM, batch_size=1)
    for t in texts_of([10, 20, 30, 40, 50]):
        stream.add(t, len(t))
    time.sleep(0.05)  # the worker is in its first batch
    stream.stop()
    assert 1 <= len(stand_in.batches) < 5
    assert not [t for t in threading.enumerate() if t.name == "reindex-encode"]


def test_progress_counts_every_text_once_up_to_the_total() -> None:
    stream = EncodeStream(StandIn(), DIM, batch_size=2)
    try:
        for t in texts_of([10, 11, 50, 51, 200]):
            stream.add(t, len(t))
        stream.close()
        seen = list(stream.progress())
    finally:
        stream.stop()
    assert seen == sorted(seen) and seen[-1] == len(stream) == 5
