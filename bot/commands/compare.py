"""/compare: one question answered side by side, the best passage of each work (or author).

The request is checked before any search (`check`), so a front end can refuse a bad one
privately before it shows a public "thinking…": one work, too many, or a work this server
does not have.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

from bot.app import App
from bot.commands.results import Quote, quote_from
from bot.commands.scoped import names_missing_from, reading, where
from embeddings import explain as core
from embeddings.errors import BadComparison, NoMatch, NotFoundError
from embeddings.search import Hit

BY = ("work", "author")


@dataclass(frozen=True)
class CompareRequest:
    query: str
    works: tuple[str, ...] = ()  # titles (or authors, by author); empty: every work
    by: str = "work"
    guild: int | None = None


@dataclass(frozen=True)
class Row:
    name: str  # the work (or author)
    quote: Quote | None  # None: nothing in it above the relevance floor

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "result": self.quote.to_json() if self.quote else None}


@dataclass(frozen=True)
class Comparison:
    query: str
    by: str
    rows: list[Row] = field(default_factory=list)

    @property
    def notice(self) -> str:
        return "" if self.rows else f"No work has a good match for “{self.query}”."

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "query": self.query,
            "by": self.by,
            "results": [r.to_json() for r in self.rows],
        }
        if self.notice:
            out["notice"] = self.notice
        return out


def split_works(text: str) -> tuple[str, ...]:
    """Works as typed in one option: separated by semicolons, or by commas when there is
    no semicolon (a title may hold a comma: autocomplete joins titles with "; ")."""
    sep = ";" if ";" in text else ","
    return tuple(w.strip() for w in text.split(sep) if w.strip())


def check(app: App, request: CompareRequest) -> None:
    """QueryError / NotFoundError for a request that cannot be compared (no search)."""
    if request.by not in BY:
        raise BadComparison("by")
    reader = reading(app, request.guild).searcher
    reader.prepare(request.query)
    names = list(dict.fromkeys(request.works))
    if len(names) == 1:
        raise BadComparison("one_work")
    if len(names) > core.MAX_SIDES:
        raise BadComparison("too_many", core.MAX_SIDES)
    named: set[bytes] = set()  # the passages each name keeps to: two names, one work
    for name in names:
        try:
            kept = reader.allowed(core.side_filters(reader.index, name, request.by))
        except NotFoundError:
            kind: Literal["work", "author"] = "author" if request.by == "author" else "work"
            raise NoMatch(name, kind, where(request.guild)) from None
        named.add(b"" if kept is None else kept.tobytes())
    if names and len(named) == 1:  # "manifesto" and "Communist Manifesto"
        raise BadComparison("one_work")


def compare(app: App, request: CompareRequest) -> Comparison:
    check(app, request)
    reader = app.live_for(request.guild).searcher
    with names_missing_from(request.guild):
        found = core.compare(reader, request.query, request.works, by=request.by)
    rows = [Row(s.name, quote_from(reader, s.hit) if s.hit else None) for s in found.sides]
    if rows:
        shown = [r.quote for r in rows if r.quote is not None]
        hits = reader.highlight(
            found.query, [Hit(q.passage_id, q.score, q.cosine, q.bm25) for q in shown]
        )
        marked = iter(hits)
        rows = [
            Row(r.name, replace(r.quote, highlight=next(marked).highlight) if r.quote else None)
            for r in rows
        ]
    return Comparison(found.query, request.by, rows)
