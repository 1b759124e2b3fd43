"""bench.load's fake Discord in a process of its own (bench/fake_process.py through
bench/fake_link.py): it answers /quote end to end and builds the handler's payloads; a child
that dies or stops answering ends the benchmark with a clear error, never a hang; the child
never outlives the link."""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import discord
import pytest

from bench import fake_link
from bench.fake_link import FakeProcessError, RemoteFake, open_fake
from bench.load import handler, render, run
from bench.loopback import Loopback
from bot.app import App
from bot.discord.client import QuoteBot
from bot.discord.runner import aim_at_test_discord
from tests.bot.discord.conftest import app_like
from tests.fake_discord import run_client

QUERY = "what is a sect?"
WAIT = 30.0  # the longest any of these may take to fail: far below the bench's own timeouts


@pytest.fixture
def discord_address(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """discord.py's REST base and gateway as they were, after a test that aims them."""
    monkeypatch.setattr(discord.http.Route, "BASE", discord.http.Route.BASE)
    gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", gateway)
    yield


async def test_the_fake_in_its_own_process_answers_a_quote_end_to_end_and_builds_payloads(
    seed_app: App, discord_address: None
) -> None:
    app = app_like(seed_app, cooldown_seconds=0, server_limit=0)
    async with open_fake(["reader"]) as fake:
        assert fake.local is None  # nothing of the fake in this process
        aim_at_test_discord(fake.base_url)
        async with run_client(QuoteBot(app), fake.local) as client:
            end_to_end_ms = await fake.quote("reader", QUERY)
            # The handler scenario: the child's payload, answered in memory here.
            ask = handler(fake, client, Loopback(fake.application_id, fake.channel_id))
            handler_ms = await ask("reader", "why do sects form?")
        assert 0 < end_to_end_ms < 120_000
        assert 0 < handler_ms < 120_000
        assert await fake.violations() == []
        assert isinstance(fake, RemoteFake)
        child = fake
    assert child.exit_code is not None  # stopped with the link


async def test_a_request_to_a_dead_fake_process_fails_at_once_with_its_exit() -> None:
    async with open_fake([]) as fake:
        assert isinstance(fake, RemoteFake)
        os.kill(fake.pid, signal.SIGKILL)
        with pytest.raises(
            FakeProcessError, match=r"fake Discord process \(pid \d+\) was killed by SIGKILL"
        ):
            await asyncio.wait_for(fake.violations(), WAIT)


async def test_requests_waiting_on_a_fake_process_that_dies_fail_with_its_exit() -> None:
    async with open_fake([]) as fake:
        assert isinstance(fake, RemoteFake)
        os.kill(fake.pid, signal.SIGSTOP)  # it reads nothing more: the request waits
        waiting = asyncio.create_task(fake.violations())
        await asyncio.sleep(0.2)
        assert not waiting.done()
        os.kill(fake.pid, signal.SIGKILL)
        with pytest.raises(FakeProcessError, match="was killed by SIGKILL"):
            await asyncio.wait_for(waiting, WAIT)


async def test_a_fake_process_that_stops_answering_times_out_with_a_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(fake_link, "ASK_TIMEOUT", 0.5)  # the wait for a violations reply
    monkeypatch.setattr(fake_link, "STOP_TIMEOUT", 0.5)  # each step of stopping the child
    async with open_fake([]) as fake:
        assert isinstance(fake, RemoteFake)
        os.kill(fake.pid, signal.SIGSTOP)
        with pytest.raises(FakeProcessError, match=r"did not answer violations within 0\.5 s"):
            await asyncio.wait_for(fake.violations(), WAIT)
        child = fake
    assert child.exit_code == -signal.SIGKILL  # a stopped child is killed, not waited for


async def test_an_error_in_the_block_after_the_child_died_is_reported_as_its_death() -> None:
    # What the bench sees if the fake dies while the bot waits for READY: the bot's own
    # timeout, which would hide the cause.
    with pytest.raises(FakeProcessError, match="was killed by SIGKILL") as raised:
        async with open_fake([]) as fake:
            assert isinstance(fake, RemoteFake)
            os.kill(fake.pid, signal.SIGKILL)
            for _ in range(int(WAIT / 0.05)):
                if fake.gone is not None:
                    break
                await asyncio.sleep(0.05)
            raise TimeoutError("client not ready after 20.0s")
    assert isinstance(raised.value.__cause__, TimeoutError)


@pytest.mark.slow
@pytest.mark.parametrize("in_process", [False, True], ids=["own process", "in process"])
async def test_the_load_bench_runs_both_levels_on_the_seed_index_without_breaking_discord_rules(
    seed_app: App, shared_model: None, discord_address: None, in_process: bool
) -> None:
    args = argparse.Namespace(
        index=Path(seed_app.settings.index),
        corpus=Path(seed_app.settings.corpus),
        concurrency=2,
        trials=1,
        singles=3,
        st_baseline=False,
        skip_reindex=True,
        quiet_reindex=False,
        fake_in_process=in_process,
        freeze_heap=not in_process,  # both ways, as `quotebot run` does and not
        stall_dump=None,
    )
    results = await run(args)
    assert results["violations"] == []
    # Measured once queries left the numpy pass, as in a running bot, and said on what.
    assert results["query_runner"] in ("OnnxModel", "LeanBert")
    fake_cpu = results["cpu_end_to_end"]["fake_s"]
    assert fake_cpu is None if in_process else fake_cpu > 0  # the fake's work, told apart
    for level in ("handler", "end_to_end"):
        assert len(results[level]["cold_trials"]) == 1
        assert results[level]["single"]["p50_ms"] > 0
        assert results[level]["single"]["n"] == 3
    table = render(results)
    where = "in the bot's process" if in_process else "a process of its own"
    assert f"The fake Discord: {where}" in table
    assert ("heap not frozen" in table) == in_process
    assert f"on {results['query_runner']}." in table


async def test_the_lag_probe_says_where_and_when_the_loop_stalled(tmp_path: Path) -> None:
    from bench.load import LagProbe

    def hold_the_loop() -> None:  # a stall whose stack the dump must show
        time.sleep(LagProbe.STALL_S + 0.7)

    with (tmp_path / "stalls.txt").open("w") as dump:
        probe = LagProbe(dump)
        probe.start()
        await asyncio.sleep(0.2)
        hold_the_loop()
        gc.collect()  # a full collection, counted
        await asyncio.sleep(0.05)
        lag = await probe.stop()
    text = (tmp_path / "stalls.txt").read_text()
    assert "in hold_the_loop" in text
    assert "=== the stacks above: a stall of" in text
    assert lag["max_ms"] >= 900 and 0.1 <= lag["max_at_s"] < 5  # began after the 0.2 s sleep
    assert lag["full_collections"] >= 1 and lag["tracked_objects"] > 0


@pytest.mark.parametrize("option", ["--concurrency", "--trials", "--singles"])
def test_a_count_below_one_is_refused_in_one_line(
    option: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bench import load

    monkeypatch.setattr("sys.argv", ["load.py", "--index", "/nowhere", option, "0"])
    with pytest.raises(SystemExit) as exit_:
        load.main()
    assert exit_.value.code == 2
    assert f"{option} must be at least 1" in capsys.readouterr().err
