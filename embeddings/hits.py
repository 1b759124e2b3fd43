"""What a search returns per passage, and the text it shows: the data the ranking, the
highlighting and the front ends share (embeddings/search.py re-exports all of it)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from embeddings.ingest.dictionary import is_bare_headword
from embeddings.passages import Passage


@dataclass(frozen=True)
class Hit:
    passage_id: int
    score: float  # the fused score that ranked it
    cosine: float
    bm25: float
    highlight: tuple[int, int] | None = None  # the best sentence, offsets in the passage
    settled: bool = True  # False: the highlight is a lexical guess the model has not checked
    # Consecutive passages (first, last ids) shown together, `passage_id` among them; the
    # highlight's offsets are then in `result_text`, the window's text.
    window: tuple[int, int] | None = None

    @property
    def ids(self) -> range:
        first, last = self.window or (self.passage_id, self.passage_id)
        return range(first, last + 1)


class HasPassages(Protocol):
    """An index, or a server's scope of several (embeddings/scope.py)."""

    @property
    def passages(self) -> Sequence[Passage]: ...


WINDOW_JOIN = "\n"  # between the passages of a window: one verse or line per line


def window_spans(index: HasPassages, hit: Hit) -> list[tuple[int, int]]:
    """Where each passage of the hit starts and ends in its `result_text`."""
    spans, pos = [], 0
    for i in hit.ids:
        n = len(index.passages[i].text)
        spans.append((pos, pos + n))
        pos += n + len(WINDOW_JOIN)
    return spans


def result_text(index: HasPassages, hit: Hit) -> str:
    """The verbatim text a hit shows: its passage, or its window's passages in order."""
    return WINDOW_JOIN.join(index.passages[i].text for i in hit.ids)


def with_its_definition(index: HasPassages, hit: Hit) -> Hit:
    """A dictionary entry's bare headword, shown with the passage that defines it.

    A long entry is cut into passages, and a headword on a line of its own can be left
    alone ("REGALIA, n."): whatever finds it, the reader needs the definition after it."""
    passages = index.passages
    i = hit.passage_id
    if hit.window is not None or i + 1 >= len(passages):
        return hit
    head, after = passages[i], passages[i + 1]
    if not is_bare_headword(head.text):
        return hit
    if after.source != head.source or after.section != head.section:
        return hit
    return replace(hit, window=(i, i + 1))
