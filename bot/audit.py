"""The audit log of a collection: who changed what, when, and how it ended.

JSON lines, appended and flushed to disk before the change is reported, so an entry
survives a crash that follows it. One file per collection (the base has its own), so a
server's admins read only their own server's entries.
"""

from __future__ import annotations

import calendar
import json
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable, Mapping
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
        line = json.dumps(asdict(entry), ensure_ascii=False) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "a", encoding="utf-8") as f:
                f.write(line)
                f.flush()
                os.fsync(f.fileno())
        return entry

    def tail(self, n: int = 20, where: Callable[[Entry], bool] | None = None) -> list[Entry]:
        """The last `n` entries (of those `where` keeps), oldest first; a damaged line is
        skipped, not fatal. Unfiltered, only the last lines are parsed: every refusal
        asks for the last entry."""
        if where is not None:
            return self.tails(where, {True: n})[True]
        if not self.path.is_file():
            return []
        with open(self.path, encoding="utf-8", errors="replace") as f:
            # Twice as many lines as asked for: some may be damaged.
            last = deque((line for line in f if line.strip()), maxlen=n * 2)
        return [e for e in map(_parsed, last) if e][-n:]

    def tails(self, kind: Callable[[Entry], K], sizes: Mapping[K, int]) -> dict[K, list[Entry]]:
        """For each kind `k` that `sizes` names, the last `sizes[k]` entries that `kind`
        sorts there, oldest first, in one read of the log (`/corpus log` shows changes and
        refusals apart, and a flood of refusals makes the log long)."""
        kept: dict[K, deque[Entry]] = {k: deque(maxlen=size) for k, size in sizes.items()}
        if self.path.is_file():
            with open(self.path, encoding="utf-8", errors="replace") as f:
                for entry in map(_parsed, (line for line in f if line.strip())):
                    if entry is not None and (bucket := kept.get(kind(entry))) is not None:
                        bucket.append(entry)
        return {k: list(d) for k, d in kept.items()}


def _parsed(line: str) -> Entry | None:
    """An entry, or None for a damaged line (not JSON, or not an object)."""
    try:
        return Entry.from_json(json.loads(line))
    except (ValueError, TypeError, AttributeError):
        return None
