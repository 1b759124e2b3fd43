"""The start-up heap of a running bot, kept out of the cyclic garbage collector's way.

Why: the model, the index and the imported modules are objects that live as long as the
process. Python's full collections walk every one of them with the GIL held, stopping the
event loop and the searches; in `bench.load` one such collection (about 190 ms) landed
inside a burst of questions and doubled its median (bench/RESULTS.md, "Garbage-collection
pauses"). `gc.freeze()` once start-up is done moves what is alive then into a permanent
generation that collections skip.

Frozen objects are still freed by reference counting, but never by a collection: an
object frozen inside a reference cycle and dropped later would stay for good. So what a
swap drops (an index build, tests/bot/test_heap.py) must hold no reference cycle, and only
`quotebot run` freezes: it settles once, before connecting, when little else is alive.
"""

from __future__ import annotations

import gc
import logging
import time

log = logging.getLogger(__name__)


def settle() -> None:
    """Collect once, then freeze every object still alive (call once start-up is done)."""
    started = time.perf_counter()
    gc.collect()
    gc.freeze()
    log.info(
        "start-up heap frozen: %d objects, in %.0f ms",
        gc.get_freeze_count(),
        (time.perf_counter() - started) * 1000,
    )
