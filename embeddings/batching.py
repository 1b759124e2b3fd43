"""Micro-batching of query encodings.

Fifty people asking at once should cost one forward pass of the model, not fifty: on two
cores a batch of 32 short queries takes little longer than one. Callers submit a text
and wait on a future; one worker thread takes everything queued, encodes it as a batch
and hands each caller its vector. Queries that arrive while a pass runs form the next
batch, and a batch waits for stragglers while they keep coming (at most `max_wait` after
the last), but a lone query is encoded at once when no pass is running and none came for
`idle_gap`: waiting for company that rarely comes would cost every such query `max_wait`,
while starting a burst with a pass of one costs the burst about one query's share of a
pass. A burst's questions come within a millisecond or so of each other, or while a pass
runs; one question every 30 ms is a steady trickle whose questions do not share a pass,
and each would pay `max_wait` for nothing (bench/RESULTS.md, "A lone question").

A pass takes at most `max_batch` questions, the queue shared evenly between passes: a
burst is answered as a stream, the first answers out after a fraction of the whole
burst's encoding, their searches running while the next pass encodes.

Texts come at two priorities. Queries are urgent: somebody waits for the answer. The
sentences that refine a shown answer's highlight are not: they are encoded only when no
query is waiting and none has come for `background_delay` (the searches that follow a
burst of queries need the CPU too), in smaller batches, and never in the same pass as
queries (a sentence is several times longer than a query: all would pad to it).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import KW_ONLY, dataclass

import numpy as np

EncodeFn = Callable[[Sequence[str]], np.ndarray]
Item = tuple[str, Future[np.ndarray]]


@dataclass(eq=False)
class MicroBatcher:
    """Encodes the texts submitted by many threads in shared passes of `encode_batch`; the
    timings are the module docstring's."""

    encode_batch: EncodeFn
    _: KW_ONLY
    max_batch: int = 64
    max_background_batch: int = 16
    max_wait: float = 0.002
    idle_gap: float = 0.01
    background_delay: float = 0.15

    def __post_init__(self) -> None:
        self._urgent: deque[Item] = deque()
        self._background: deque[Item] = deque()
        self._last_urgent = 0.0  # when the latest urgent text was submitted (monotonic)
        self._quiet_before = True  # whether the queue's first text came to an idle worker
        self._busy = False  # a pass of queries is being encoded
        self._changed = threading.Condition()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="quotebot-encoder", daemon=True)
        self._started = False
        self.batches = 0  # for tests and benchmarks: how many forward passes ran
        self.encoded = 0

    def submit(self, text: str, *, urgent: bool = True) -> Future[np.ndarray]:
        future: Future[np.ndarray] = Future()
        with self._changed:
            if not self._started:
                self._thread.start()
                self._started = True
            if urgent:
                now = time.monotonic()
                if not self._urgent:
                    self._quiet_before = not self._busy and now - self._last_urgent >= self.idle_gap
                self._urgent.append((text, future))
                self._last_urgent = now
            else:
                self._background.append((text, future))
            self._changed.notify()
        return future

    def encode(self, text: str) -> np.ndarray:
        return self.submit(text).result()

    def close(self) -> None:
        with self._changed:
            self._stopping = True
            self._changed.notify()
        if self._started:
            self._thread.join(timeout=5)

    def _next_batch(self) -> list[Item] | None:
        """Wait for the next batch to encode (None: closing)."""
        with self._changed:
            while True:
                if self._stopping:
                    return None
                if self._urgent:
                    # Give stragglers max_wait to join, as long as more keep coming;
                    # not a lone query after a quiet spell (see the module's docstring).
                    alone = len(self._urgent) == 1 and self._quiet_before
                    while not alone and len(self._urgent) < self.max_batch:
                        before = len(self._urgent)
                        self._changed.wait(self.max_wait)
                        if len(self._urgent) == before or self._stopping:
                            break
                    n = _share(len(self._urgent), self.max_batch)
                    self._busy = True
                    return [self._urgent.popleft() for _ in range(n)]
                if self._background:
                    quiet_for = time.monotonic() - self._last_urgent
                    if quiet_for >= self.background_delay:
                        n = min(len(self._background), self.max_background_batch)
                        return [self._background.popleft() for _ in range(n)]
                    self._changed.wait(self.background_delay - quiet_for)
                else:
                    self._changed.wait()

    def _run(self) -> None:
        while (batch := self._next_batch()) is not None:
            try:
                self._encode(batch)
            finally:
                with self._changed:
                    self._busy = False

    def _encode(self, batch: list[Item]) -> None:
        # A caller may have cancelled its future while it waited; the others go on.
        batch = [item for item in batch if item[1].set_running_or_notify_cancel()]
        if not batch:
            return
        try:
            vectors = self.encode_batch([text for text, _ in batch])
        except Exception as exc:  # every waiter learns of the failure
            for _, future in batch:
                future.set_exception(exc)
            return
        self.batches += 1
        self.encoded += len(batch)
        for (_, future), vec in zip(batch, vectors, strict=True):
            future.set_result(vec)


def _share(waiting: int, cap: int) -> int:
    """How many of `waiting` questions the next pass takes: at most `cap`, and the queue
    split evenly (50 at a cap of 16: 13, 13, 12, 12, not 16, 16, 16, 2)."""
    passes = -(-waiting // cap)
    return -(-waiting // passes)
