"""The bot token (and every interaction token) never shows: not in logs at any level, not in
tracebacks, not on stdout or stderr, not in what users are told, whatever goes wrong.

These tests run the real entry point (`quotebot run` → `run_bot`), which installs the
redacting log filter, against a fake Discord that only accepts a realistic-looking token.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

import bot.discord.cogs.quote as quote_cog
import bot.discord.runner as runner
from bot.app import App
from bot.cli import main
from bot.discord.client import QuoteBot
from bot.discord.runner import BAD_TOKEN, run_bot
from embeddings import store
from tests.bot.discord.conftest import WAIT, app_like, message_bodies, run_with_token
from tests.bot.discord.waiting import eventually
from tests.fake_discord import FakeDiscord

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GabcDe.abcdefghijklmnopqrstuvwxyz0123456789ab"
OTHER = "OTg3NjU0MzIxMDk4NzY1NDMy.Hijklm.ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zz"


pytestmark = pytest.mark.usefixtures("shared_model")  # the session's model, not another


class Broken(logging.Handler):
    """A log handler whose stream is gone (a closed pipe, a full disk)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            raise OSError(28, "No space left on device")
        except OSError:
            self.handleError(record)


@pytest.fixture
def service_logs() -> Iterator[io.StringIO]:
    """What a deployment's log file would hold, and a handler that fails on every record
    (logging then reports the failure on stderr, which is scanned too)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    broken = Broken()
    root = logging.getLogger()
    root.addHandler(handler)
    root.addHandler(broken)
    yield stream
    root.removeHandler(handler)
    root.removeHandler(broken)


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[QuoteBot]:
    """The bots `run_bot` creates, to drive and stop them from the test."""
    bots: list[QuoteBot] = []

    class Recorded(QuoteBot):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            bots.append(self)

    monkeypatch.setattr(runner, "make_bot", lambda app, **options: Recorded(app, **options))
    return bots


async def test_a_bot_run_full_of_errors_never_shows_a_token(
    fake_discord: FakeDiscord,
    seed_app: App,
    started: list[QuoteBot],
    service_logs: io.StringIO,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake_discord.bot_token = TOKEN
    fake_discord.expect_violations("token.expired")
    caplog.set_level(logging.DEBUG)
    base = app_like(seed_app, cooldown_seconds=0, server_limit=0)
    # Deferring every search makes the answers go through /webhooks/ (follow-ups) too.
    settings = replace(base.settings, discord_token=TOKEN, defer_after_seconds=0.0)
    app = App(settings, seed_app.encoder)

    def leaky_bug(*args: object) -> None:  # a bug whose message carries the token
        raise RuntimeError(f"could not call Discord with Authorization: Bot {TOKEN}")

    run = asyncio.create_task(asyncio.to_thread(run_bot, app))
    await eventually(lambda: bool(started) and started[0].is_ready(), WAIT * 2, "bot ready")
    client = started[0]
    records = []
    # A bug with the token in its message, logged with its traceback.
    with monkeypatch.context() as patch:
        patch.setattr(quote_cog, "search_quotes", leaky_bug)
        records.append(await fake_discord.send_slash("quote", {"query": "what is a sect?"}))
        await records[-1].wait_done(WAIT)
    # Rate limits and server errors (discord.py logs the URLs, interaction tokens in them).
    fake_discord.fail_next("POST /interactions/*/callback", status=429, retry_after=0.1)
    fake_discord.fail_next("POST /webhooks/*", status=500)
    records.append(await fake_discord.send_slash("quote", {"query": "what is a sect?"}))
    await records[-1].wait_done(WAIT)
    # An expired interaction token.
    slow = await fake_discord.send_slash("source")
    fake_discord.expire_token(slow)
    records.append(slow)
    await slow.wait_for(lambda r: bool(r.events), WAIT)
    # A dropped connection, resumed.
    await fake_discord.drop_gateway()
    await fake_discord.wait_for_resume(WAIT)
    records.append(await fake_discord.send_slash("help"))
    await records[-1].wait_done(WAIT)

    asyncio.run_coroutine_threadsafe(client.close(), client.loop).result(WAIT)
    assert await asyncio.wait_for(run, WAIT) == 0

    out, err = capsys.readouterr()
    logs = service_logs.getvalue()
    bodies = [str(b) for b in message_bodies(fake_discord)]
    shown = "\n".join([out, err, caplog.text, logs, *bodies])
    assert "Traceback" in logs and "RuntimeError" in logs  # errors were logged, in full
    assert "is rate limited" in logs and "attempting a reconnect" in logs
    # discord.py's debug lines print every URL, interaction tokens included: masked.
    assert (
        "/webhooks/" in caplog.text and f"/{fake_discord.application_id}/[redacted]" in caplog.text
    )
    assert TOKEN not in shown
    for rec in records:
        assert rec.token not in shown
    assert "[redacted]" in caplog.text


async def test_a_rejected_token_is_never_printed(
    seed_app: App,
    service_logs: io.StringIO,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    run = await run_with_token(seed_app, OTHER, TOKEN, monkeypatch, capsys, caplog)
    assert run.code == 1 and BAD_TOKEN in run.err
    assert OTHER not in run.out + run.err + caplog.text + service_logs.getvalue()


def test_the_settings_never_show_the_token(seed_app: App) -> None:
    settings = replace(seed_app.settings, discord_token=TOKEN)
    assert TOKEN not in repr(settings) and TOKEN not in str(settings)


def test_run_refuses_to_start_on_a_damaged_index_with_nothing_to_fall_back_on(
    fresh_app: App, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    vectors = store.current_build(fresh_app.settings.index) / "vectors.npy"
    vectors.write_bytes(vectors.read_bytes()[:-8] + b"\x00" * 8)
    monkeypatch.setenv("DISCORD_TOKEN", TOKEN)
    code = main(
        [
            "run",
            "--corpus",
            str(fresh_app.settings.corpus),
            "--index",
            str(fresh_app.settings.index),
        ]
    )
    out, err = capsys.readouterr()
    assert code == 1 and out == ""
    assert err.strip() == (
        "quotebot: The index file vectors.npy is damaged (its checksum does not match); "
        "run a reindex."
    )
    assert TOKEN not in err
