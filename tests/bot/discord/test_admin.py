"""/reindex end to end: who may run it, its progress, and queries answered while it runs."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

import bot.app
from bot.app import App
from bot.discord.client import QuoteBot
from bot.discord.cogs.admin import BUSY, PROGRESS_INTERVAL
from tests.bot.discord.conftest import WAIT, app_like
from tests.fake_discord import FakeDiscord, InteractionRecord, run_client

NEW_FILE = "on-splitting.txt"
NEW_WORK = """On Splitting

A small circle that quarrels over every comma of its program splits in two, and then in
two again, until each fragment is certain that it alone carries the torch.
"""


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
    held = Gate("read")
    monkeypatch.setattr(bot.app, "reindex", held.wrap(bot.app.reindex))
    yield held
    held.opened.set()  # never leave a worker thread waiting


def finished(record: InteractionRecord) -> bool:
    return record.embed is not None and record.embed["title"] != "Reindexing…"


async def test_reindex_shows_progress_and_queries_keep_answering_until_the_swap(
    fake_discord: FakeDiscord, fresh_app: App, gate: Gate
) -> None:
    (Path(fresh_app.settings.corpus) / NEW_FILE).write_text(NEW_WORK)
    app = app_like(fresh_app, cooldown_seconds=0, server_limit=0)
    async with run_client(QuoteBot(app), fake_discord):
        rec = await fake_discord.send_slash("reindex", user="mod")
        await gate.wait_reached()
        assert app.index.building

        # The old index answers meanwhile; the new work is not in it yet.
        during = await fake_discord.send_slash("quote", {"query": "a circle splits in two"})
        await during.wait_done(WAIT)
        assert during.embed is not None
        assert not during.embed["footer"]["text"].endswith(NEW_FILE)

        # A second reindex is refused while the first runs.
        second = await fake_discord.send_slash("reindex", user="admin")
        await second.wait_done(WAIT)
        assert second.ephemeral and second.embed is not None
        assert second.embed["description"] == BUSY

        # Progress reaches the stage the build is held at.
        await rec.wait_for(lambda r: "Reading documents" in (r.embed or {}).get("description", ""))
        gate.opened.set()
        await rec.wait_for(finished, WAIT)

        after = await fake_discord.send_slash("quote", {"query": "a circle splits in two"})
        await after.wait_done(WAIT)

    assert rec.ephemeral and rec.embed is not None
    assert rec.embed["title"] == "Reindex finished"
    assert "1 added" in rec.embed["description"]
    # The first answer said it started; progress edits came at most every PROGRESS_INTERVAL.
    message = rec.final_message
    assert message is not None and message.history[0]["embeds"][0]["title"] == "Reindexing…"
    edits = [e.at for e in rec.events if e.kind == "edit" and e.at is not None]
    progress_edits = edits[:-1]  # the last edit is the summary
    assert len(progress_edits) >= 2
    gaps = [b - a for a, b in pairwise(progress_edits)]
    assert min(gaps) >= PROGRESS_INTERVAL * 0.9
    # The swap happened: the new work answers now.
    assert after.embed is not None and after.embed["footer"]["text"].endswith(NEW_FILE)


async def test_reindex_reports_skipped_files(fake_discord: FakeDiscord, fresh_app: App) -> None:
    (Path(fresh_app.settings.corpus) / "empty.txt").write_text("   \n")
    app = app_like(fresh_app, cooldown_seconds=0, server_limit=0)
    async with run_client(QuoteBot(app), fake_discord):
        rec = await fake_discord.send_slash("reindex", user="mod")
        await rec.wait_for(finished, WAIT)
    assert rec.embed is not None and rec.embed["title"] == "Reindex finished"
    fields = {f["name"]: f["value"] for f in rec.embed["fields"]}
    assert "empty.txt" in fields["Skipped (1)"]


MANAGE_GUILD = 1 << 5


@pytest.mark.parametrize(
    ("who", "member", "configured"),
    [
        ("mod", {}, ()),
        ("owner", {}, ()),
        ("bob", {"member_permissions": MANAGE_GUILD}, ()),
        ("alice", {}, ("user", "alice")),
        ("bob", {"member_permissions": 0, "roles": ["Moderator"]}, ("role", "Moderator")),
    ],
    ids=[
        "manage-server-through-a-role",
        "server-owner",
        "manage-server-in-the-interaction",
        "configured-admin-user-id",
        "configured-admin-role-id-without-permissions",
    ],
)
async def test_admins_may_reindex(
    fake_discord: FakeDiscord,
    fresh_app: App,
    who: str,
    member: dict[str, Any],
    configured: tuple[str, str],
) -> None:
    admin_ids: frozenset[int] = frozenset()
    if configured:
        kind, name = configured
        ids = fake_discord.user_ids if kind == "user" else fake_discord.role_ids
        admin_ids = frozenset({ids[name]})
    app = app_like(fresh_app, cooldown_seconds=0, server_limit=0, admin_ids=admin_ids)
    async with run_client(QuoteBot(app), fake_discord):
        rec = await fake_discord.send_slash("reindex", user=who, **member)
        await rec.wait_for(finished, WAIT)
    assert rec.embed is not None and rec.embed["title"] == "Reindex finished"
    assert "up to date" in rec.embed["description"]


async def test_a_non_admin_is_refused_even_though_discord_showed_the_command(
    fake_discord: FakeDiscord, fresh_app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[bool] = []
    monkeypatch.setattr(fresh_app.index, "reindex", lambda **kw: started.append(True))
    app = app_like(fresh_app, cooldown_seconds=0, server_limit=0, admin_ids=frozenset({1234}))
    async with run_client(QuoteBot(app), fake_discord):
        rec = await fake_discord.send_slash("reindex", user="alice")
        await rec.wait_done(WAIT)
        # Turned away again at once: a refusal does not count against the cooldown either.
        again = await fake_discord.send_slash("reindex", user="alice")
        await again.wait_done(WAIT)
    for refusal in (rec, again):
        assert refusal.ephemeral and refusal.embed is not None
        assert refusal.embed["description"] == (
            "Only the bot's admins and members with Manage Server can use /reindex."
        )
    assert started == []


@pytest.mark.parametrize(
    ("who", "crafted"),
    [
        ("mod", {"member_permissions": 0}),  # the role grants it; this interaction does not
        ("bob", {"member_permissions": ~MANAGE_GUILD & 0xFFFFFFFF}),  # every other permission
        ("bob", {"roles": ["Moderator"], "member_permissions": 0}),  # a role list is not proof
        ("mod", {"guild": False}),  # in a direct message nobody manages a server
    ],
    ids=["role-says-yes-interaction-says-no", "all-but-manage-server", "role-only", "dm"],
)
async def test_reindex_trusts_the_interactions_own_permissions_not_what_it_looks_like(
    fake_discord: FakeDiscord,
    fresh_app: App,
    monkeypatch: pytest.MonkeyPatch,
    who: str,
    crafted: dict[str, Any],
) -> None:
    started: list[bool] = []
    monkeypatch.setattr(fresh_app.index, "reindex", lambda **kw: started.append(True))
    app = app_like(fresh_app, cooldown_seconds=0, server_limit=0)
    async with run_client(QuoteBot(app), fake_discord):
        rec = await fake_discord.send_slash("reindex", user=who, **crafted)
        await rec.wait_done(WAIT)
    assert rec.ephemeral and rec.embed is not None
    assert rec.embed["description"].startswith("Only the bot's admins and members with Manage")
    assert started == []
