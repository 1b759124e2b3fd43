"""Two `quotebot run` processes, shards 0 and 1 of 2, against one fake Discord and one index
folder: what a bot in many servers runs (README, "More than one process").

The processes are real subprocesses of the command line, aimed at the fake through the
test-only QUOTEBOT_TEST_DISCORD_URL. The fake routes each server's interactions to the shard
Discord would ((guild id >> 22) % 2), so a server on shard 0 talks to the first process only and
a server on shard 1 to the second.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pytest

from bot.app import App
from bot.discord.cogs.admin import BUSY
from bot.discord.runner import TEST_DISCORD_URL
from bot.settings import DEFAULT_CONFIG, PROJECT_DIR
from embeddings import store
from tests.bot.discord.conftest import WAIT
from tests.fake_discord import FAKE_TOKEN, FakeDiscord, InteractionRecord

pytestmark = pytest.mark.slow

STARTUP = 120.0  # two processes loading torch and the model at once on a busy 2-core machine
ALMANAC = "almanac.txt"
ALMANAC_TEXT = """The Beekeeper's Almanac

Bees swarm in late spring when the old queen leaves the hive with half of the workers;
a beekeeper who sees the queen cells capped can split the colony before the swarm goes.
"""
ALMANAC_QUERY = "when do honey bees swarm from the hive"
QUERY = "what is a sect?"
SEED_SOURCES = ("draper-anatomy-of-the-micro-sect.md", "mim-definition-of-sectarianism.txt")

RUN = "import sys\nfrom bot.cli import main\nsys.exit(main(sys.argv[1:]))\n"
# The same command whose builds stall half-written (while checksumming the files written into
# builds/.tmp-*), so that a test can kill it there rather than race it.
STALLING_RUN = """
import sys, time
import embeddings.store as store
real_sha256 = store._sha256
def stall(path):
    if "/.tmp-" in str(path):
        time.sleep(600)
    return real_sha256(path)
