"""Assertions on what users read: the sentence `bot/messages.py` makes of an error."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from bot.messages import describe
from embeddings.errors import QuotebotError


@contextmanager
def raises_saying(
    kind: type[QuotebotError], pattern: str
) -> Iterator[pytest.ExceptionInfo[QuotebotError]]:
    """Like `pytest.raises(kind, match=pattern)`, matched against the error's wording."""
    with pytest.raises(kind) as caught:
        yield caught
    said = describe(caught.value)
    assert re.search(pattern, said), f"{pattern!r} not in {said!r}"
