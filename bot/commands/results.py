"""The plain result types every command returns, and how a passage becomes one."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from embeddings.explain import passage_ref
from embeddings.hits import with_its_definition
from embeddings.passages import heading_path, locator_ends, locator_range
from embeddings.scope import Reader
from embeddings.search import Hit, result_text


@dataclass(frozen=True)
class Quote:
    """One verbatim passage with its citation."""

    passage_id: int
    text: str
    author: str
    title: str
    section: str
    date: str
    url: str
    source: str
    locator: str = ""
    kind: str = "text"
    score: float = 0.0
    cosine: float = 0.0
    bm25: float = 0.0
    highlight: tuple[int, int] | None = None
    label: str = ""  # e.g. "definition", "usage", "footnote"
    build: str = ""  # the index build the passage id belongs to
    settled: bool = True  # False: the highlight is a guess to check before showing it
    ref: str = ""  # a stable reference to the passage (embeddings/explain.py PassageRef)
    # A window of consecutive passages (verses, lines): their first and last ids, and the
    # text of `passage_id`'s own passage (to find it again after a rebuild).
    window: tuple[int, int] | None = None
    passage_text: str = ""

    @property
    def highlighted(self) -> str:
        return self.text[self.highlight[0] : self.highlight[1]] if self.highlight else ""

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "author": self.author,
            "title": self.title,
            "section": self.section,
            "date": self.date,
            "url": self.url,
            "source": self.source,
            "locator": self.locator,
            "kind": self.kind,
            "score": round(self.score, 6),
            "cosine": round(self.cosine, 4),
            "bm25": round(self.bm25, 4),
            "highlight": self.highlighted,
            "passage_id": self.passage_id,
            **({"ref": self.ref} if self.ref else {}),
            **({"label": self.label} if self.label else {}),
        }


@dataclass(frozen=True)
class Answer:
    """What a search command returns: quotes, or a notice saying why there are none."""

    query: str
    quotes: list[Quote]
    notice: str = ""
    weak: list[Quote] = field(default_factory=list)  # below the relevance floor
    suggestions: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"query": self.query, "results": [q.to_json() for q in self.quotes]}
        if self.notice:
            out["notice"] = self.notice
        if self.weak:
            # Apart from "results", as text shows them: the closest passages, none good.
            out["weak"] = [q.to_json() for q in self.weak]
        if self.suggestions:
            out["suggestions"] = self.suggestions
        return out


def quote_from(searcher: Reader, hit: Hit, label: str = "") -> Quote:
    index = searcher.index
    hit = with_its_definition(index, hit)
    passage = index.passages[hit.passage_id]
    doc = index.document_of(hit.passage_id)
    section = heading_path(passage)
    if passage.kind == "footnote" and passage.note_id:
        # The mark is not in the note's text: without it, "Footnotes" names no note.
        section = f"{section}, note {passage.note_id}" if section else f"note {passage.note_id}"
    locator = passage.locator
    if hit.window is not None:
        first, last = (index.passages[i] for i in hit.window)
        locator = locator_range(locator_ends(first.locator)[0], locator_ends(last.locator)[1])
    if locator and locator not in section:
        section = f"{section} {locator}".strip()
    return Quote(
        passage_id=hit.passage_id,
        text=result_text(index, hit),
        author=doc.meta.author,
        title=doc.meta.title,
        section=section,
        date=doc.meta.date,
        url=doc.meta.url,
        source=doc.source,
        locator=locator,
        kind=passage.kind,
        score=hit.score,
        cosine=hit.cosine,
        bm25=hit.bm25,
        highlight=hit.highlight,
        label=label,
        build=searcher.build,
        settled=hit.settled,
        ref=passage_ref(passage),
        window=hit.window,
        passage_text=passage.text if hit.window is not None else "",
    )


def plain_quote(searcher: Reader, passage_id: int, label: str = "") -> Quote:
    return quote_from(searcher, Hit(passage_id, 0.0, 0.0, 0.0), label)