store._sha256 = stall
from bot.cli import main
sys.exit(main(sys.argv[1:]))
"""


@dataclass
class BotProcess:
    shard: int
    proc: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def config_for_tests(tmp_path: Path) -> Path:
    """The shipped settings without rate limits (the tests ask many questions as one user)."""
    text = DEFAULT_CONFIG.read_text(encoding="utf-8")
    text = text.replace("cooldown_seconds = 3.0", "cooldown_seconds = 0")
    text = text.replace("server_limit = 30 ", "server_limit = 0 ")
    path = tmp_path / "config" / "settings.toml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


class Launch(Protocol):
    def __call__(self, shard: int, *, stall: bool = False) -> BotProcess: ...


@pytest.fixture
def launch(fake_discord: FakeDiscord, fresh_app: App, tmp_path: Path) -> Iterator[Launch]:
    """`launch(N)` starts `quotebot run --shards 2 --shard-ids N` over `fresh_app`'s corpus
    and index (with `stall=True`, one whose reindex hangs); all stopped after the test."""
    started: list[BotProcess] = []

    def launch_one(shard: int, *, stall: bool = False) -> BotProcess:
        return start(started, fresh_app, fake_discord, tmp_path, shard, stall=stall)

    yield launch_one
    for bot in started:
        if bot.proc.poll() is None:
            bot.proc.send_signal(signal.SIGTERM)  # a clean disconnect, as `docker stop`
    for bot in started:
        try:
            bot.proc.wait(15)
        except subprocess.TimeoutExpired:
            bot.proc.kill()
            bot.proc.wait()


def start(
    started: list[BotProcess],
    app: App,
    fake: FakeDiscord,
    tmp_path: Path,
    shard: int,
    *,
    stall: bool = False,
) -> BotProcess:
    env = {
        **os.environ,
        "DISCORD_TOKEN": FAKE_TOKEN,
        TEST_DISCORD_URL: fake.base_url,
        "QUOTEBOT_DATA": str(tmp_path / "data"),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "PYTHONPATH": os.pathsep.join([str(PROJECT_DIR), os.environ.get("PYTHONPATH", "")]),
    }
    args = ["run", "--config", str(config_for_tests(tmp_path))]
    args += ["--corpus", str(app.settings.corpus), "--index", str(app.settings.index)]
    args += ["--shards", "2", "--shard-ids", str(shard)]
    log = tmp_path / f"shard-{shard}.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", STALLING_RUN if stall else RUN, *args],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
        )
    bot = BotProcess(shard, proc, log)
    started.append(bot)
    return bot


async def ready(*bots: BotProcess) -> None:
    """Until each process logged on_ready (its shard's servers are cached)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + STARTUP
    for bot in bots:
        while "connected as" not in bot.output():
            assert bot.proc.poll() is None, f"shard {bot.shard} exited:\n{bot.output()[-3000:]}"
            assert loop.time() < deadline, f"shard {bot.shard} not ready:\n{bot.output()[-3000:]}"
            await asyncio.sleep(0.1)


async def answered(rec: InteractionRecord) -> InteractionRecord:
    """Until the answer is final (a slow search shows "thinking…" first)."""
    await rec.wait_for(lambda r: r.done and r.embed is not None, WAIT)
    return rec


def source_of(rec: InteractionRecord) -> str:
    """The file a /quote answer quotes first (its footer: "Result 1 of N · source")."""
    assert rec.embed is not None, rec.summary()
    return str(rec.embed.get("footer", {}).get("text", "")).rpartition(" · ")[2]


def reindexed(rec: InteractionRecord) -> bool:
    return rec.embed is not None and rec.embed["title"] != "Reindexing…"


@pytest.fixture
def servers(fake_discord: FakeDiscord) -> tuple[int, int]:
    """A server on each of two shards; "owner" (the application's owner) is in both."""
    fake_discord.shards = 2
    # Discord's identify rate limit: processes started together must take turns (one is told
    # Invalid Session and identifies again after discord.py's 5 s wait).
    fake_discord.identify_interval = 5.0
    members = {"owner": ["Admin"], "alice": []}
    return (
        fake_discord.add_guild("On shard 0", members=members, shard=0),
        fake_discord.add_guild("On shard 1", members=members, shard=1),
    )


async def test_a_reindex_through_one_process_is_answered_from_by_the_other_within_2_s(
    fake_discord: FakeDiscord, fresh_app: App, launch: Launch, servers: tuple[int, int]
) -> None:
    fake = fake_discord
    zero, one = servers
    first = launch(0)
    second = launch(1)
    await ready(first, second)
    await fake.wait_for_sync(1, WAIT)  # only the process with shard 0 syncs the commands
    assert fake.identified_shards == {0: 2, 1: 2}
    assert len(fake.syncs) == 1

    before = await answered(await fake.send_slash("quote", {"query": ALMANAC_QUERY}, guild=one))
    assert source_of(before) != ALMANAC
    (Path(fresh_app.settings.corpus) / ALMANAC).write_text(ALMANAC_TEXT)

    # Questions keep coming to both processes while the base is rebuilt and swapped.
    asked: list[InteractionRecord] = []
    stop = asyncio.Event()

    async def keep_asking() -> None:
        while not stop.is_set():
            for guild in (zero, one):
                asked.append(await fake.send_slash("quote", {"query": QUERY}, guild=guild))
            await asyncio.sleep(0.1)

    asking = asyncio.create_task(keep_asking())
    try:
        rec = await fake.send_slash("reindex", {"base": True}, user="owner", guild=zero)
        await rec.wait_for(reindexed, 120)
        assert rec.embed is not None and rec.embed["title"] == "Reindex finished", rec.summary()
        assert "1 added" in rec.embed["description"]
        loop = asyncio.get_running_loop()
        done_at = loop.time()
        # The other process answers from the new build within 2 s of the reindex's reply.
        while True:
            after = await answered(
                await fake.send_slash("quote", {"query": ALMANAC_QUERY}, guild=one)
            )
            elapsed = loop.time() - done_at
            if source_of(after) == ALMANAC or elapsed > 2.0:
                break
            await asyncio.sleep(0.05)
        assert source_of(after) == ALMANAC, f"still the old build {elapsed:.2f} s after"
        assert elapsed <= 2.0
        await asyncio.sleep(0.5)  # a few more questions after the swap
    finally:
        stop.set()
        await asking
    assert len(asked) >= 4
    for each in asked:
        await answered(each)
        assert source_of(each) in SEED_SOURCES, each.summary()
    assert {fake.shard_of(r.guild_id) for r in asked} == {0, 1}
    current = store.read_current_name(fresh_app.settings.index)
    assert f"swapped in index build {current}" in second.output()
    assert "swapped in index build" not in first.output()  # it built it: loaded once


async def test_a_process_killed_mid_reindex_leaves_the_other_serving_the_last_good_build(
    fake_discord: FakeDiscord, fresh_app: App, launch: Launch, servers: tuple[int, int]
) -> None:
    fake = fake_discord
    zero, one = servers
    index = fresh_app.settings.index
    good = store.read_current_name(index)
    first = launch(0, stall=True)
    second = launch(1)
    await ready(first, second)
    await fake.wait_for_sync(1, WAIT)
    (Path(fresh_app.settings.corpus) / ALMANAC).write_text(ALMANAC_TEXT)

    building = await fake.send_slash("reindex", {"base": True}, user="owner", guild=zero)
    builds = index / "builds"

    def half_written() -> bool:
        return any((p / "vectors.npy").exists() for p in builds.glob(".tmp-*"))

    loop = asyncio.get_running_loop()
    deadline = loop.time() + 120
    while not half_written():
        assert loop.time() < deadline, first.output()[-3000:]
        await asyncio.sleep(0.05)

    # Two processes starting a build at once: the second is told one is running, builds nothing.
    refused = await fake.send_slash("reindex", {"base": True}, user="owner", guild=one)
    await refused.wait_for(reindexed, WAIT)
    assert refused.embed is not None and refused.embed["description"] == BUSY
    assert len(list(builds.glob(".tmp-*"))) == 1

    first.proc.send_signal(signal.SIGKILL)
    first.proc.wait()
    assert building.embed is not None and building.embed["title"] == "Reindexing…"

    # The other process keeps answering, from the last good build.
    await asyncio.sleep(1.5)  # more than a look for new builds
    for _ in range(3):
        rec = await answered(await fake.send_slash("quote", {"query": QUERY}, guild=one))
        assert source_of(rec) in SEED_SOURCES
    late = await answered(await fake.send_slash("quote", {"query": ALMANAC_QUERY}, guild=one))
    assert source_of(late) != ALMANAC
    assert store.read_current_name(index) == good
    assert "swapped in index build" not in second.output()

    # The lock died with the killed process: the other one can build now, and serves it.
    rebuilt = await fake.send_slash("reindex", {"base": True}, user="owner", guild=one)
    await rebuilt.wait_for(reindexed, 120)
    assert rebuilt.embed is not None and rebuilt.embed["title"] == "Reindex finished"
    after = await answered(await fake.send_slash("quote", {"query": ALMANAC_QUERY}, guild=one))
    assert source_of(after) == ALMANAC
    assert not list(builds.glob(".tmp-*"))  # the new build cleared what the killed one left
