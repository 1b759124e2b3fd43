"""The gateway: websocket sessions per shard (IDENTIFY, RESUME, heartbeats), numbered dispatches
kept for RESUME's replay, and the guild joins and removals the bot hears about through it."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable, Generator, Mapping, Sequence
from typing import Any

from aiohttp import WSMsgType, web

from ..models import (
    FakeGuild,
    iso_timestamp,
)
from .common import (
    API_VERSION,
    GatewayConnection,
    LogEntry,
    Session,
    log,
)
from .state import State


class Announced(int):
    """An id that can also be awaited: ``await fake.add_guild("B")`` returns the id once the
    guild's GUILD_CREATE was written to the gateway (at once when no bot has connected yet);
    ``await fake.add_thread(...)`` once its THREAD_CREATE was, and so on."""

    _sent: asyncio.Future[None] | None

    def __new__(cls, value: int, sent: asyncio.Future[None] | None = None) -> Announced:
        obj = super().__new__(cls, value)
        obj._sent = sent
        return obj

    def __await__(self) -> Generator[Any, None, int]:
        return self._wait().__await__()

    async def _wait(self) -> int:
        if self._sent is not None:
            await self._sent
        return int(self)


GuildId = Announced  # a guild's, what add_guild and rejoin_guild return
ChannelId = Announced  # a channel's or thread's, what add_forum and add_thread return


class Gateway(State):
    """The websocket side of the fake (see README.md, "Several shards")."""

    # -- guilds the bot joins and leaves ------------------------------------------------------

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

    async def guild_outage(self, guild_id: int) -> None:
        """The guild goes down (a Discord outage), the bot still in it: GUILD_DELETE with
        ``"unavailable": true`` (discord.py keeps the guild, marked unavailable, and fires
        ``on_guild_unavailable``, not ``on_guild_remove``)."""
        guild = self._known_guild(guild_id)
        await self.dispatch("GUILD_DELETE", {"id": str(guild.id), "unavailable": True})

    async def guild_restored(self, guild_id: int) -> None:
        """The guild is back after :meth:`guild_outage`: GUILD_CREATE with ``"unavailable":
        false`` (discord.py fires ``on_guild_available``, not ``on_guild_join``)."""
        guild = self._known_guild(guild_id)
        await self.dispatch("GUILD_CREATE", self._guild_create_payload(guild))

    async def invalidate_session(self, *, shard: int | None = None) -> None:
        """Discord ends the session (op 9, ``d: false``): the client must IDENTIFY anew,
        not RESUME; READY then lists every guild again."""
        for sid, session in self._sessions.items():
            if (shard is None or sid == shard) and session.live is not None:
                await self._send(session.live, {"op": 9, "d": False})

    def _announce(self, channel_id: int, event: str, data: dict[str, Any], seen: bool) -> ChannelId:
        """Tell a connected bot of a new channel or thread it can see; else GUILD_CREATE will."""
        self._notify()
        if not self._sessions or not seen:
            return ChannelId(channel_id)
        return ChannelId(channel_id, self._dispatch_soon(event, data))

    def _announce_join(self, guild: FakeGuild) -> GuildId:
        self._notify()
        if not self._sessions:
            return GuildId(guild.id)  # READY will list it
        return GuildId(
            guild.id,
            self._dispatch_soon("GUILD_CREATE", self._guild_create_payload(guild, joining=True)),
        )

    # -- connections and sessions -------------------------------------------------------------

    def _token_ok(self, token: Any) -> bool:
        if not isinstance(token, str) or not token:
            return False
        token = token.removeprefix("Bot ")
        return self.bot_token is None or token == self.bot_token

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
            if self._identify_too_soon(shard_id):
                # Discord: "If you exceed this [max_concurrency] limit, you will receive an
                # Opcode 9 Invalid Session"; the client identifies again after a wait.
                self.identify_refused += 1
                await self._send(conn, {"op": 9, "d": False})
                return
            self.identify_count += 1
            self.intents = data.get("intents")
            # A new IDENTIFY for a shard starts a new session for it (the old one's id no
            # longer resumes).
            session = Session(shard_id, count, uuid.uuid4().hex, seq=1)
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
                "resume_gateway_url": self.websocket_url("resume-gateway"),
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

    def _identify_too_soon(self, shard_id: int) -> bool:
        """Whether this IDENTIFY exceeds the identify rate limit (`identify_interval`, 0: not
        enforced); if not, it is counted against its bucket."""
        if self.identify_interval <= 0:
            return False
        bucket = shard_id % self.max_concurrency
        now = asyncio.get_running_loop().time()
        last = self._identified_at.get(bucket)
        if last is not None and now - last < self.identify_interval:
            return True
        self._identified_at[bucket] = now
        return False

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

    # -- shards -------------------------------------------------------------------------------

    @staticmethod
    def _guild_of_event(event: str, data: Mapping[str, Any]) -> int | None:
        """The guild an event belongs to (None: none, as for direct messages)."""
        raw = data.get("id") if event in ("GUILD_CREATE", "GUILD_UPDATE", "GUILD_DELETE") else None
        raw = raw if raw is not None else data.get("guild_id")
        return int(raw) if raw is not None else None

    def _sessions_for(self, guild_id: int | None) -> list[Session]:
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
            entry = LogEntry(session.seq, frame, on_sent)
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
