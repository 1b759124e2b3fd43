"""`quotebot run`: a missing or rejected token is one clear line and a non-zero exit; the
index and the model are ready, and the start-up heap frozen, before the bot connects; the
token never shows."""

from __future__ import annotations

import asyncio
import gc
from dataclasses import replace

import pytest

from bot import heap
from bot.app import App
from bot.cli import main
from bot.discord.runner import BAD_TOKEN, NO_TOKEN, run_bot
from tests.bot.discord.conftest import run_args, run_with_token
from tests.fake_discord import FakeDiscord, point_discord_at

WRONG_TOKEN = "MTIz.wrong-token-that-must-never-be-printed"


pytestmark = pytest.mark.usefixtures("shared_model")  # the session's model, not another


def test_without_a_token_run_says_what_to_do_and_exits_2(
    seed_app: App, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "")
    code = main(run_args(seed_app))
    out, err = capsys.readouterr()
    assert code == 2
    assert err.strip() == NO_TOKEN and "DISCORD_TOKEN" in err and ".env" in err
    assert out == ""


async def test_a_rejected_token_is_one_clear_line_and_exit_1_without_the_token(
    seed_app: App,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    run = await run_with_token(seed_app, WRONG_TOKEN, "the-real-token", monkeypatch, capsys, caplog)
    assert run.code == 1
    assert run.err.strip() == BAD_TOKEN
    assert [f"{r.method} {r.path}" for r in run.fake.requests] == ["GET /users/@me"]
    assert run.fake.requests[0].status == 401
    assert WRONG_TOKEN not in run.out + run.err + caplog.text


async def test_the_index_is_loaded_and_the_model_warm_before_connecting(
    seed_app: App, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    app = App(replace(seed_app.settings, discord_token=WRONG_TOKEN), seed_app.encoder)
    requests_when_warm: list[int] = []
    async with FakeDiscord(bot_token="the-real-token") as fake:
        point_discord_at(fake, monkeypatch)
        monkeypatch.setattr(
            app.encoder, "warm_up", lambda: requests_when_warm.append(len(fake.requests))
        )
        assert not app.index.loaded
        code = await asyncio.to_thread(run_bot, app)
    assert code == 1
    assert app.index.loaded and requests_when_warm == [0]


async def test_the_start_up_heap_is_frozen_before_connecting(
    seed_app: App, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    app = App(replace(seed_app.settings, discord_token=WRONG_TOKEN), seed_app.encoder)
    settled: list[tuple[int, int]] = []  # (requests Discord had seen, objects frozen)
    real_settle = heap.settle
    async with FakeDiscord(bot_token="the-real-token") as fake:
        point_discord_at(fake, monkeypatch)

        def settle() -> None:
            real_settle()
            settled.append((len(fake.requests), gc.get_freeze_count()))

        monkeypatch.setattr(heap, "settle", settle)
        code = await asyncio.to_thread(run_bot, app)
    assert code == 1
    [(requests, frozen)] = settled
    assert requests == 0 and frozen > 0
