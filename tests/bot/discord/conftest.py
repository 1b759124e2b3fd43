"""Fixtures and helpers for the Discord front end's tests.

Each test runs the real bot (`QuoteBot`) against the fake Discord from tests/fake_discord.
Apps share the session's model and seed index; their settings are tuned per test (rate
limits off unless the test is about them).
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, replace
from typing import Any, Protocol

import pytest

import bot.live
from bot.app import App
from bot.cli import main
from bot.discord.client import QuoteBot
from bot.servers import Collections
from tests.fake_discord import FakeDiscord, InteractionRecord, point_discord_at, run_client

# Generous waits for a busy 2-core machine; the 3-second rule is measured by the fake itself.
WAIT = 15.0
# A wait that includes building an index (a forced reindex embeds every passage again):
# seconds on a quiet machine, a minute when the machine is loaded. A pass never waits it out.
BUILD_WAIT = 120.0

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


async def answered(sent: Awaitable[InteractionRecord]) -> InteractionRecord:
    """The interaction `sent` (`fake.send_slash(...)`, `fake.click(...)`, ...) once the bot
    has answered it."""
    return await (await sent).wait_done(WAIT)


async def pager_expired(fake: FakeDiscord, rec: InteractionRecord) -> None:
    """Until the pager's buttons on `rec`'s message (all but Explain) are disabled. Watched
    on the fake, not on `rec`: the edit that disables them comes through the token of the
    last click that turned a page, and `rec` is not told of it."""
    await fake.wait_for(
        lambda _: all(b.get("disabled") for b in rec.buttons if b["label"] != "Explain"), WAIT
    )


async def answered_each(sends: Iterable[Awaitable[InteractionRecord]]) -> list[InteractionRecord]:
    """The interactions of `sends`, each sent once the bot has answered the one before."""
    return [await answered(sent) for sent in sends]


class Gate:
    """Holds the next reindex, in its worker thread, at its first report of `stage`."""

    def __init__(self, stage: str) -> None:
        self.stage = stage
        self.reached = threading.Event()
        self.opened = threading.Event()

    def wrap(self, build: Callable[..., Any]) -> Callable[..., Any]:
        def held_build(*args: Any, progress: Any = None, **kwargs: Any) -> Any:
            def report(stage: str, done: int, total: int) -> None:
                if progress is not None:
                    progress(stage, done, total)
                if stage == self.stage and not self.opened.is_set():
                    self.reached.set()
                    self.opened.wait(WAIT)

            return build(*args, progress=report, **kwargs)

        return held_build

    async def wait_reached(self) -> None:
        assert await asyncio.to_thread(self.reached.wait, WAIT), "the reindex never got there"


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Iterator[Gate]:
    """Reindexes (through `bot.live.reindex`) held at reading their files until `gate.opened`."""
    held = Gate("read")
    monkeypatch.setattr(bot.live, "reindex", held.wrap(bot.live.reindex))
    yield held
    held.opened.set()  # never leave a worker thread waiting


class RunningBot(Protocol):
    def __call__(self, app: App) -> AbstractAsyncContextManager[QuoteBot]: ...


class BotWith(Protocol):
    def __call__(self, **settings: Any) -> AbstractAsyncContextManager[QuoteBot]: ...


class Ask(Protocol):
    async def __call__(
        self, name: str, options: Mapping[str, Any] | None = None, **how: Any
    ) -> InteractionRecord: ...


@pytest.fixture
def running_bot(fake_discord: FakeDiscord) -> RunningBot:
    """`async with running_bot(app):` the bot over `app`, logged into the fake for the block
    and closed after it (so nothing changes while the test then looks)."""
    return lambda app: run_client(QuoteBot(app), fake_discord)


@pytest.fixture
def bot_with(seed_app: App, running_bot: RunningBot) -> BotWith:
    """`async with bot_with(cooldown_seconds=30):` the bot over the seed corpus with these
    settings changed (an `app_like` the seed app), for the block."""
    return lambda **settings: running_bot(app_like(seed_app, **settings))


@pytest.fixture
def ask(fake_discord: FakeDiscord, app: App, running_bot: RunningBot) -> Ask:
    """`await ask("quote", {"query": ...}, user=...)`: one slash command (as `send_slash` takes
    it; with `focused="option"`, its autocomplete while the user types that option) sent to the
    bot over this module's `app`; its record once answered, the bot closed."""

    async def one(
        name: str, options: Mapping[str, Any] | None = None, **how: Any
    ) -> InteractionRecord:
        async with running_bot(app):
            return await answered(fake_discord.send_slash(name, options, **how))

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


def run_args(app: App) -> list[str]:
    """`quotebot run` on `app`'s corpus and index."""
    return ["run", "--corpus", str(app.settings.corpus), "--index", str(app.settings.index)]


@dataclass
class Run:
    """What `quotebot run` left: its exit code, what it printed, and the fake it talked to."""

    code: int
    out: str
    err: str
    fake: FakeDiscord


async def run_with_token(
    app: App,
    token: str,
    accepted: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> Run:
    """`quotebot run` with `token` against a fake Discord that accepts only `accepted`,
    every log level captured."""
    monkeypatch.setenv("DISCORD_TOKEN", token)
    caplog.set_level(logging.DEBUG)
    async with FakeDiscord(bot_token=accepted) as fake:
        point_discord_at(fake, monkeypatch)
        # run_bot runs its own event loop, so it gets a thread; the fake serves from this one.
        code = await asyncio.to_thread(main, run_args(app))
    out, err = capsys.readouterr()
    return Run(code, out, err, fake)
