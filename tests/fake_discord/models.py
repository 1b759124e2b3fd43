"""Plain data kept by the fake Discord server, and builders for Discord-shaped JSON payloads.

Everything here is deliberately dumb: the server (the ``server`` package) decides *when* things
happen and which rules apply; these classes only hold what happened, for tests to look at
afterwards.
"""

from __future__ import annotations

import datetime as _dt
import time
from dataclasses import dataclass, field
from typing import Any, NamedTuple

# Discord's epoch (2015-01-01T00:00:00Z) in milliseconds: snowflakes count from there.
DISCORD_EPOCH_MS = 1420070400000

# Message flags that matter to the rules and the accessors.
FLAG_SUPPRESS_EMBEDS = 1 << 2
FLAG_EPHEMERAL = 1 << 6
FLAG_LOADING = 1 << 7
FLAG_SUPPRESS_NOTIFICATIONS = 1 << 12
FLAG_IS_COMPONENTS_V2 = 1 << 15

# Channel types the fake builds beyond text (0), DM (1), voice (2) and category (4).
CHANNEL_PUBLIC_THREAD = 11
CHANNEL_PRIVATE_THREAD = 12
CHANNEL_FORUM = 15
THREAD_TYPES = frozenset({10, CHANNEL_PUBLIC_THREAD, CHANNEL_PRIVATE_THREAD})

# Interaction types (what Discord sends) and callback types (what the bot answers).
INTERACTION_PING = 1
INTERACTION_APPLICATION_COMMAND = 2
INTERACTION_MESSAGE_COMPONENT = 3
INTERACTION_AUTOCOMPLETE = 4
INTERACTION_MODAL_SUBMIT = 5

CALLBACK_PONG = 1
CALLBACK_CHANNEL_MESSAGE = 4
CALLBACK_DEFERRED_CHANNEL_MESSAGE = 5
CALLBACK_DEFERRED_UPDATE_MESSAGE = 6
CALLBACK_UPDATE_MESSAGE = 7
CALLBACK_AUTOCOMPLETE_RESULT = 8
CALLBACK_MODAL = 9
# What InteractionRecord.response_type calls each callback type.
CALLBACK_NAMES = {
    CALLBACK_PONG: "pong",
    CALLBACK_CHANNEL_MESSAGE: "message",
    CALLBACK_DEFERRED_CHANNEL_MESSAGE: "deferred",
    CALLBACK_DEFERRED_UPDATE_MESSAGE: "deferred_update",
    CALLBACK_UPDATE_MESSAGE: "update_message",
    CALLBACK_AUTOCOMPLETE_RESULT: "autocomplete",
    CALLBACK_MODAL: "modal",
}

# Which callback types Discord accepts for which interaction type.
ALLOWED_CALLBACKS: dict[int, frozenset[int]] = {
    INTERACTION_PING: frozenset({CALLBACK_PONG}),
    INTERACTION_APPLICATION_COMMAND: frozenset({4, 5, 9, 12}),
    INTERACTION_MESSAGE_COMPONENT: frozenset({4, 5, 6, 7, 9, 12}),
    INTERACTION_AUTOCOMPLETE: frozenset({8}),
    INTERACTION_MODAL_SUBMIT: frozenset({4, 5, 6, 7}),
}


class SnowflakeGenerator:
    """Hands out strictly increasing, time-based snowflakes.

    Real-looking ids matter: discord.py derives ``created_at`` from them and picks a sub-rate-limit
    for message deletion from the message's age.
    """

    def __init__(self) -> None:
        self._last = 0

    def next(self) -> int:
        now_ms = int(time.time() * 1000)
        candidate = (now_ms - DISCORD_EPOCH_MS) << 22
        self._last = max(candidate, self._last + 1)
        return self._last


def iso_timestamp(at: float | None = None) -> str:
    """An ISO-8601 timestamp the way Discord writes them (microseconds, explicit UTC offset)."""
    moment = _dt.datetime.fromtimestamp(time.time() if at is None else at, tz=_dt.UTC)
    return moment.isoformat(timespec="microseconds")


class Upload(NamedTuple):
    """A file a fake user attaches to a slash command (``attachment`` option)."""

    filename: str
    data: bytes
    content_type: str | None = None


@dataclass
class StoredFile:
    """A file known to the fake: uploaded by a fake user, or by the bot with a message."""

    id: int
    filename: str
    data: bytes
    content_type: str | None
    url: str
    description: str | None = None

    def to_attachment(self) -> dict[str, Any]:
        """The Discord ``attachment`` object for this file (URL served by the fake itself)."""
        payload: dict[str, Any] = {
            "id": str(self.id),
            "filename": self.filename,
            "size": len(self.data),
            "url": self.url,
            "proxy_url": self.url,
            "flags": 0,
        }
        if self.content_type:
            payload["content_type"] = self.content_type
        if self.description:
            payload["description"] = self.description
        return payload


