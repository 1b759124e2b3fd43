"""The result pager: one quote per page, with Previous / Next, Context, Cite, More from this
source and Explain. Only the person who asked can use it, except Explain, which anyone may
press (bot/discord/explain.py answers it, privately, even after a restart); it expires
`view_timeout_seconds` after its page was last shown and then disables its buttons but
Explain, so nobody clicks a button that no longer answers. A click that comes after all
(the bot restarted, or Discord had not yet shown the expiry) is told the results expired.

No view is kept per answer: the buttons go out as components of a stopped view (which
discord.py does not store), every click reaches `PagerButton`, registered once for the bot,
and the page is looked up by message id in the bot's `PagerStore` (bot/discord/pages.py,
which says why).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, TypeVar

import discord

from bot.app import App
from bot.cards import answer_cards, citation_card, context_card, match_words, quote_card
from bot.commands.quote import context, more_from_source, settle
from bot.commands.results import Answer, Quote
from bot.discord import errors, render, replies
from bot.discord.base import bot_of
from bot.discord.checks import server_of
from bot.discord.dynamic import FromCustomId, counted_click
from bot.discord.explain import custom_id as explain_id
from bot.discord.pages import Later, Pages
from bot.discord.warm import read_ahead

log = logging.getLogger(__name__)

T = TypeVar("T")

NOT_YOURS = "Only the person who asked can use these buttons; Explain is open to everyone."
EXPIRED = "These results have expired: ask again to page through them."

PREFIX = "pager:"
# (action, label, emoji): the pager's own buttons, in the order they are shown.
BUTTONS = (
    ("previous", "Previous", "◀️"),
    ("next", "Next", "▶️"),
    ("context", "Context", None),
    ("cite", "Cite", None),
    ("more", "More from this source", None),
)


def page_embed(pages: Pages) -> discord.Embed:
    # Built when shown: most people never page past the first quote.
    word = match_words(pages.quotes)[pages.page]
    card = quote_card(pages.current, pages.page + 1, len(pages.quotes), pages.notice, word)
    return render.embed(card)


def pager_view(pages: Pages, *, expired: bool = False) -> discord.ui.View:
    """The buttons for the page shown. Stopped before it is sent: its components go out,
    but discord.py keeps no stopped view, and its clicks reach `PagerButton`."""
    view = discord.ui.View(timeout=None)
    first, last = pages.page == 0, pages.page >= len(pages.quotes) - 1
    for action, label, emoji in BUTTONS:
        off = expired or (action == "previous" and first) or (action == "next" and last)
        view.add_item(
            discord.ui.Button(label=label, emoji=emoji, custom_id=PREFIX + action, disabled=off)
        )
    # Explain stays when the rest expire: the bot answers it whenever it is pressed.
    view.add_item(discord.ui.Button(label="Explain", custom_id=explain_id(pages.current.ref)))
    view.stop()
    return view


async def expire(client: discord.Client, pages: Pages) -> None:
    """The pager's time is up: its buttons but Explain are disabled on the message."""
    pages.expired = True
    if pages.later is not None:
        await replies.edit_later(pages.later, client, view=pager_view(pages, expired=True))


class PagerButton(
    FromCustomId,
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=re.escape(PREFIX) + "(?P<action>" + "|".join(a for a, _, _ in BUTTONS) + ")",
):
    """Every pager button of every message: the page is found by the message's id."""

    def __init__(self, action: str) -> None:
        super().__init__(discord.ui.Button(custom_id=PREFIX + action))
        self.action = action
        self.pages: Pages | None = None

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if not await counted_click(interaction):  # a stranger's click counts too
            return False
        bot = bot_of(interaction)
        message = interaction.message
        pages = bot.pagers.get(message.id) if message is not None else None
        if pages is None:
            await replies.send(interaction, content=EXPIRED, ephemeral=True)
            return False
        if interaction.user.id != pages.owner_id:
            await replies.send(interaction, content=NOT_YOURS, ephemeral=True)
            return False
        self.pages = pages
        # More from this source searches the server. No longer than a search waits: its
        # work runs in threads, which wait for the read there.
        await read_ahead(interaction, wait=bot.app.settings.defer_after_seconds)
        return True

    async def callback(self, interaction: discord.Interaction) -> None:
        pages = self.pages
        if pages is None:  # interaction_check refused it
            return
        app = bot_of(interaction).app
        try:
            if self.action in ("previous", "next"):
                await _turn(interaction, app, pages, -1 if self.action == "previous" else 1)
            elif self.action == "context":
                await _privately(
                    interaction, pages, partial(context, app, guild=pages.guild), _send_context
                )
            elif self.action == "cite":
                card = citation_card(pages.current)
                await replies.send(interaction, embeds=[render.embed(card)], ephemeral=True)
            else:
                await _privately(
                    interaction,
                    pages,
                    # As many as the pager holds, none of those it holds.
                    partial(
                        more_from_source,
                        app,
                        pages.query,
                        count=len(pages.quotes),
                        shown=tuple(pages.quotes),
                        guild=pages.guild,
                    ),
                    lambda clicked, answer: show_answer(
                        clicked, app, pages.query, answer, ephemeral=True
                    ),
                )
        except Exception as exc:  # a dynamic item's errors are only logged by discord.py
            await errors.report(interaction, exc)


