"""What admins must know about the index in use, added to the answers they already read.

When the current build is damaged, `IndexService` serves the last intact one and keeps a
warning. Nobody reads the server log in a Discord server, so admins see that warning on
/source (and /reindex shows it after a build); other members are not bothered with it.
"""

from __future__ import annotations

from dataclasses import replace

import discord

from bot.app import App
from bot.cards import Card, Field
from bot.discord.checks import is_admin

WARNING_TITLE = "⚠ Index warning (admins only)"


def index_warning(app: App) -> Field | None:
    warning = app.index.warning
    return Field(WARNING_TITLE, warning, inline=False) if warning else None


def for_admins(interaction: discord.Interaction, app: App, card: Card) -> Card:
    """The card, with the index warning at its end when there is one and an admin asks."""
    field = index_warning(app)
    if field is None or not is_admin(interaction, app.settings.admin_ids):
        return card
    return replace(card, fields=(*card.fields, field))