@dataclass
class Violation:
    """A broken Discord rule; ``rule`` is a stable dotted name (``embed.description.length``)."""

    rule: str
    detail: str
    interaction_id: int | None = None
    method: str | None = None
    path: str | None = None

    def __str__(self) -> str:
        where = f" [{self.method} {self.path}]" if self.method else ""
        who = f" (interaction {self.interaction_id})" if self.interaction_id else ""
        return f"{self.rule}: {self.detail}{who}{where}"


@dataclass
class Ping:
    """A message whose content would notify someone, given its ``allowed_mentions``."""

    message_id: int
    interaction_id: int | None
    everyone: bool
    users: list[int]
    roles: list[int]
    content: str
    ephemeral: bool


@dataclass
class RequestLog:
    """One HTTP request the fake received (``path`` relative to the API base: ``/users/@me``)."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    at: float
    status: int = 0


@dataclass
class SyncRecord:
    """One bulk overwrite of application commands (``PUT .../commands``)."""

    guild_id: int | None
    commands: list[dict[str, Any]]
    at: float


@dataclass
class ResponseEvent:
    """One call the bot made about an interaction, successful or not, in arrival order.

    ``kind`` is one of ``callback`` (initial response), ``followup``, ``edit``, ``delete``, ``get``.
    ``at`` is seconds since the interaction was dispatched over the gateway.
    """

    kind: str
    method: str
    path: str
    at: float | None
    status: int
    request: Any = None
    response: Any = None
    callback_type: int | None = None
    message_id: int | None = None
    error_code: int | None = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


@dataclass
class FakeGuild:
    """One guild (server) of the fake world: its roles, channels and members, keyed by id.

    ``present`` is False once the bot was removed from it (kept so that it can rejoin with the same
    id, channels and members, as a real server would be when the bot is invited back).
    """

    id: int
    name: str
    owner_id: int = 0
    roles: dict[int, dict[str, Any]] = field(default_factory=dict)
    role_ids: dict[str, int] = field(default_factory=dict)
    channels: dict[int, dict[str, Any]] = field(default_factory=dict)
    channel_ids: dict[str, int] = field(default_factory=dict)
    members: dict[int, dict[str, Any]] = field(default_factory=dict)
    present: bool = True
    # Active threads (forum posts included), apart from ``channels``: GUILD_CREATE lists them
    # in ``threads``, GET /guilds/{id}/channels leaves them out. Their names are in
    # ``channel_ids`` too. ``thread_members``: thread id -> ids of the users who joined it.
    threads: dict[int, dict[str, Any]] = field(default_factory=dict)
    thread_members: dict[int, set[int]] = field(default_factory=dict)

    @property
    def channel_id(self) -> int:
        """The guild's #general (its system channel, where commands run unless told otherwise)."""
        return self.channel_ids["general"]

    def channel(self, channel_id: int) -> dict[str, Any] | None:
        """A channel or thread of this guild by id."""
        return self.channels.get(channel_id) or self.threads.get(channel_id)


@dataclass
class StoredMessage:
    """A message as the fake stores it: the current Discord JSON plus its earlier versions."""

    id: int
    channel_id: int
    payload: dict[str, Any]
    history: list[dict[str, Any]] = field(default_factory=list)
    interaction_id: int | None = None
    files: list[StoredFile] = field(default_factory=list)
    deleted: bool = False

    @property
    def content(self) -> str:
        return self.payload.get("content") or ""

    @property
    def embeds(self) -> list[dict[str, Any]]:
        return list(self.payload.get("embeds") or [])

    @property
    def components(self) -> list[dict[str, Any]]:
        return list(self.payload.get("components") or [])

    @property
    def flags(self) -> int:
        return int(self.payload.get("flags") or 0)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & FLAG_EPHEMERAL)

    @property
    def loading(self) -> bool:
        """True while this is a deferred "is thinking..." placeholder."""
        return bool(self.flags & FLAG_LOADING)

    @property
    def edited(self) -> bool:
        return bool(self.history)

    def iter_components(self) -> list[dict[str, Any]]:
        """Every component at any depth (rows, their children, v2 containers, accessories)."""
        return list(walk_components(self.components))

    @property
    def buttons(self) -> list[dict[str, Any]]:
        return [c for c in self.iter_components() if c.get("type") == 2]

    @property
    def custom_ids(self) -> list[str]:
        return [c["custom_id"] for c in self.iter_components() if c.get("custom_id")]

    def find_component(self, custom_id: str) -> dict[str, Any] | None:
        for component in self.iter_components():
            if component.get("custom_id") == custom_id:
                return component
        return None