async def _turn(interaction: discord.Interaction, app: App, pages: Pages, step: int) -> None:
    shown = pages.page
    page = max(0, min(len(pages.quotes) - 1, shown + step))
    pages.page = page  # now: a second quick click counts from this page
    guess = pages.quotes[page]
    settling: asyncio.Future[Quote] | None = None
    if not guess.settled:
        # The best sentence settled now that it is shown, if the model answers in time;
        # if not, the page shows its lexical guess at once (a click unanswered within
        # 3 s fails) and the model's choice is edited in later, as for a first answer.
        settling = asyncio.ensure_future(
            asyncio.to_thread(partial(settle, app, pages.query, guess, guild=pages.guild))
        )
        await asyncio.wait({settling}, timeout=app.settings.defer_after_seconds)
        if settling.done():
            if settling.exception() is None:
                pages.quotes[page] = settling.result()
            else:
                log.info("could not settle the best sentence: %s", settling.exception())
            settling = None
    if settling is not None:  # this page's, whatever other clicks do meanwhile
        _refine_in_background(interaction.client, app, pages, settling, page=page)
    # The pager may have expired while the page settled: its buttons stay disabled.
    was_expired = pages.expired
    view = pager_view(pages, expired=was_expired)
    if not await replies.update(interaction, embeds=[page_embed(pages)], view=view):
        if pages.page == page:  # no later click moved it: the message still shows `shown`
            pages.page = shown
        return
    # The click's token now edits the message at expiry (a token lasts 15 minutes), and
    # the pager's timeout starts again with it.
    pages.later = Later.of(interaction)
    if pages.expired:
        if not was_expired:  # it expired while this page was on its way: disable them now
            await replies.edit_later(
                pages.later, interaction.client, view=pager_view(pages, expired=True)
            )
        return
    if interaction.message is not None:
        bot_of(interaction).pagers.renew(interaction.message.id)


async def _privately(
    interaction: discord.Interaction,
    pages: Pages,
    look_up: Callable[[Quote], T],
    show: Callable[[discord.Interaction, T], Awaitable[None]],
) -> None:
    """A lookup about the current quote, shown to the clicker alone: acknowledged
    privately first, then run off the event loop (it may take a while)."""
    quote = pages.current
    if not await replies.defer(interaction, ephemeral=True):
        return
    await show(interaction, await asyncio.to_thread(look_up, quote))


def _refine_in_background(
    client: discord.Client,
    app: App,
    pages: Pages,
    settling: Awaitable[Quote] | None = None,
    *,
    page: int | None = None,
) -> None:
    """Let the model settle the best sentence of `page` (the one shown) after the answer
    is out, behind every query waiting for the model (or take the `settling` already under
    way), and edit it in if it picks another while that page is shown."""
    page = pages.page if page is None else page
    guess = pages.quotes[page]
    if not guess.settled:
        refine = _refine(client, app, pages, page, guess, settling)
        task = asyncio.get_running_loop().create_task(refine)
        pages.refining = task
        task.add_done_callback(lambda done: _forget(pages, done))


def _forget(pages: Pages, task: asyncio.Task[None]) -> None:
    if pages.refining is task:  # not a later page's refinement, still running
        pages.refining = None


async def _refine(
    client: discord.Client,
    app: App,
    pages: Pages,
    page: int,
    guess: Quote,
    settling: Awaitable[Quote] | None = None,
) -> None:
    if settling is None:
        settling = asyncio.to_thread(
            partial(settle, app, pages.query, guess, urgent=False, guild=pages.guild)
        )
    try:
        quote = await settling
    except Exception as exc:  # the answer stands, with its lexical guess
        log.info("could not settle the best sentence for %r: %s", pages.query, exc)
        return
    if pages.quotes[page] is not guess:  # a page turn settled it meanwhile
        return
    pages.quotes[page] = quote
    if pages.page != page or quote.highlight == guess.highlight:
        return
    # An edit through a webhook can reach Discord after a page turn answered meanwhile
    # (a 429 waited out, any delay): it would put back the page it was made for. So the
    # page shown is edited again until no turn came while the edit was on its way.
    while not pages.expired and pages.later is not None:
        edited = pages.page
        embeds, view = [page_embed(pages)], pager_view(pages)
        await replies.edit_later(pages.later, client, embeds=embeds, view=view)
        if pages.page == edited:
            return


async def _send_context(interaction: discord.Interaction, quotes: list[Quote]) -> None:
    # context() leaves the passage itself unlabelled and labels its neighbours.
    focus = next((q.passage_id for q in quotes if not q.label), quotes[0].passage_id)
    card = context_card(quotes, focus)
    await replies.send(interaction, embeds=[render.embed(card)], ephemeral=True)


async def show_answer(
    interaction: discord.Interaction, app: App, query: str, answer: Answer, *, ephemeral: bool
) -> None:
    """The answer to a search: a pager over its quotes, or the notice saying why none."""
    if not answer.quotes:
        cards = render.embeds(answer_cards(answer))
        await replies.send(interaction, embeds=cards, ephemeral=ephemeral)
        return
    pages = Pages(
        interaction.user.id, server_of(interaction), query, list(answer.quotes), answer.notice
    )
    message = await replies.send(
        interaction, embeds=[page_embed(pages)], view=pager_view(pages), ephemeral=ephemeral
    )
    if message is None:
        return  # nothing to page: Discord refused the message
    pages.later = Later.of(interaction, message)
    bot = bot_of(interaction)
    bot.pagers.add(message.id, pages)
    _refine_in_background(bot, app, pages)
