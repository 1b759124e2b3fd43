"""/reindex end to end: who may run it on what, its progress, and queries answered while
it runs.

The bot's owners (configured user or role IDs, the application's owner) reindex the shared
base corpus with `base: True`; Manage Server alone reindexes only the server's own texts.
"""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

import bot.live
from bot.app import App
from bot.commands.corpus import BASE_ONLY_OWNERS
from bot.discord.cogs.admin import (
    BUSY,
    NOTHING_OF_ITS_OWN,
    NOTHING_OF_ITS_OWN_TO_AN_OWNER,
    PROGRESS_INTERVAL,
)
from tests.bot.discord.conftest import BUILD_WAIT, WAIT, Gate, RunningBot, answered
from tests.fake_discord import FakeDiscord, InteractionRecord

NEW_FILE = "on-splitting.txt"
NEW_WORK = """On Splitting

A small circle that quarrels over every comma of its program splits in two, and then in
two again, until each fragment is certain that it alone carries the torch.
"""


def private_app(fresh_app: App, **settings: Any) -> App:
    """An App over `fresh_app`'s private corpus and index with some settings changed, and
    its own index service: the base that servers read and the one direct messages read
    are the same (a reindex through it rebuilds `fresh_app`'s index files)."""
    app = App(replace(fresh_app.settings, **settings), fresh_app.encoder)
    app.index.load()
    return app