def walk_components(components: list[dict[str, Any]] | None) -> Any:
    """Yield components depth-first, with children of rows/containers and accessories."""
    for component in components or []:
        if not isinstance(component, dict):
            continue
        yield component
        yield from walk_components(component.get("components"))
        for key in ("accessory", "component"):
            child = component.get(key)
            if isinstance(child, dict):
                yield from walk_components([child])


# ---------------------------------------------------------------------------------------------
# Payload builders. Field lists follow the Discord API reference so that discord.py's parsers,
# which index many keys directly, never meet a KeyError.
# ---------------------------------------------------------------------------------------------


def user_payload(user_id: int, username: str, *, bot: bool = False) -> dict[str, Any]:
    return {
        "id": str(user_id),
        "username": username,
        "discriminator": "0" if not bot else "0001",
        "global_name": None if bot else username.capitalize(),
        "avatar": None,
        "bot": bot,
        "system": False,
        "mfa_enabled": False,
        "banner": None,
        "accent_color": None,
        "locale": "en-US",
        "verified": True,
        "flags": 0,
        "public_flags": 0,
        "avatar_decoration_data": None,
        "primary_guild": None,
        "collectibles": None,
    }


def member_payload(user: dict[str, Any], roles: list[int], joined_at: str) -> dict[str, Any]:
    return {
        "user": user,
        "nick": None,
        "avatar": None,
        "banner": None,
        "roles": [str(r) for r in roles],
        "joined_at": joined_at,
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": False,
        "communication_disabled_until": None,
        "avatar_decoration_data": None,
    }


def role_payload(
    role_id: int,
    name: str,
    permissions: int,
    position: int,
    *,
    managed: bool = False,
    mentionable: bool = False,
    bot_id: int | None = None,
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "id": str(role_id),
        "name": name,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
        "hoist": False,
        "icon": None,
        "unicode_emoji": None,
        "position": position,
        "permissions": str(permissions),
        "managed": managed,
        "mentionable": mentionable,
        "flags": 0,
    }
    if bot_id is not None:
        payload["tags"] = {"bot_id": str(bot_id)}
    return payload


def channel_payload(
    channel_id: int,
    name: str,
    *,
    guild_id: int,
    position: int,
    channel_type: int = 0,
    parent_id: int | None = None,
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "id": str(channel_id),
        "type": channel_type,
        "guild_id": str(guild_id),
        "name": name,
        "position": position,
        "permission_overwrites": [],
        "parent_id": str(parent_id) if parent_id else None,
        "flags": 0,
    }
    if channel_type == 0:
        payload.update(
            {
                "topic": None,
                "nsfw": False,
                "last_message_id": None,
                "rate_limit_per_user": 0,
                "default_auto_archive_duration": 1440,
                "default_thread_rate_limit_per_user": 0,
            }
        )
    elif channel_type == CHANNEL_FORUM:
        payload.update(
            {
                "topic": None,
                "nsfw": False,
                "last_message_id": None,  # a forum's: the id of its latest post
                "rate_limit_per_user": 0,
                "default_auto_archive_duration": 4320,
                "default_thread_rate_limit_per_user": 0,
                "available_tags": [],
                "default_reaction_emoji": None,
                "default_sort_order": None,
                "default_forum_layout": 0,
            }
        )
    elif channel_type == 2:
        payload.update(
            {
                "bitrate": 64000,
                "user_limit": 0,
                "rtc_region": None,
                "nsfw": False,
                "rate_limit_per_user": 0,
                "last_message_id": None,
            }
        )
    return payload


def thread_payload(
    thread_id: int,
    name: str,
    *,
    guild_id: int,
    parent: dict[str, Any],
    owner_id: int,
    private: bool,
    created_at: str,
) -> dict[str, Any]:
    """A thread as Discord's channel object holds it (docs/topics/threads.md, "Thread Fields":
    ``owner_id`` who started it, ``parent_id`` its text or forum channel, ``thread_metadata``);
    a forum's post is a public thread with ``applied_tags``."""
    payload: dict[str, Any] = {
        "id": str(thread_id),
        "type": CHANNEL_PRIVATE_THREAD if private else CHANNEL_PUBLIC_THREAD,
        "guild_id": str(guild_id),
        "parent_id": parent["id"],
        "owner_id": str(owner_id),
        "name": name,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "flags": 0,
        "message_count": 0,
        "member_count": 1,
        "total_message_sent": 0,
        "thread_metadata": {
            "archived": False,
            "archive_timestamp": created_at,
            "auto_archive_duration": parent.get("default_auto_archive_duration", 1440),
            "locked": False,
            "create_timestamp": created_at,
        },
    }
    if private:
        payload["thread_metadata"]["invitable"] = True  # only private threads carry it
    if parent["type"] == CHANNEL_FORUM:
        payload["applied_tags"] = []
    return payload


def dm_channel_payload(channel_id: int, recipient: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(channel_id),
        "type": 1,
        "last_message_id": None,
        "flags": 0,
        "recipients": [recipient],
    }
