"""/source: the works in the corpus and their details.

Files that share a title and author (the 66 books of one Bible) are one work.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from bot.app import App
from bot.commands.scoped import reading, where
from embeddings.documents import folded, names
from embeddings.errors import NoMatch
from embeddings.store import DocumentRecord


@dataclass(frozen=True)
class Work:
    title: str
    author: str
    date: str
    url: str
    passages: int
    files: tuple[str, ...]
    sections: tuple[str, ...]

    @property
    def key(self) -> str:
        return self.title or self.files[0]

    def to_json(self) -> dict[str, Any]:
        # Every field, in order; the tuples as JSON's lists.
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


def works(app: App, *, guild: int | None = None) -> list[Work]:
    """The works a server reads (the base less what it hid, plus its own); a DM: the base.
    NothingToRead for a server that reads none."""
    return works_of(reading(app, guild).searcher.index.documents)


def works_of(documents: Iterable[DocumentRecord]) -> list[Work]:
    groups: dict[tuple[str, str], list[DocumentRecord]] = {}
    for doc in documents:
        groups.setdefault(doc.work, []).append(doc)
    out = []
    for docs in groups.values():
        first = docs[0]
        sections: dict[str, None] = {}
        for d in docs:
            for s in d.sections:
                sections.setdefault(s, None)
        out.append(
            Work(
                title=first.meta.title,
                author=first.meta.author,
                date=first.meta.date,
                url=first.meta.url,
                passages=sum(d.count for d in docs),
                files=tuple(d.source for d in docs),
                sections=tuple(sections),
            )
        )
    return sorted(out, key=lambda w: w.title.casefold())


def find(app: App, name: str, *, guild: int | None = None) -> list[Work]:
    """Works whose title or author `name` names (`documents.names`: a part of it, or its
    words in any order), or whose file name holds it; the exact title first."""
    needle = folded(name)
    everything = works(app, guild=guild)
    if not needle:
        return everything
    found = [
        w
        for w in everything
        if names(name, w.title)
        or names(name, w.author)
        or any(needle in folded(f) for f in w.files)
    ]
    if not found:
        raise NoMatch(name.strip(), where=where(guild))
    found.sort(key=lambda w: (folded(w.title) != needle, w.title.casefold()))
    return found


def complete(app: App, prefix: str, limit: int = 25, *, guild: int | None = None) -> list[str]:
    """Work titles for autocomplete: prefix matches first, then substring matches."""
    # Not `works`: a server that reads nothing is offered nothing, not told so per key.
    return complete_from(works_of(app.live_for(guild).searcher.index.documents), prefix, limit)


def complete_from(everything: list[Work], prefix: str, limit: int = 25) -> list[str]:
    """Titles that start with `prefix`, then titles holding it, then the works whose
    author or file name holds it (the options take those too: "Draper", ".md")."""
    needle = folded(prefix)
    titles = [w.key for w in everything]
    starts = [t for t in titles if folded(t).startswith(needle)]
    inside = [t for t in titles if needle in folded(t) and t not in starts]
    found = starts + inside
    by_other = [
        w.key
        for w in everything
        if w.key not in found
        and (needle in folded(w.author) or any(needle in folded(f) for f in w.files))
    ]
    # Last, what names a work by its words in another order or spelling ("devils
    # dictionary"), as the options' filters read it.
    by_words = [
        w.key
        for w in everything
        if w.key not in found
        and w.key not in by_other
        and (names(prefix, w.title) or names(prefix, w.author))
    ]
    return (found + by_other + by_words)[:limit]
