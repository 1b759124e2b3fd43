"""Follow reindexes done by other processes on the same index and data folders.

Several bot processes (Discord shards, perhaps on several machines) serve one index folder
on shared storage; whichever of them (or a terminal) reindexes, the others must answer from
the new build. A background thread looks every `watch_seconds` at CURRENT of the base and
of each server collection loaded here (one small file read each) and swaps in a new build
exactly as a local reindex does: checked against its checksums first, refused if damaged,
the old build answering until the new one is in place.
"""

from __future__ import annotations

import logging
import threading

from bot.servers import Collections

log = logging.getLogger(__name__)


class IndexWatcher:
    def __init__(self, collections: Collections, interval: float) -> None:
        self.collections = collections
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.interval <= 0 or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="quotebot-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def check(self) -> list[str]:
        """One look at every watched index; what changed."""
        return self.collections.follow()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                changed = self.check()
            except Exception:  # a bad look must not end the watching
                log.exception("looking for new index builds failed")
                continue
            if changed:
                log.info("index changed by another process: %s", ", ".join(changed))
