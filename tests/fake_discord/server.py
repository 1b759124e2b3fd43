"""A fake Discord (REST API + gateway) on 127.0.0.1 that an unmodified discord.py client can use.

Why a fake server rather than mocks: the bot's real code paths (discord.py's HTTP client, rate-limit
handling, gateway reconnects, interaction parsing, ``discord.ui`` view dispatch) run unchanged, and
the fake checks what Discord would check (3-second acknowledgement, one initial response, token
lifetime, message/embed/component limits), so a test fails where production would.

Shape of a test::

    async with run_client(bot, fake) as bot:
        record = await fake.send_slash("quote", {"query": "love"})
        await record.wait_done()
        assert record.embeds[0]["title"] == ...

The server and the bot share one event loop; timings (``InteractionRecord.response_time``) are the
fake's own measurement: from writing INTERACTION_CREATE to the socket to handling the callback.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import fnmatch
import json
import logging
import math
import mimetypes
import re
import secrets
import socket
import time
import uuid
from collections.abc import Awaitable, Callable, Generator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import discord
from aiohttp import WSMsgType, web

from . import rules
from .models import (
    ALLOWED_CALLBACKS,
    CALLBACK_AUTOCOMPLETE_RESULT,
    CALLBACK_CHANNEL_MESSAGE,
    CALLBACK_DEFERRED_CHANNEL_MESSAGE,
    CALLBACK_DEFERRED_UPDATE_MESSAGE,
    CALLBACK_MODAL,
    CALLBACK_UPDATE_MESSAGE,
    FLAG_EPHEMERAL,
    FLAG_IS_COMPONENTS_V2,
    FLAG_LOADING,
    FLAG_SUPPRESS_EMBEDS,
    FLAG_SUPPRESS_NOTIFICATIONS,
    INTERACTION_APPLICATION_COMMAND,
    INTERACTION_AUTOCOMPLETE,
    INTERACTION_MESSAGE_COMPONENT,
    INTERACTION_MODAL_SUBMIT,
    FakeGuild,
    Ping,
    RequestLog,
    ResponseEvent,
    SnowflakeGenerator,
    StoredFile,
    StoredMessage,
    SyncRecord,
    Upload,
    Violation,
    channel_payload,
    dm_channel_payload,
    iso_timestamp,
    member_payload,
    role_payload,
    user_payload,
)
from .records import InteractionRecord, _Changes

log = logging.getLogger("tests.fake_discord")

API_VERSION = 10
DEFAULT_ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024  # 10 MiB: a guild without boosts
# A bot application's flags as Discord reports them for a verified-less app using slash commands:
# GATEWAY_MESSAGE_CONTENT_LIMITED (1<<19) | APPLICATION_COMMAND_BADGE (1<<23).
DEFAULT_APPLICATION_FLAGS = (1 << 19) | (1 << 23)

# Snowflake option types that carry ids and, outside autocomplete, "resolved" data.
_OPTION_USER, _OPTION_CHANNEL, _OPTION_ROLE, _OPTION_MENTIONABLE, _OPTION_ATTACHMENT = (
    6,
    7,
    8,
    9,
    11,
)

Handler = Callable[..., Awaitable[web.StreamResponse]]

# Every guild's roles carry the same permissions (what a small real server would give them).
_EVERYONE_PERMISSIONS = discord.Permissions(
    view_channel=True,
    send_messages=True,
    read_message_history=True,
    add_reactions=True,
    embed_links=True,
    attach_files=True,
    use_application_commands=True,
    use_external_emojis=True,
    connect=True,
    speak=True,
    create_instant_invite=True,
    change_nickname=True,
    send_messages_in_threads=True,
    create_public_threads=True,
).value
_MODERATOR_PERMISSIONS = discord.Permissions(
    manage_messages=True,
    kick_members=True,
    manage_guild=True,
    moderate_members=True,
    manage_threads=True,
).value
_BOT_PERMISSIONS = discord.Permissions(
    view_channel=True,
    send_messages=True,
    send_messages_in_threads=True,
    embed_links=True,
    attach_files=True,
    read_message_history=True,
    add_reactions=True,
    use_external_emojis=True,
    use_application_commands=True,
).value


class GuildId(int):
    """A guild id that can also be awaited: ``await fake.add_guild("B")`` returns the id once the
    guild's GUILD_CREATE was written to the gateway (at once when no bot has connected yet)."""

    _sent: asyncio.Future[None] | None

    def __new__(cls, value: int, sent: asyncio.Future[None] | None = None) -> GuildId:
        obj = super().__new__(cls, value)
        obj._sent = sent
        return obj

    def __await__(self) -> Generator[Any, None, int]:
        return self._wait().__await__()

    async def _wait(self) -> int:
        if self._sent is not None:
            await self._sent
        return int(self)


@dataclass
class _Team:
    """The developer team owning the application (see :meth:`FakeDiscord.set_team`)."""

    id: int
    name: str
    owner_user_id: int
    roles: dict[int, str]  # user id -> team role, in the order given


# ---------------------------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------------------------


def _json(status: int, data: Any, headers: Mapping[str, str] | None = None) -> web.Response:
    """A JSON response whose Content-Type is exactly ``application/json``.

    discord.py's ``json_or_text`` compares the header with ``==``; aiohttp's ``json_response`` would
    append ``; charset=utf-8`` and the client would then see a *string*, not a dict.
    """
    all_headers = {"Content-Type": "application/json"}
    all_headers.update(headers or {})
    return web.Response(status=status, body=json.dumps(data).encode(), headers=all_headers)


def _error(status: int, code: int, message: str, **extra: Any) -> web.Response:
    return _json(status, {"message": message, "code": code, **extra})


def _no_content() -> web.Response:
    return web.Response(status=204)


