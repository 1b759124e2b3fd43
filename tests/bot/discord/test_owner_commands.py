"""What a bot owner (a user in QUOTEBOT_ADMIN_IDS, with no server permission at all) gets
from Discord: `/reindex force` embeds every passage again, and the default upload cap of
2 MiB refuses a bigger file before downloading it.

Owners only: who else may run these commands is tests/bot/discord/test_admin.py's and
test_corpus.py's business.
"""

from __future__ import annotations

import re
from pathlib import Path

import discord
import pytest

from bot.app import App
from embeddings import store
from tests.bot.discord.conftest import BUILD_WAIT, RunningBot, answered, app_like
from tests.fake_discord import FakeDiscord, InteractionRecord, Upload

OWNER = "alice"  # an ordinary member of the fake server: no Manage Server


def finished(record: InteractionRecord) -> bool:
    return record.embed is not None and record.embed["title"] != "Reindexing…"


def owners_app(base: App, fake: FakeDiscord) -> App:
    return app_like(
        base, cooldown_seconds=0, server_limit=0, admin_ids=frozenset({fake.user_ids[OWNER]})
    )


async def test_reindex_force_from_discord_embeds_every_passage_again(
    fake_discord: FakeDiscord, fresh_app: App, running_bot: RunningBot
) -> None:
    app = owners_app(fresh_app, fake_discord)
    index = Path(app.settings.index)
    passages = len(app.index.searcher.index.passages)
    before = store.read_current_name(index)
    async with running_bot(app):
        plain = await fake_discord.send_slash("reindex", {"base": True}, user=OWNER)
        await plain.wait_for(finished, BUILD_WAIT)
        forced = await fake_discord.send_slash("reindex", {"force": True, "base": True}, user=OWNER)
        await forced.wait_for(finished, BUILD_WAIT)
        after = await answered(
            fake_discord.send_slash("quote", {"query": "what is a sect in socialist politics?"})
        )

    # Nothing changed, so a plain reindex has nothing to do ...
    assert plain.embed is not None and plain.embed["title"] == "Reindex finished"
    assert plain.embed["description"].startswith("The index is up to date")
    # ... and a forced one embeds everything again into a new build, reusing nothing.
    assert forced.ephemeral and forced.embed is not None
    assert forced.embed["title"] == "Reindex finished"
    counts = re.search(
        r"(\d+) passages \((\d+) embedded, (\d+) reused\)", forced.embed["description"]
    )
    assert counts is not None, forced.embed["description"]
    assert [int(n) for n in counts.groups()] == [passages, passages, 0]
    assert store.read_current_name(index) != before
    assert (
        after.embed is not None and after.embed["title"] == "Anatomy of the Micro-Sect — Hal Draper"
    )


async def test_the_default_cap_refuses_a_file_over_2_mib_before_downloading_it(
    fake_discord: FakeDiscord,
    fresh_app: App,
    monkeypatch: pytest.MonkeyPatch,
    running_bot: RunningBot,
) -> None:
    downloaded: list[str] = []

    async def read(self: discord.Attachment, **kwargs: object) -> bytes:
        downloaded.append(self.filename)
        return b""

    monkeypatch.setattr(discord.Attachment, "read", read)
    app = owners_app(fresh_app, fake_discord)
    assert app.settings.upload_max_bytes == 2 * 1024 * 1024  # config/settings.toml, unchanged
    corpus = Path(app.settings.corpus)
    files = sorted(corpus.rglob("*"))
    big = b"A small circle splits in two.\n" * (2 * 1024 * 1024 // 30 + 1)  # 2 MiB and a bit
    async with running_bot(app):
        rec = await answered(
            fake_discord.send_slash("corpus add", {"file": Upload("big.txt", big)}, user=OWNER)
        )
    assert rec.ephemeral and rec.embed is not None and rec.embed["title"] == "Sorry"
    assert rec.embed["description"].startswith(
        "That file is 2.0 MB; the largest file I accept is 2.0 MB."
    )
    assert downloaded == [] and sorted(corpus.rglob("*")) == files
