"""What admins must know about the index in use, added to the answers they already read.

When the current build is damaged, `IndexService` serves the last intact one and keeps a
warning; when the configured model cannot be loaded, `App` runs on MiniLM and says why; a
server collection that cannot be loaded at all leaves its server reading the
base alone. Nobody reads the server log in a Discord server, so admins see those warnings
on /source (and /reindex shows them after a build): the base's to the bot's owners, a
server's own to that server's admins. Other members are not bothered with them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import partial

from bot.app import App
from bot.cards import Card, Field, clip
from bot.discord import audience
from bot.discord.base import Interaction
from bot.discord.checks import is_admin, is_owner, server_of
from bot.messages import describe
from embeddings.errors import QuotebotError

WARNING_TITLE = "⚠ Index warning (admins only)"
COLLECTION_BROKEN = (
    "This server's own texts cannot be searched now ({reason}); answers come from the base "
    "corpus alone until a /reindex succeeds."
)


def index_warning(
    app: App,
    guild: int | None = None,
    *,
    base: bool = True,
    told: Callable[[QuotebotError], str] = describe,
) -> Field | None:
    """The warnings about the base and the model (when `base`) and about `guild`'s own
    collection, each error as `told` words it (a server's admins read no host folder, and
    what only the owners can mend is said to be theirs)."""
    warnings = [app.model_warning, app.index.warning] if base else []
    if guild is not None and app.collections.folder(guild).is_dir():
        own = app.collections.of(guild)
        if own.broken is not None:
            warnings.append(COLLECTION_BROKEN.format(reason=told(own.broken)))
        elif own.service.loaded and own.service.trouble is not None:
            warnings.append(own.service.trouble.said(told))
    text = " ".join(w for w in warnings if w)
    return Field(WARNING_TITLE, clip(text, 1000), inline=False) if text else None


def for_admins(interaction: Interaction, app: App, card: Card) -> Card:
    """The card, with the index warnings at its end when there are any and an admin asks:
    the base's for an owner, this server's for its admins."""
    if not is_admin(interaction, app.settings.admin_ids):
        return card
    owner = is_owner(interaction, app.settings.admin_ids)
    field = index_warning(
        app,
        server_of(interaction),
        base=owner,
        told=partial(audience.told, interaction),
    )
    return card if field is None else replace(card, fields=(*card.fields, field))
