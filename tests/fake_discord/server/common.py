"""What every layer of the fake shares: JSON answers as discord.py reads them, and the small
records of a request, a connection, a session and a scheduled fault."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import discord
from aiohttp import web

from ..models import (
    RequestLog,
)

log = logging.getLogger("tests.fake_discord")

API_VERSION = 10


# ---------------------------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------------------------


def json_response(status: int, data: Any, headers: Mapping[str, str] | None = None) -> web.Response:
    """A JSON response whose Content-Type is exactly ``application/json``.

    discord.py's ``json_or_text`` compares the header with ``==``; aiohttp's ``json_response`` would
    append ``; charset=utf-8`` and the client would then see a *string*, not a dict.
    """
    all_headers = {"Content-Type": "application/json"}
    all_headers.update(headers or {})
    return web.Response(status=status, body=json.dumps(data).encode(), headers=all_headers)


def error_response(status: int, code: int, message: str, **extra: Any) -> web.Response:
    return json_response(status, {"message": message, "code": code, **extra})


def no_content() -> web.Response:
    return web.Response(status=204)


def truthy(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true", "yes")


def perm_value(value: Any) -> int:
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
class Session:
    """One gateway session: a shard, with its own sequence numbers and RESUME replay log."""

    shard_id: int
    shard_count: int
    session_id: str
    seq: int = 0
    log: list[LogEntry] = field(default_factory=list)
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
class LogEntry:
    seq: int
    frame: dict[str, Any]
    on_sent: Callable[[], None] | None


@dataclass
class Ctx:
    request: web.Request
    method: str
    path: str
    query: dict[str, str]
    body: Any
    files: list[tuple[str, str, bytes, str | None]]
    entry: RequestLog
