"""What one server reads: the shared base index and the server's own collection, as one.

Each part keeps its own index and is searched by its own `Searcher` (the same model, the
same fusion and the same relevance floor, so their scores are comparable); the hits are
merged by score. A scope presents the surface the commands read (`search`, `highlight`,
`neighbours`, `locate`, `index.passages`, `index.documents`, ...) with passage ids of its
own: the base's ids first, then each further part's shifted past the ones before. A
collection's files are named "server/<file>" in the scope, so a server's upload never
shadows a base file of the same name.

Works a server has hidden are left out of its scope entirely: never a candidate, never in
`documents` (so never in /source, filters or completions), a passage of theirs no longer
`locate`s, and a word only they hold is no word of the scope's (`anchored`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TypeVar

import numpy as np

from embeddings.errors import NotFoundError, WorkGone
from embeddings.passage_file import OnDemand
from embeddings.passages import Passage
from embeddings.search import Filters, Hit, QueryEmbeddings, Searcher, SearchResult
from embeddings.store import Derived, DocumentRecord

_T = TypeVar("_T")


@dataclass(frozen=True)
class Part:
    """One index of a scope: its searcher, where its ids start, how its files are named
    in the scope, and which of its files (by their own name) the scope hides."""

    searcher: Searcher
    offset: int = 0
    prefix: str = ""
    hidden: frozenset[str] = frozenset()

    def shift(self, hit: Hit) -> Hit:
        """A part's hit in the scope's ids (a window's bounds too)."""
        return self._moved(hit, self.offset)

    def local(self, hit: Hit) -> Hit:
        """A scope's hit in this part's own ids."""
        return self._moved(hit, -self.offset)

    @staticmethod
    def _moved(hit: Hit, by: int) -> Hit:
        if not by:
            return hit
        window = None if hit.window is None else (hit.window[0] + by, hit.window[1] + by)
        return replace(hit, passage_id=hit.passage_id + by, window=window)

    @property
    def size(self) -> int:
        return len(self.searcher.index.passages)


class _Passages(OnDemand):
    """The parts' passages end to end, without copying them."""

    def __init__(self, view: MergedView) -> None:
        self._view = view

    def __len__(self) -> int:
        return self._view.size

    def _get(self, i: int) -> Passage:
        part, local = self._view.part_of(i)
        passage = part.searcher.index.passages[local]
        return replace(passage, source=part.prefix + passage.source) if part.prefix else passage


class MergedView:
    """The read side of an index (passages, documents, by_source, document_of) over the
    parts of a scope, in the scope's ids and file names."""

    def __init__(self, parts: Sequence[Part]) -> None:
        self.parts = tuple(parts)
        self._starts = np.array([p.offset for p in self.parts], dtype=np.int64)
        self.size = sum(p.size for p in self.parts)
        self._records: dict[tuple[int, str], DocumentRecord] = {}
        self.documents: list[DocumentRecord] = []
        for n, part in enumerate(self.parts):
            for doc in part.searcher.index.documents:
                shifted = replace(
                    doc, source=part.prefix + doc.source, first=doc.first + part.offset
                )
                self._records[(n, doc.source)] = shifted
                if doc.source not in part.hidden:
                    self.documents.append(shifted)
        self.by_source = {d.source: d for d in self.documents}
        self.passages: Sequence[Passage] = _Passages(self)
        self._derived = Derived()  # made from the view on first use, as an index's are

    def derived(self, make: Callable[[MergedView], _T]) -> _T:
        """`make(self)`, made once (`IndexData.derived`)."""
        return self._derived.get(make, self)

    def part_index(self, passage_id: int) -> int:
        if not 0 <= passage_id < self.size:
            raise IndexError(passage_id)
        return int(np.searchsorted(self._starts, passage_id, side="right")) - 1

    def part_of(self, passage_id: int) -> tuple[Part, int]:
        """The part a scope id belongs to, and the id within that part."""
        part = self.parts[self.part_index(passage_id)]
        return part, passage_id - part.offset

    def document_of(self, passage_id: int) -> DocumentRecord:
        n = self.part_index(passage_id)
        part = self.parts[n]
        doc = part.searcher.index.document_of(passage_id - part.offset)
        return self._records[(n, doc.source)]

    def source_part(self, source: str) -> tuple[Part, str] | None:
        """The part holding the scope file `source`, and its own name for it; None for a
        file the scope does not show."""
        if source not in self.by_source:
            return None
        for part in sorted(self.parts, key=lambda p: -len(p.prefix)):
            if source.startswith(part.prefix):
                return part, source[len(part.prefix) :]
        return None


@dataclass
class ScopeSearcher:
    """Searches the parts of a scope as one index (see the module's docstring)."""

    parts: tuple[Part, ...]
    index: MergedView = field(init=False)

    def __post_init__(self) -> None:
        self.index = MergedView(self.parts)

    @classmethod
    def of(
        cls, base: Searcher, hidden: frozenset[str], *more: tuple[Searcher, str]
    ) -> ScopeSearcher:
        """The base (with the works `hidden` left out), then further indexes by prefix."""
        parts = [Part(base, 0, "", hidden)]
        offset = len(base.index.passages)
        for searcher, prefix in more:
            parts.append(Part(searcher, offset, prefix))
            offset += len(searcher.index.passages)
        return cls(tuple(parts))

    @property
    def base(self) -> Searcher:
        return self.parts[0].searcher

    @property
    def embeddings(self) -> QueryEmbeddings:
        return self.base.embeddings

    @property
    def build(self) -> str:
        return "+".join(p.searcher.build for p in self.parts)

    def prepare(self, raw_query: str) -> str:
        return self.base.prepare(raw_query)

    def allowed(self, filters: Filters) -> np.ndarray | None:
        """Scope ids the filters allow (None: all); NotFoundError as `Searcher.allowed`
        when no part has a work the filters name."""
        if not filters.names:
            return None
        ids: list[np.ndarray] = []
        missing: NotFoundError | None = None
        for part in self.parts:
            try:
                local = part.searcher.allowed(replace(filters, hidden=part.hidden))
            except NotFoundError as exc:
                missing = exc
                continue
            if local is not None:
                ids.append(local + part.offset)
        if not ids and missing is not None:
            raise missing
        return np.concatenate(ids) if ids else np.empty(0, dtype=np.int64)

    def search(self, raw_query: str, k: int = 5, filters: Filters | None = None) -> SearchResult:
        filters = filters or Filters()
        results: list[tuple[Part, SearchResult]] = []
        missing: NotFoundError | None = None
        anchored = self.anchored(self.prepare(raw_query))
        for part in self.parts:
            mine = replace(filters, hidden=part.hidden)
            try:
                results.append((part, part.searcher.search(raw_query, k, mine, anchored=anchored)))
            except NotFoundError as exc:
                missing = exc  # this part has no work the filters name; another may have
        if not results:
            assert missing is not None  # a scope has at least its base
            raise missing  # an author or title no part has, as for one index
        query = results[0][1].query
        good = self._merge([(p, r.hits) for p, r in results], k)
        weak = self._merge([(p, r.weak) for p, r in results], k)
        return SearchResult(query, good, weak, sum(r.searched_passages for _, r in results))

    def anchored(self, query: str) -> bool:
        """Whether the view holds a word of the (prepared) query. A word of any part (the
        base, the server's own texts) anchors it in every part: each part's search is
        floored as the whole view's would be, within one work too; a word only hidden
        works hold anchors nothing."""
        return any(part.searcher.anchored(query, part.hidden) for part in self.parts)

    def search_in(self, raw_query: str, source: str, k: int = 5) -> SearchResult:
        found = self.index.source_part(source)
        if found is None:
            raise WorkGone(source)
        part, own = found
        anchored = self.anchored(self.prepare(raw_query))
        result = part.searcher.search_in(raw_query, own, k, anchored=anchored)
        return replace(
            result,
            hits=[part.shift(h) for h in result.hits],
            weak=[part.shift(h) for h in result.weak],
        )

    def _merge(self, lists: list[tuple[Part, list[Hit]]], k: int) -> list[Hit]:
        """Each part's hits (best first) merged by score; one hit per identical text."""
        if len(lists) == 1:
            part, hits = lists[0]
            return [part.shift(h) for h in hits[:k]]
        merged = sorted(
            ((part, h) for part, hits in lists for h in hits), key=lambda ph: -ph[1].score
        )
        out: list[Hit] = []
        seen: set[str] = set()
        for part, hit in merged:
            text = part.searcher.index.passages[hit.passage_id].text  # the part's own: no copy
            if text in seen:
                continue
            seen.add(text)
            out.append(part.shift(hit))
            if len(out) >= k:
                break
        return out

    def highlight(
        self, query: str, hits: list[Hit], *, dense_limit: int | None = None, urgent: bool = True
    ) -> list[Hit]:
        out: list[Hit | None] = [None] * len(hits)
        for n, part in enumerate(self.parts):
            rows = [i for i, h in enumerate(hits) if self.index.part_index(h.passage_id) == n]
            if not rows:
                continue
            local = [part.local(hits[i]) for i in rows]
            done = part.searcher.highlight(query, local, dense_limit=dense_limit, urgent=urgent)
            for i, h in zip(rows, done, strict=True):
                out[i] = part.shift(h)
        return [h for h in out if h is not None]

    def known_best_sentence(self, query: str, passage_id: int) -> tuple[int, int] | None:
        part, local = self.index.part_of(passage_id)
        return part.searcher.known_best_sentence(query, local)

    def neighbours(self, passage_id: int, before: int = 1, after: int = 1) -> list[int]:
        part, local = self.index.part_of(passage_id)
        return [i + part.offset for i in part.searcher.neighbours(local, before, after)]

    def locate(self, build: str, passage_id: int, source: str, text: str) -> int | None:
        """The scope id of a passage seen in scope build `build` (None: gone or hidden)."""
        if build == self.build and 0 <= passage_id < self.index.size:
            shown = self.index.document_of(passage_id).source
            if shown == source and shown in self.index.by_source:
                return passage_id
        found = self.index.source_part(source)
        if found is None:
            return None
        part, own = found
        local = part.searcher.locate("", -1, own, text)  # by its text: ids may have moved
        return None if local is None else local + part.offset


Reader = Searcher | ScopeSearcher  # what a command reads: one index, or a server's scope
