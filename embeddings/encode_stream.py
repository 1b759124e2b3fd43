"""Encoding while a reindex is still reading: texts are queued as documents are cut, and
encoded in batches by a worker thread, the same batches whatever the timing.

Why: reading, cleaning and cutting documents is Python (it holds the GIL), encoding is
torch (it releases the GIL inside its kernels). Done one after the other, a reindex took
the encoding time plus everything else (bench/RESULTS.md, "Reindex against raw
encoding"); done side by side, the reading hides behind the encoding.

Why batches are made from the texts alone: what a batch holds (its padded width, its
matrix shapes) decides its vectors to the last bit. `Batcher` groups texts by word-piece
count, so the same texts in the same order give the same batches, and a build gives the
same vectors with the worker thread as without it (`overlap=False`, in the caller's
thread). Grouping by length also keeps padding as low as sorting all texts at once
(`Encoder.encode`) does.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator

import numpy as np

EncodeBatch = Callable[[list[str]], np.ndarray]  # texts -> one row per text, in order

# Word pieces per bucket. 1: a batch made while reading holds texts of one length, so it
# pads nothing, and the texts left at the end are batched as `Encoder.encode` batches all
# of its texts. Measured: the same padded word pieces as sorting everything at once, on
# the 303-passage benchmark subset (52,800) and on 9,756 texts of four books (408,832),
# where 6,144 texts were encoded while the books were still being read. Wider buckets
# start sooner but pad more: 8 word pieces padded 3% more on the small subset, worth
# more encoding time than its whole reading (0.3 s).
BUCKET_WIDTH = 1


class Batcher:
    """Texts (as slots: their positions in the stream) grouped into batches by word-piece
    count. A bucket that reaches `size` texts is a batch at once; at the end, the texts
    left in every bucket are sorted by count and cut into batches, as `Encoder.encode`
    does with all of its texts."""

    def __init__(self, size: int, width: int = BUCKET_WIDTH) -> None:
        if size < 1 or width < 1:
            raise ValueError("batch size and bucket width must be positive")
        self.size = size
        self.width = width
        self._buckets: dict[int, list[tuple[int, int]]] = {}  # bucket -> (tokens, slot)

    def add(self, slot: int, tokens: int) -> list[int] | None:
        """Queue one text; returns a batch (its slots) when its bucket is full."""
        bucket = self._buckets.setdefault(tokens // self.width, [])
        bucket.append((tokens, slot))
        if len(bucket) < self.size:
            return None
        del self._buckets[tokens // self.width]
        return [slot for _, slot in sorted(bucket)]

    def rest(self) -> list[list[int]]:
        """The texts no full bucket took, in batches of similar length; empties the batcher."""
        left = sorted(item for bucket in self._buckets.values() for item in bucket)
        self._buckets.clear()
        slots = [slot for _, slot in left]
        return [slots[i : i + self.size] for i in range(0, len(slots), self.size)]


class EncodeStream:
    """Texts to encode, given slots in the order they are added, encoded in `Batcher`'s
    batches: by one worker thread (`overlap`), or in the caller's thread as each batch
    fills (the serial reference, the same batches in the same order).

    `warm_up` (loading the model) runs once, in the caller's thread, when the first text
    comes. The caller's thread is the only one that sees progress and errors: the worker's
    failure is raised by the next `add`, `poll` or `progress` call, and `stop` (always
    call it, in a `finally`) ends the worker after the batch it is encoding.
    """

    def __init__(
        self,
        encode: EncodeBatch,
        dimension: int,
        batch_size: int,
        *,
        overlap: bool = True,
        warm_up: Callable[[], object] | None = None,
    ) -> None:
        self._encode = encode
        self._dimension = dimension
        self._batcher = Batcher(batch_size)
        self._overlap = overlap
        self._warm_up = warm_up
        self._texts: list[str] = []
        self._results: dict[int, np.ndarray] = {}  # first slot of a batch -> its rows
        self._batches: list[list[int]] = []  # every batch, in the order it was made
        self._done = 0  # texts encoded (as far as the caller's thread has heard)
        self._closed = False
        self._stopping = threading.Event()
        self._work: queue.SimpleQueue[list[int] | None] = queue.SimpleQueue()
        self._news: queue.SimpleQueue[tuple[int, BaseException | None]] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    def __len__(self) -> int:
        return len(self._texts)

    @property
    def done(self) -> int:
        return self._done

    def add(self, text: str, tokens: int) -> int:
        """Queue a text of `tokens` word pieces; returns its slot."""
        if self._closed:
            raise RuntimeError("the stream is closed")
        self.poll()
        slot = len(self._texts)
        self._texts.append(text)
        if self._overlap and self._thread is None:
            self._start()
        batch = self._batcher.add(slot, tokens)
        if batch is not None:
            self._submit(batch)
        return slot

    def close(self) -> None:
        """No more texts: what is left is batched and queued."""
        if not self._closed:
            self._closed = True
            for batch in self._batcher.rest():
                self._submit(batch)
            if self._thread is not None:
                self._work.put(None)

    def poll(self) -> int:
        """Texts encoded so far (without waiting); raises the worker's error, if any."""
        while True:
            try:
                news = self._news.get_nowait()
            except queue.Empty:
                return self._done
            self._note(news)

    def progress(self) -> Iterator[int]:
        """After `close`: texts encoded, each time a batch is done, until all are; raises
        the worker's error, if any."""
        if not self._closed:
            raise RuntimeError("close the stream first")
        yield self.poll()
        while self._done < len(self._texts):
            self._note(self._news.get())
            yield self._done

    def vectors(self) -> np.ndarray:
        """After `progress` has run to the end: one row per slot."""
        out = np.empty((len(self._texts), self._dimension), dtype=np.float32)
        for batch in self._batches:
            out[batch] = self._results[batch[0]]
        return out

    def stop(self) -> None:
        """End the worker (after the batch it is encoding) and wait for it."""
        self._stopping.set()
        if self._thread is not None:
            self._work.put(None)
            self._thread.join()
            self._thread = None

    # -- inside ---------------------------------------------------------------------------

    def _submit(self, batch: list[int]) -> None:
        self._batches.append(batch)
        if self._overlap:
            self._work.put(batch)
        else:
            self._results[batch[0]] = self._run(batch)
            self._done += len(batch)

    def _run(self, batch: list[int]) -> np.ndarray:
        rows = self._encode([self._texts[s] for s in batch])
        if rows.shape != (len(batch), self._dimension):
            raise ValueError(f"the encoder gave {rows.shape} for {len(batch)} texts")
        return rows

    def _note(self, news: tuple[int, BaseException | None]) -> None:
        count, error = news
        if error is not None:
            raise error
        self._done += count

    def _start(self) -> None:
        # The model is loaded here, in the caller's thread, before the worker exists: torch
        # applies its thread setting (QUOTEBOT_THREADS) to the thread that loads it, and
        # threads created afterwards inherit it; loaded in the worker, it stayed there.
        if self._warm_up is not None:
            self._warm_up()
        self._thread = threading.Thread(target=self._worker, name="reindex-encode", daemon=True)
        self._thread.start()

    def _worker(self) -> None:
        try:
            while not self._stopping.is_set():
                batch = self._work.get()
                if batch is None or self._stopping.is_set():
                    return
                self._results[batch[0]] = self._run(batch)
                self._news.put((len(batch), None))
        except BaseException as exc:  # handed to the caller's thread, which raises it
            self._news.put((0, exc))
