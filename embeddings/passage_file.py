"""A build's passages on disk: one JSON object a line, opened in O(1) and read on demand.

Why: parsing all of passages.jsonl took 0.84 s of a one-shot answer at 34,000 passages,
and an answer reads a few dozen of them. `passage_offsets.npy` (written with the build)
says where each line starts, so a passage is one slice of a memory-mapped file and one
`json.loads` when first asked for. A build made before the offsets were written is read
the slow way: its lines are found by scanning the file once.

Parsed passages are kept in a bounded cache of the most recently read, not one slot per
passage: a loaded index holds no Python object per passage however large it is, and
neither a long-running bot nor a scan of every passage (/define's first lookup) ends up
holding them all (~1.4 KB a passage of private memory at 1M; bench/RESULTS.md).
"""

from __future__ import annotations

import functools
import json
import mmap
from collections.abc import Iterator, Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any, overload

import numpy as np

from embeddings.passages import Passage

PASSAGES_FILE = "passages.jsonl"
OFFSETS_FILE = "passage_offsets.npy"
# Passages kept parsed (~1 KB each): the answers and pages of many queries at a time (a
# search reads a few dozen), re-parsed when evicted (~10 µs each).
CACHED = 8192


_FIELDS = tuple(f.name for f in fields(Passage))


def to_json(p: Passage) -> dict[str, Any]:
    # Field by field, not `asdict`: its deep copy was most of a build's save (34k passages).
    values = ((name, getattr(p, name)) for name in _FIELDS)
    return {k: v for k, v in values if v not in ("", (), [])}


def from_json(d: dict[str, Any]) -> Passage:
    d = dict(d)
    d["notes"] = tuple(d.get("notes", ()))
    return Passage(**d)


def encode(passages: Sequence[Passage]) -> tuple[bytes, np.ndarray]:
    """The file's bytes and its offsets: where line i starts is offsets[i], where it ends
    (without its newline) offsets[i + 1] - 1; offsets[-1] is the size plus one."""
    lines = [json.dumps(to_json(p), ensure_ascii=False).encode() for p in passages]
    offsets = np.zeros(len(lines) + 1, dtype=np.int64)
    np.cumsum([len(line) + 1 for line in lines], out=offsets[1:])
    return b"\n".join(lines), offsets


def scan_offsets(data: bytes | mmap.mmap) -> np.ndarray:
    """Offsets of a file without them (an older build): one pass over its bytes. JSON
    escapes every newline inside a string, so each raw newline ends a passage."""
    raw = np.frombuffer(data, dtype=np.uint8)
    if len(raw) and raw[-1] == ord("\n"):  # a final newline ends the last line, no more
        raw = raw[:-1]
    if not len(raw):
        return np.zeros(1, dtype=np.int64)
    ends = np.flatnonzero(raw == ord("\n"))
    return np.concatenate([[0], ends + 1, [len(raw) + 1]]).astype(np.int64)


class OnDemand(Sequence[Passage]):
    """Passages made one at a time when asked for: a subclass gives `__len__` and
    `_get(i)` for 0 <= i < len; indexing (negative too), slices and iteration are here."""

    def __len__(self) -> int:
        raise NotImplementedError

    def _get(self, i: int) -> Passage:
        raise NotImplementedError

    @overload
    def __getitem__(self, index: int) -> Passage: ...

    @overload
    def __getitem__(self, index: slice) -> list[Passage]: ...

    def __getitem__(self, index: int | slice) -> Passage | list[Passage]:
        if isinstance(index, slice):
            return [self._get(i) for i in range(*index.indices(len(self)))]
        n = len(self)
        if not -n <= index < n:
            raise IndexError(f"passage {index} of {n}")
        return self._get(index % n)

    def __iter__(self) -> Iterator[Passage]:
        return (self._get(i) for i in range(len(self)))


class PassageFile(OnDemand):
    """The passages of one build, parsed when read, the last `cache` read kept; read-only
    and thread-safe (two threads asking for the same new passage both parse it, equally)."""

    def __init__(self, folder: Path, cache: int = CACHED) -> None:
        path = folder / PASSAGES_FILE
        with open(path, "rb") as f:
            size = f.seek(0, 2)
            # A read-only map: pages come in as passages are read, shared with other processes.
            self._data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
        sidecar = folder / OFFSETS_FILE
        if sidecar.is_file():
            self._offsets = np.load(sidecar, allow_pickle=False)
        else:
            self._offsets = scan_offsets(self._data)
        offsets = self._offsets
        if not (
            offsets.ndim == 1
            and len(offsets)
            and offsets[0] == 0
            and np.all(np.diff(offsets) > 0)
            and offsets[-1] - 1 <= size
        ):
            raise ValueError(f"{OFFSETS_FILE} does not match {PASSAGES_FILE}")
        self._count = len(offsets) - 1
        # Bound to the map and the offsets, not to `self`: a cache around a bound method is
        # a reference cycle, which would keep a swapped-out build alive until a garbage
        # collection, and for ever in a bot whose start-up heap is frozen (bot/heap.py).
        self._parse = functools.partial(_parse_line, self._data, self._offsets)
        self._recent = functools.lru_cache(maxsize=cache)(self._parse)

    def __len__(self) -> int:
        return self._count

    def cached(self) -> int:
        """How many parsed passages are kept now."""
        return self._recent.cache_info().currsize

    def _get(self, i: int) -> Passage:
        return self._recent(i)

    def __iter__(self) -> Iterator[Passage]:
        # Past the cache: a scan of every passage would only evict the ones in use.
        for i in range(self._count):
            yield self._parse(i)


def _parse_line(data: mmap.mmap | bytes, offsets: np.ndarray, i: int) -> Passage:
    """Passage `i` of a build's passages.jsonl (mapped as `data`), parsed."""
    line = data[int(offsets[i]) : int(offsets[i + 1]) - 1]
    return from_json(json.loads(line))
