"""Autocomplete: suggestions as Discord choices, and a bounded wait for them.

Discord takes at most 25 choices, names and values of at most 100 characters, and an
autocomplete answer cannot be deferred: it is now (within 3 s) or never. So whatever goes
wrong (a user over the rate limit, a failing or slow lookup) the answer is an empty list,
at once. What the user typed is cut to MAX_CHARS first: no title or term is longer, and a
6,000-character prefix would only make the fuzzy matching slow.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Iterable
from typing import Protocol

from discord import app_commands

from bot.app import App
from bot.cards import clip, whole_cut
from bot.discord.base import Interaction
from bot.discord.checks import server_of

log = logging.getLogger(__name__)

MAX_CHOICES = 25
MAX_CHARS = 100
DEADLINE = 2.0  # seconds: leaves time to deliver the answer within Discord's 3


class Completion(Protocol):
    """A lookup of names (works, terms) that one server's users may be offered."""

    def __call__(self, app: App, prefix: str, *, guild: int | None) -> list[str]: ...


def choices(values: Iterable[str]) -> list[app_commands.Choice[str]]:
    """At most 25 distinct choices; long names end with "…" and long values are cut (a
    prefix of a title or term still finds it: lookups match substrings)."""
    out: list[app_commands.Choice[str]] = []
    seen: set[str] = set()
    for raw in values:
        text = " ".join(raw.split())  # no line breaks in a choice
        value = text[: whole_cut(text, MAX_CHARS)]
        if not value or value in seen:
            continue
        seen.add(value)
        name = clip(text, MAX_CHARS)  # between words, as every text a reader reads
        out.append(app_commands.Choice(name=name, value=value))
        if len(out) == MAX_CHOICES:
            break
    return out


# Zero-width and bidirectional controls: invisible, never part of a title or a term.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\u00ad]")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def typed(current: str) -> str:
    """What the user typed, as a lookup prefix: visible characters only, at most MAX_CHARS."""
    text = _CONTROL.sub(" ", _INVISIBLE.sub("", current[: MAX_CHARS * 4]))
    return " ".join(text.split())[:MAX_CHARS]


async def suggest(
    interaction: Interaction, complete: Callable[[str], list[str]], current: str
) -> list[app_commands.Choice[str]]:
    """Run a completion function off the event loop; nothing rather than a late answer,
    and nothing for a user or server over its autocomplete rate limit."""
    if not interaction.client.limits.allow_autocomplete(interaction.user.id, interaction.guild_id):
        return []
    prefix = typed(current)
    try:
        found = await asyncio.wait_for(asyncio.to_thread(complete, prefix), DEADLINE)
    except TimeoutError:
        log.warning("autocomplete for %r took longer than %s s", prefix[:50], DEADLINE)
        return []
    except Exception:
        log.exception("autocomplete failed for %r", prefix[:50])
        return []
    return choices(found)


async def suggest_here(
    interaction: Interaction, complete: Completion, current: str
) -> list[app_commands.Choice[str]]:
    """`suggest` for a lookup in what the interaction's server may read."""
    app, guild = interaction.client.app, server_of(interaction)
    return await suggest(interaction, lambda prefix: complete(app, prefix, guild=guild), current)
