"""`quotebot run` as `docker stop` meets it: a real process, SIGTERM, and 10 seconds.

The bot runs as its own process against the fake Discord (tests/fake_discord/launch.py aims
discord.py at it), configured the way a deployment is: DISCORD_TOKEN, QUOTEBOT_CORPUS,
QUOTEBOT_INDEX, QUOTEBOT_ADMIN_IDS (the owner who reindexes) and QUOTEBOT_DEV_GUILD (where
the commands are synced) in its environment. In-process tests cannot do this: signal
handlers only work in a main thread.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
import pytest_asyncio

from bot.app import App
from embeddings import store
from tests.bot.discord.conftest import answered
from tests.fake_discord import FAKE_TOKEN, FakeDiscord, InteractionRecord

PROJECT = Path(__file__).resolve().parents[3]
DOCKER_STOP_GRACE = 10.0  # seconds `docker stop` waits after SIGTERM before SIGKILL
START_UP = 120.0  # loading the model and the index on a busy machine
OWNER = "alice"  # an ordinary member; an owner only through QUOTEBOT_ADMIN_IDS

WORDS = (  # noqa: SIM905 (a sentence of words reads better than a list of 34 strings)
    "circle party programme comma quarrel fragment torch movement union strike branch "
    "leaflet paper meeting member faction line congress split unity debate theory practice "
    "class worker factory street city country history future league council cell"
).split()


def a_long_work(paragraphs: int) -> str:
    """Enough distinct paragraphs that embedding them takes far longer than docker's grace."""
    out = []
    for n in range(paragraphs):
        words = [WORDS[(n * 7 + i * (n % 11 + 3)) % len(WORDS)] for i in range(60)]
        out.append(f"Paragraph {n}: " + " ".join(words).capitalize() + ".")
    return "\n\n".join(out) + "\n"


@pytest.fixture
def bot_log(tmp_path: Path) -> Path:
    """The bot's stderr (a file: a pipe nobody reads could fill up and stall the bot)."""
    return tmp_path / "quotebot-run.log"


@pytest_asyncio.fixture
async def bot_process(
    fake_discord: FakeDiscord, fresh_app: App, bot_log: Path
) -> AsyncIterator[asyncio.subprocess.Process]:
    """`quotebot run` started against the fake, synced and connected."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("QUOTEBOT_")},
        "PYTHONPATH": str(PROJECT),
        "HF_HUB_OFFLINE": "1",
        "DISCORD_TOKEN": FAKE_TOKEN,
        "QUOTEBOT_CORPUS": str(fresh_app.settings.corpus),
        "QUOTEBOT_INDEX": str(fresh_app.settings.index),
        "QUOTEBOT_ADMIN_IDS": str(fake_discord.user_ids[OWNER]),
        "QUOTEBOT_DEV_GUILD": str(fake_discord.guild_id),
    }
    log = bot_log.open("wb")
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.fake_discord.launch",
        fake_discord.api_base,
        fake_discord.gateway_url,
        "run",
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=log,
    )
    try:
        await fake_discord.wait_for(lambda f: bool(f.syncs) and f.connected, START_UP)
        yield proc
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        log.close()


def reindex_shows(stage: str) -> Callable[[InteractionRecord], bool]:
    def shown(record: InteractionRecord) -> bool:
        return stage in (record.embed or {}).get("description", "")

    return shown


async def test_sigterm_during_a_reindex_disconnects_and_exits_0_within_dockers_grace(
    fake_discord: FakeDiscord,
    fresh_app: App,
    bot_process: asyncio.subprocess.Process,
    bot_log: Path,
) -> None:
    index = Path(fresh_app.settings.index)
    serving = store.read_current_name(index)
    (Path(fresh_app.settings.corpus) / "long-work.txt").write_text(a_long_work(3000))

    # Commands were synced to QUOTEBOT_DEV_GUILD, not globally.
    assert [s.guild_id for s in fake_discord.syncs] == [fake_discord.guild_id]

    # The owner named in QUOTEBOT_ADMIN_IDS starts a reindex; it is embedding the new work ...
    rec = await answered(fake_discord.send_slash("reindex", {"base": True}, user=OWNER))
    assert rec.embed is not None and rec.embed["title"] == "Reindexing…", rec.embed
    await rec.wait_for(reindex_shows("Embedding passages"), START_UP)
    # ... while the current index keeps answering.
    during = await answered(
        fake_discord.send_slash("quote", {"query": "what is a sect in socialist politics?"})
    )
    assert (
        during.embed is not None
        and during.embed["title"] == "Anatomy of the Micro-Sect — Hal Draper"
    )

    bot_process.send_signal(signal.SIGTERM)
    try:
        code = await asyncio.wait_for(bot_process.wait(), DOCKER_STOP_GRACE)
    except TimeoutError:
        bot_process.kill()  # what docker does next
        await bot_process.wait()
        pytest.fail(f"still running {DOCKER_STOP_GRACE} s after SIGTERM:\n{bot_log.read_text()}")
    stderr = bot_log.read_text()

    assert code == 0, stderr
    # The bot closed the gateway with a close frame: 1000 from `Client.close()`, or the 4000
    # discord.py's reader answers the same close with; never 1006, a connection dropped by a
    # dying process.
    gateway = fake_discord.gateway_connections[-1]
    assert gateway.closed and gateway.ws.close_code in (1000, 4000), gateway.ws.close_code
    assert "stopping the reindex in progress" in stderr and "disconnected" in stderr
    assert "Traceback" not in stderr, stderr
    # The interrupted build replaced nothing: the last good build is the one serving, whole.
    assert store.read_current_name(index) == serving
    data = store.load(index)  # checksums verified
    assert "long-work.txt" not in {d.source for d in data.documents}