def _truthy(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true", "yes")


def _perm_value(value: Any) -> int:
    if isinstance(value, discord.Permissions):
        return value.value
    return int(value)


@dataclass
class Fault:
    """A scheduled failure: the next ``remaining`` requests matching ``pattern`` get ``status``."""

    pattern: str
    status: int
    retry_after: float
    is_global: bool
    remaining: int
    fired: list[RequestLog] = field(default_factory=list)


@dataclass
class GatewayConnection:
    """One websocket the client opened (``path`` tells the normal from the resume URL)."""

    ws: web.WebSocketResponse
    request: web.Request
    path: str
    query: dict[str, str]
    opened_at: float
    kind: str | None = None  # "identify" or "resume" once the handshake is done
    heartbeats: int = 0
    closed: bool = False
    shard: tuple[int, int] | None = None  # [shard id, shard count] of its session
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # dispatches sent


@dataclass
class _Session:
    """One gateway session: a shard, with its own sequence numbers and RESUME replay log."""

    shard_id: int
    shard_count: int
    session_id: str
    seq: int = 0
    log: list[_LogEntry] = field(default_factory=list)
    live: GatewayConnection | None = None
    drops: int = 0
    resumed_at_drop: int = 0

    def carries(self, guild_id: int | None) -> bool:
        """Discord's rule: a guild's events go to shard (guild_id >> 22) % shards, and events
        outside any guild (direct messages) to shard 0."""
        if guild_id is None:
            return self.shard_id == 0
        return (guild_id >> 22) % self.shard_count == self.shard_id


@dataclass
class _LogEntry:
    seq: int
    frame: dict[str, Any]
    on_sent: Callable[[], None] | None


@dataclass
class _Ctx:
    request: web.Request
    method: str
    path: str
    query: dict[str, str]
    body: Any
    files: list[tuple[str, str, bytes, str | None]]
    entry: RequestLog


class FakeDiscord:
    """The fake server: REST + gateway + interaction injection (see README.md beside this file)."""

    def __init__(
        self,
        *,
        ack_deadline: float = 3.0,
        token_lifetime: float = 15 * 60.0,
        reject_invalid: bool = True,
        bot_token: str | None = None,
        heartbeat_interval_ms: int = 41250,
        attachment_size_limit: int = DEFAULT_ATTACHMENT_SIZE_LIMIT,
        application_flags: int = DEFAULT_APPLICATION_FLAGS,
        team: Sequence[str] | None = None,
        shards: int = 1,
    ) -> None:
        if shards < 1:
            raise ValueError("shards must be at least 1")
        self.shards = shards  # the shard count GET /gateway/bot recommends
        self.ack_deadline = ack_deadline
        self.token_lifetime = token_lifetime
        self.reject_invalid = reject_invalid
        self.bot_token = bot_token
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.attachment_size_limit = attachment_size_limit
        self.application_flags = application_flags

        self.ids = SnowflakeGenerator()
        # Modern applications: the bot user's id is the application's id.
        self.application_id = self.ids.next()
        self.bot_user_id = self.application_id
        self.bot_user = user_payload(self.bot_user_id, "quotebot", bot=True)

        # What happened (public, read by tests).
        self.violations: list[Violation] = []
        self.pings: list[Ping] = []
        self.requests: list[RequestLog] = []
        self.unknown_routes: list[RequestLog] = []
        self.syncs: list[SyncRecord] = []
        self.records: list[InteractionRecord] = []
        self.messages: dict[int, StoredMessage] = {}
        self.attachments: dict[int, StoredFile] = {}
        self.faults: list[Fault] = []
        self.gateway_connections: list[GatewayConnection] = []
        self.identify_count = 0
        self.resume_count = 0
        self.intents: int | None = None
        self.commands: dict[int | None, list[dict[str, Any]]] = {}

        self._expected_violations: list[str] = []
        self._interactions: dict[int, InteractionRecord] = {}
        self._by_token: dict[str, InteractionRecord] = {}
        self._changes = _Changes()
        self._timers: list[asyncio.TimerHandle] = []
        self._clock_offset = 0.0

        # Gateway session state.
        self._gw_lock = asyncio.Lock()
        self._sessions: dict[int, _Session] = {}  # by shard id
        self._hold: asyncio.Event | None = None

        # Dispatches requested by synchronous calls (add_guild once connected), sent in order
        # before any later event.
        self._outbox: list[tuple[str, dict[str, Any], asyncio.Future[None]]] = []
        self._tasks: set[asyncio.Task[None]] = set()

        self._runner: web.AppRunner | None = None
        self.port = 0
        self._team: _Team | None = None
        self._build_guild()
        if team:
            self.set_team(team)
        self._routes = self._route_table()

    # -----------------------------------------------------------------------------------------
    # the guilds
    # -----------------------------------------------------------------------------------------

    def _build_guild(self) -> None:
        """The default guild: a category, two text channels, a voice channel, roles and members.

        Enough for ``guild_ready`` to complete and for interactions to resolve channels/members
        from discord.py's cache, like on a real small server. :meth:`add_guild` builds more.
        """
        self.users: dict[int, dict[str, Any]] = {self.bot_user_id: self.bot_user}
        self.user_ids: dict[str, int] = {"quotebot": self.bot_user_id}
        self._guilds: dict[int, FakeGuild] = {}  # every guild ever built, in creation order
        self._dm_channels: dict[int, dict[str, Any]] = {}  # channel id -> DM channel
        self._dm_by_user: dict[int, int] = {}
        self._forged_channels: dict[int, dict[str, Any]] = {}  # channel id -> claimed channel
        self.app_permissions = _BOT_PERMISSIONS | _EVERYONE_PERMISSIONS

        default = self._new_guild("Fake Guild", joined_at=iso_timestamp(time.time() - 86400))
        self._default = default
        self.guild_id = default.id
        self.guild_name = default.name
        # The default guild's tables, under the names tests have always used.
        self.role_ids: dict[str, int] = default.role_ids
        self.channel_ids: dict[str, int] = default.channel_ids
        self._roles: dict[int, dict[str, Any]] = default.roles
        self._members: dict[int, dict[str, Any]] = default.members
        self._channels: dict[int, dict[str, Any]] = default.channels
        self.channel_id = default.channel_id

        default.owner_id = self.add_member("owner")
        self.add_member("alice")
        self.add_member("bob")
        self.add_member("mod", roles=["Moderator"])
        self.add_member("admin", roles=["Admin"])
        self.default_user = "alice"
        self.app_owner_id = default.owner_id

    def _new_guild(self, name: str, *, joined_at: str, guild_id: int | None = None) -> FakeGuild:
        """A guild built like every other: same roles, same channels, the bot a member."""
        guild = FakeGuild(guild_id or self.ids.next(), name)
        self._guilds[guild.id] = guild

        def add_role(
            role_name: str, perms: int, position: int, role_id: int | None = None, **kw: Any
        ) -> int:
            rid = role_id or self.ids.next()
            guild.roles[rid] = role_payload(rid, role_name, perms, position, **kw)
            guild.role_ids[role_name] = rid
            return rid

        add_role("@everyone", _EVERYONE_PERMISSIONS, 0, role_id=guild.id)
        add_role("Moderator", _MODERATOR_PERMISSIONS, 1, mentionable=True)
        add_role("Admin", discord.Permissions(administrator=True).value, 2)
        bot_role = add_role("quotebot", _BOT_PERMISSIONS, 3, managed=True, bot_id=self.bot_user_id)

        category = self.ids.next()
        guild.channels[category] = channel_payload(
            category, "Text Channels", guild_id=guild.id, position=0, channel_type=4
        )
        guild.channel_ids["Text Channels"] = category
        for position, channel_name in enumerate(("general", "quotes"), start=1):
            cid = self.ids.next()
            guild.channels[cid] = channel_payload(
                cid, channel_name, guild_id=guild.id, position=position, parent_id=category
            )
            guild.channel_ids[channel_name] = cid
        voice = self.ids.next()
        guild.channels[voice] = channel_payload(
            voice, "Lounge", guild_id=guild.id, position=0, channel_type=2
        )
        guild.channel_ids["Lounge"] = voice

        guild.members[self.bot_user_id] = member_payload(self.bot_user, [bot_role], joined_at)
        return guild

    @property
    def owner_id(self) -> int:
        """The default guild's owner (user ``"owner"``)."""
        return self._default.owner_id

    @property
    def guild_ids(self) -> list[int]:
        """Every guild the bot is in, in creation order (the default guild first)."""
        return [gid for gid, guild in self._guilds.items() if guild.present]

    @property
    def guilds(self) -> dict[int, FakeGuild]:
        """Every guild the fake knows, the bot's former ones included (``.present`` tells)."""
        return dict(self._guilds)

    def guild(self, guild: bool | int = True) -> FakeGuild:
        """The :class:`FakeGuild` for ``guild`` (True: the default; an id: one the bot is in)."""
        found = self._where(guild)
        if found is None:
            raise ValueError("guild=False means a DM; there is no guild")
        return found

    def channel_in(self, guild_id: int, name: str) -> int:
        """The id of channel ``name`` (``"general"``, ``"quotes"``, ...) in guild ``guild_id``
        (also of a guild the bot was removed from: its channels still exist)."""
        guild = self._any_guild(guild_id)
        try:
            return guild.channel_ids[name]
        except KeyError:
            raise ValueError(
                f"guild {guild_id} has no channel {name!r}; it has {sorted(guild.channel_ids)}"
            ) from None

    def add_guild(
        self,
        name: str,
        *,
        members: Mapping[str, Sequence[str]] | None = None,
        owner: str | None = None,
        shard: int | None = None,
    ) -> GuildId:
        """Add a guild the bot is in, built like the default one; returns its id.

        ``members`` maps user names to role names *in this guild* (unknown users are created; a
        name means the same user in every guild). ``owner`` names the guild's owner (default: a new
        user ``"<name>-owner"``), who has every permission in this guild only.

        Before the bot connects, READY will list the guild (as unavailable) and a GUILD_CREATE will
        follow, like the default guild. Once it is connected, a GUILD_CREATE without
        ``unavailable`` goes out at once (the bot joined: discord.py fires ``on_guild_join``). The
        returned id is an ``int`` that can also be awaited: ``await fake.add_guild(...)`` returns
        once that GUILD_CREATE was written to the gateway (or queued for RESUME).

        ``shard`` gives the guild an id on that shard of :attr:`shards` (see
        :meth:`guild_id_on_shard`); otherwise its shard is whatever its snowflake says.
        """
        guild_id = None if shard is None else self.guild_id_on_shard(shard)
        guild = self._new_guild(name, joined_at=iso_timestamp(), guild_id=guild_id)
        owner_name = owner if owner is not None else f"{name}-owner"
        guild.owner_id = self._member_in(guild, owner_name, ())
        for user_name, role_names in (members or {}).items():
            self._member_in(guild, user_name, role_names)
        return self._announce_join(guild)

    def rejoin_guild(self, guild_id: int) -> GuildId:
        """The bot is invited back to a guild it was removed from: same id, channels, members.

        Dispatches a join GUILD_CREATE like :meth:`add_guild`; awaitable the same way.
        """
        guild = self._any_guild(guild_id)
        if guild.present:
            raise ValueError(f"the bot is still in guild {guild_id}; remove_guild() it first")
        guild.present = True
        guild.members[self.bot_user_id]["joined_at"] = iso_timestamp()
        return self._announce_join(guild)

    async def remove_guild(self, guild_id: int) -> None:
        """The bot is removed from a guild (kicked, or the guild deleted).

        Dispatches GUILD_DELETE ``{"id": ...}`` without ``unavailable``, as Discord does when the
        bot is removed (discord.py fires ``on_guild_remove``). The guild leaves :attr:`guild_ids`;
        injecting an interaction there raises ``ValueError``; REST calls about it fail as on
        Discord. :meth:`rejoin_guild` brings it back.
        """
        guild = self._known_guild(guild_id)
        guild.present = False
        if self._sessions:
            await self.dispatch("GUILD_DELETE", {"id": str(guild.id)})
        self._notify()

    def _announce_join(self, guild: FakeGuild) -> GuildId:
        self._notify()
        if not self._sessions:
            return GuildId(guild.id)  # READY will list it
        return GuildId(
            guild.id,
            self._dispatch_soon("GUILD_CREATE", self._guild_create_payload(guild, joining=True)),
        )

    def _member_in(
        self, guild: FakeGuild, username: str, roles: Sequence[str | int], *, bot: bool = False
    ) -> int:
        """Make user ``username`` (created if unknown) a member of ``guild`` with ``roles``."""
        uid = self.user_ids.get(username)
        if uid is None:
            uid = self.ids.next()
            self.users[uid] = user_payload(uid, username, bot=bot)
            self.user_ids[username] = uid
        role_list = [self._role_id(r, guild) for r in roles]
        if uid in guild.members:
            guild.members[uid]["roles"] = [str(r) for r in role_list]
        else:
            guild.members[uid] = member_payload(
                self.users[uid], role_list, iso_timestamp(time.time() - 3600)
            )
        return uid

    def _any_guild(self, guild_id: int) -> FakeGuild:
        """A guild the fake knows, whether or not the bot is still in it."""
        guild = self._guilds.get(int(guild_id))
        if guild is None:
            raise ValueError(f"unknown guild {guild_id}; known: {list(self._guilds)}")
        return guild

    def _known_guild(self, guild_id: int) -> FakeGuild:
        """A guild the bot is in (``ValueError`` otherwise)."""
        guild = self._any_guild(guild_id)
        if not guild.present:
            raise ValueError(f"the bot is not in guild {guild_id} any more (remove_guild)")
        return guild

    def _where(self, guild: bool | int) -> FakeGuild | None:
        """``guild=`` of the injection methods: True the default guild, False a DM, an id that
        guild (``ValueError`` unless the bot is in it)."""
        if isinstance(guild, bool):
            if not guild:
                return None
            if not self._default.present:
                raise ValueError("the bot is not in the default guild any more (remove_guild)")
            return self._default
        return self._known_guild(guild)

    def _guild_of_channel(self, channel_id: int) -> FakeGuild | None:
        for guild in self._guilds.values():
            if channel_id in guild.channels:
                return guild
        return None

    def _channel_id_in(self, guild: FakeGuild, channel: int | str | None) -> int:
        """A channel of ``guild`` by name or id (default #general); ``ValueError`` otherwise."""
        if channel is None:
            return guild.channel_id
        if isinstance(channel, str):
            if channel not in guild.channel_ids:
                raise ValueError(
                    f"guild {guild.id} has no channel {channel!r}; it has "
                    f"{sorted(guild.channel_ids)}"
                )
            return guild.channel_ids[channel]
        channel_id = int(channel)
        if channel_id not in guild.channels:
            raise ValueError(
                f"unknown guild channel {channel!r} in guild {guild.id} "
                "(pass guild=<its guild id> for a channel of another guild)"
            )
        return channel_id

    def add_member(
        self,
        username: str,
        *,
        roles: Sequence[str | int] = (),
        bot: bool = False,
        guild: int | None = None,
    ) -> int:
        """Make ``username`` a member of a guild (default: the default one); returns the user id.

        The user is created if unknown; a known name is the same user (names are global), whose
        roles in that guild become ``roles``. Members added after the bot connected are not in its
        cache (no GUILD_MEMBER_ADD is sent), but interactions carry full member data, so commands
        still work.
        """
        target = self._default if guild is None else self._known_guild(guild)
        return self._member_in(target, username, roles, bot=bot)

    def add_user(self, username: str) -> int:
        """A user who is *not* a guild member (for DMs); returns the user id."""
        uid = self.ids.next()
        self.users[uid] = user_payload(uid, username)
        self.user_ids[username] = uid
        return uid

    def _role_id(self, role: str | int, guild: FakeGuild | None = None) -> int:
        guild = guild or self._default
        if isinstance(role, int):
            if role not in guild.roles:
                raise ValueError(f"unknown role id {role} in guild {guild.id}")
            return role
        try:
            return guild.role_ids[role]
        except KeyError:
            raise ValueError(
                f"unknown role {role!r} in guild {guild.id}; known: {sorted(guild.role_ids)}"
            ) from None

    def _user_id(self, user: Any) -> int:
        if user is None:
            return self.user_ids[self.default_user]
        if isinstance(user, str):
            try:
                return self.user_ids[user]
            except KeyError:
                raise ValueError(f"unknown user {user!r}; known: {sorted(self.user_ids)}") from None
        if isinstance(user, dict):
            uid = int(user["id"])
            self.users.setdefault(uid, user)
            return uid
        uid = int(getattr(user, "id", user))
        if uid not in self.users:
            raise ValueError(f"unknown user id {uid}")
        return uid

    def member_permissions(
        self, user_id: int, role_ids: Sequence[int] | None = None, *, guild: int | None = None
    ) -> int:
        """Guild-level permissions the way Discord computes them (no channel overwrites here),
        in ``guild`` (default: the default guild): its owner has all, else @everyone | roles."""
        target = self._default if guild is None else self._any_guild(guild)
        return self._permissions_in(target, user_id, role_ids)

    @staticmethod
    def _permissions_in(
        guild: FakeGuild, user_id: int, role_ids: Sequence[int] | None = None
    ) -> int:
        if user_id == guild.owner_id:
            return discord.Permissions.all().value
        member = guild.members.get(user_id)
        roles = (
            list(role_ids)
            if role_ids is not None
            else [int(r) for r in (member or {}).get("roles", [])]
        )
        value = int(guild.roles[guild.id]["permissions"])
        for rid in roles:
            value |= int(guild.roles[rid]["permissions"])
        if value & discord.Permissions(administrator=True).value:
            return discord.Permissions.all().value
        return value

    def _guild_create_payload(
        self, guild: FakeGuild | None = None, *, joining: bool = False
    ) -> dict[str, Any]:
        """GUILD_CREATE's guild. At start-up it carries ``"unavailable": false`` (the guild READY
        listed became available); when the bot joins a guild, Discord leaves the key out."""
        guild = guild or self._default
        channels = []
        for channel in guild.channels.values():
            item = dict(channel)
            item.pop("guild_id", None)  # GUILD_CREATE channels omit guild_id
            channels.append(item)
        payload: dict[str, Any] = {
            "id": str(guild.id),
            "name": guild.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(guild.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 1,
            "explicit_content_filter": 0,
            "roles": list(guild.roles.values()),
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "application_id": None,
            "system_channel_id": str(guild.channel_id),
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "vanity_url_code": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": "en-US",
            "nsfw_level": 0,
            "premium_progress_bar_enabled": False,
            "max_members": 500000,
            "max_video_channel_users": 25,
            "joined_at": guild.members[self.bot_user_id]["joined_at"],
            "large": False,
            "unavailable": False,
            "lazy": True,
            "member_count": len(guild.members),
            "voice_states": [],
            # Without the privileged GUILD_MEMBERS intent Discord only sends the bot's own member.
            "members": (
                list(guild.members.values())
                if (self.intents or 0) & (1 << 1)
                else [guild.members[self.bot_user_id]]
            ),
            "channels": channels,
            "threads": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }
        if joining:
            del payload["unavailable"]
        return payload

    # -----------------------------------------------------------------------------------------
    # application owners
    # -----------------------------------------------------------------------------------------

    def set_team(
        self,
        names: Sequence[str],
        *,
        roles: Mapping[str, str] | None = None,
        name: str = "quotebot team",
    ) -> int:
        """Make a team own the application; returns the team id (``[]`` removes the team).

        The first name is the team's owner; unknown names are created as users (not members of
        any guild). ``roles`` gives a member's team role (``admin``, ``developer``, ``read_only``);
        default ``admin`` for the owner (what Discord reports for owners) and ``developer`` for
        the others. ``GET /oauth2/applications/@me`` then returns the ``team`` object and, as
        ``owner``, the team's pseudo-user, as Discord does.
        """
        if not names:
            self._team = None
            return 0
        ids = [
            self.user_ids[n] if n in self.user_ids else self.add_user(n)
            for n in dict.fromkeys(names)
        ]
        given = dict(roles or {})
        unknown = set(given) - set(names)
        if unknown:
            raise ValueError(f"roles given for non-members of the team: {sorted(unknown)}")
        team_roles = {
            uid: given.get(n, "admin" if i == 0 else "developer")
            for i, (n, uid) in enumerate(zip(dict.fromkeys(names), ids, strict=True))
        }
        bad = {r for r in team_roles.values() if r not in ("admin", "developer", "read_only")}
        if bad:
            raise ValueError(f"unknown team role(s) {sorted(bad)}")
        team_id = self._team.id if self._team is not None else self.ids.next()
        self._team = _Team(team_id, name, ids[0], team_roles)
        return team_id

    @property
    def team_id(self) -> int | None:
        return None if self._team is None else self._team.id

    @property
    def app_owner_ids(self) -> set[int]:
        """Who discord.py's ``Bot.is_owner`` accepts: the owner, or the team's admins and
        developers (accepted members; read-only members are not owners to discord.py)."""
        if self._team is None:
            return {self.app_owner_id}
        return {uid for uid, role in self._team.roles.items() if role in ("admin", "developer")}

    def _team_payload(self, team: _Team) -> dict[str, Any]:
        def partial_user(uid: int) -> dict[str, Any]:
            user = self.users[uid]
            keys = ("id", "username", "avatar", "discriminator", "global_name")
            return {
                **{k: user.get(k) for k in keys},
                "public_flags": user.get("public_flags", 0),
                "flags": user.get("flags", 0),
            }

        return {
            "id": str(team.id),
            "name": team.name,
            "icon": None,
            "owner_user_id": str(team.owner_user_id),
            "members": [
                {
                    "membership_state": 2,  # ACCEPTED
                    "permissions": ["*"],
                    "role": role,
                    "team_id": str(team.id),
                    "user": partial_user(uid),
                }
                for uid, role in team.roles.items()
            ],
        }

    @staticmethod
    def _team_pseudo_user(team: _Team) -> dict[str, Any]:
        """The application's ``owner`` when a team owns it: a user named after the team's id."""
        return {
            "id": str(team.id),
            "username": f"team{team.id}",
            "avatar": None,
            "discriminator": "0000",
            "global_name": None,
            "public_flags": 1 << 10,  # TEAM_PSEUDO_USER
            "flags": 1 << 10,
            "bot": False,
            "banner": None,
            "accent_color": None,
        }

    # -----------------------------------------------------------------------------------------
    # lifecycle
    # -----------------------------------------------------------------------------------------

    async def start(self) -> FakeDiscord:
        """Listen on 127.0.0.1 with an ephemeral port; returns self."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        # A short shutdown timeout: a stuck handler must not hold a test for aiohttp's default 60 s.
        self._runner = web.AppRunner(
            app, handle_signals=False, access_log=None, shutdown_timeout=1.0
        )
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()
        log.debug("fake Discord listening on %s", self.base_url)
        return self

    async def stop(self) -> None:
        """Flag interactions that never got an answer, close websockets, stop listening."""
        if self._runner is None:
            return
        self._flag_unanswered()
        for handle in self._timers:
            handle.cancel()
        self._timers.clear()
        for task in list(self._tasks):
            task.cancel()
        for _, _, sent in self._outbox:
            if not sent.done():
                sent.set_result(None)  # nobody will receive it; do not leave awaiters hanging
        if self._hold is not None:
            self._hold.set()
        for conn in self.gateway_connections:
            if not conn.closed:
                # The peer may be gone already; then there is nothing to close.
                with contextlib.suppress(Exception):
                    await conn.ws.close(code=1001)
        runner, self._runner = self._runner, None
        await runner.cleanup()

    async def __aenter__(self) -> FakeDiscord:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        """What ``discord.http.Route.BASE`` must be set to."""
        return f"{self.base_url}/api/v{API_VERSION}"

    @property
    def gateway_url(self) -> str:
        """What ``DiscordWebSocket.DEFAULT_GATEWAY`` must be set to (as a ``yarl.URL``)."""
        return f"ws://127.0.0.1:{self.port}/gateway/"

    @property
    def resume_gateway_url(self) -> str:
        """Sent in READY; discord.py reconnects here to RESUME (a distinct path, to tell apart)."""
        return f"ws://127.0.0.1:{self.port}/resume-gateway/"

    # -----------------------------------------------------------------------------------------
    # time, waiting, violations
    # -----------------------------------------------------------------------------------------

    def _now(self) -> float:
        return asyncio.get_running_loop().time() + self._clock_offset

    def advance_clock(self, seconds: float) -> None:
        """Pretend ``seconds`` passed (deadlines, token lifetime); real timers are unaffected."""
        self._clock_offset += seconds

    def _notify(self) -> None:
        self._changes.notify()

    async def wait_for(
        self, predicate: Callable[[FakeDiscord], bool], timeout: float = 10.0
    ) -> None:
        """Wait until ``predicate(fake)`` is true, re-checked after every change the fake sees."""
        await self._changes.wait_until(
            lambda: bool(predicate(self)), timeout, lambda: f"condition not met after {timeout}s"
        )

    async def wait_for_sync(self, count: int = 1, timeout: float = 10.0) -> SyncRecord:
        """Wait until ``count`` command syncs (bulk PUTs) arrived; returns the latest."""
        await self.wait_for(lambda f: len(f.syncs) >= count, timeout)
        return self.syncs[-1]

    def _violate(
        self,
        rule: str,
        detail: str,
        record: InteractionRecord | None = None,
        ctx: _Ctx | None = None,
    ) -> Violation:
        violation = Violation(
            rule,
            detail,
            None if record is None else record.id,
            None if ctx is None else ctx.method,
            None if ctx is None else ctx.path,
        )
        self.violations.append(violation)
        if record is not None:
            record.violations.append(violation)
            record._notify()
        log.error("fake Discord: rule violated: %s", violation)
        self._notify()
        return violation

    def expect_violations(self, *patterns: str) -> None:
        """Declare violations this test provokes on purpose (glob on the rule, e.g. ``embed.*``)."""
        self._expected_violations.extend(patterns)

    def unexpected_violations(self) -> list[Violation]:
        """Violations not covered by :meth:`expect_violations` (what the fixture fails on)."""
        return [
            v
            for v in self.violations
            if not any(fnmatch.fnmatchcase(v.rule, p) for p in self._expected_violations)
        ]

    def assert_no_violations(self) -> None:
        unexpected = self.unexpected_violations()
        assert not unexpected, "Discord rules violated:\n" + "\n".join(f"  {v}" for v in unexpected)

    def _flag_unanswered(self) -> None:
        for record in self.records:
            answered = record.acknowledged or record.done
            flagged = any(v.rule.startswith("ack.") for v in record.violations)
            if record.dispatched and not answered and not flagged:
                self._violate("ack.missing", "interaction was never answered", record)

    def expire_token(self, record: InteractionRecord, *, status: int = 401) -> None:
        """Make the interaction token invalid, as Discord does after 15 minutes.

        Later follow-ups/edits get ``401 {"code": 50027, "message": "Invalid Webhook Token"}`` (what
        Discord answers once the window closed) or, with ``status=404``, ``404 {"code": 10015,
        "message": "Unknown Webhook"}``.
        """
        if status not in (401, 404):
            raise ValueError("status must be 401 or 404")
        record.expired = True
        record.expired_status = status

    # -----------------------------------------------------------------------------------------
    # fault injection
    # -----------------------------------------------------------------------------------------

    def fail_next(
        self,
        route_pattern: str,
        status: int = 429,
        *,
        retry_after: float = 0.25,
        is_global: bool = False,
        count: int = 1,
    ) -> Fault:
        """Make the next ``count`` requests matching ``route_pattern`` fail with ``status``.

        ``route_pattern`` is a glob matched against ``"METHOD /path"`` and ``"/path"`` (path
        relative to the API base), e.g. ``"POST /interactions/*/callback"`` or
        ``"/channels/*/messages"``.
        A 429 carries what discord.py reads (``Retry-After``, ``X-RateLimit-*``, ``Via``, a JSON
        body with ``retry_after`` and ``global``); 5xx carry a plain JSON error.
        """
        fault = Fault(route_pattern, status, retry_after, is_global, count)
        self.faults.append(fault)
        return fault

    @property
    def faults_fired(self) -> list[RequestLog]:
        return [entry for fault in self.faults for entry in fault.fired]

    def _take_fault(self, ctx: _Ctx) -> Fault | None:
        for fault in self.faults:
            if fault.remaining <= 0:
                continue
            if fnmatch.fnmatchcase(
                f"{ctx.method} {ctx.path}", fault.pattern
            ) or fnmatch.fnmatchcase(ctx.path, fault.pattern):
                fault.remaining -= 1
                fault.fired.append(ctx.entry)
                return fault
        return None

    @staticmethod
    def _fault_response(fault: Fault) -> web.Response:
        if fault.status == 429:
            retry = fault.retry_after
            headers = {
                "Retry-After": str(max(1, math.ceil(retry))),
                "X-RateLimit-Limit": "1",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": f"{time.time() + retry:.3f}",
                "X-RateLimit-Reset-After": f"{retry:.3f}",
                "X-RateLimit-Scope": "global" if fault.is_global else "user",
                # discord.py treats a 429 without "Via" as a Cloudflare ban and does not retry.
                "Via": "1.1 google",
            }
            if fault.is_global:
                headers["X-RateLimit-Global"] = "true"
            else:
                headers["X-RateLimit-Bucket"] = "fakebucket" + secrets.token_hex(4)
            body = {
                "message": "You are being rate limited.",
                "retry_after": retry,
                "global": fault.is_global,
            }
            return _json(429, body, headers)
        reason = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}.get(
            fault.status, "Error"
        )
        return _error(fault.status, 0, f"{fault.status}: {reason}")

    # -----------------------------------------------------------------------------------------
    # HTTP plumbing
    # -----------------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if path.rstrip("/") in ("/gateway", "/resume-gateway") and (
            request.headers.get("Upgrade", "").lower() == "websocket"
        ):
            return await self._gateway_handler(request)
        if path.startswith("/attachments/"):
            return self._serve_attachment(request)
        match = re.match(r"^/api/v\d+(/.*)$", path)
        api_path = match.group(1) if match else path
        entry = RequestLog(request.method, api_path, dict(request.query), None, self._now())
        self.requests.append(entry)
        try:
            body, files = await self._read_body(request)
            entry.body = body
            ctx = _Ctx(request, request.method, api_path, dict(request.query), body, files, entry)
            response = await self._route(ctx, is_api=match is not None)
        except Exception as exc:
            # A bug in the fake must fail the test loudly and fast: a 5xx would make discord.py
            # retry with back-off for seconds, so answer 400 and record a violation.
            log.exception("fake Discord: internal error on %s %s", request.method, api_path)
            self._violate("fake.internal_error", f"{request.method} {api_path}: {exc!r}")
            response = _error(400, 0, f"fake Discord internal error: {exc!r}")
        entry.status = response.status
        self._notify()
        return response

    @staticmethod
    async def _read_body(
        request: web.Request,
    ) -> tuple[Any, list[tuple[str, str, bytes, str | None]]]:
        files: list[tuple[str, str, bytes, str | None]] = []
        if request.content_type.startswith("multipart/"):
            payload: Any = None
            reader = await request.multipart()
            async for part in reader:
                if not isinstance(
                    part, aiohttp.BodyPartReader
                ):  # nested multipart: not used by Discord
                    continue
                if part.name == "payload_json":
                    payload = json.loads(await part.text())
                elif part.filename is not None:
                    data = bytes(await part.read(decode=False))
                    files.append(
                        (part.name or "", part.filename, data, part.headers.get("Content-Type"))
                    )
            return payload, files
        raw = await request.read()
        if not raw:
            return None, files
        try:
            return json.loads(raw), files
        except ValueError:
            return raw.decode("utf-8", "replace"), files

    def _route_table(self) -> list[tuple[str, re.Pattern[str], Handler, bool]]:
        """(method, path regex, handler, needs bot Authorization)."""
        sf = r"(?P<{}>\d+)"
        app = sf.format("app")
        guild = sf.format("guild")
        cid = sf.format("cid")
        mid = sf.format("mid")
        table: list[tuple[str, str, Handler, bool]] = [
            ("GET", r"/users/@me", self._h_me, True),
            ("GET", r"/oauth2/applications/@me", self._h_app_info, True),
            ("GET", r"/applications/@me", self._h_app_info, True),
            ("GET", r"/gateway", self._h_gateway, False),
            ("GET", r"/gateway/bot", self._h_gateway_bot, True),
            ("GET", rf"/applications/{app}/commands", self._h_commands_get, True),
            ("PUT", rf"/applications/{app}/commands", self._h_commands_put, True),
            ("POST", rf"/applications/{app}/commands", self._h_command_post, True),
            ("GET", rf"/applications/{app}/guilds/{guild}/commands", self._h_commands_get, True),
            ("PUT", rf"/applications/{app}/guilds/{guild}/commands", self._h_commands_put, True),
            ("POST", rf"/applications/{app}/guilds/{guild}/commands", self._h_command_post, True),
            ("GET", rf"/applications/{app}/commands/(?P<cmd>\d+)", self._h_command_one, True),
            ("PATCH", rf"/applications/{app}/commands/(?P<cmd>\d+)", self._h_command_one, True),
            ("DELETE", rf"/applications/{app}/commands/(?P<cmd>\d+)", self._h_command_one, True),
            (
                "GET",
                rf"/applications/{app}/guilds/{guild}/commands/(?P<cmd>\d+)",
                self._h_command_one,
                True,
            ),
            (
                "PATCH",
                rf"/applications/{app}/guilds/{guild}/commands/(?P<cmd>\d+)",
                self._h_command_one,
                True,
            ),
            (
                "DELETE",
                rf"/applications/{app}/guilds/{guild}/commands/(?P<cmd>\d+)",
                self._h_command_one,
                True,
            ),
            ("GET", rf"/applications/{app}/emojis", self._h_app_emojis, True),
            (
                "POST",
                r"/interactions/(?P<iid>\d+)/(?P<token>[^/]+)/callback",
                self._h_callback,
                False,
            ),
            ("POST", rf"/webhooks/{app}/(?P<token>[^/]+)", self._h_followup, False),
            (
                "GET",
                rf"/webhooks/{app}/(?P<token>[^/]+)/messages/(?P<mid>@original|\d+)",
                self._h_webhook_message,
                False,
            ),
            (
                "PATCH",
                rf"/webhooks/{app}/(?P<token>[^/]+)/messages/(?P<mid>@original|\d+)",
                self._h_webhook_message,
                False,
            ),
            (
                "DELETE",
                rf"/webhooks/{app}/(?P<token>[^/]+)/messages/(?P<mid>@original|\d+)",
                self._h_webhook_message,
                False,
            ),
            ("GET", rf"/channels/{cid}", self._h_channel_get, True),
            ("POST", rf"/channels/{cid}/messages", self._h_channel_message_post, True),
            ("GET", rf"/channels/{cid}/messages/{mid}", self._h_channel_message, True),
            ("PATCH", rf"/channels/{cid}/messages/{mid}", self._h_channel_message, True),
            ("DELETE", rf"/channels/{cid}/messages/{mid}", self._h_channel_message, True),
            ("POST", rf"/channels/{cid}/typing", self._h_typing, True),
            (
                "PUT",
                rf"/channels/{cid}/messages/{mid}/reactions/(?P<emoji>[^/]+)/@me",
                self._h_reaction,
                True,
            ),
            ("POST", r"/users/@me/channels", self._h_create_dm, True),
            ("GET", r"/users/(?P<uid>\d+)", self._h_user_get, True),
            ("GET", rf"/guilds/{guild}", self._h_guild_get, True),
            ("GET", rf"/guilds/{guild}/channels", self._h_guild_channels, True),
            ("GET", rf"/guilds/{guild}/members/(?P<uid>\d+)", self._h_guild_member, True),
        ]
        return [
            (method, re.compile(f"^{rx}$"), handler, auth) for method, rx, handler, auth in table
        ]

    async def _route(self, ctx: _Ctx, *, is_api: bool) -> web.StreamResponse:
        fault = self._take_fault(ctx) if is_api else None
        if fault is not None:
            log.info("fake Discord: injected %s for %s %s", fault.status, ctx.method, ctx.path)
            response = self._fault_response(fault)
            self._note_fault_on_interaction(ctx, response.status)
            return response
        path_known = False
        if is_api:
            for method, regex, handler, needs_auth in self._routes:
                match = regex.match(ctx.path)
                if match is None:
                    continue
                path_known = True
                if method != ctx.method:
                    continue
                if needs_auth and not self._authorized(ctx.request):
                    return _error(401, 0, "401: Unauthorized")
                return await handler(ctx, **match.groupdict())
        if path_known:
            return _error(405, 0, "405: Method Not Allowed")
        self.unknown_routes.append(ctx.entry)
        self._violate(
            "route.unknown",
            f"the fake does not implement {ctx.method} {ctx.path}; "
            "extend tests/fake_discord/server.py",
            ctx=ctx,
        )
        return _error(404, 0, "404: Not Found")

    def _authorized(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bot ") or len(header) <= 4:
            return False
        return self.bot_token is None or header == f"Bot {self.bot_token}"

    def _token_ok(self, token: Any) -> bool:
        if not isinstance(token, str) or not token:
            return False
        token = token.removeprefix("Bot ")
        return self.bot_token is None or token == self.bot_token

    def _note_fault_on_interaction(self, ctx: _Ctx, status: int) -> None:
        """Injected failures on interaction routes appear in the record's events too."""
        record: InteractionRecord | None = None
        kind = "callback"
        match = re.match(r"^/interactions/(\d+)/([^/]+)/callback$", ctx.path)
        if match:
            record = self._interactions.get(int(match.group(1)))
        else:
            match = re.match(r"^/webhooks/\d+/([^/]+)(/messages/.*)?$", ctx.path)
            if match:
                record = self._by_token.get(match.group(1))
                kind = {"POST": "followup", "PATCH": "edit", "DELETE": "delete"}.get(
                    ctx.method, "get"
                )
        if record is not None:
            self._event(record, ctx, kind, status)

    def _event(
        self,
        record: InteractionRecord,
        ctx: _Ctx,
        kind: str,
        status: int,
        *,
        response: Any = None,
        callback_type: int | None = None,
        message_id: int | None = None,
        error_code: int | None = None,
    ) -> ResponseEvent:
        event = ResponseEvent(
            kind=kind,
            method=ctx.method,
            path=ctx.path,
            at=record._elapsed(self._now()),
            status=status,
            request=ctx.body,
            response=response,
            callback_type=callback_type,
            message_id=message_id,
            error_code=error_code,
        )
        record.events.append(event)
        record._notify()
        return event

    def _serve_attachment(self, request: web.Request) -> web.StreamResponse:
        match = re.match(r"^/attachments/\d+/(\d+)/", request.path)
        stored = self.attachments.get(int(match.group(1))) if match else None
        if stored is None:
            return web.Response(status=404, text="not found")
        return web.Response(
            body=stored.data, content_type=stored.content_type or "application/octet-stream"
        )

    def add_attachment(
        self,
        filename: str,
        data: bytes,
        content_type: str | None = None,
        *,
        channel_id: int | None = None,
    ) -> StoredFile:
        """Store a file, served at ``http://127.0.0.1:<port>/attachments/...`` like the CDN."""
        fid = self.ids.next()
        if content_type is None:
            content_type = mimetypes.guess_type(filename)[0]
        url = f"{self.base_url}/attachments/{channel_id or self.channel_id}/{fid}/{filename}"
        stored = StoredFile(fid, filename, bytes(data), content_type, url)
        self.attachments[fid] = stored
        return stored

    # -----------------------------------------------------------------------------------------
    # REST: identity, gateway discovery
    # -----------------------------------------------------------------------------------------

    async def _h_me(self, ctx: _Ctx) -> web.Response:
        return _json(200, self.bot_user)

    async def _h_app_info(self, ctx: _Ctx) -> web.Response:
        team = self._team
        owner = self.users[self.app_owner_id] if team is None else self._team_pseudo_user(team)
        return _json(
            200,
            {
                "id": str(self.application_id),
                "name": "quotebot",
                "icon": None,
                "description": "",
                "summary": "",
                "type": None,
                "bot": self.bot_user,
                "bot_public": True,
                "bot_require_code_grant": False,
                "verify_key": "0" * 64,
                "flags": self.application_flags,
                "owner": owner,
                "team": None if team is None else self._team_payload(team),
                "rpc_origins": [],
                "tags": [],
                "redirect_uris": [],
                "interactions_endpoint_url": None,
                "role_connections_verification_url": None,
                "approximate_guild_count": len(self.guild_ids),
                "integration_types_config": {"0": {}},
                "hook": True,
                "is_monetized": False,
            },
        )

    async def _h_gateway(self, ctx: _Ctx) -> web.Response:
        return _json(200, {"url": self.gateway_url.rstrip("/")})

    async def _h_gateway_bot(self, ctx: _Ctx) -> web.Response:
        return _json(
            200,
            {
                "url": self.gateway_url.rstrip("/"),
                "shards": self.shards,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 14400000,
                    "max_concurrency": 1,
                },
            },
        )

    async def _h_app_emojis(self, ctx: _Ctx, app: str) -> web.Response:
        return _json(200, {"items": []})

    # -----------------------------------------------------------------------------------------
    # REST: application commands
    # -----------------------------------------------------------------------------------------

    def _scope_check(self, app: str, guild: str | None) -> web.Response | None:
        if int(app) != self.application_id:
            return _error(403, 50001, "Missing Access")
        # Discord answers 403 Missing Access for a guild the bot is not in (or was removed from).
        if guild is not None and int(guild) not in self.guild_ids:
            return _error(403, 50001, "Missing Access")
        return None

    def _normalize_command(self, command: dict[str, Any], scope: int | None) -> dict[str, Any]:
        ctype = int(command.get("type") or 1)
        existing = next(
            (
                c
                for c in self.commands.get(scope, [])
                if c["name"] == command.get("name") and c["type"] == ctype
            ),
            None,
        )
        # Discord keeps a command's id across overwrites as long as name and type are unchanged.
        command_id = existing["id"] if existing else str(self.ids.next())
        perms = command.get("default_member_permissions")
        out: dict[str, Any] = {
            "id": command_id,
            "application_id": str(self.application_id),
            "version": str(self.ids.next()),
            "type": ctype,
            "name": command.get("name"),
            "name_localizations": command.get("name_localizations"),
            "description": command.get("description") or "",
            "description_localizations": command.get("description_localizations"),
            "default_member_permissions": None if perms is None else str(perms),
            "dm_permission": command.get("dm_permission", True),
            "contexts": command.get("contexts"),
            "integration_types": command.get("integration_types") or [0],
            "nsfw": bool(command.get("nsfw", False)),
        }
        if ctype == 1:
            out["options"] = copy.deepcopy(command.get("options") or [])
        if scope is not None:
            out["guild_id"] = str(scope)
        return out

    def register_commands(
        self, commands: list[dict[str, Any]], *, guild_id: int | None = None
    ) -> list[dict[str, Any]]:
        """Store commands as if synced in an earlier run (no :class:`SyncRecord`); returns them."""
        stored = [self._normalize_command(c, guild_id) for c in commands]
        self.commands[guild_id] = stored
        self._notify()
        return stored

    def find_command(
        self, name: str, command_type: int = 1, *, guild: bool | int = True
    ) -> dict[str, Any]:
        """The stored command a user would pick (that guild's commands shadow global ones)."""
        command, _ = self._find_command(name, command_type, self._where(guild))
        return command

    def _find_command(
        self,
        name: str,
        command_type: int,
        guild: FakeGuild | None,
        *,
        forged_guild_id: int | None = None,
    ) -> tuple[dict[str, Any], int | None]:
        """The command a user in ``guild`` (None: a DM) sees: that guild's own commands, then the
        global ones; a command synced to another guild is not visible there."""
        scopes: list[int | None] = [None] if guild is None else [guild.id, None]
        if forged_guild_id is not None:
            # A crafted payload may name any command id the attacker saw: the forged guild's (none),
            # a global one, or failing that one of the default guild's.
            scopes = [forged_guild_id, None, self.guild_id]
        for scope in scopes:
            for command in self.commands.get(scope, []):
                if command["name"] == name and command["type"] == command_type:
                    if (
                        guild is None
                        and forged_guild_id is None
                        and (
                            command.get("dm_permission") is False
                            or (
                                command.get("contexts") is not None and 1 not in command["contexts"]
                            )
                        )
                    ):
                        raise ValueError(f"command {name!r} is not available in DMs")
                    return command, scope
        elsewhere = [
            scope
            for scope, commands in self.commands.items()
            if scope not in scopes
            and any(c["name"] == name and c["type"] == command_type for c in commands)
        ]
        if elsewhere:
            where = "a DM" if guild is None else f"guild {guild.id}"
            raise LookupError(
                f"command {name!r} of type {command_type} is registered only in guild(s) "
                f"{elsewhere}, so a user in {where} does not see it (and there is no global one)"
            )
        known = sorted({(c["name"], c["type"]) for cs in self.commands.values() for c in cs})
        raise LookupError(
            f"no synced or registered command {name!r} of type {command_type}; known: {known}. "
            "Sync the tree or let run_client register it."
        )

    async def _h_commands_get(self, ctx: _Ctx, app: str, guild: str | None = None) -> web.Response:
        if (error := self._scope_check(app, guild)) is not None:
            return error
        scope = None if guild is None else int(guild)
        return _json(200, self.commands.get(scope, []))

    async def _h_commands_put(self, ctx: _Ctx, app: str, guild: str | None = None) -> web.Response:
        if (error := self._scope_check(app, guild)) is not None:
            return error
        errors = rules.check_commands(ctx.body)
        if errors:
            for err in errors:
                self._violate(err.rule, err.describe(), ctx=ctx)
            return _json(400, rules.error_body(errors))
        scope = None if guild is None else int(guild)
        stored = [self._normalize_command(c, scope) for c in ctx.body]
        self.commands[scope] = stored
        self.syncs.append(SyncRecord(scope, copy.deepcopy(stored), self._now()))
        self._notify()
        return _json(200, stored)

    async def _h_command_post(self, ctx: _Ctx, app: str, guild: str | None = None) -> web.Response:
        if (error := self._scope_check(app, guild)) is not None:
            return error
        errors = rules.check_commands([ctx.body])
        if errors:
            for err in errors:
                self._violate(err.rule, err.describe(), ctx=ctx)
            return _json(400, rules.error_body(errors))
        scope = None if guild is None else int(guild)
        command = self._normalize_command(ctx.body, scope)
        current = [
            c
            for c in self.commands.get(scope, [])
            if not (c["name"] == command["name"] and c["type"] == command["type"])
        ]
        self.commands[scope] = [*current, command]
        return _json(201, command)

    async def _h_command_one(
        self, ctx: _Ctx, app: str, cmd: str, guild: str | None = None
    ) -> web.StreamResponse:
        if (error := self._scope_check(app, guild)) is not None:
            return error
        scope = None if guild is None else int(guild)
        commands = self.commands.get(scope, [])
        found = next((c for c in commands if c["id"] == cmd), None)
        if found is None:
            return _error(404, 10063, "Unknown application command")
        if ctx.method == "GET":
            return _json(200, found)
        if ctx.method == "DELETE":
            self.commands[scope] = [c for c in commands if c is not found]
            return _no_content()
        merged = {**found, **(ctx.body or {})}
        updated = self._normalize_command(merged, scope)
        self.commands[scope] = [updated if c is found else c for c in commands]
        return _json(200, updated)

    # -----------------------------------------------------------------------------------------
    # messages: creation, update, mentions
    # -----------------------------------------------------------------------------------------

    def _store_uploads(
        self, channel_id: int, body: dict[str, Any], files: list[tuple[str, str, bytes, str | None]]
    ) -> list[StoredFile]:
        stored = []
        descriptions = {
            str(a.get("id")): a.get("description")
            for a in (body.get("attachments") or [])
            if isinstance(a, dict)
        }
        for field_name, filename, data, content_type in files:
            index = field_name[len("files[") : -1] if field_name.startswith("files[") else ""
            item = self.add_attachment(filename, data, content_type, channel_id=channel_id)
            item.description = descriptions.get(index)
            stored.append(item)
        return stored

    def _mentions(self, content: str, allowed: Any) -> tuple[bool, list[int], list[int]]:
        """Who a message's content would notify, applying Discord's ``allowed_mentions`` rules.

        Without ``allowed_mentions`` Discord parses everything: users, roles and @everyone/@here.
        """
        if isinstance(allowed, dict):
            parse = set(allowed.get("parse") or [])
            users_ok = {int(u) for u in allowed.get("users") or []}
            roles_ok = {int(r) for r in allowed.get("roles") or []}
        else:
            parse = {"users", "roles", "everyone"}
            users_ok, roles_ok = set(), set()
        everyone = ("@everyone" in content or "@here" in content) and "everyone" in parse
        users = [
            u
            for u in dict.fromkeys(int(m) for m in re.findall(r"<@!?(\d+)>", content))
            if "users" in parse or u in users_ok
        ]
        roles = [
            r
            for r in dict.fromkeys(int(m) for m in re.findall(r"<@&(\d+)>", content))
            if "roles" in parse or r in roles_ok
        ]
        return everyone, users, roles

    def _apply_mentions(
        self, message: StoredMessage, body: dict[str, Any], record: InteractionRecord | None
    ) -> None:
        content = message.payload.get("content") or ""
        everyone, users, roles = self._mentions(content, body.get("allowed_mentions"))
        message.payload["mention_everyone"] = everyone
        message.payload["mentions"] = [self.users[u] for u in users if u in self.users]
        message.payload["mention_roles"] = [str(r) for r in roles]
        if everyone or users or roles:
            ping = Ping(
                message.id,
                None if record is None else record.id,
                everyone,
                users,
                roles,
                content,
                message.ephemeral,
            )
            self.pings.append(ping)
            if record is not None:
                record.pings.append(ping)
            log.warning("fake Discord: message %s would ping %s", message.id, ping)

    @staticmethod
    def _normalize_embeds(embeds: Any) -> list[dict[str, Any]]:
        return [{"type": "rich", **e} for e in embeds or [] if isinstance(e, dict)]

    def _create_message(
        self,
        *,
        channel_id: int,
        body: dict[str, Any],
        files: list[tuple[str, str, bytes, str | None]],
        record: InteractionRecord | None = None,
        message_type: int = 0,
        flags_allowed: int = FLAG_SUPPRESS_EMBEDS
        | FLAG_SUPPRESS_NOTIFICATIONS
        | FLAG_IS_COMPONENTS_V2,
        extra_flags: int = 0,
        author: dict[str, Any] | None = None,
    ) -> StoredMessage:
        message_id = self.ids.next()
        stored_files = self._store_uploads(channel_id, body, files)
        flags = (int(body.get("flags") or 0) & flags_allowed) | extra_flags
        payload: dict[str, Any] = {
            "id": str(message_id),
            "channel_id": str(channel_id),
            "type": message_type,
            "content": body.get("content") or "",
            "author": author or self.bot_user,
            "attachments": [f.to_attachment() for f in stored_files],
            "embeds": self._normalize_embeds(body.get("embeds")),
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "pinned": False,
            "tts": bool(body.get("tts", False)),
            "timestamp": iso_timestamp(),
            "edited_timestamp": None,
            "flags": flags,
            "components": copy.deepcopy(body.get("components") or []),
        }
        if body.get("nonce") is not None:
            payload["nonce"] = body["nonce"]  # Discord echoes the nonce of channel messages
        if body.get("message_reference"):
            payload["message_reference"] = body["message_reference"]
            payload["type"] = 19
        if record is not None:
            payload["webhook_id"] = str(self.application_id)
            payload["application_id"] = str(self.application_id)
            payload.update(self._interaction_metadata(record))
        message = StoredMessage(
            message_id,
            channel_id,
            payload,
            interaction_id=None if record is None else record.id,
            files=stored_files,
        )
        self.messages[message_id] = message
        if author is None:
            self._apply_mentions(message, body, record)
        return message

    def _interaction_metadata(self, record: InteractionRecord) -> dict[str, Any]:
        user = (record.payload.get("member") or {}).get("user") or record.payload.get("user")
        metadata: dict[str, Any] = {
            "id": str(record.id),
            "type": record.type,
            "user": user,
            "authorizing_integration_owners": record.payload.get(
                "authorizing_integration_owners", {}
            ),
        }
        out: dict[str, Any] = {"interaction_metadata": metadata}
        if record.type == INTERACTION_APPLICATION_COMMAND:
            metadata["name"] = record.name
            metadata["command_type"] = record.payload["data"].get("type", 1)
            out["interaction"] = {
                "id": str(record.id),
                "type": record.type,
                "name": record.name,
                "user": user,
            }
        elif record.source_message_id is not None:
            metadata["interacted_message_id"] = str(record.source_message_id)
        return out

    def _update_message(
        self,
        message: StoredMessage,
        body: dict[str, Any],
        files: list[tuple[str, str, bytes, str | None]],
        record: InteractionRecord | None,
    ) -> None:
        """Apply a PATCH-like body: present keys replace, ``null`` clears, absent keys stay."""
        was_loading = message.loading
        message.history.append(copy.deepcopy(message.payload))
        payload = message.payload
        if "content" in body:
            payload["content"] = body["content"] or ""
        if "embeds" in body:
            payload["embeds"] = self._normalize_embeds(body["embeds"])
        if "components" in body:
            payload["components"] = copy.deepcopy(body["components"] or [])
        flags = int(payload.get("flags") or 0) & ~FLAG_LOADING
        if body.get("flags") is not None:
            changeable = FLAG_SUPPRESS_EMBEDS | FLAG_IS_COMPONENTS_V2
            flags = (flags & ~changeable) | (int(body["flags"]) & changeable)
        payload["flags"] = flags
        if "attachments" in body or files:
            keep_ids = {
                str(a.get("id")) for a in body.get("attachments") or [] if isinstance(a, dict)
            }
            kept = [f for f in message.files if str(f.id) in keep_ids]
            new = self._store_uploads(message.channel_id, body, files)
            message.files = kept + new
            payload["attachments"] = [f.to_attachment() for f in message.files]
        if not was_loading:
            payload["edited_timestamp"] = iso_timestamp()
        if "content" in body or "allowed_mentions" in body:
            self._apply_mentions(message, body, record)

    def _check_files(
        self, files: list[tuple[str, str, bytes, str | None]]
    ) -> list[rules.RuleError]:
        errors = []
        for _, filename, data, _ in files:
            if len(data) > self.attachment_size_limit:
                errors.append(
                    rules.RuleError(
                        "attachment.size",
                        ("files",),
                        "REQUEST_ENTITY_TOO_LARGE",
                        f"Request entity too large ({filename}: {len(data)} bytes)",
                        discord_code=40005,
                    )
                )
        if len(files) > 10:
            errors.append(
                rules.RuleError(
                    "attachment.count",
                    ("files",),
                    "BASE_TYPE_MAX_LENGTH",
                    "Must be 10 or fewer in length.",
                )
            )
        return errors

    def _reject(
        self, errors: list[rules.RuleError], ctx: _Ctx, record: InteractionRecord | None, kind: str
    ) -> web.Response | None:
        """Record every broken rule; answer like Discord (400/413) if ``reject_invalid``."""
        if not errors:
            return None
        for err in errors:
            self._violate(err.rule, err.describe(), record, ctx)
        if not self.reject_invalid:
            return None
        body = rules.error_body(errors)
        status = 413 if body["code"] == 40005 else 400
        if record is not None:
            self._event(record, ctx, kind, status, response=body, error_code=body["code"])
        return _json(status, body)

    # -----------------------------------------------------------------------------------------
    # REST: interaction callback
    # -----------------------------------------------------------------------------------------

    async def _h_callback(self, ctx: _Ctx, iid: str, token: str) -> web.Response:
        record = self._interactions.get(int(iid))
        if record is None or record.token != token:
            self._violate("interaction.unknown", f"callback for unknown interaction {iid}", ctx=ctx)
            return _error(404, 10062, "Unknown interaction")
        now = self._now()
        body = ctx.body if isinstance(ctx.body, dict) else {}
        callback_type = body.get("type")

        if record.acknowledged:
            self._violate(
                "ack.duplicate",
                f"second initial response (type {callback_type}) after type {record.callback_type}",
                record,
                ctx,
            )
            self._event(record, ctx, "callback", 400, callback_type=callback_type, error_code=40060)
            return _error(400, 40060, "Interaction has already been acknowledged.")

        elapsed = record._elapsed(now)
        if elapsed is None or elapsed > self.ack_deadline:
            when = "before dispatch" if elapsed is None else f"{elapsed:.3f}s after dispatch"
            detail = f"initial response arrived {when} (limit {self.ack_deadline}s)"
            late = next((v for v in record.violations if v.rule == "ack.late"), None)
            if late is None:
                self._violate("ack.late", detail, record, ctx)
            else:
                late.detail = detail
            self._event(record, ctx, "callback", 404, callback_type=callback_type, error_code=10062)
            return _error(404, 10062, "Unknown interaction")

        if callback_type not in ALLOWED_CALLBACKS.get(record.type, frozenset()):
            error = rules.RuleError(
                "callback.type_invalid",
                ("type",),
                "INTERACTION_RESPONSE_TYPE_INVALID",
                f"Callback type {callback_type} is not valid for interaction type {record.type}",
            )
            if (response := self._reject([error], ctx, record, "callback")) is not None:
                return response

        raw_data = body.get("data")
        data: dict[str, Any] = raw_data if isinstance(raw_data, dict) else {}
        errors: list[rules.RuleError] = self._check_files(ctx.files)
        if callback_type == CALLBACK_CHANNEL_MESSAGE:
            errors += rules.check_message(data, ("data",), creating=True, files=len(ctx.files))
        elif callback_type == CALLBACK_UPDATE_MESSAGE:
            errors += rules.check_message(data, ("data",), creating=False)
        elif callback_type == CALLBACK_AUTOCOMPLETE_RESULT:
            errors += rules.check_choices(data)
        elif callback_type == CALLBACK_MODAL:
            errors += rules.check_modal(data)
        if (response := self._reject(errors, ctx, record, "callback")) is not None:
            return response

        record.callback_type = callback_type
        record.callback_data = copy.deepcopy(data)
        record.acknowledged_at = now
        channel_id = int(record.payload["channel_id"])
        message: StoredMessage | None = None
        if callback_type == CALLBACK_CHANNEL_MESSAGE:
            message = self._create_message(
                channel_id=channel_id,
                body=data,
                files=ctx.files,
                record=record,
                message_type=self._response_message_type(record),
                flags_allowed=FLAG_EPHEMERAL
                | FLAG_SUPPRESS_EMBEDS
                | FLAG_SUPPRESS_NOTIFICATIONS
                | FLAG_IS_COMPONENTS_V2,
            )
            record.original_id = message.id
        elif callback_type == CALLBACK_DEFERRED_CHANNEL_MESSAGE:
            message = self._create_message(
                channel_id=channel_id,
                body={"flags": data.get("flags", 0)},
                files=[],
                record=record,
                message_type=self._response_message_type(record),
                flags_allowed=FLAG_EPHEMERAL,
                extra_flags=FLAG_LOADING,
            )
            record.original_id = message.id
        elif callback_type in (CALLBACK_DEFERRED_UPDATE_MESSAGE, CALLBACK_UPDATE_MESSAGE):
            source = self.messages.get(record.source_message_id or 0)
            if source is not None:
                record.original_id = source.id
                if callback_type == CALLBACK_UPDATE_MESSAGE:
                    self._update_message(source, data, ctx.files, record)
                message = source

        interaction: dict[str, Any] = {"id": str(record.id), "type": record.type}
        result: dict[str, Any] = {"interaction": interaction}
        if message is not None:
            interaction["response_message_id"] = str(message.id)
            interaction["response_message_loading"] = message.loading
            interaction["response_message_ephemeral"] = message.ephemeral
            if callback_type != CALLBACK_DEFERRED_UPDATE_MESSAGE:
                result["resource"] = {
                    "type": callback_type,
                    "message": copy.deepcopy(message.payload),
                }
        self._event(
            record,
            ctx,
            "callback",
            200,
            response=result,
            callback_type=callback_type,
            message_id=None if message is None else message.id,
        )
        # discord.py >= 2.5 always asks for the callback response object and parses it; without
        # with_response Discord answers 204.
        if _truthy(ctx.query.get("with_response")):
            return _json(200, result)
        return _no_content()

    @staticmethod
    def _response_message_type(record: InteractionRecord) -> int:
        if record.type == INTERACTION_APPLICATION_COMMAND:
            return 20 if record.payload["data"].get("type", 1) == 1 else 23
        return 0

    # -----------------------------------------------------------------------------------------
    # REST: webhook follow-ups and @original
    # -----------------------------------------------------------------------------------------

    def _webhook_record(
        self, ctx: _Ctx, app: str, token: str, kind: str
    ) -> InteractionRecord | web.Response:
        record = self._by_token.get(token)
        if record is None or int(app) != self.application_id:
            self._violate(
                "webhook.unknown", "webhook call with an unknown application id or token", ctx=ctx
            )
            return _error(404, 10015, "Unknown Webhook")
        now = self._now()
        elapsed = record._elapsed(now)
        if record.expired or (elapsed is not None and elapsed > self.token_lifetime):
            self._violate(
                "token.expired",
                f"{kind} after the interaction token expired ({self.token_lifetime:.0f}s lifetime)",
                record,
                ctx,
            )
            if record.expired_status == 404:
                self._event(record, ctx, kind, 404, error_code=10015)
                return _error(404, 10015, "Unknown Webhook")
            self._event(record, ctx, kind, 401, error_code=50027)
            return _error(401, 50027, "Invalid Webhook Token")
        if not record.acknowledged:
            self._violate(
                "followup.before_ack",
                f"{kind} before the interaction was acknowledged",
                record,
                ctx,
            )
            self._event(record, ctx, kind, 404, error_code=10015)
            return _error(404, 10015, "Unknown Webhook")
        return record

    async def _h_followup(self, ctx: _Ctx, app: str, token: str) -> web.Response:
        found = self._webhook_record(ctx, app, token, "followup")
        if not isinstance(found, InteractionRecord):
            return found
        record = found
        body = ctx.body if isinstance(ctx.body, dict) else {}
        errors = self._check_files(ctx.files) + rules.check_message(
            body, creating=True, files=len(ctx.files)
        )
        if (response := self._reject(errors, ctx, record, "followup")) is not None:
            return response
        original = record.original
        if (
            record.callback_type == CALLBACK_DEFERRED_CHANNEL_MESSAGE
            and original is not None
            and original.loading
        ):
            # Discord: the first follow-up after a "thinking" deferral replaces the placeholder.
            self._update_message(original, body, ctx.files, record)
            message = original
        else:
            message = self._create_message(
                channel_id=int(record.payload["channel_id"]),
                body=body,
                files=ctx.files,
                record=record,
                message_type=self._response_message_type(record),
                flags_allowed=FLAG_EPHEMERAL
                | FLAG_SUPPRESS_EMBEDS
                | FLAG_SUPPRESS_NOTIFICATIONS
                | FLAG_IS_COMPONENTS_V2,
            )
            record.followup_ids.append(message.id)
        result = copy.deepcopy(message.payload)
        self._event(record, ctx, "followup", 200, response=result, message_id=message.id)
        if _truthy(ctx.query.get("wait")):
            return _json(200, result)
        return _no_content()

    async def _h_webhook_message(self, ctx: _Ctx, app: str, token: str, mid: str) -> web.Response:
        kind = {"GET": "get", "PATCH": "edit", "DELETE": "delete"}[ctx.method]
        found = self._webhook_record(ctx, app, token, kind)
        if not isinstance(found, InteractionRecord):
            return found
        record = found
        if mid == "@original":
            message_id = record.original_id
        else:
            message_id = int(mid)
            if message_id != record.original_id and message_id not in record.followup_ids:
                message_id = None
        message = None if message_id is None else self.messages.get(message_id)
        if message is None or message.deleted:
            self._event(record, ctx, kind, 404, error_code=10008)
            return _error(404, 10008, "Unknown Message")
        if ctx.method == "GET":
            result = copy.deepcopy(message.payload)
            self._event(record, ctx, kind, 200, response=result, message_id=message.id)
            return _json(200, result)
        if ctx.method == "DELETE":
            message.deleted = True
            if message.id == record.original_id:
                record.original_deleted = True
            self._event(record, ctx, kind, 204, message_id=message.id)
            return _no_content()
        body = ctx.body if isinstance(ctx.body, dict) else {}
        flags = int(message.payload.get("flags") or 0)
        if body.get("flags") is not None:
            flags = int(body["flags"])
        errors = self._check_files(ctx.files) + rules.check_message(
            body, creating=False, flags=flags
        )
        merged = {
            **message.payload,
            **{k: v for k, v in body.items() if k in ("content", "embeds", "components")},
        }
        if rules.is_empty_message(merged, len(ctx.files)) and not message.files:
            errors.append(
                rules.RuleError(
                    "message.empty",
                    (),
                    "EMPTY_MESSAGE",
                    "Cannot send an empty message",
                    discord_code=rules.EMPTY_MESSAGE,
                )
            )
        if (response := self._reject(errors, ctx, record, kind)) is not None:
            return response
        self._update_message(message, body, ctx.files, record)
        result = copy.deepcopy(message.payload)
        self._event(record, ctx, kind, 200, response=result, message_id=message.id)
        return _json(200, result)

    # -----------------------------------------------------------------------------------------
    # REST: channels, users, guild
    # -----------------------------------------------------------------------------------------

    def _channel(self, cid: int) -> dict[str, Any] | None:
        """A channel the bot can see: in a guild it is in, or a DM."""
        guild = self._guild_of_channel(cid)
        if guild is not None:
            return guild.channels[cid] if guild.present else None
        return self._dm_channels.get(cid)

    def _channel_error(self, cid: int) -> web.Response:
        guild = self._guild_of_channel(cid)
        if guild is not None and not guild.present:
            return _error(403, 50001, "Missing Access")  # it exists; the bot was removed
        return _error(404, 10003, "Unknown Channel")

    async def _h_channel_get(self, ctx: _Ctx, cid: str) -> web.Response:
        channel = self._channel(int(cid))
        if channel is None:
            return self._channel_error(int(cid))
        return _json(200, channel)

    async def _h_channel_message_post(self, ctx: _Ctx, cid: str) -> web.Response:
        if self._channel(int(cid)) is None:
            return self._channel_error(int(cid))
        body = ctx.body if isinstance(ctx.body, dict) else {}
        errors = self._check_files(ctx.files) + rules.check_message(
            body, creating=True, files=len(ctx.files)
        )
        if (response := self._reject(errors, ctx, None, "message")) is not None:
            return response
        message = self._create_message(channel_id=int(cid), body=body, files=ctx.files)
        return _json(200, copy.deepcopy(message.payload))

    async def _h_channel_message(self, ctx: _Ctx, cid: str, mid: str) -> web.Response:
        message = self.messages.get(int(mid))
        if message is None or message.deleted or message.channel_id != int(cid):
            return _error(404, 10008, "Unknown Message")
        if ctx.method == "GET":
            return _json(200, copy.deepcopy(message.payload))
        if ctx.method == "DELETE":
            message.deleted = True
            return _no_content()
        if int(message.payload["author"]["id"]) != self.bot_user_id:
            return _error(403, 50005, "Cannot edit a message authored by another user")
        body = ctx.body if isinstance(ctx.body, dict) else {}
        errors = self._check_files(ctx.files) + rules.check_message(body, creating=False)
        if (response := self._reject(errors, ctx, None, "edit")) is not None:
            return response
        self._update_message(message, body, ctx.files, None)
        return _json(200, copy.deepcopy(message.payload))

    async def _h_typing(self, ctx: _Ctx, cid: str) -> web.Response:
        return _no_content()

    async def _h_reaction(self, ctx: _Ctx, cid: str, mid: str, emoji: str) -> web.Response:
        message = self.messages.get(int(mid))
        if message is None:
            return _error(404, 10008, "Unknown Message")
        message.payload.setdefault("reactions", []).append(
            {"count": 1, "me": True, "emoji": {"id": None, "name": emoji}, "burst_colors": []}
        )
        return _no_content()

    def dm_channel_id(self, user: Any) -> int:
        """The DM channel between the bot and ``user`` (created on first use)."""
        uid = self._user_id(user)
        if uid not in self._dm_by_user:
            cid = self.ids.next()
            self._dm_channels[cid] = dm_channel_payload(cid, self.users[uid])
            self._dm_by_user[uid] = cid
        return self._dm_by_user[uid]

    async def _h_create_dm(self, ctx: _Ctx) -> web.Response:
        recipient = int((ctx.body or {}).get("recipient_id", 0))
        if recipient not in self.users:
            return _error(400, 50007, "Cannot send messages to this user")
        return _json(200, self._dm_channels[self.dm_channel_id(recipient)])

    async def _h_user_get(self, ctx: _Ctx, uid: str) -> web.Response:
        user = self.users.get(int(uid))
        return _json(200, user) if user else _error(404, 10013, "Unknown User")

    def _present_guild(self, guild_id: str) -> FakeGuild | None:
        guild = self._guilds.get(int(guild_id))
        return guild if guild is not None and guild.present else None

    async def _h_guild_get(self, ctx: _Ctx, guild: str) -> web.Response:
        found = self._present_guild(guild)
        if found is None:
            return _error(404, 10004, "Unknown Guild")
        payload = self._guild_create_payload(found)
        for key in (
            "members",
            "channels",
            "threads",
            "presences",
            "voice_states",
            "joined_at",
            "large",
        ):
            payload.pop(key, None)
        return _json(200, payload)

    async def _h_guild_channels(self, ctx: _Ctx, guild: str) -> web.Response:
        found = self._present_guild(guild)
        if found is None:
            return _error(404, 10004, "Unknown Guild")
        return _json(200, list(found.channels.values()))

    async def _h_guild_member(self, ctx: _Ctx, guild: str, uid: str) -> web.Response:
        found = self._present_guild(guild)
        if found is None:
            return _error(404, 10004, "Unknown Guild")
        member = found.members.get(int(uid))
        if member is None:
            return _error(404, 10007, "Unknown Member")
        return _json(200, member)

    # -----------------------------------------------------------------------------------------
    # gateway
    # -----------------------------------------------------------------------------------------

    async def _gateway_handler(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0, autoping=True)
        await ws.prepare(request)
        conn = GatewayConnection(ws, request, request.path, dict(request.query), self._now())
        self.gateway_connections.append(conn)
        self._notify()
        try:
            hold = self._hold
            if hold is not None:
                await hold.wait()
            await self._send(
                conn,
                {
                    "op": 10,
                    "d": {"heartbeat_interval": self.heartbeat_interval_ms, "_trace": ["fake"]},
                },
            )
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    await self._on_gateway_frame(conn, json.loads(msg.data))
                elif msg.type is WSMsgType.ERROR:
                    break
        except (ConnectionResetError, RuntimeError) as exc:
            log.debug("fake gateway connection ended: %r", exc)
        finally:
            conn.closed = True
            for session in self._sessions.values():
                if session.live is conn:
                    session.live = None
            self._notify()
        return ws

    async def _send(self, conn: GatewayConnection, frame: dict[str, Any]) -> None:
        frame.setdefault("s", None)
        frame.setdefault("t", None)
        # Text frames: discord.py only runs its zlib/zstd decompressor on binary frames.
        await conn.ws.send_str(json.dumps(frame))

    async def _on_gateway_frame(self, conn: GatewayConnection, frame: dict[str, Any]) -> None:
        op = frame.get("op")
        data = frame.get("d")
        if op == 1:  # HEARTBEAT
            conn.heartbeats += 1
            await self._send(conn, {"op": 11})
        elif op == 2:  # IDENTIFY
            await self._identify(conn, data or {})
        elif op == 6:  # RESUME
            await self._resume(conn, data or {})
        elif op == 8:  # REQUEST_GUILD_MEMBERS (chunking when the members intent is on)
            await self._request_members(data or {})
        elif op in (3, 4):  # presence / voice state updates: accepted, nothing to do
            return
        else:
            self._violate("gateway.unknown_op", f"unknown gateway opcode {op}")
            await conn.ws.close(code=4001, message=b"Unknown opcode")

    @staticmethod
    def _shard_of_identify(data: dict[str, Any]) -> tuple[int, int] | None:
        """IDENTIFY's ``shard`` [shard_id, num_shards] ([0, 1] when absent); None if invalid."""
        shard = data.get("shard", [0, 1])
        if (
            not isinstance(shard, list)
            or len(shard) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in shard)
        ):
            return None
        shard_id, count = shard
        if count < 1 or not 0 <= shard_id < count:
            return None
        return shard_id, count

    async def _identify(self, conn: GatewayConnection, data: dict[str, Any]) -> None:
        if not self._token_ok(data.get("token")):
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return
        shard = self._shard_of_identify(data)
        if shard is None:
            # Discord: 4010 Invalid shard, "You sent an invalid shard when identifying."
            self._violate("gateway.shard_invalid", f"IDENTIFY with shard {data.get('shard')!r}")
            await conn.ws.close(code=4010, message=b"Invalid shard.")
            return
        shard_id, count = shard
        async with self._gw_lock:
            self.identify_count += 1
            self.intents = data.get("intents")
            # A new IDENTIFY for a shard starts a new session for it (the old one's id no
            # longer resumes).
            session = _Session(shard_id, count, uuid.uuid4().hex, seq=1)
            previous = self._sessions.get(shard_id)
            if previous is not None:  # a drop it did not RESUME from stays unresumed
                session.drops, session.resumed_at_drop = previous.drops, previous.resumed_at_drop
            self._sessions[shard_id] = session
            # Joins queued for this shard's old session: READY below lists those guilds already.
            kept = []
            for item in self._outbox:
                event, payload, sent = item
                if session.carries(self._guild_of_event(event, payload)):
                    if not sent.done():
                        sent.set_result(None)
                else:
                    kept.append(item)
            self._outbox[:] = kept
            guilds = [self._guilds[gid] for gid in self.guild_ids if session.carries(gid)]
            conn.kind = "identify"
            conn.shard = (shard_id, count)
            ready = {
                "v": API_VERSION,
                "user": self.bot_user,
                "user_settings": {},
                "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
                "relationships": [],
                "private_channels": [],
                "presences": [],
                "guild_join_requests": [],
                "geo_ordered_rtc_regions": ["fake"],
                "session_id": session.session_id,
                "session_type": "normal",
                "resume_gateway_url": self.resume_gateway_url.rstrip("/"),
                "shard": [shard_id, count],
                "application": {"id": str(self.application_id), "flags": self.application_flags},
                "auth_session_id_hash": "fake",
                "_trace": ["fake"],
            }
            await self._send(conn, {"op": 0, "t": "READY", "s": session.seq, "d": ready})
            session.live = conn
        for guild in guilds:
            await self.dispatch("GUILD_CREATE", self._guild_create_payload(guild))
        self._notify()

    async def _resume(self, conn: GatewayConnection, data: dict[str, Any]) -> None:
        session = next(
            (s for s in self._sessions.values() if s.session_id == data.get("session_id")), None
        )
        if session is None or not self._token_ok(data.get("token")):
            # discord.py then drops its session and IDENTIFYs again.
            await self._send(conn, {"op": 9, "d": False})
            return
        async with self._gw_lock:
            # Holding the lock: no new event can slip in between the replay and RESUMED.
            last_seen = int(data.get("seq") or 0)
            for entry in session.log:
                if entry.seq > last_seen:
                    await self._send(conn, entry.frame)
                    conn.events.append((entry.frame["t"], entry.frame["d"]))
                    if entry.on_sent is not None:
                        entry.on_sent()
            session.seq += 1
            await self._send(
                conn, {"op": 0, "t": "RESUMED", "s": session.seq, "d": {"_trace": ["fake"]}}
            )
            conn.kind = "resume"
            conn.shard = (session.shard_id, session.shard_count)
            self.resume_count += 1
            session.resumed_at_drop = session.drops
            session.live = conn
        self._notify()

    async def _request_members(self, data: dict[str, Any]) -> None:
        requested = data.get("guild_id", self.guild_id)
        ids = requested if isinstance(requested, list) else [requested]
        for gid in ids:
            guild = self._present_guild(str(gid))
            if guild is None:
                continue
            chunk = {
                "guild_id": str(guild.id),
                "members": list(guild.members.values()),
                "chunk_index": 0,
                "chunk_count": 1,
                "not_found": [],
            }
            if data.get("nonce"):
                chunk["nonce"] = data["nonce"]
            await self.dispatch("GUILD_MEMBERS_CHUNK", chunk)

    # -- shards ---------------------------------------------------------------------------------

    @staticmethod
    def _guild_of_event(event: str, data: Mapping[str, Any]) -> int | None:
        """The guild an event belongs to (None: none, as for direct messages)."""
        raw = data.get("id") if event in ("GUILD_CREATE", "GUILD_UPDATE", "GUILD_DELETE") else None
        raw = raw if raw is not None else data.get("guild_id")
        return int(raw) if raw is not None else None

    def _sessions_for(self, guild_id: int | None) -> list[_Session]:
        return [s for s in self._sessions.values() if s.carries(guild_id)]

    def shard_of(self, guild_id: int | None, shards: int | None = None) -> int:
        """The shard that carries a guild's events ((guild_id >> 22) % shards; 0 for direct
        messages); ``shards`` defaults to the count the connected bot identified with, else
        :attr:`shards`."""
        if guild_id is None:
            return 0
        if shards is None:
            counts = {s.shard_count for s in self._sessions.values()}
            shards = counts.pop() if len(counts) == 1 else self.shards
        return (int(guild_id) >> 22) % shards

    def guild_id_on_shard(self, shard_id: int, shards: int | None = None) -> int:
        """A new snowflake for a guild that falls on ``shard_id`` of ``shards`` (default
        :attr:`shards`): the timestamp bits are moved up to the next that fit, as if the guild
        was made a few milliseconds later."""
        count = shards or self.shards
        if not 0 <= shard_id < count:
            raise ValueError(f"shard {shard_id} is not one of 0..{count - 1}")
        stamp = self.ids.next() >> 22
        stamp += (shard_id - stamp) % count
        snowflake = stamp << 22
        self.ids._last = max(self.ids._last, snowflake)  # later ids stay increasing
        return snowflake

    @property
    def identified_shards(self) -> dict[int, int]:
        """Shard id -> shard count of every session the bot identified."""
        return {sid: s.shard_count for sid, s in sorted(self._sessions.items())}

    @property
    def connected_shards(self) -> list[int]:
        """Shard ids with a live gateway connection."""
        return sorted(
            sid for sid, s in self._sessions.items() if s.live is not None and not s.live.closed
        )

    async def dispatch(
        self, event: str, data: dict[str, Any], *, on_sent: Callable[[], None] | None = None
    ) -> int:
        """Send a DISPATCH event (op 0) to the bot, on the shard(s) that carry it; returns its
        sequence number (0 if no session carries it: the event is lost, as on Discord).

        Events are kept for RESUME: if no connection is live they are sent when the client resumes.
        """
        async with self._gw_lock:
            await self._flush_outbox()
            return await self._emit(event, data, on_sent)

    async def _emit(
        self, event: str, data: dict[str, Any], on_sent: Callable[[], None] | None
    ) -> int:
        """Number, log and send one event on each session that carries it; the caller holds
        ``_gw_lock``."""
        first = 0
        for session in self._sessions_for(self._guild_of_event(event, data)):
            session.seq += 1
            frame = {"op": 0, "t": event, "s": session.seq, "d": data}
            entry = _LogEntry(session.seq, frame, on_sent)
            session.log.append(entry)
            first = first or entry.seq
            conn = session.live
            if conn is not None and not conn.closed:
                try:
                    await self._send(conn, frame)
                except (ConnectionResetError, RuntimeError) as exc:
                    log.debug("fake gateway: send failed (%r); event kept for RESUME", exc)
                    session.live = None
                else:
                    conn.events.append((event, data))
                    if on_sent is not None:
                        on_sent()
        if not first:
            log.debug("fake gateway: no session carries %s; dropped", event)
        return first

    def _dispatch_soon(self, event: str, data: dict[str, Any]) -> asyncio.Future[None]:
        """Queue an event from synchronous code; it goes out before any event dispatched later
        (so an interaction injected right after ``add_guild`` follows its GUILD_CREATE)."""
        loop = asyncio.get_running_loop()
        sent: asyncio.Future[None] = loop.create_future()
        self._outbox.append((event, data, sent))
        task = loop.create_task(self._drain_outbox(), name="fake-discord: outbox")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return sent

    async def _drain_outbox(self) -> None:
        async with self._gw_lock:
            await self._flush_outbox()

    async def _flush_outbox(self) -> None:
        """Send queued events in order; the caller holds ``_gw_lock``."""
        while self._outbox:
            event, data, sent = self._outbox.pop(0)
            await self._emit(event, data, None)
            if not sent.done():
                sent.set_result(None)

    @property
    def connected(self) -> bool:
        """True while every shard the bot identified has a live connection (after READY or
        RESUMED); False before the first IDENTIFY."""
        return bool(self._sessions) and len(self.connected_shards) == len(self._sessions)

    async def drop_gateway(
        self, *, code: int | None = None, hold: bool = False, shard: int | None = None
    ) -> None:
        """Kill the live gateway connection (of every shard, or of ``shard``) so that discord.py
        reconnects and RESUMEs.

        ``code=None`` aborts the TCP connection without a close frame (a network failure);
        an int sends that close code. With ``hold=True`` new connections get no HELLO until
        :meth:`release_gateway`, so events injected meanwhile are only delivered by RESUME's replay.
        """
        if hold and self._hold is None:
            self._hold = asyncio.Event()
        dropped = False
        for sid, session in self._sessions.items():
            if shard is not None and sid != shard:
                continue
            session.drops += 1
            conn, session.live = session.live, None
            if conn is None:
                continue
            dropped = True
            if code is None:
                transport = conn.request.transport
                if transport is not None:
                    transport.abort()
            else:
                await conn.ws.close(code=code)
        if dropped:
            self._notify()

    def release_gateway(self) -> None:
        """Let held connections proceed (see :meth:`drop_gateway`)."""
        if self._hold is not None:
            self._hold.set()
            self._hold = None

    def _resumed(self) -> bool:
        return self.connected and all(s.resumed_at_drop == s.drops for s in self._sessions.values())

    async def wait_for_resume(self, timeout: float = 10.0) -> None:
        """Wait until the client RESUMEd (every dropped shard) after the latest
        :meth:`drop_gateway`."""
        await self.wait_for(lambda f: f._resumed(), timeout)

    async def wait_connected(self, timeout: float = 10.0) -> None:
        await self.wait_for(lambda f: f.connected, timeout)

    # -----------------------------------------------------------------------------------------
    # interaction injection
    # -----------------------------------------------------------------------------------------

    def _interaction_base(
        self,
        interaction_type: int,
        *,
        user: Any,
        guild: FakeGuild | None,
        channel: int | str | None,
        member_permissions: Any,
        roles: Sequence[str | int] | None,
        locale: str,
        forged_guild_id: int | None = None,
    ) -> dict[str, Any]:
        uid = self._user_id(user)
        user_data = self.users[uid]
        interaction_id = self.ids.next()
        payload: dict[str, Any] = {
            "id": str(interaction_id),
            "application_id": str(self.application_id),
            "type": interaction_type,
            "token": f"fake.{interaction_id}.{secrets.token_urlsafe(32)}",
            "version": 1,
            "locale": locale,
            "app_permissions": str(self.app_permissions),
            "entitlements": [],
            "entitlement_sku_ids": [],
            "attachment_size_limit": self.attachment_size_limit,
        }
        if forged_guild_id is not None:
            channel_id, channel_data = self._forged_channel(forged_guild_id, channel)
            # Whoever crafts the payload claims what suits them; by default, owning the guild.
            perms = (
                _perm_value(member_permissions)
                if member_permissions is not None
                else discord.Permissions.all().value
            )
            if any(isinstance(r, str) for r in roles or ()):
                raise ValueError("a forged guild has no role names; pass role ids")
            role_list = [int(r) for r in roles or ()]
            member = member_payload(user_data, role_list, iso_timestamp(time.time() - 60))
            member["permissions"] = str(perms)
            payload.update(
                {
                    "guild_id": str(forged_guild_id),
                    "guild": {"id": str(forged_guild_id), "locale": "en-US", "features": []},
                    "guild_locale": "en-US",
                    "channel_id": str(channel_id),
                    "channel": {**channel_data, "permissions": str(perms)},
                    "member": member,
                    "context": 0,
                    "authorizing_integration_owners": {"0": str(forged_guild_id)},
                }
            )
        elif guild is not None:
            channel_id = self._channel_id_in(guild, channel)
            channel_data = guild.channels[channel_id]
            role_list = (
                [self._role_id(r, guild) for r in roles]
                if roles is not None
                else [int(r) for r in guild.members.get(uid, {}).get("roles", [])]
            )
            perms = (
                _perm_value(member_permissions)
                if member_permissions is not None
                else self._permissions_in(guild, uid, role_list)
            )
            base_member = guild.members.get(uid) or member_payload(
                user_data, role_list, iso_timestamp(time.time() - 60)
            )
            member = {**copy.deepcopy(base_member), "roles": [str(r) for r in role_list]}
            member["user"] = user_data
            member["permissions"] = str(perms)
            payload.update(
                {
                    "guild_id": str(guild.id),
                    "guild": {"id": str(guild.id), "locale": "en-US", "features": []},
                    "guild_locale": "en-US",
                    "channel_id": str(channel_id),
                    "channel": {**channel_data, "permissions": str(perms)},
                    "member": member,
                    "context": 0,
                    "authorizing_integration_owners": {"0": str(guild.id)},
                }
            )
        else:
            dm_id = self.dm_channel_id(uid)
            payload.update(
                {
                    "channel_id": str(dm_id),
                    "channel": self._dm_channels[dm_id],
                    "user": user_data,
                    "context": 1,
                    "authorizing_integration_owners": {"0": "0"},
                }
            )
        return payload

    def _forged_channel(
        self, forged_guild_id: int, channel: int | str | None
    ) -> tuple[int, dict[str, Any]]:
        """The channel a forged interaction claims: an id given, or one made up per forged guild
        (by name: ``"general"`` unless told), reused so replies land in one place."""
        if isinstance(channel, int):
            channel_id = channel
        else:
            name = channel or "general"
            channel_id = (
                next(
                    (
                        cid
                        for cid, data in self._forged_channels.items()
                        if data["guild_id"] == str(forged_guild_id) and data["name"] == name
                    ),
                    0,
                )
                or self.ids.next()
            )
        if channel_id not in self._forged_channels:
            self._forged_channels[channel_id] = channel_payload(
                channel_id,
                channel if isinstance(channel, str) else "general",
                guild_id=forged_guild_id,
                position=1,
            )
        return channel_id, self._forged_channels[channel_id]

    def _check_forged(self, guild: bool | int, forged_guild_id: int | None) -> None:
        if forged_guild_id is None:
            return
        if forged_guild_id in self.guild_ids:
            raise ValueError(
                f"forged_guild_id {forged_guild_id} is a guild the bot is in; pass guild= instead"
            )
        if guild is not True:
            raise ValueError("forged_guild_id builds a guild interaction; leave guild= unset")

    async def _inject(
        self,
        payload: dict[str, Any],
        name: str,
        *,
        source_message_id: int | None = None,
    ) -> InteractionRecord:
        if not self._sessions:
            raise RuntimeError("no bot has connected to the fake gateway yet (use run_client)")
        guild_id = payload.get("guild_id")
        if not self._sessions_for(int(guild_id) if guild_id is not None else None):
            where = f"guild {guild_id}" if guild_id is not None else "direct messages"
            raise RuntimeError(
                f"no bot has identified the shard of {where} "
                f"(shards identified: {sorted(self._sessions)})"
            )
        record = InteractionRecord(
            self,
            interaction_id=int(payload["id"]),
            token=payload["token"],
            interaction_type=payload["type"],
            payload=payload,
            name=name,
            created_at=self._now(),
            source_message_id=source_message_id,
        )
        if guild_id is not None and int(guild_id) not in self.guild_ids:
            record.forged_guild_id = int(guild_id)
        self.records.append(record)
        self._interactions[record.id] = record
        self._by_token[record.token] = record
        await self.dispatch(
            "INTERACTION_CREATE", payload, on_sent=lambda: self._mark_dispatched(record)
        )
        return record

    def _mark_dispatched(self, record: InteractionRecord) -> None:
        if record.dispatched_at is not None:
            return
        record.dispatched_at = self._now()
        loop = asyncio.get_running_loop()
        self._timers.append(loop.call_later(self.ack_deadline + 0.01, self._check_deadline, record))
        record._notify()

    def _check_deadline(self, record: InteractionRecord) -> None:
        if record.acknowledged or record.done:
            return
        if any(v.rule == "ack.late" for v in record.violations):
            return
        self._violate(
            "ack.late", f"no initial response within {self.ack_deadline}s of dispatch", record
        )

    def _leaf_schema(
        self,
        name: str,
        command_type: int,
        guild: FakeGuild | None,
        forged_guild_id: int | None = None,
    ) -> tuple[dict[str, Any], int | None, list[dict[str, Any]], list[dict[str, Any]]]:
        """(command, scope, chain of subcommand-group/subcommand options, leaf option schema)."""
        parts = name.split()
        command, scope = self._find_command(
            parts[0], command_type, guild, forged_guild_id=forged_guild_id
        )
        chain: list[dict[str, Any]] = []
        container: dict[str, Any] = command
        for part in parts[1:]:
            options = container.get("options") or []
            nxt = next((o for o in options if o["name"] == part and o["type"] in (1, 2)), None)
            if nxt is None:
                subs = [o["name"] for o in options if o["type"] in (1, 2)]
                raise ValueError(f"{name!r}: no subcommand {part!r}; available: {subs}")
            chain.append(nxt)
            container = nxt
        leaf = container.get("options") or []
        if any(o["type"] in (1, 2) for o in leaf):
            subs = [o["name"] for o in leaf if o["type"] in (1, 2)]
            raise ValueError(f"{name!r} is a group; name a subcommand, one of {subs}")
        return command, scope, chain, leaf

    def _resolve_snowflake_option(
        self,
        option_type: int,
        value: Any,
        resolved: dict[str, dict[str, Any]],
        guild: FakeGuild | None,
    ) -> str:
        # Names of channels and roles resolve in the interaction's guild (in a DM: the default).
        where = guild or self._default
        if option_type == _OPTION_ATTACHMENT:
            if isinstance(value, StoredFile):
                stored = value
            elif isinstance(value, Upload):
                stored = self.add_attachment(value.filename, value.data, value.content_type)
            elif isinstance(value, tuple):
                stored = self.add_attachment(*value)
            else:
                raise TypeError("attachment options take an Upload(filename, data[, content_type])")
            resolved.setdefault("attachments", {})[str(stored.id)] = stored.to_attachment()
            return str(stored.id)
        if option_type == _OPTION_CHANNEL:
            if isinstance(value, str) and value not in where.channel_ids:
                raise ValueError(f"unknown channel {value!r} in guild {where.id}")
            cid = (
                where.channel_ids[value]
                if isinstance(value, str)
                else int(getattr(value, "id", value))
            )
            channel = self._channel(cid)
            if channel is None:
                raise ValueError(f"unknown channel {value!r}")
            entry: dict[str, Any] = {
                k: channel[k]
                for k in ("id", "name", "type", "parent_id", "guild_id", "flags")
                if k in channel
            }
            entry["permissions"] = str(self.app_permissions)
            resolved.setdefault("channels", {})[str(cid)] = entry
            return str(cid)
        is_role = option_type == _OPTION_ROLE or (
            option_type == _OPTION_MENTIONABLE
            and (
                (isinstance(value, str) and value in where.role_ids)
                or (not isinstance(value, str) and int(getattr(value, "id", value)) in where.roles)
            )
        )
        if is_role:
            rid = self._role_id(
                value if isinstance(value, str) else int(getattr(value, "id", value)), where
            )
            resolved.setdefault("roles", {})[str(rid)] = where.roles[rid]
            return str(rid)
        uid = self._user_id(value)
        resolved.setdefault("users", {})[str(uid)] = self.users[uid]
        if guild is not None and uid in guild.members:
            member = {k: v for k, v in guild.members[uid].items() if k != "user"}
            member["permissions"] = str(self._permissions_in(guild, uid))
            resolved.setdefault("members", {})[str(uid)] = member
        return str(uid)

    def _build_options(
        self,
        schema: list[dict[str, Any]],
        values: Mapping[str, Any],
        *,
        guild: FakeGuild | None,
        focused: str | None = None,
    ) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
        by_name = {o["name"]: o for o in schema}
        unknown = set(values) - set(by_name)
        if unknown:
            raise ValueError(
                f"unknown option(s) {sorted(unknown)}; the command has {sorted(by_name)}"
            )
        if focused is None:
            missing = [o["name"] for o in schema if o.get("required") and o["name"] not in values]
            if missing:
                raise ValueError(
                    f"missing required option(s) {missing} (Discord would not send this)"
                )
        elif focused not in by_name:
            raise ValueError(f"focused option {focused!r} is not an option of the command")
        elif not by_name[focused].get("autocomplete"):
            raise ValueError(f"option {focused!r} has no autocomplete; Discord would not ask")
        out: list[dict[str, Any]] = []
        resolved: dict[str, dict[str, Any]] = {}
        for option in schema:
            name = option["name"]
            option_type = option["type"]
            if name not in values and name != focused:
                continue
            value = values.get(name, "")
            if name == focused:
                # While typing, Discord sends the raw text, also for numeric options.
                out.append(
                    {"type": option_type, "name": name, "value": str(value), "focused": True}
                )
                continue
            if focused is not None:
                # Autocomplete carries ids without "resolved" data.
                if option_type in (6, 7, 8, 9, 11) and not isinstance(value, (str, int)):
                    value = getattr(value, "id", value)
                out.append({"type": option_type, "name": name, "value": value})
                continue
            out.append(
                {
                    "type": option_type,
                    "name": name,
                    "value": self._convert(option, value, resolved, guild),
                }
            )
        return out, resolved

    def _convert(
        self,
        option: dict[str, Any],
        value: Any,
        resolved: dict[str, Any],
        guild: FakeGuild | None,
    ) -> Any:
        option_type = option["type"]
        name = option["name"]
        if option_type in (6, 7, 8, 9, 11):
            return self._resolve_snowflake_option(option_type, value, resolved, guild)
        if option_type == 3:
            converted: Any = str(value)
            if len(converted) < option.get("min_length", 0) or len(converted) > option.get(
                "max_length", 6000
            ):
                raise ValueError(f"option {name!r}: length outside the command's min/max_length")
        elif option_type == 4:
            if isinstance(value, bool) or int(value) != value:
                raise ValueError(f"option {name!r} is an integer option")
            converted = int(value)
        elif option_type == 5:
            converted = bool(value)
        elif option_type == 10:
            converted = float(value)
        else:
            raise ValueError(f"option {name!r} has unsupported type {option_type}")
        if option_type in (4, 10):
            if "min_value" in option and converted < option["min_value"]:
                raise ValueError(f"option {name!r}: below min_value {option['min_value']}")
            if "max_value" in option and converted > option["max_value"]:
                raise ValueError(f"option {name!r}: above max_value {option['max_value']}")
        choices = option.get("choices")
        if choices and converted not in [c["value"] for c in choices]:
            raise ValueError(f"option {name!r}: {converted!r} is not one of the choices {choices}")
        return converted

    @staticmethod
    def _wrap(chain: list[dict[str, Any]], leaf: list[dict[str, Any]]) -> list[dict[str, Any]]:
        options = leaf
        for sub in reversed(chain):
            options = [{"type": sub["type"], "name": sub["name"], "options": options}]
        return options

    async def send_slash(
        self,
        name: str,
        options: Mapping[str, Any] | list[dict[str, Any]] | None = None,
        **how: Any,
    ) -> InteractionRecord:
        """Run ``/name`` (``"corpus add"`` for subcommands); returns its record at once.

        ``options`` is ``{option_name: value}`` converted by the synced schema (users/roles/channels
        by name or id, attachments as :class:`Upload`), or raw Discord option dicts (then pass
        ``resolved`` yourself). ``how``: who, where and with which permissions, as in
        :meth:`slash_payload`.
        """
        return await self._inject(self.slash_payload(name, options, **how), name)

    def slash_payload(
        self,
        name: str,
        options: Mapping[str, Any] | list[dict[str, Any]] | None = None,
        *,
        user: Any = None,
        member_permissions: Any = None,
        roles: Sequence[str | int] | None = None,
        guild: bool | int = True,
        channel: int | str | None = None,
        locale: str = "en-US",
        resolved: dict[str, Any] | None = None,
        forged_guild_id: int | None = None,
    ) -> dict[str, Any]:
        """The INTERACTION_CREATE payload of ``send_slash``, built but not dispatched (for a
        benchmark that hands it to the client directly, without the network).

        ``guild``: True the default guild, False a DM, an id that guild (the bot must be in it);
        ``channel`` (name or id) and ``roles`` (names or ids) are that guild's, and the member's
        roles and permissions are computed there unless ``roles``/``member_permissions`` say.
        ``forged_guild_id``: a crafted guild interaction claiming a guild the bot is not in (its
        own made-up channel; the member claims every permission unless ``member_permissions``).
        """
        self._check_forged(guild, forged_guild_id)
        where = None if forged_guild_id is not None else self._where(guild)
        command, scope, chain, leaf_schema = self._leaf_schema(name, 1, where, forged_guild_id)
        if isinstance(options, list):
            leaf, res = copy.deepcopy(options), copy.deepcopy(resolved or {})
        else:
            leaf, res = self._build_options(leaf_schema, options or {}, guild=where)
        payload = self._interaction_base(
            INTERACTION_APPLICATION_COMMAND,
            user=user,
            guild=where,
            channel=channel,
            member_permissions=member_permissions,
            roles=roles,
            locale=locale,
            forged_guild_id=forged_guild_id,
        )
        data: dict[str, Any] = {"id": command["id"], "name": command["name"], "type": 1}
        wrapped = self._wrap(chain, leaf)
        if wrapped:
            data["options"] = wrapped
        if res:
            data["resolved"] = res
        if scope is not None:
            data["guild_id"] = str(scope)
        payload["data"] = data
        return payload

    async def send_autocomplete(
        self,
        name: str,
        options: Mapping[str, Any] | None,
        focused: str,
        *,
        user: Any = None,
        guild: bool | int = True,
        channel: int | str | None = None,
        locale: str = "en-US",
        member_permissions: Any = None,
        roles: Sequence[str | int] | None = None,
        forged_guild_id: int | None = None,
    ) -> InteractionRecord:
        """Ask for choices while the user types option ``focused`` (its text in ``options``);
        ``guild``, ``channel``, ``forged_guild_id`` as in :meth:`slash_payload`."""
        self._check_forged(guild, forged_guild_id)
        where = None if forged_guild_id is not None else self._where(guild)
        command, scope, chain, leaf_schema = self._leaf_schema(name, 1, where, forged_guild_id)
        leaf, _ = self._build_options(leaf_schema, options or {}, guild=where, focused=focused)
        payload = self._interaction_base(
            INTERACTION_AUTOCOMPLETE,
            user=user,
            guild=where,
            channel=channel,
            member_permissions=member_permissions,
            roles=roles,
            locale=locale,
            forged_guild_id=forged_guild_id,
        )
        data: dict[str, Any] = {
            "id": command["id"],
            "name": command["name"],
            "type": 1,
            "options": self._wrap(chain, leaf),
        }
        if scope is not None:
            data["guild_id"] = str(scope)
        payload["data"] = data
        return await self._inject(payload, name)

    def post_user_message(
        self,
        content: str,
        *,
        author: Any = None,
        channel: int | str | None = None,
        embeds: list[dict[str, Any]] | None = None,
        attachments: Sequence[Upload] = (),
        guild: bool | int = True,
    ) -> StoredMessage:
        """Store a message written by a (fake) user, e.g. as the target of a message command.

        In ``channel`` (name or id) of ``guild`` (True: the default one, default #general; an id:
        that guild; False: a DM, ``channel`` if it is a DM channel's id, else the author's)."""
        where = self._where(guild)
        uid = self._user_id(author)
        if where is not None:
            channel_id = self._channel_id_in(where, channel)
        elif isinstance(channel, int) and channel in self._dm_channels:
            channel_id = channel
        else:
            channel_id = self.dm_channel_id(uid)
        files = [
            (f"files[{i}]", up.filename, up.data, up.content_type)
            for i, up in enumerate(attachments)
        ]
        message = self._create_message(
            channel_id=channel_id,
            body={"content": content, "embeds": embeds or []},
            files=files,
            author=self.users[uid],
        )
        return message

    async def send_user_message(
        self,
        content: str,
        *,
        author: Any = None,
        channel: int | str | None = None,
        guild: bool | int = True,
    ) -> StoredMessage:
        """Post a user message and dispatch MESSAGE_CREATE (for ``on_message``/prefix commands)."""
        message = self.post_user_message(content, author=author, channel=channel, guild=guild)
        event = copy.deepcopy(message.payload)
        where = self._guild_of_channel(message.channel_id)
        if where is not None:
            uid = int(message.payload["author"]["id"])
            event["guild_id"] = str(where.id)
            if uid in where.members:
                event["member"] = {k: v for k, v in where.members[uid].items() if k != "user"}
        await self.dispatch("MESSAGE_CREATE", event)
        return message

    async def send_message_command(
        self,
        name: str,
        message_content: str | None = None,
        *,
        message: StoredMessage | int | None = None,
        author: Any = None,
        user: Any = None,
        guild: bool | int = True,
        channel: int | str | None = None,
        locale: str = "en-US",
    ) -> InteractionRecord:
        """Run message context-menu command ``name`` on a new message with ``message_content``
        (written by ``author``, default ``bob``, in ``channel`` of ``guild``) or on an existing
        ``message`` (then the command runs where that message is, unless ``guild=False``)."""
        if message is None:
            where = self._where(guild)
            if message_content is None:
                raise ValueError("pass message_content or message")
            target = self.post_user_message(
                message_content,
                author=author if author is not None else "bob",
                # In a DM, the message is in the DM where the command is used.
                channel=channel if where is not None else self.dm_channel_id(self._user_id(user)),
                guild=guild,
            )
        else:
            target = self.messages[message.id if isinstance(message, StoredMessage) else message]
            where = self._where(guild)
            if where is not None and guild is True:
                # A message command runs where its message is.
                home = self._guild_of_channel(target.channel_id)
                where = None if home is None else self._known_guild(home.id)
        command, scope = self._find_command(name, 3, where)
        payload = self._interaction_base(
            INTERACTION_APPLICATION_COMMAND,
            user=user,
            guild=where,
            channel=target.channel_id if where is not None else None,
            member_permissions=None,
            roles=None,
            locale=locale,
        )
        data: dict[str, Any] = {
            "id": command["id"],
            "name": command["name"],
            "type": 3,
            "target_id": str(target.id),
            "resolved": {"messages": {str(target.id): copy.deepcopy(target.payload)}},
        }
        if scope is not None:
            data["guild_id"] = str(scope)
        payload["data"] = data
        return await self._inject(payload, name)

    async def send_user_command(
        self,
        name: str,
        target: Any,
        *,
        user: Any = None,
        guild: bool | int = True,
        locale: str = "en-US",
    ) -> InteractionRecord:
        """Run user context-menu command ``name`` on ``target`` (a user name or id)."""
        where = self._where(guild)
        command, scope = self._find_command(name, 2, where)
        resolved: dict[str, dict[str, Any]] = {}
        target_id = self._resolve_snowflake_option(_OPTION_USER, target, resolved, where)
        payload = self._interaction_base(
            INTERACTION_APPLICATION_COMMAND,
            user=user,
            guild=where,
            channel=None,
            member_permissions=None,
            roles=None,
            locale=locale,
        )
        data: dict[str, Any] = {
            "id": command["id"],
            "name": command["name"],
            "type": 2,
            "target_id": target_id,
            "resolved": resolved,
        }
        if scope is not None:
            data["guild_id"] = str(scope)
        payload["data"] = data
        return await self._inject(payload, name)

    def _click_target(self, target: Any, custom_id: str) -> StoredMessage:
        if isinstance(target, InteractionRecord):
            for message in reversed(target.messages):
                if message.find_component(custom_id) is not None:
                    return message
            raise ValueError(
                f"no message of {target!r} has a component {custom_id!r}; "
                f"custom_ids: {[m.custom_ids for m in target.messages]}"
            )
        if isinstance(target, StoredMessage):
            message = target
        else:
            message = self.messages[int(getattr(target, "id", target))]
        if message.deleted:
            raise ValueError(f"message {message.id} was deleted")
        return message

    async def click(
        self,
        message_or_record: StoredMessage | InteractionRecord | int,
        custom_id: str,
        *,
        user: Any = None,
        values: Sequence[str] | None = None,
        locale: str = "en-US",
    ) -> InteractionRecord:
        """Click the button (or choose ``values`` in the select) ``custom_id`` on a bot message.

        Given a record, the latest of its messages that has the component is used.
        """
        message = self._click_target(message_or_record, custom_id)
        component = message.find_component(custom_id)
        if component is None:
            raise ValueError(
                f"message {message.id} has no component {custom_id!r}; has {message.custom_ids}"
            )
        if component.get("disabled"):
            raise ValueError(f"component {custom_id!r} is disabled; a user cannot use it")
        component_type = component["type"]
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": component_type}
        if component_type in rules.SELECT_TYPES:
            chosen = list(values or [])
            if component_type == 3:
                allowed = {o["value"] for o in component.get("options") or []}
                if not set(chosen) <= allowed:
                    raise ValueError(
                        f"values {chosen} not among the select's options {sorted(allowed)}"
                    )
            low, high = component.get("min_values", 1), component.get("max_values", 1)
            if not low <= len(chosen) <= high:
                raise ValueError(f"select {custom_id!r} takes {low}..{high} values")
            data["values"] = chosen
        elif values is not None:
            raise ValueError(f"{custom_id!r} is a button; values are for selects")
        # A click happens where its message is: that guild (the bot must still be in it), a
        # forged guild's made-up channel, or a DM.
        home = self._guild_of_channel(message.channel_id)
        where = None if home is None else self._known_guild(home.id)
        forged = self._forged_channels.get(message.channel_id)
        payload = self._interaction_base(
            INTERACTION_MESSAGE_COMPONENT,
            user=user,
            guild=where,
            channel=message.channel_id if where is not None or forged else None,
            member_permissions=None,
            roles=None,
            locale=locale,
            forged_guild_id=None if forged is None else int(forged["guild_id"]),
        )
        payload["data"] = data
        payload["message"] = copy.deepcopy(message.payload)
        return await self._inject(payload, custom_id, source_message_id=message.id)

    async def select(
        self,
        message_or_record: StoredMessage | InteractionRecord | int,
        custom_id: str,
        values: Sequence[str],
        *,
        user: Any = None,
    ) -> InteractionRecord:
        """Choose ``values`` in a select menu (same as ``click(..., values=...)``)."""
        return await self.click(message_or_record, custom_id, user=user, values=values)

    async def submit_modal(
        self,
        record: InteractionRecord,
        values: Mapping[str, str | Sequence[str]],
        *,
        user: Any = None,
    ) -> InteractionRecord:
        """Submit the modal ``record`` answered with (type 9), filling inputs by custom_id."""
        modal = record.modal
        if modal is None:
            raise ValueError(f"{record!r} did not answer with a modal")
        used: set[str] = set()

        def submitted(component: dict[str, Any]) -> dict[str, Any]:
            custom_id = component.get("custom_id", "")
            used.add(custom_id)
            value = values.get(custom_id, component.get("value") or "")
            if component["type"] == 4:
                return {
                    "type": 4,
                    "id": component.get("id", 0),
                    "custom_id": custom_id,
                    "value": value,
                }
            chosen = [value] if isinstance(value, str) and value else list(value or [])
            return {
                "type": component["type"],
                "id": component.get("id", 0),
                "custom_id": custom_id,
                "values": chosen,
            }

        components: list[dict[str, Any]] = []
        for top in modal.get("components") or []:
            if top.get("type") == 1:
                children = [submitted(c) for c in top.get("components") or [] if c.get("custom_id")]
                components.append({"type": 1, "id": top.get("id", 0), "components": children})
            elif top.get("type") == 18 and isinstance(top.get("component"), dict):
                components.append(
                    {"type": 18, "id": top.get("id", 0), "component": submitted(top["component"])}
                )
        unknown = set(values) - used
        if unknown:
            raise ValueError(f"the modal has no inputs {sorted(unknown)}; it has {sorted(used)}")
        source = record.source_message_id
        # The modal is submitted where it was opened.
        forged = record.forged_guild_id
        where = (
            None
            if record.guild_id is None or forged is not None
            else self._known_guild(record.guild_id)
        )
        payload = self._interaction_base(
            INTERACTION_MODAL_SUBMIT,
            user=user
            if user is not None
            else (record.payload.get("member") or record.payload)["user"],
            guild=where,
            channel=int(record.payload["channel_id"]) if record.guild_id is not None else None,
            member_permissions=None,
            roles=None,
            locale=record.payload.get("locale", "en-US"),
            forged_guild_id=forged,
        )
        payload["data"] = {"custom_id": modal.get("custom_id"), "components": components}
        if source is not None and source in self.messages:
            payload["message"] = copy.deepcopy(self.messages[source].payload)
        return await self._inject(
            payload, modal.get("custom_id", "modal"), source_message_id=source
        )

    # -----------------------------------------------------------------------------------------
    # conveniences for assertions
    # -----------------------------------------------------------------------------------------

    def channel_messages(
        self, channel: int | str | None = None, *, guild: int | None = None
    ) -> list[StoredMessage]:
        """Messages in a channel (default #general; names in ``guild``, default the default
        guild), oldest first, deleted ones excluded."""
        where = self._default if guild is None else self._any_guild(guild)
        if isinstance(channel, str):
            channel_id = where.channel_ids[channel]
        else:
            channel_id = channel or where.channel_id
        return [m for m in self.messages.values() if m.channel_id == channel_id and not m.deleted]

    def requests_to(self, pattern: str) -> list[RequestLog]:
        """Requests whose ``"METHOD /path"`` or ``"/path"`` matches the glob ``pattern``."""
        return [
            r
            for r in self.requests
            if fnmatch.fnmatchcase(f"{r.method} {r.path}", pattern)
            or fnmatch.fnmatchcase(r.path, pattern)
        ]
