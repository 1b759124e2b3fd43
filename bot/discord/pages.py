"""What a result pager keeps between clicks, and when it expires: plain data per message.

Why not a `discord.ui.View` per answer: a view lives until its timeout with its buttons,
their callbacks, a timer task and the message it is on (about 110 objects the garbage
collector tracks per answer). A bot answering 17,000 `/quote`s in ten minutes then held
1.2 million of them, and each full collection, which walks them all with the GIL held,
stopped the event loop for up to 1.7 s (bench/RESULTS.md, "Event-loop stalls"). The buttons
are answered by one dynamic item for the whole bot (bot/discord/views.py) that looks the
page up here by message id; nothing of discord.py's stays behind an answer.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import NamedTuple

import discord

from bot.commands.results import Quote

log = logging.getLogger(__name__)


class Later(NamedTuple):
    """How to edit a message once its interaction has been answered and dropped: the
    interaction's webhook (its token lasts 15 minutes) and the message's id there. Plain
    values, not discord.py's webhook object (with its state and session): a pager keeps
    this for `view_timeout_seconds`, and every full collection walks what it keeps."""

    application_id: int
    token: str
    message_id: int | str  # "@original": the interaction's first response, as Discord's route says

    @classmethod
    def of(cls, interaction: discord.Interaction, message: discord.Message | None = None) -> Later:
        """The interaction's `message`, or its first response (None)."""
        if message is None or isinstance(message, discord.InteractionMessage):
            return cls(interaction.application_id, interaction.token, "@original")
        return cls(interaction.application_id, interaction.token, message.id)

    def webhook(self, client: discord.Client) -> discord.Webhook:
        """The interaction's webhook (what `interaction.followup` gives), on `client`'s
        session and state."""
        return discord.Webhook.partial(self.application_id, self.token, client=client)


@dataclass(eq=False, slots=True)
class Pages:
    """One pager: who asked, where, the quotes and the page shown. Slots: no attribute
    dict for the collector to walk besides the pager itself (bench/RESULTS.md, "What a
    pager keeps")."""

    owner_id: int
    guild: int | None  # the server whose texts the answer came from
    query: str
    quotes: list[Quote]
    notice: str  # /define's "nothing defines X" goes on every page
    page: int = 0
    later: Later | None = None  # set once the message is sent
    expired: bool = False
    refining: asyncio.Task[None] | None = None  # held: the loop keeps weak refs to tasks
    deadline: float = 0.0  # when the store expires it (the event loop's clock)

    @property
    def current(self) -> Quote:
        return self.quotes[self.page]


Expire = Callable[[Pages], Awaitable[None]]


class PagerStore:
    """The live pagers by message id, each until `timeout` seconds after it was shown or
    its page last turned; then `expire(pages)` runs once (it disables the buttons) and the
    pager is forgotten. One task sweeps them all, in the order they expire: every pager has
    the same timeout, so that is the order of use; each expiry's edit runs on its own.

    Only a shown page renews the timeout: expiring edits the message through the token of
    the interaction that showed that page (`Pages.later`), and Discord's tokens last 15
    minutes from their interaction. A click answered otherwise (Cite, Context, More, a
    stranger's) brings no token that can edit the pager's message, so it cannot extend it."""

    def __init__(self, timeout: float, expire: Expire) -> None:
        self.timeout = timeout
        self._expire = expire
        self._live: OrderedDict[int, Pages] = OrderedDict()  # oldest first
        self._sweeper: asyncio.Task[None] | None = None
        # Expiries under way, one task each: an edit that takes long (a 429 waited out,
        # Discord's 5xx retried) must not hold back the pagers due after it, whose
        # tokens die 15 minutes after their own interactions.
        self._expiring: set[asyncio.Task[None]] = set()

    def __len__(self) -> int:
        return len(self._live)

    def add(self, message_id: int, pages: Pages) -> None:
        pages.deadline = asyncio.get_running_loop().time() + self.timeout
        self._live[message_id] = pages
        self._live.move_to_end(message_id)
        if self._sweeper is None or self._sweeper.done():
            self._sweeper = asyncio.get_running_loop().create_task(self._sweep())

    def get(self, message_id: int) -> Pages | None:
        """The pager on a message; None once it expired."""
        return self._live.get(message_id)

    def renew(self, message_id: int) -> None:
        """A page was just shown through a new token: the timeout starts again."""
        found = self._live.get(message_id)
        if found is not None:
            self.add(message_id, found)

    def close(self) -> None:
        """Stop sweeping (the bot is closing): the pagers left are dropped unexpired. Not
        awaited: a closing bot's loop may stop before a cancelled task has finished."""
        if self._sweeper is not None:
            self._sweeper.cancel()
        for task in self._expiring:
            task.cancel()
        self._live.clear()

    async def _sweep(self) -> None:
        loop = asyncio.get_running_loop()
        while self._live:
            message_id, pages = next(iter(self._live.items()))
            wait = pages.deadline - loop.time()
            if wait > 0:
                # A pager added or clicked meanwhile goes last, with a later deadline: the
                # one waited for can only have moved later, which the next turn sees.
                await asyncio.sleep(wait)
                continue
            del self._live[message_id]
            task = loop.create_task(self._expire_one(message_id, pages))
            self._expiring.add(task)
            task.add_done_callback(self._expiring.discard)

    async def _expire_one(self, message_id: int, pages: Pages) -> None:
        try:
            await self._expire(pages)
        except Exception:  # one message that cannot be edited must not stop the rest
            log.exception("could not expire the pager on message %s", message_id)