def own(app: App, fake: FakeDiscord) -> Path:
    """The fake server's own texts."""
    folder = app.collections.folder(fake.guild_id) / "corpus"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def reindexes(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Every reindex started, recorded instead of run (a refused request must start none)."""
    started: list[bool] = []
    monkeypatch.setattr(bot.live, "reindex", lambda *a, **kw: started.append(True))
    return started


def finished(record: InteractionRecord) -> bool:
    return record.embed is not None and record.embed["title"] != "Reindexing…"


async def test_reindex_shows_progress_and_queries_keep_answering_until_the_swap(
    fake_discord: FakeDiscord, fresh_app: App, gate: Gate, running_bot: RunningBot
) -> None:
    (Path(fresh_app.settings.corpus) / NEW_FILE).write_text(NEW_WORK)
    admin = fake_discord.user_ids["admin"]
    app = private_app(fresh_app, cooldown_seconds=0, server_limit=0, admin_ids=frozenset({admin}))
    async with running_bot(app):
        rec = await fake_discord.send_slash("reindex", {"base": True}, user="owner")
        await gate.wait_reached()
        assert app.collections.base.service.building

        # The old index answers meanwhile; the new work is not in it yet.
        during = await answered(
            fake_discord.send_slash("quote", {"query": "a circle splits in two"})
        )
        assert during.embed is not None
        assert not during.embed["footer"]["text"].endswith(NEW_FILE)

        # A second reindex of the base, by another owner, is refused while the first runs.
        second = await answered(fake_discord.send_slash("reindex", {"base": True}, user="admin"))
        assert second.ephemeral and second.embed is not None
        assert second.embed["description"] == BUSY

        # Progress reaches the stage the build is held at.
        await rec.wait_for(lambda r: "Reading documents" in (r.embed or {}).get("description", ""))
        gate.opened.set()
        await rec.wait_for(finished, BUILD_WAIT)

        after = await answered(
            fake_discord.send_slash("quote", {"query": "a circle splits in two"})
        )

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


async def test_reindex_reports_skipped_files(
    fake_discord: FakeDiscord, fresh_app: App, running_bot: RunningBot
) -> None:
    app = private_app(fresh_app, cooldown_seconds=0, server_limit=0)
    (own(app, fake_discord) / NEW_FILE).write_text(NEW_WORK)
    (own(app, fake_discord) / "empty.txt").write_text("   \n")
    async with running_bot(app):
        rec = await fake_discord.send_slash("reindex", user="mod")
        await rec.wait_for(finished, BUILD_WAIT)
    assert rec.embed is not None and rec.embed["title"] == "Reindex finished"
    assert "1 added" in rec.embed["description"]
    fields = {f["name"]: f["value"] for f in rec.embed["fields"]}
    assert "empty.txt" in fields["Skipped (1)"]


MANAGE_GUILD = 1 << 5


@pytest.mark.parametrize(
    ("who", "member", "configured"),
    [
        ("owner", {}, ()),
        ("alice", {}, ("user", "alice")),
        ("bob", {"member_permissions": 0, "roles": ["Moderator"]}, ("role", "Moderator")),
    ],
    ids=[
        "application-owner",
        "configured-admin-user-id",
        "configured-admin-role-id-without-permissions",
    ],
)
async def test_owners_may_reindex_the_base(
    fake_discord: FakeDiscord,
    fresh_app: App,
    who: str,
    member: dict[str, Any],
    configured: tuple[str, str],
    running_bot: RunningBot,
) -> None:
    admin_ids: frozenset[int] = frozenset()
    if configured:
        kind, name = configured
        ids = fake_discord.user_ids if kind == "user" else fake_discord.role_ids
        admin_ids = frozenset({ids[name]})
    app = private_app(fresh_app, cooldown_seconds=0, server_limit=0, admin_ids=admin_ids)
    async with running_bot(app):
        rec = await fake_discord.send_slash("reindex", {"base": True}, user=who, **member)
        await rec.wait_for(finished, BUILD_WAIT)
    assert rec.embed is not None and rec.embed["title"] == "Reindex finished"
    assert "up to date" in rec.embed["description"]
    assert app.collections.base.log.tail(1)[0].action == "reindex"


@pytest.mark.parametrize(
    ("who", "member"),
    [("mod", {}), ("bob", {"member_permissions": MANAGE_GUILD})],
    ids=["manage-server-through-a-role", "manage-server-in-the-interaction"],
)
async def test_manage_server_alone_reindexes_only_this_servers_texts(
    fake_discord: FakeDiscord,
    fresh_app: App,
    who: str,
    member: dict[str, Any],
    running_bot: RunningBot,
) -> None:
    app = private_app(fresh_app, cooldown_seconds=0, server_limit=0)
    (own(app, fake_discord) / NEW_FILE).write_text(NEW_WORK)
    build = app.collections.base.service.searcher.build
    async with running_bot(app):
        mine = await fake_discord.send_slash("reindex", user=who, **member)
        await mine.wait_for(finished, BUILD_WAIT)
        found = await answered(
            fake_discord.send_slash("quote", {"query": "a circle splits in two"})
        )
        shared = await answered(
            fake_discord.send_slash("reindex", {"base": True}, user=who, **member)
        )
    assert mine.embed is not None and mine.embed["title"] == "Reindex finished"
    assert "1 added" in mine.embed["description"]
    assert found.embed is not None and found.embed["footer"]["text"].endswith(NEW_FILE)
    assert shared.ephemeral and shared.embed is not None
    assert shared.embed["description"] == BASE_ONLY_OWNERS
    assert app.collections.base.service.searcher.build == build  # the base was not rebuilt


@pytest.mark.parametrize(
    ("user", "told"),
    [
        ("mod", NOTHING_OF_ITS_OWN),
        # "The shared base corpus is reindexed by the bot's owners" is no answer for one.
        ("owner", NOTHING_OF_ITS_OWN_TO_AN_OWNER),
    ],
)
async def test_a_server_with_no_texts_of_its_own_has_nothing_to_reindex(
    fake_discord: FakeDiscord,
    fresh_app: App,
    reindexes: list[bool],
    running_bot: RunningBot,
    user: str,
    told: str,
) -> None:
    app = private_app(fresh_app, cooldown_seconds=0, server_limit=0)
    async with running_bot(app):
        rec = await answered(fake_discord.send_slash("reindex", user=user))
    assert rec.ephemeral and rec.embed is not None
    assert rec.embed["description"] == told
    assert reindexes == []


async def test_a_non_admin_is_refused_even_though_discord_showed_the_command(
    fake_discord: FakeDiscord,
    fresh_app: App,
    reindexes: list[bool],
    running_bot: RunningBot,
) -> None:
    app = private_app(fresh_app, cooldown_seconds=0, server_limit=0, admin_ids=frozenset({1234}))
    async with running_bot(app):
        rec = await answered(fake_discord.send_slash("reindex", user="alice"))
        # Turned away again at once: a refusal does not count against the cooldown either.
        again = await answered(fake_discord.send_slash("reindex", {"base": True}, user="alice"))
    for refusal in (rec, again):
        assert refusal.ephemeral and refusal.embed is not None
        assert refusal.embed["description"] == (
            "Only the bot's owners and members with Manage Server can use /reindex."
        )
    assert reindexes == []


async def test_a_non_admins_refusal_uses_none_of_the_servers_budget(
    fake_discord: FakeDiscord, fresh_app: App, running_bot: RunningBot
) -> None:
    # Counted, members pressing an admin command could use up the server's commands.
    app = private_app(fresh_app, cooldown_seconds=0, server_limit=1, admin_ids=frozenset({1234}))
    async with running_bot(app):
        refused = await answered(fake_discord.send_slash("reindex", user="alice"))
        helped = await answered(fake_discord.send_slash("help", user="alice"))
    assert refused.embed is not None and refused.embed["description"] == NOT_AN_ADMIN
    assert helped.embed is not None and helped.embed["title"] == "quotebot"


NOT_AN_ADMIN = "Only the bot's owners and members with Manage Server can use /reindex."
NOT_HERE = "/reindex only works in a server I am in."


async def send_crafted(fake: FakeDiscord, name: str, *, user: str, where: str) -> InteractionRecord:
    """/name as a crafted request that Discord's client would never send for a command of
    servers: from a direct message ("dm"), or naming a server the bot is not in."""
    payload = fake.slash_payload(name, user=user)
    if where == "dm":
        dm = fake.slash_payload("quote", {"query": "x"}, user=user, guild=False)
        for key in ("guild_id", "guild", "guild_locale", "member"):
            payload.pop(key)
        for key in ("channel_id", "channel", "user", "context", "authorizing_integration_owners"):
            payload[key] = dm[key]
    else:
        stranger = str(fake.guild_id + 1)
        payload["guild_id"] = stranger
        payload["guild"]["id"] = stranger
        payload["authorizing_integration_owners"] = {"0": stranger}
    return await fake._inject(payload, name)


@pytest.mark.parametrize(
    ("who", "crafted"),
    [
        ("mod", {"member_permissions": 0}),  # the role grants it; this interaction does not
        ("bob", {"member_permissions": ~MANAGE_GUILD & 0xFFFFFFFF}),  # every other permission
        ("bob", {"roles": ["Moderator"], "member_permissions": 0}),  # a role list is not proof
    ],
    ids=["role-says-yes-interaction-says-no", "all-but-manage-server", "role-only"],
)
async def test_reindex_trusts_the_interactions_own_permissions_not_what_it_looks_like(
    fake_discord: FakeDiscord,
    fresh_app: App,
    reindexes: list[bool],
    who: str,
    crafted: dict[str, Any],
    running_bot: RunningBot,
) -> None:
    app = private_app(fresh_app, cooldown_seconds=0, server_limit=0)
    (own(app, fake_discord) / NEW_FILE).write_text(NEW_WORK)  # something it could reindex
    async with running_bot(app):
        rec = await answered(fake_discord.send_slash("reindex", user=who, **crafted))
    assert rec.ephemeral and rec.embed is not None
    assert rec.embed["description"] == NOT_AN_ADMIN
    assert reindexes == []


@pytest.mark.parametrize("where", ["dm", "a-server-the-bot-is-not-in"])
@pytest.mark.parametrize("who", ["mod", "owner"])
async def test_reindex_is_refused_outside_a_server_the_bot_is_in_even_for_owners(
    fake_discord: FakeDiscord,
    fresh_app: App,
    reindexes: list[bool],
    who: str,
    where: str,
    running_bot: RunningBot,
) -> None:
    app = private_app(fresh_app, cooldown_seconds=0, server_limit=0)
    async with running_bot(app):
        rec = await send_crafted(fake_discord, "reindex", user=who, where=where)
        await rec.wait_done(WAIT)
    assert rec.ephemeral and rec.embed is not None
    assert rec.embed["description"] == NOT_HERE
    assert reindexes == []
    assert not (app.settings.data_dir / "collections").exists()  # no collection made for it
