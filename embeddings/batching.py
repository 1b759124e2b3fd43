"""Micro-batching of query encodings.

Fifty people asking at once should cost one forward pass of the model, not fifty: on two
cores a batch of 32 short queries takes little longer than one. Callers submit a text
and wait on a future; one worker thread takes everything queued, encodes it as a batch
and hands each caller its vector. A lone query waits at most `max_wait` for company.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future

import numpy as np

EncodeFn = Callable[[Sequence[str]], np.ndarray]


class MicroBatcher:
    def __init__(self, encode: EncodeFn, *, max_batch: int = 64, max_wait: float = 0.002) -> None:
        self._encode = encode
        self._max_batch = max_batch
        self._max_wait = max_wait
        self._queue: queue.SimpleQueue[tuple[str, Future[np.ndarray]] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="quotebot-encoder", daemon=True)
        self._started = False
        self._lock = threading.Lock()
        self.batches = 0  # for tests and benchmarks: how many forward passes ran
        self.encoded = 0

    def submit(self, text: str) -> Future[np.ndarray]:
        with self._lock:
            if not self._started:
                self._thread.start()
                self._started = True
        future: Future[np.ndarray] = Future()
        self._queue.put((text, future))
        return future

    def encode(self, text: str) -> np.ndarray:
        return self.submit(text).result()

    def close(self) -> None:
        if self._started:
            self._queue.put(None)
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            # Collect whatever else is already waiting, then give stragglers max_wait.
            try:
                while len(batch) < self._max_batch:
                    item = self._queue.get(timeout=self._max_wait)
                    if item is None:
                        self._queue.put(None)
                        break
                    batch.append(item)
            except queue.Empty:
                pass
            texts = [t for t, _ in batch]
            try:
                vectors = self._encode(texts)
            except Exception as exc:  # every waiter learns of the failure
                for _, fut in batch:
                    fut.set_exception(exc)
                continue
            self.batches += 1
            self.encoded += len(batch)
            for (_, fut), vec in zip(batch, vectors, strict=True):
                fut.set_result(vec)
