"""An exclusive lock across threads and processes on one folder (shards, a terminal)."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def locked(path: Path, *, wait: bool = True) -> Iterator[bool]:
    """Hold a lock on `path` for the block, waiting for it if another holds it (or, not
    `wait`ing, yield False at once then). The file is made if missing and opened
    read-only, so one that another user made serves too (the CLI run as root beside the
    bot's user). Each call opens its own descriptor: threads of one process exclude each
    other as processes do."""
    fd = os.open(path, os.O_RDONLY | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)  # closing the descriptor releases the lock
