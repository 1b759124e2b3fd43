"""How often: the rate limits, for every kind of interaction, per user and per server.

- commands (slash and context menu): one use per `cooldown_seconds` per user and command,
  and at most `server_limit` per server within `server_window_seconds`;
- button clicks: `click_limit` per user within `click_window_seconds` (paging is bursty, so
  a cooldown per click would be too strict), and CLICKS_PER_COMMAND times `server_limit` per
  server;
- autocomplete: `autocomplete_limit` per user within `click_window_seconds` (Discord asks at
  nearly every keystroke), and AUTOCOMPLETES_PER_COMMAND times `server_limit` per server.

The windows and budgets only count: bot/discord/checks.py applies them to interactions.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Hashable

from discord import app_commands

from bot.settings import Settings

Clock = Callable[[], float]


class RateLimited(app_commands.CheckFailure):
    def __init__(self, command: str, retry_after: float, scope: str) -> None:
        super().__init__(f"{command} rate-limited for {retry_after:.1f} s ({scope})")
        self.command = command
        self.retry_after = retry_after
        self.scope = scope  # "user" or "server"


class SlidingWindow:
    """At most `rate` events per key within any `per` seconds."""

    def __init__(self, rate: int, per: float, clock: Clock = time.monotonic) -> None:
        self.rate = rate
        self.per = per
        self._clock = clock
        self._events: dict[Hashable, deque[float]] = {}

    @property
    def enabled(self) -> bool:
        return self.rate > 0 and self.per > 0

    def wait(self, key: Hashable) -> float:
        """Seconds until `key` may act again (0: now)."""
        if not self.enabled:
            return 0.0
        events = self._recent(key)
        if len(events) < self.rate:
            return 0.0
        return max(0.0, events[0] + self.per - self._clock())

    def record(self, key: Hashable) -> None:
        if not self.enabled:
            return
        self._recent(key).append(self._clock())
        if len(self._events) > 10_000:  # forget idle keys so memory stays bounded
            for stale in [k for k in self._events if not self._recent(k)]:
                del self._events[stale]

    def _recent(self, key: Hashable) -> deque[float]:
        events = self._events.setdefault(key, deque())
        horizon = self._clock() - self.per
        while events and events[0] <= horizon:
            events.popleft()
        return events


# A server's budget for cheap interactions, relative to its budget for commands.
CLICKS_PER_COMMAND = 4
AUTOCOMPLETES_PER_COMMAND = 10

BUTTONS = "the buttons"  # how a refused click names what is limited


class Budget:
    """One kind of interaction's limits: a window per user, a window per server."""

    def __init__(self, per_user: SlidingWindow, per_server: SlidingWindow) -> None:
        self.per_user = per_user
        self.per_server = per_server

    def allows(self, user_key: Hashable, guild_id: int | None) -> bool:
        """Whether one use would be counted now (nothing is counted)."""
        if self.per_user.wait(user_key):
            return False
        return guild_id is None or not self.per_server.wait(guild_id)

    def take(self, what: str, user_key: Hashable, guild_id: int | None) -> None:
        """Count one use, or raise RateLimited without counting it."""
        if wait := self.per_user.wait(user_key):
            raise RateLimited(what, wait, "user")
        if guild_id is not None and (wait := self.per_server.wait(guild_id)):
            raise RateLimited(what, wait, "server")
        self.per_user.record(user_key)
        if guild_id is not None:
            self.per_server.record(guild_id)


class Limits:
    """The bot's rate limits; one instance per bot (state lives with the bot, not globally)."""

    def __init__(self, settings: Settings, clock: Clock = time.monotonic) -> None:
        server, window = settings.server_limit, settings.server_window_seconds
        burst = settings.click_window_seconds
        self.commands = Budget(
            SlidingWindow(1, settings.cooldown_seconds, clock),
            SlidingWindow(server, window, clock),
        )
        self.clicks = Budget(
            SlidingWindow(settings.click_limit, burst, clock),
            SlidingWindow(server * CLICKS_PER_COMMAND, window, clock),
        )
        self.autocomplete = Budget(
            SlidingWindow(settings.autocomplete_limit, burst, clock),
            SlidingWindow(server * AUTOCOMPLETES_PER_COMMAND, window, clock),
        )

    def check(self, command: str, user_id: int, guild_id: int | None) -> None:
        """Count one use of a command, or raise RateLimited without counting it."""
        self.commands.take(command, (command, user_id), guild_id)

    def check_click(self, user_id: int, guild_id: int | None) -> None:
        """Count one button click, or raise RateLimited without counting it."""
        self.clicks.take(BUTTONS, user_id, guild_id)

    def autocomplete_allowed(self, user_id: int, guild_id: int | None) -> bool:
        """Whether an autocomplete request would be answered now, without counting it."""
        return self.autocomplete.allows(user_id, guild_id)

    def allow_autocomplete(self, user_id: int, guild_id: int | None) -> bool:
        """Count one autocomplete request; False when over the limit (answer no choices)."""
        try:
            self.autocomplete.take("autocomplete", user_id, guild_id)
        except RateLimited:
            return False
        return True
