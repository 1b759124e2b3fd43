"""A fake Discord server (REST + gateway on 127.0.0.1) for testing discord.py bots end to end.

Fixtures live in :mod:`tests.fake_discord.fixtures` (load with
``pytest_plugins = ["tests.fake_discord.fixtures"]``).
"""

from __future__ import annotations

from .models import (
    Ping,
    RequestLog,
    ResponseEvent,
    StoredFile,
    StoredMessage,
    SyncRecord,
    Upload,
    Violation,
)
from .records import InteractionRecord
from .runner import FAKE_TOKEN, point_discord_at, register_tree, run_client
from .server import FakeDiscord, Fault, GatewayConnection

__all__ = [
    "FAKE_TOKEN",
    "FakeDiscord",
    "Fault",
    "GatewayConnection",
    "InteractionRecord",
    "Ping",
    "RequestLog",
    "ResponseEvent",
    "StoredFile",
    "StoredMessage",
    "SyncRecord",
    "Upload",
    "Violation",
    "point_discord_at",
    "register_tree",
    "run_client",
]
