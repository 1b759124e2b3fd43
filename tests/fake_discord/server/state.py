"""The fake's state: the Discord world (guilds, channels, members, the team owning the application),
what happened (requests, messages, violations), its clock, and the waits tests use.

Every later layer builds on :class:`State`; only the constructor creates attributes."""

from __future__ import annotations

import asyncio
import fnmatch
import mimetypes
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Self

import discord
from aiohttp import web

from ..models import (
    CHANNEL_PRIVATE_THREAD,
    THREAD_TYPES,
    FakeGuild,
    Ping,
    RequestLog,
    SnowflakeGenerator,
    StoredFile,
    StoredMessage,
    SyncRecord,
    Violation,
    channel_payload,
    dm_channel_payload,
    iso_timestamp,
    member_payload,
    role_payload,
    user_payload,
)
from ..records import InteractionRecord, _Changes
from .common import (
    API_VERSION,
    Ctx,
    Fault,
    GatewayConnection,
    Session,
    log,
)

DEFAULT_ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024  # 10 MiB: a guild without boosts
# A bot application's flags as Discord reports them for a verified-less app using slash commands:
# GATEWAY_MESSAGE_CONTENT_LIMITED (1<<19) | APPLICATION_COMMAND_BADGE (1<<23).
DEFAULT_APPLICATION_FLAGS = (1 << 19) | (1 << 23)

# Every guild's roles carry the same permissions (what a small real server would give them).


def _permissions(names: str) -> int:
    """The value of the ``discord.Permissions`` flags named (separated by spaces)."""
    return discord.Permissions(**dict.fromkeys(names.split(), True)).value


_EVERYONE_PERMISSIONS = _permissions(
    "view_channel send_messages read_message_history add_reactions embed_links attach_files"
    " use_application_commands use_external_emojis connect speak create_instant_invite"
    " change_nickname send_messages_in_threads create_public_threads"
)
_MODERATOR_PERMISSIONS = _permissions(
    "manage_messages kick_members manage_guild moderate_members manage_threads"
)
_BOT_PERMISSIONS = _permissions(
    "view_channel send_messages send_messages_in_threads embed_links attach_files"
    " read_message_history add_reactions use_external_emojis use_application_commands"
)
# In a thread, SEND_MESSAGES_IN_THREADS (not SEND_MESSAGES) lets one post (Discord's
# docs/topics/threads.md, "Permissions"); without it these go too, as they do in a channel
# without SEND_MESSAGES (discord.py's Thread.permissions_for takes them away the same way).
_SEND_IN_THREADS = _permissions("send_messages_in_threads")
_NEEDS_SENDING = _permissions("send_tts_messages mention_everyone embed_links attach_files")
_MANAGE_THREADS = _permissions("manage_threads")


@dataclass
class Team:
    """The developer team owning the application (see :meth:`State.set_team`)."""

    id: int
    name: str
    owner_user_id: int
    roles: dict[int, str]  # user id -> team role, in the order given
    invited: frozenset[int] = frozenset()  # members who have not accepted the invitation yet


