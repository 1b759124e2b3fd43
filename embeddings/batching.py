"""Micro-batching of query encodings.

Fifty people asking at once should cost one forward pass of the model, not fifty: on two
cores a batch of 32 short queries takes little longer than one. Callers submit a text
and wait on a future; one worker thread takes everything queued, encodes it as a batch
and hands each caller its vector. A lone query waits at most `max_wait` for company.

Texts come at two priorities. Queries are urgent: somebody waits for the answer. The
sentences that refine a shown answer's highlight are not: they are encoded only when no
query is waiting, in smaller batches, and never padded to one another's lengths in the
same pass as queries (a sentence is several times longer than a query).
"""

from __future__ import annotations

import itertools
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field

import numpy as np

EncodeFn = Callable[[Sequence[str]], np.ndarray]

URGENT, BACKGROUND, STOP = 0, 1, 2


@dataclass(order=True)
class _Item:
    priority: int
    seq: int  # first come, first served within a priority
    text: str = field(compare=False, default="")
    future: Future[np.ndarray] | None = field(compare=False, default=None)


class MicroBatcher:
    def __init__(
        self,
        encode: EncodeFn,
        *,
        max_batch: int = 64,
        max_background_batch: int = 16,
        max_wait: float = 0.002,
    ) -> None:
        self._encode = encode
        self._max_batch = {URGENT: max_batch, BACKGROUND: max_background_batch}
        self._max_wait = max_wait
        self._queue: queue.PriorityQueue[_Item] = queue.PriorityQueue()
        self._seq = itertools.count()
        self._thread = threading.Thread(target=self._run, name="quotebot-encoder", daemon=True)
        self._started = False
        self._lock = threading.Lock()
        self.batches = 0  # for tests and benchmarks: how many forward passes ran
        self.encoded = 0

    def submit(self, text: str, *, urgent: bool = True) -> Future[np.ndarray]:
        with self._lock:
            if not self._started:
                self._thread.start()
                self._started = True
        future: Future[np.ndarray] = Future()
        self._queue.put(_Item(URGENT if urgent else BACKGROUND, next(self._seq), text, future))
        return future

    def encode(self, text: str) -> np.ndarray:
        return self.submit(text).result()

    def close(self) -> None:
        if self._started:
            self._queue.put(_Item(STOP, next(self._seq)))
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first.priority == STOP:
                return
            batch = [first]
            # Collect whatever else of the same priority is waiting, then give stragglers
            # max_wait. The queue hands out urgent items first, so meeting another
            # priority means none of this one is left (or an urgent one just arrived).
            try:
                while len(batch) < self._max_batch[first.priority]:
                    item = self._queue.get(timeout=self._max_wait)
                    if item.priority != first.priority:
                        self._queue.put(item)
                        break
                    batch.append(item)
            except queue.Empty:
                pass
            try:
                vectors = self._encode([item.text for item in batch])
            except Exception as exc:  # every waiter learns of the failure
                for item in batch:
                    assert item.future is not None
                    item.future.set_exception(exc)
                continue
            self.batches += 1
            self.encoded += len(batch)
            for item, vec in zip(batch, vectors, strict=True):
                assert item.future is not None
                item.future.set_result(vec)
