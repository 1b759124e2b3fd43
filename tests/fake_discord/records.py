"""What happened to one interaction, for tests to inspect and to wait on."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .models import (
    CALLBACK_AUTOCOMPLETE_RESULT,
    CALLBACK_CHANNEL_MESSAGE,
    CALLBACK_DEFERRED_CHANNEL_MESSAGE,
    CALLBACK_DEFERRED_UPDATE_MESSAGE,
    CALLBACK_MODAL,
    CALLBACK_NAMES,
    FLAG_EPHEMERAL,
    Ping,
    ResponseEvent,
    StoredFile,
    StoredMessage,
    Violation,
)

if TYPE_CHECKING:
    from .server.state import State


class _Changes:
    """A tiny "something changed" broadcast: waiters re-check their predicate after each change."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait_until(
        self, check: Callable[[], bool], timeout: float, describe: Callable[[], str]
    ) -> None:
        """Until `check()` holds, re-checked after each change. One that came true with no
        change told (the bot's own state, or an edit another record saw) would only be seen
        at the deadline, a test waiting out its whole timeout: that is refused, by name."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not check():
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(describe())
            event = self._event
            try:
                await asyncio.wait_for(event.wait(), timeout=remaining)
            except TimeoutError:
                if check():
                    raise AssertionError(
                        f"a condition came true with no change of the fake told, seen only at "
                        f"the deadline ({timeout} s): wait on what changes it "
                        "(tests/bot/discord/waiting.py for the bot's own state)"
                    ) from None


@dataclass(eq=False, repr=False)
class InteractionRecord:
    """Everything that happened for one interaction the fake sent, in arrival order.

    The accessors describe what the user would *see*: ``final_message`` is the latest state of the
    ``@original`` response (after edits; for a component interaction answered with type 6/7 that is
    the clicked message), ``content``/``embeds``/``components`` read from it (or from the latest
    follow-up when there is no original message).
    """

    fake: State
    id: int
    token: str
    type: int  # the interaction type
    payload: dict[str, Any]
    name: str
    created_at: float
    source_message_id: int | None = None
    # What happened, filled in by the server as it happens.
    dispatched_at: float | None = field(default=None, init=False)
    events: list[ResponseEvent] = field(default_factory=list, init=False)
    callback_type: int | None = field(default=None, init=False)
    callback_data: dict[str, Any] | None = field(default=None, init=False)
    acknowledged_at: float | None = field(default=None, init=False)
    original_id: int | None = field(default=None, init=False)
    original_deleted: bool = field(default=False, init=False)
    followup_ids: list[int] = field(default_factory=list, init=False)
    expired: bool = field(default=False, init=False)
    expired_status: int = field(default=401, init=False)
    violations: list[Violation] = field(default_factory=list, init=False)
    pings: list[Ping] = field(default_factory=list, init=False)
    # Set when the payload claims a guild the bot is not in (``forged_guild_id=``): a crafted
    # interaction, recorded as such; not a rule violation in itself.
    forged_guild_id: int | None = field(default=None, init=False)
    _changes: _Changes = field(default_factory=_Changes, init=False)

    # -- bookkeeping used by the server ------------------------------------------------------

    def _notify(self) -> None:
        self._changes.notify()
        self.fake._notify()

    def _elapsed(self, now: float) -> float | None:
        return None if self.dispatched_at is None else now - self.dispatched_at

    # -- state -------------------------------------------------------------------------------

    @property
    def guild_id(self) -> int | None:
        """The guild the interaction came from (None in a DM); for a forged one, the claimed id."""
        guild_id = self.payload.get("guild_id")
        return None if guild_id is None else int(guild_id)

    @property
    def dispatched(self) -> bool:
        """True once the INTERACTION_CREATE went out on a live gateway connection."""
        return self.dispatched_at is not None

    @property
    def acknowledged(self) -> bool:
        return self.callback_type is not None

    @property
    def response_type(self) -> str | None:
        """The initial callback as a word: message, deferred, deferred_update, update_message..."""
        return (
            None if self.callback_type is None else CALLBACK_NAMES.get(self.callback_type, "other")
        )

    @property
    def response_time(self) -> float | None:
        """Seconds from dispatch to the accepted initial callback (the fake's own measurement)."""
        if self.acknowledged_at is None or self.dispatched_at is None:
            return None
        return self.acknowledged_at - self.dispatched_at

    @property
    def callback(self) -> ResponseEvent | None:
        """The accepted initial callback event."""
        return next((e for e in self.events if e.kind == "callback" and e.ok), None)

    @property
    def errors(self) -> list[ResponseEvent]:
        """Every call the fake answered with a non-2xx status (rate limits and faults included)."""
        return [e for e in self.events if not e.ok]

    @property
    def done(self) -> bool:
        """The user sees a final state: answered, or the deferral resolved, or the callback refused.

        A deferral (type 5, or type 6 on a component) counts as done only after an edit of
        ``@original``, a follow-up or a delete. A 4xx other than 429 on the initial callback also
        ends the story (the bot cannot answer this interaction any more).
        """
        if self.callback_type is None:
            return any(
                e.kind == "callback" and 400 <= e.status < 500 and e.status != 429
                for e in self.events
            )
        if self.callback_type in (
            CALLBACK_DEFERRED_CHANNEL_MESSAGE,
            CALLBACK_DEFERRED_UPDATE_MESSAGE,
        ):
            return any(e.ok and e.kind in ("followup", "edit", "delete") for e in self.events)
        return True

    # -- waiting -----------------------------------------------------------------------------

    async def wait_done(self, timeout: float = 10.0) -> InteractionRecord:
        """Wait until :attr:`done`; raises ``TimeoutError`` with a summary of what did happen."""
        await self._changes.wait_until(
            lambda: self.done, timeout, lambda: self._timeout_text(timeout)
        )
        return self

    async def wait_for(
        self, predicate: Callable[[InteractionRecord], bool], timeout: float = 10.0
    ) -> InteractionRecord:
        """Wait until ``predicate(record)`` is true (re-checked after every change)."""
        await self._changes.wait_until(
            lambda: bool(predicate(self)), timeout, lambda: self._timeout_text(timeout)
        )
        return self

    def _timeout_text(self, timeout: float) -> str:
        return f"interaction {self.name!r} not done after {timeout}s: {self.summary()}"

    def summary(self) -> str:
        """One line per event, for assertion messages."""
        lines = [
            f"<{self.name} id={self.id} type={self.type} dispatched={self.dispatched} "
            f"response={self.response_type}>"
        ]
        for event in self.events:
            at = "?" if event.at is None else f"{event.at:.3f}s"
            lines.append(
                f"  {at} {event.kind} {event.method} -> {event.status}"
                + (f" cb={event.callback_type}" if event.callback_type else "")
                + (f" code={event.error_code}" if event.error_code else "")
            )
        for violation in self.violations:
            lines.append(f"  violation {violation}")
        return "\n".join(lines)

    # -- what the user sees ------------------------------------------------------------------

    @property
    def original(self) -> StoredMessage | None:
        if self.original_id is None:
            return None
        return self.fake.messages.get(self.original_id)

    @property
    def final_message(self) -> StoredMessage | None:
        """Latest state of ``@original`` (None if there is none or it was deleted)."""
        message = self.original
        if message is None or message.deleted:
            return None
        return message

    @property
    def followups(self) -> list[StoredMessage]:
        return [self.fake.messages[m] for m in self.followup_ids if m in self.fake.messages]

    @property
    def messages(self) -> list[StoredMessage]:
        """The original response (if any) and the follow-ups, oldest first, without deleted ones."""
        result = [m for m in [self.original, *self.followups] if m is not None and not m.deleted]
        return result

    @property
    def shown_message(self) -> StoredMessage | None:
        """``final_message``, else the latest follow-up: the message the accessors below read."""
        if self.final_message is not None:
            return self.final_message
        followups = [m for m in self.followups if not m.deleted]
        return followups[-1] if followups else None

    @property
    def content(self) -> str:
        message = self.shown_message
        return "" if message is None else message.content

    @property
    def embeds(self) -> list[dict[str, Any]]:
        message = self.shown_message
        return [] if message is None else message.embeds

    @property
    def embed(self) -> dict[str, Any] | None:
        embeds = self.embeds
        return embeds[0] if embeds else None

    @property
    def components(self) -> list[dict[str, Any]]:
        message = self.shown_message
        return [] if message is None else message.components

    @property
    def buttons(self) -> list[dict[str, Any]]:
        message = self.shown_message
        return [] if message is None else message.buttons

    @property
    def ephemeral(self) -> bool:
        """Whether the initial response is ephemeral (for a deferral: whether deferred so)."""
        if self.original is not None and self.callback_type in (
            CALLBACK_CHANNEL_MESSAGE,
            CALLBACK_DEFERRED_CHANNEL_MESSAGE,
        ):
            return self.original.ephemeral
        data = self.callback_data or {}
        return bool(int(data.get("flags") or 0) & FLAG_EPHEMERAL)

    @property
    def choices(self) -> list[dict[str, Any]]:
        """Autocomplete choices (type 8 callback); empty if the response was something else."""
        if self.callback_type != CALLBACK_AUTOCOMPLETE_RESULT:
            return []
        return list((self.callback_data or {}).get("choices") or [])

    @property
    def modal(self) -> dict[str, Any] | None:
        """The modal's data (type 9 callback), or None."""
        if self.callback_type != CALLBACK_MODAL:
            return None
        return self.callback_data

    @property
    def files(self) -> list[StoredFile]:
        """Files the bot uploaded with any message of this interaction."""
        return [f for m in self.messages for f in m.files]

    @property
    def pinged(self) -> bool:
        """True if any message of this interaction would have notified someone."""
        return bool(self.pings)

    def __repr__(self) -> str:
        return (
            f"<InteractionRecord {self.name!r} id={self.id} response={self.response_type} "
            f"events={len(self.events)} violations={len(self.violations)}>"
        )
