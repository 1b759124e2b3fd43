"""Every message the bot sends or edits goes through here.

Two guarantees for the whole bot: nothing ever pings (allowed mentions off on each call, not
only by default), and a failed Discord call is logged, never raised into a handler, so one
expired token or refused request cannot take a command, or the bot, down with it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord

if TYPE_CHECKING:
    from bot.discord.pages import Later

log = logging.getLogger(__name__)

NO_PINGS = discord.AllowedMentions.none()


async def send(
    interaction: discord.Interaction,
    *,
    embeds: list[discord.Embed] | None = None,
    content: str | None = None,
    view: discord.ui.View | None = None,
    ephemeral: bool = False,
) -> discord.Message | None:
    """Answer the interaction: its first response, the "thinking…" placeholder of a
    deferral replaced, or a follow-up once it was answered.

    A placeholder keeps the visibility its deferral chose (Discord cannot change it), so
    `ephemeral` only applies to a first response or a follow-up, or to a public
    placeholder: deleted, it is followed by the answer, privately. Returns the message when
    Discord says which it is (needed to expire a view later)."""
    kwargs: dict[str, Any] = {"allowed_mentions": NO_PINGS}
    if embeds:
        kwargs["embeds"] = embeds
    if content:
        kwargs["content"] = content
    if view is not None:
        kwargs["view"] = view
    try:
        if _placeholder_open(interaction):
            # Discord's route for this is Edit Original Interaction Response; a follow-up
            # that replaces the placeholder is deprecated (and ignores `ephemeral`).
            interaction.extras[_PLACEHOLDER_DONE] = True
            if ephemeral and interaction.extras.get(_PLACEHOLDER_PUBLIC, False):
                # Edited, it would tell the channel what the asker alone is told (a mistake
                # of a command deferred while its server was read: bot/discord/warm.py).
                await interaction.delete_original_response()
                return await interaction.followup.send(wait=True, ephemeral=True, **kwargs)
            return await interaction.edit_original_response(**kwargs)
        kwargs["ephemeral"] = ephemeral
        if interaction.response.is_done():
            return await interaction.followup.send(wait=True, **kwargs)
        response = await interaction.response.send_message(**kwargs)
        resource = response.resource
        return resource if isinstance(resource, discord.Message) else None
    except discord.HTTPException as exc:
        _failed("send", interaction, exc)
        return None


_PLACEHOLDER_DONE = "quotebot.placeholder_done"  # in `Interaction.extras`
_PLACEHOLDER_PUBLIC = "quotebot.placeholder_public"  # in `Interaction.extras`: deferred so


def _placeholder_open(interaction: discord.Interaction) -> bool:
    """Deferred with "thinking…", and nothing has replaced the placeholder yet."""
    deferred = interaction.response.type == discord.InteractionResponseType.deferred_channel_message
    return deferred and not interaction.extras.get(_PLACEHOLDER_DONE, False)


async def edit_original(
    interaction: discord.Interaction,
    *,
    embeds: list[discord.Embed],
    view: discord.ui.View | None = None,
) -> discord.Message | None:
    """Replace the interaction's first message (a deferral's placeholder or a reply)."""
    interaction.extras[_PLACEHOLDER_DONE] = True
    try:
        return await interaction.edit_original_response(
            embeds=embeds, view=view, allowed_mentions=NO_PINGS
        )
    except discord.HTTPException as exc:
        _failed("edit", interaction, exc)
        return None


async def update(
    interaction: discord.Interaction,
    *,
    embeds: list[discord.Embed] | None = None,
    view: discord.ui.View | None = None,
) -> bool:
    """Answer a button click by changing the message it is on; False if Discord refused."""
    kwargs: dict[str, Any] = {"allowed_mentions": NO_PINGS, "view": view}
    if embeds is not None:
        kwargs["embeds"] = embeds
    try:
        await interaction.response.edit_message(**kwargs)
        return True
    except discord.HTTPException as exc:
        _failed("update", interaction, exc)
        return False


async def defer(interaction: discord.Interaction, *, ephemeral: bool = False) -> bool:
    """Acknowledge now ("thinking…") and answer later; False if Discord refused it. Deferred
    already (while its server was read: bot/discord/warm.py), it stays as it was."""
    if _placeholder_open(interaction):
        return True
    try:
        await interaction.response.defer(thinking=True, ephemeral=ephemeral)
        interaction.extras[_PLACEHOLDER_PUBLIC] = not ephemeral
        return True
    except discord.HTTPException as exc:
        _failed("defer", interaction, exc)
        return False


def _failed(what: str, interaction: discord.Interaction, exc: discord.HTTPException) -> None:
    name = interaction.command.qualified_name if interaction.command else "component"
    log.warning(
        "could not %s for %s (interaction %s): %s %s",
        what,
        name,
        interaction.id,
        exc.status,
        exc.text,
    )


async def edit_later(
    later: Later,
    client: discord.Client,
    *,
    view: discord.ui.View,
    embeds: list[discord.Embed] | None = None,
) -> None:
    """Change the buttons (e.g. to disable them) or the embeds of a message sent earlier,
    through its interaction's webhook (as long as the token lasts: 15 minutes)."""
    kwargs: dict[str, Any] = {"allowed_mentions": NO_PINGS, "view": view}
    if embeds is not None:
        kwargs["embeds"] = embeds
    try:
        # discord.py types the id as an int; Discord's route also takes "@original".
        await later.webhook(client).edit_message(later.message_id, **kwargs)  # type: ignore[arg-type]
    except discord.HTTPException as exc:
        log.warning("could not edit message %s: %s %s", later.message_id, exc.status, exc.text)
