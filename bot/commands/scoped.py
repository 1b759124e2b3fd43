"""Where a request reads: the whole corpus (the console and the CLI, unless given a
collection) or one server's view of it (the base less what it hides, plus its own texts).
The core reads whichever it is given and cannot tell; a name it does not find is worded
by where the request came from."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Literal

from embeddings.errors import NoMatch, NoWorkMatching

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