class State:
    """The fake's tables and records; the layers above add the protocols that use them."""

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
        # Discord lets `max_concurrency` IDENTIFYs (one per bucket, shard_id % max_concurrency)
        # through every 5 s and answers one more with Invalid Session (op 9). Off (0.0) unless
        # a test sets it: discord.py spaces its own shards' IDENTIFYs, but separate processes
        # starting together cannot (tests/bot/discord/test_processes.py turns it on).
        self.identify_interval = 0.0
        self.max_concurrency = 1
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
        self.identify_refused = 0  # IDENTIFYs answered with Invalid Session (the rate limit)
        self._identified_at: dict[int, float] = {}  # bucket -> when its last IDENTIFY went through
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
        self._sessions: dict[int, Session] = {}  # by shard id
        self._hold: asyncio.Event | None = None

        # Dispatches requested by synchronous calls (add_guild once connected), sent in order
        # before any later event.
        self._outbox: list[tuple[str, dict[str, Any], asyncio.Future[None]]] = []
        self._tasks: set[asyncio.Task[None]] = set()

        self._runner: web.AppRunner | None = None
        self.port = 0
        self._team: Team | None = None
        self._build_guild()
        if team:
            self.set_team(team)

    # -- the guilds ---------------------------------------------------------------------------

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
            if guild.channel(channel_id) is not None:
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
        if guild.channel(channel_id) is None:
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

    @staticmethod
    def _permissions_at(channel: Mapping[str, Any], value: int) -> int:
        """Guild-level permissions ``value`` in ``channel``. No channel here has overwrites, and a
        thread has none of its own: it inherits its parent's (docs/topics/threads.md,
        "Permissions"), less what needs SEND_MESSAGES_IN_THREADS when that is missing."""
        if channel["type"] in THREAD_TYPES and not value & _SEND_IN_THREADS:
            return value & ~_NEEDS_SENDING
        return value

    @staticmethod
    def _sees_thread(guild: FakeGuild, thread_id: int, user_id: int, value: int) -> bool:
        """Whether a user with permissions ``value`` sees a thread: a public one as its parent
        channel; a private one only as its member or with MANAGE_THREADS
        (docs/topics/threads.md, "Permissions")."""
        if guild.threads[thread_id]["type"] != CHANNEL_PRIVATE_THREAD:
            return True
        return user_id in guild.thread_members.get(thread_id, ()) or bool(value & _MANAGE_THREADS)

    def _bot_sees(self, guild: FakeGuild, channel_id: int) -> bool:
        """Whether the bot sees a channel of ``guild``: every one but a private thread it did not
        join without MANAGE_THREADS (Discord tells it nothing of that one)."""
        if channel_id not in guild.threads:
            return True
        bot_value = self._permissions_in(guild, self.bot_user_id)
        return self._sees_thread(guild, channel_id, self.bot_user_id, bot_value)

    def _threads_seen_by_bot(self, guild: FakeGuild) -> list[dict[str, Any]]:
        """GUILD_CREATE's ``threads``: the active threads the bot can see (docs/topics/threads.md,
        "Gateway Events"), each with the bot's thread member object where it joined, without
        ``id`` and ``user_id`` there (docs/resources/channel, "Thread Member Object")."""
        threads = []
        for thread_id, thread in guild.threads.items():
            if not self._bot_sees(guild, thread_id):
                continue
            item = dict(thread)
            if self.bot_user_id in guild.thread_members.get(thread_id, ()):
                created = thread["thread_metadata"]["create_timestamp"]
                item["member"] = {"join_timestamp": created, "flags": 0}
            threads.append(item)
        return threads

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
            "threads": self._threads_seen_by_bot(guild),
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }
        if joining:
            del payload["unavailable"]
        return payload

    def _present_guild(self, guild_id: str) -> FakeGuild | None:
        guild = self._guilds.get(int(guild_id))
        return guild if guild is not None and guild.present else None

    def _channel(self, cid: int) -> dict[str, Any] | None:
        """A channel the bot can see: in a guild it is in, or a DM."""
        guild = self._guild_of_channel(cid)
        if guild is not None:
            return guild.channel(cid) if guild.present else None
        return self._dm_channels.get(cid)

    def dm_channel_id(self, user: Any) -> int:
        """The DM channel between the bot and ``user`` (created on first use)."""
        uid = self._user_id(user)
        if uid not in self._dm_by_user:
            cid = self.ids.next()
            self._dm_channels[cid] = dm_channel_payload(cid, self.users[uid])
            self._dm_by_user[uid] = cid
        return self._dm_by_user[uid]

    # -- application owners -------------------------------------------------------------------

    def set_team(
        self,
        names: Sequence[str],
        *,
        roles: Mapping[str, str] | None = None,
        invited: Sequence[str] = (),
        name: str = "quotebot team",
    ) -> int:
        """Make a team own the application; returns the team id (``[]`` removes the team).

        The first name is the team's owner; unknown names are created as users (not members of
        any guild). ``roles`` gives a member's team role (``admin``, ``developer``, ``read_only``);
        default ``admin`` for the owner (what Discord reports for owners) and ``developer`` for
        the others. ``invited`` names members who have not accepted their invitation: Discord
        lists them with ``membership_state`` 1 (INVITED) and they act for nobody yet.
        ``GET /oauth2/applications/@me`` then returns the ``team`` object and, as ``owner``,
        the team's pseudo-user, as Discord does.
        """
        if not names:
            self._team = None
            return 0
        ids = [
            self.user_ids[n] if n in self.user_ids else self.add_user(n)
            for n in dict.fromkeys(names)
        ]
        given = dict(roles or {})
        unknown = (set(given) | set(invited)) - set(names)
        if unknown:
            raise ValueError(f"roles or invitations for non-members of the team: {sorted(unknown)}")
        if names[0] in invited:
            raise ValueError("the team's owner cannot be a pending invitee")
        team_roles = {
            uid: given.get(n, "admin" if i == 0 else "developer")
            for i, (n, uid) in enumerate(zip(dict.fromkeys(names), ids, strict=True))
        }
        bad = {r for r in team_roles.values() if r not in ("admin", "developer", "read_only")}
        if bad:
            raise ValueError(f"unknown team role(s) {sorted(bad)}")
        team_id = self._team.id if self._team is not None else self.ids.next()
        pending = frozenset(self.user_ids[n] for n in invited)
        self._team = Team(team_id, name, ids[0], team_roles, pending)
        return team_id

    @property
    def team_id(self) -> int | None:
        return None if self._team is None else self._team.id

    @property
    def app_owner_ids(self) -> set[int]:
        """Who discord.py's ``Bot.is_owner`` accepts: the owner, or the team's admins and
        developers who accepted their invitation (read-only members are not owners)."""
        if self._team is None:
            return {self.app_owner_id}
        team = self._team
        return {
            uid
            for uid, role in team.roles.items()
            if role in ("admin", "developer") and uid not in team.invited
        }

    def _team_payload(self, team: Team) -> dict[str, Any]:
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
                    "membership_state": 1 if uid in team.invited else 2,  # INVITED, ACCEPTED
                    "permissions": ["*"],
                    "role": role,
                    "team_id": str(team.id),
                    "user": partial_user(uid),
                }
                for uid, role in team.roles.items()
            ],
        }

    @staticmethod
    def _team_pseudo_user(team: Team) -> dict[str, Any]:
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

    # -- addresses ----------------------------------------------------------------------------

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
        return self.websocket_url("gateway/")

    def websocket_url(self, path: str) -> str:
        """A gateway address as Discord sends it: ``/gateway`` from GET /gateway(/bot), and
        READY's ``resume_gateway_url`` on a distinct path, to tell RESUMEs apart."""
        return f"ws://127.0.0.1:{self.port}/{path}"

    # -- time, waiting, violations ------------------------------------------------------------

    def _now(self) -> float:
        return asyncio.get_running_loop().time() + self._clock_offset

    def advance_clock(self, seconds: float) -> None:
        """Pretend ``seconds`` passed (deadlines, token lifetime); real timers are unaffected."""
        self._clock_offset += seconds

    def _notify(self) -> None:
        self._changes.notify()

    async def wait_for(self, predicate: Callable[[Self], bool], timeout: float = 10.0) -> None:
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
        ctx: Ctx | None = None,
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

    # -- attachments --------------------------------------------------------------------------

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

    # -- conveniences for assertions ----------------------------------------------------------

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
