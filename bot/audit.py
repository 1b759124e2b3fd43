"""The audit log of a collection: who changed what, when, and how it ended.

JSON lines, appended and flushed to disk before the change is reported, so an entry
survives a crash that follows it. One file per collection (the base has its own), so a
server's admins read only their own server's entries.
"""

from __future__ import annotations

import calendar
import fcntl
import json
import os
import threading
import time
from collections.abc import Callable, Hashable, Iterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TypeVar

TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"  # an entry's time: UTC, ISO 8601
K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Entry:
    time: str  # UTC, ISO 8601
    server: int | None  # the server the action came from (None: console, CLI, a DM)
    user_id: int
    user_name: str
    action: str  # "add", "replace", "remove", "restore", "hide", "unhide", "reindex", "refused"
    work: str
    result: str  # "ok", or what went wrong

    @property
    def seconds(self) -> float | None:
        """Its time as seconds since the epoch; None when the line's time is damaged."""
        try:
            return float(calendar.timegm(time.strptime(self.time, TIME_FORMAT)))
        except (TypeError, ValueError):
            return None

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Entry:
        return cls(**{k: d.get(k) for k in cls.__dataclass_fields__})  # type: ignore[arg-type]


class AuditLog:
    """Append-only JSON lines in `path`; safe across threads of one process."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def append(
        self,
        *,
        server: int | None,
        user_id: int,
        user_name: str,
        action: str,
        work: str,
        result: str = "ok",
    ) -> Entry:
        entry = Entry(
            time.strftime(TIME_FORMAT, time.gmtime()),
            server,
            user_id,
            user_name,
            action,
            work,
            result,
        )
        line = (json.dumps(asdict(entry), ensure_ascii=False) + "\n").encode()
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "a+b") as f:
                # One writer at a time across processes (O_APPEND alone is not atomic on
                # shared storage), and a line another left cut short (a full disk) ended
                # first, so that this one is not glued to it and lost with it.
                fcntl.flock(f.fileno(), fcntl.LOCK_EX)
                end = f.seek(0, os.SEEK_END)
                if end:
                    f.seek(end - 1)
                    if f.read(1) != b"\n":
                        line = b"\n" + line
                f.write(line)
                f.flush()
                os.fsync(f.fileno())
        return entry

    def tail(self, n: int = 20, where: Callable[[Entry], bool] | None = None) -> list[Entry]:
        """The last `n` entries (of those `where` keeps), oldest first; a damaged line is
        skipped, not fatal."""
        return self.tails(where or (lambda _: True), {True: n})[True]

    def tails(self, kind: Callable[[Entry], K], sizes: Mapping[K, int]) -> dict[K, list[Entry]]:
        """For each kind `k` that `sizes` names, the last `sizes[k]` entries that `kind`
        sorts there, oldest first (`/corpus log` shows changes and refusals apart). Read
        from the end of the file and only as far back as they need: a log years long, or
        a flood of refusals, costs what the entries shown cost."""
        kept: dict[K, list[Entry]] = {k: [] for k in sizes}
        unfilled = {k for k, size in sizes.items() if size > 0}
        if unfilled and self.path.is_file():
            for entry in map(_parsed, _lines_from_the_end(self.path)):
                if entry is None:
                    continue
                k = kind(entry)
                if k not in unfilled:
                    continue
                kept[k].append(entry)
                if len(kept[k]) == sizes[k]:
                    unfilled.discard(k)
                    if not unfilled:
                        break
        return {k: entries[::-1] for k, entries in kept.items()}


_BLOCK = 1 << 16  # bytes read at a time, from the end of the log


def _lines_from_the_end(path: Path) -> Iterator[str]:
    """The file's non-blank lines, last first, read in blocks from its end (a line is
    decoded whole, so a character split between two blocks stays whole)."""
    with open(path, "rb") as f:
        end = f.seek(0, os.SEEK_END)
        carried = b""  # the start of the block read last: a line's end, maybe not its start
        while end > 0:
            start = max(0, end - _BLOCK)
            f.seek(start)
            lines = (f.read(end - start) + carried).split(b"\n")
            carried = lines.pop(0) if start > 0 else b""
            end = start
            for line in reversed(lines):
                if line.strip():
                    yield line.decode("utf-8", errors="replace")


def _parsed(line: str) -> Entry | None:
    """An entry, or None for a damaged line (not JSON, or not an object)."""
    try:
        return Entry.from_json(json.loads(line))
    except (ValueError, TypeError, AttributeError):
        return None
