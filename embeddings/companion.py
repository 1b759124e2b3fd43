"""Companion texts: another rendering of a work, searched beside it and never quoted.

Readers ask about old texts in today's words, and the model scores a modern paraphrase of
an archaic verse far below it ("do not worry about tomorrow" against "Take therefore no
thought for the morrow"). A companion is the same work said otherwise, a modern translation
for instance. It is given line by line, each line keyed by the locator of the passage it
renders. A passage with a companion line is scored with that line too, and is found
through it, but the answer always quotes the work itself (bench/RESULTS.md, "Companions in
the engine").

The file sits beside the work as `<file name>.companion.tsv`, one `LOCATOR<TAB>TEXT` line
per passage (`6:34<TAB>Then have no care for tomorrow: ...`). Blank lines and lines
starting with `#` are skipped. A line the reader cannot use is reported, and the work is
indexed without it.

Rows of the table are in passage order; `ids[r]` is the passage that row `r` renders.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from embeddings import dense as dense_index
from embeddings.ingest.discovery import COMPANION_SUFFIX
from embeddings.passages import Passage

MAX_LINE_CHARS = 4_000  # a rendering of one passage, not a document pasted on one line


@dataclass(frozen=True)
class CompanionFile:
    """A companion file as read: locator -> its line, and what was wrong with the rest."""

    lines: dict[str, str]
    problems: tuple[str, ...] = ()
    name: str = ""  # the file, as the problems name it


def companion_path(root: Path, source: str) -> Path:
    return root / (source + COMPANION_SUFFIX)


def read_companion(root: Path, source: str) -> CompanionFile | None:
    """The companion of the document `source` (None: it has none inside the root)."""
    path = companion_path(root, source)
    if not path.is_file() or not path.resolve().is_relative_to(root.resolve()):
        return None  # a link to a file elsewhere is not the corpus's companion
    name = source + COMPANION_SUFFIX
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        return CompanionFile({}, (f"{name}: not UTF-8 text, not used",))
    except OSError as exc:
        return CompanionFile({}, (f"{name}: cannot be read ({exc.strerror or exc}), not used",))
    return parse_companion(text, name)


def parse_companion(text: str, name: str) -> CompanionFile:
    lines: dict[str, str] = {}
    problems: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        locator, tab, rendering = raw.partition("\t")
        locator, rendering = locator.strip(), " ".join(rendering.split())
        if not tab or not locator or not rendering:
            problems.append(f"{name} line {number}: not LOCATOR<TAB>TEXT, skipped")
        elif len(rendering) > MAX_LINE_CHARS:
            problems.append(f"{name} line {number}: longer than {MAX_LINE_CHARS:,} characters")
        elif locator in lines:
            problems.append(f"{name} line {number}: {locator} given twice, the first kept")
        else:
            lines[locator] = rendering
    return CompanionFile(lines, tuple(problems), name)


def attach(passages: Sequence[Passage], companion: CompanionFile) -> list[Passage]:
    """The passages, each with its companion line (the one of its locator, if any)."""
    return [
        replace(p, companion=companion.lines[p.locator])
        if p.locator and p.locator in companion.lines
        else p
        for p in passages
    ]


def unplaced(passages: Sequence[Passage], companion: CompanionFile) -> list[str]:
    """A problem for each line whose locator names no passage of the work: a mistyped
    locator ("6:43" for "6:34") would otherwise be lost without a word."""
    have = {p.locator for p in passages if p.locator}
    return [
        f"{companion.name}: {locator} names no passage of the work, not used"
        for locator in companion.lines
        if locator not in have
    ]


@dataclass
class CompanionTable:
    """The companion lines' vectors, a dense index over them, and the passage of each."""

    ids: np.ndarray  # int32 [C]: the passage each row renders, ascending
    vectors: np.ndarray  # float32 [C, dim], unit length
    passage_count: int
    index: Any = None  # dense index over `vectors` (embeddings/dense.py); None: none yet
    rows: np.ndarray = field(init=False)  # passage id -> its row, -1: none

    def __post_init__(self) -> None:
        self.rows = np.full(self.passage_count, -1, dtype=np.int64)
        self.rows[self.ids] = np.arange(len(self.ids))

    def __len__(self) -> int:
        return len(self.ids)

    def with_index(self, params: dense_index.DenseParams) -> CompanionTable:
        """The same table with its dense index built (exact below `ann_threshold`)."""
        self.index = dense_index.build(self.vectors, lines_params(params)) if len(self) else None
        return self

    def cosines(self, ids: np.ndarray, qvec: np.ndarray) -> np.ndarray:
        """Per passage in `ids`: its companion line's cosine with `qvec` (NaN: none)."""
        out = np.full(len(ids), np.nan, dtype=np.float32)
        rows = self.rows[ids]
        have = rows >= 0
        if have.any():
            out[have] = np.asarray(self.vectors[rows[have]], dtype=np.float32) @ qvec
        return out

    def nearest_passages(
        self, qvecs: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> list[np.ndarray]:
        """Per query vector: the passages of the `k` companion lines nearest it, among the
        passages `allowed` (None: all)."""
        none = [np.empty(0, dtype=np.int64) for _ in range(len(qvecs))]
        if self.index is None or k <= 0 or not len(self):
            return none
        if allowed is None:
            _, found = dense_index.search(self.index, qvecs, min(k, len(self)))
            return [self.ids[row[row >= 0]].astype(np.int64) for row in found]
        rows = self.rows[allowed]
        rows = rows[rows >= 0]
        if not len(rows):
            return none
        if 4 * len(rows) > len(self):
            # Most of the lines: the index, told which rows it may return, visits few others.
            _, found = dense_index.search_subset(self.index, qvecs, min(k, len(rows)), rows)
            return [self.ids[row[row >= 0]].astype(np.int64) for row in found]
        sims = np.asarray(self.vectors[rows], dtype=np.float32) @ qvecs.T  # [rows, queries]
        best = np.argsort(-sims, axis=0)[:k]
        return [self.ids[rows[best[:, q]]].astype(np.int64) for q in range(len(qvecs))]


def lines_params(params: dense_index.DenseParams) -> dense_index.DenseParams:
    """The dense parameters of the lines' index: the passages', but its own efSearch."""
    return replace(params, ef_search=params.companion_ef_search)
