"""Where a request reads: the whole corpus (the console and the CLI, unless given a
collection) or one server's view of it (the base less what it hides, plus its own texts).
The core reads whichever it is given and cannot tell; a name it does not find is worded
by where the request came from."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING, Literal

from embeddings.errors import NoMatch, NoWorkMatching, QuotebotError

if TYPE_CHECKING:
    from bot.app import App
    from bot.live import Live

Where = Literal["corpus", "server"]


def where(guild: int | None) -> Where:
    return "corpus" if guild is None else "server"


@contextmanager
def names_missing_from(guild: int | None) -> Iterator[None]:
    """A work or author the core did not find is missing from "this server's corpus" when
    the request came from a server, and from "the corpus" otherwise."""
    try:
        yield
    except (NoMatch, NoWorkMatching) as missing:
        if missing.where == where(guild):
            raise
        raise replace(missing, where=where(guild)) from None


class NothingToRead(QuotebotError):
    """A server whose view holds no work: it hid every base work it had left, and the
    owners have since removed the last one it showed (it has no texts of its own)."""


NOTHING_TO_READ = (
    "This server reads no work now: it hides every work of the shared corpus and has no "
    "texts of its own. An admin can show one again (/corpus unhide) or add one "
    "(/corpus add)."
)


OWN_TEXTS_UNREADABLE = (
    "This server reads no work now: it hides every work of the shared corpus, and its own "
    "texts cannot be searched until a /reindex succeeds. An admin can run /reindex, or "
    "show a base work again (/corpus unhide)."
)


def reading(app: App, guild: int | None) -> Live:
    """What a request reads (`App.live_for`), or NothingToRead for a server that reads no
    work: its questions would all be "no good match", which says the wrong thing."""
    live = app.live_for(guild)
    if guild is not None and not live.searcher.index.documents:
        own = app.collections.folder(guild).is_dir() and app.collections.of(guild).has_works()
        raise NothingToRead(OWN_TEXTS_UNREADABLE if own else NOTHING_TO_READ)
    return live
