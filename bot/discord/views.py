"""The result pager: one quote per page, with Previous / Next, Context, Cite, More from this
source and Explain. Only the person who asked can use it, except Explain, which anyone may
press (bot/discord/explain.py answers it, privately, even after a restart); it expires after
`view_timeout_seconds` and then disables its buttons but Explain, so nobody clicks a button
that no longer answers."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, TypeVar

import discord

from bot.app import App
from bot.cards import answer_cards, citation_card, context_card, quote_card
from bot.commands.quote import context, more_from_source, settle
from bot.commands.results import Answer, Quote
from bot.discord import errors, render, replies
from bot.discord.base import Interaction, bot_of
from bot.discord.checks import server_of
from bot.discord.explain import PREFIX as EXPLAIN_PREFIX
from bot.discord.explain import custom_id as explain_id
from bot.discord.limits import RateLimited

log = logging.getLogger(__name__)

T = TypeVar("T")

NOT_YOURS = "Only the person who asked can page these results."


class ResultPager(discord.ui.View):
    def __init__(
        self, app: App, owner_id: int, query: str, answer: Answer, guild: int | None = None
    ) -> None:
        super().__init__(timeout=app.settings.view_timeout_seconds)
        self.app = app
        self.guild = guild  # the server whose texts the answer came from
        self.owner_id = owner_id
        self.query = query
        self.quotes = list(answer.quotes)
        self.notice = answer.notice  # /define's "nothing defines X" goes on every page
        self.page = 0
        self.message: discord.Message | None = None
        self._refining: asyncio.Task[None] | None = None  # held: the loop keeps weak refs
        # Answered by the bot's ExplainButton listener, not by this view (see the module).
        self.explain_button: discord.ui.Button[ResultPager] = discord.ui.Button(
            label="Explain", custom_id=explain_id(self.current.ref)
        )
        self.add_item(self.explain_button)
        self._update_buttons()

    @property
    def current(self) -> Quote:
        return self.quotes[self.page]

    def embed(self) -> discord.Embed:
        # Built when shown: most people never page past the first quote.
        card = quote_card(self.current, self.page + 1, len(self.quotes), self.notice)
        return render.embed(card)

    def _update_buttons(self) -> None:
        self.previous_page.disabled = self.page == 0
        self.next_page.disabled = self.page >= len(self.quotes) - 1
        self.explain_button.custom_id = explain_id(self.current.ref)

    async def attach(self, message: discord.Message | None) -> None:
        """Remember the message the pager is on, to disable its buttons at the timeout."""
        self.message = message
        if self.is_finished():  # timed out before the message existed
            await self.on_timeout()

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        data: dict[str, Any] = dict(interaction.data or {})
        if str(data.get("custom_id", "")).startswith(EXPLAIN_PREFIX):
            return False  # anyone's, and answered by the ExplainButton listener
        # Every click counts against the clicker's and the server's limits, a stranger's
        # refused click too: answering it costs as much.
        try:
            bot_of(interaction).limits.check_click(interaction.user.id, interaction.guild_id)
        except RateLimited as exc:
            await errors.report(interaction, exc)
            return False
        if interaction.user.id == self.owner_id:
            return True
        await replies.send(interaction, content=NOT_YOURS, ephemeral=True)
        return False

    async def on_timeout(self) -> None:
        for item in self.children:
            # Explain stays: the bot answers it whenever it is pressed (bot/discord/explain.py).
            if isinstance(item, discord.ui.Button) and item is not self.explain_button:
                item.disabled = True
        if self.message is not None:
            await replies.edit_message(self.message, view=self)

    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any]
    ) -> None:
        try:
            await errors.report(interaction, error)
        except Exception:
            log.exception("could not report an error for interaction %s", interaction.id)

    def refine_in_background(self) -> None:
        """Let the model settle the shown quote's best sentence after the answer is out,
        behind every query waiting for the model, and edit it in if it picks another."""
        if not self.current.settled:
            self._refining = asyncio.get_running_loop().create_task(self._refine(self.page))

    async def _refine(self, page: int) -> None:
        guess = self.quotes[page]
        try:
            quote = await asyncio.to_thread(
                partial(settle, self.app, self.query, guess, urgent=False, guild=self.guild)
            )
        except Exception as exc:  # the answer stands, with its lexical guess
            log.info("could not settle the best sentence for %r: %s", self.query, exc)
            return
        if self.quotes[page] is not guess:  # a page turn settled it meanwhile
            return
        self.quotes[page] = quote
        message = self.message
        still_shown = self.page == page and not self.is_finished()
        if message is not None and still_shown and quote.highlight != guess.highlight:
            await replies.edit_message(message, embeds=[self.embed()], view=self)

    async def _turn(self, interaction: Interaction, step: int) -> None:
        self.page = max(0, min(len(self.quotes) - 1, self.page + step))
        self._update_buttons()
        if not self.current.settled:  # settle the best sentence now that it is shown
            quote = await asyncio.to_thread(
                partial(settle, self.app, self.query, self.current, guild=self.guild)
            )
            self.quotes[self.page] = quote
        await replies.update(interaction, embeds=[self.embed()], view=self)

    @discord.ui.button(label="Previous", emoji="◀️", custom_id="pager:previous")
    async def previous_page(
        self, interaction: Interaction, button: discord.ui.Button[ResultPager]
    ) -> None:
        await self._turn(interaction, -1)

    @discord.ui.button(label="Next", emoji="▶️", custom_id="pager:next")
    async def next_page(
        self, interaction: Interaction, button: discord.ui.Button[ResultPager]
    ) -> None:
        await self._turn(interaction, +1)

    @discord.ui.button(label="Context", custom_id="pager:context")
    async def show_context(
        self, interaction: Interaction, button: discord.ui.Button[ResultPager]
    ) -> None:
        await self._privately(
            interaction, partial(context, self.app, guild=self.guild), _send_context
        )

    @discord.ui.button(label="Cite", custom_id="pager:cite")
    async def show_citation(
        self, interaction: Interaction, button: discord.ui.Button[ResultPager]
    ) -> None:
        card = citation_card(self.current)
        await replies.send(interaction, embeds=[render.embed(card)], ephemeral=True)

    @discord.ui.button(label="More from this source", custom_id="pager:more")
    async def more_like_this(
        self, interaction: Interaction, button: discord.ui.Button[ResultPager]
    ) -> None:
        await self._privately(
            interaction,
            partial(more_from_source, self.app, self.query, guild=self.guild),
            lambda clicked, answer: show_answer(
                clicked, self.app, self.query, answer, ephemeral=True
            ),
        )

    async def _privately(
        self,
        interaction: Interaction,
        look_up: Callable[[Quote], T],
        show: Callable[[Interaction, T], Awaitable[None]],
    ) -> None:
        """A lookup about the current quote, shown to the clicker alone: acknowledged
        privately first, then run off the event loop (it may take a while)."""
        quote = self.current
        if not await replies.defer(interaction, ephemeral=True):
            return
        await show(interaction, await asyncio.to_thread(look_up, quote))


async def _send_context(interaction: Interaction, quotes: list[Quote]) -> None:
    # context() leaves the passage itself unlabelled and labels its neighbours.
    focus = next((q.passage_id for q in quotes if not q.label), quotes[0].passage_id)
    card = context_card(quotes, focus)
    await replies.send(interaction, embeds=[render.embed(card)], ephemeral=True)


async def show_answer(
    interaction: Interaction, app: App, query: str, answer: Answer, *, ephemeral: bool
) -> None:
    """The answer to a search: a pager over its quotes, or the notice saying why none."""
    if not answer.quotes:
        cards = render.embeds(answer_cards(answer))
        await replies.send(interaction, embeds=cards, ephemeral=ephemeral)
        return
    pager = ResultPager(app, interaction.user.id, query, answer, server_of(interaction))
    message = await replies.send(
        interaction, embeds=[pager.embed()], view=pager, ephemeral=ephemeral
    )
    if message is None:
        pager.stop()  # nothing to page: Discord refused the message
        return
    await pager.attach(message)
    pager.refine_in_background()
