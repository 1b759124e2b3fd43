"""Fixtures and helpers for the Discord front end's tests.

Each test runs the real bot (`QuoteBot`) against the fake Discord from tests/fake_discord.
Apps share the session's model and seed index; their settings are tuned per test (rate
limits off unless the test is about them).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import replace
from typing import Any, Protocol

import pytest

from bot.app import App
from bot.discord.client import QuoteBot
from bot.servers import Collections
from tests.fake_discord import FakeDiscord, InteractionRecord, run_client

# Generous waits for a busy 2-core machine; the 3-second rule is measured by the fake itself.
WAIT = 15.0

# A Markdown masked link that Discord would make clickable: "[text](url)" with no escape.
ACTIVE_MASKED_LINK = re.compile(r"(?<!\\)\[[^\]]*\]\(")


def app_like(base: App, **settings: Any) -> App:
    """An App sharing `base`'s model and loaded index, with some settings changed.

    A reindex through it rebuilds `base`'s index: do that only with `fresh_app`."""
    app = App(replace(base.settings, **settings), base.encoder)
    app.index = base.index
    app.collections = Collections(app.settings, base.index)  # the base is the shared one
    return app


@pytest.fixture
def app(seed_app: App) -> App:
    """The seed corpus, read-only, without rate limits, and no answer cached by an
    earlier test (some replace the search function to watch or break it)."""
    seed_app.index.live.answers.clear()
    return app_like(seed_app, cooldown_seconds=0, server_limit=0)


class RunningBot(Protocol):
    def __call__(self) -> AbstractAsyncContextManager[QuoteBot]: ...


class Ask(Protocol):
    async def __call__(
        self, name: str, options: Mapping[str, Any] | None = None, **how: Any
    ) -> InteractionRecord: ...


@pytest.fixture
def running_bot(fake_discord: FakeDiscord, app: App) -> RunningBot:
    """`async with running_bot():` the bot over this module's `app`, logged into the fake for
    the block and closed after it (so nothing changes while the test then looks)."""
    return lambda: run_client(QuoteBot(app), fake_discord)


@pytest.fixture
def ask(fake_discord: FakeDiscord, running_bot: RunningBot) -> Ask:
    """`await ask("quote", {"query": ...}, user=...)`: one slash command (as `send_slash`
    takes it) sent to a running bot; its record once answered, the bot closed."""

    async def one(
        name: str, options: Mapping[str, Any] | None = None, **how: Any
    ) -> InteractionRecord:
        async with running_bot():
            rec = await fake_discord.send_slash(name, options, **how)
            await rec.wait_done(WAIT)
        return rec

    return one


def message_bodies(fake: FakeDiscord) -> Iterator[dict[str, Any]]:
    """The JSON of every message the bot sent or edited: callbacks with data, follow-ups,
    edits of @original and of messages."""
    for request in fake.requests:
        body = request.body
        if not isinstance(body, dict) or request.method not in ("POST", "PATCH"):
            continue
        if request.path.endswith("/callback"):
            if isinstance(body.get("data"), dict) and body.get("type") in (4, 7):
                yield body["data"]
        elif request.path.startswith("/webhooks/") or "/messages" in request.path:
            yield body


def all_embed_text(embed: dict[str, Any]) -> str:
    parts = [embed.get("title", ""), embed.get("description", "")]
    parts += [f"{f['name']} {f['value']}" for f in embed.get("fields", [])]
    parts.append(embed.get("footer", {}).get("text", ""))
    return "\n".join(parts)
