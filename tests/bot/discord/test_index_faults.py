"""The index failing under the bot: a full disk, a damaged build, two reindexes at once,
queries during the swap. The old index keeps answering, admins are told in plain words,
and no answer is ever taken from a damaged build.

Decided here, for a damaged index:
- an earlier intact build exists: the bot serves it, and admins see the warning on /source
  and on /reindex (other members see normal answers);
- nothing intact: every command answers with the damage and the fix (“run a reindex”), and
  `quotebot run` refuses to start with that one line (tests/bot/discord/test_secrets.py).
"""

from __future__ import annotations

import asyncio
import errno
import shutil
from pathlib import Path
from typing import Any

import pytest

import bot.live
from bot.app import App
from bot.commands import corpus as texts
from bot.commands.corpus import Actor
from bot.commands.sidecar import WorkMeta
from bot.discord.cogs.admin import BUSY
from bot.discord.status import WARNING_TITLE
from bot.messages import BUILD_REFUSED_TO_SERVER, MODEL_MISSING_TO_SERVER, model_fallback
from bot.servers import Collection, Collections
from embeddings import store
from embeddings.encoder import DEFAULT_MODEL
from embeddings.errors import IndexIncompatibleError, ModelError
from tests.bot.discord.conftest import BUILD_WAIT, WAIT, Gate, RunningBot, answered, app_like
from tests.embeddings.helpers import flip_a_byte
from tests.fake_discord import FakeDiscord, InteractionRecord

NEW_WORK = "A late essay on the long patience of archives, and of those who keep them.\n"
NEW_QUERY = "the patience of archives"


def finished(rec: InteractionRecord) -> bool:
    """Answered for good: a summary, a failure or a refusal, not a progress message."""
    return rec.done and (rec.embed or {}).get("title", "Reindexing…") != "Reindexing…"


def damage(build: Path, name: str = "vectors.npy") -> None:
    flip_a_byte(build / name, at=-5)


def quote_source(rec: InteractionRecord) -> str:
    assert rec.embed is not None, rec.summary()
    return rec.embed["footer"]["text"].rsplit(" · ", 1)[-1]


@pytest.fixture
def app(fresh_app: App) -> App:
    return app_like(fresh_app, cooldown_seconds=0, server_limit=0)


@pytest.fixture
def two_builds(app: App) -> tuple[str, str]:
    """The seed build, then a second one that adds late.txt; returns both names."""
    first = app.index.searcher.build
    (app.settings.corpus / "late.txt").write_text(NEW_WORK)
    app.index.reindex()
    return first, app.index.searcher.build


async def test_a_full_disk_during_the_save_is_told_to_the_admin_and_the_old_index_answers(
    fake_discord: FakeDiscord, app: App, running_bot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    index_dir = app.settings.index
    before = store.read_current_name(index_dir)
    (app.settings.corpus / "late.txt").write_text(NEW_WORK)
    write = store._write_file

    def disk_full_at_passages(path: Path, data: bytes) -> None:
        if path.name == "passages.jsonl":
            raise OSError(errno.ENOSPC, "No space left on device")
        write(path, data)

    monkeypatch.setattr(store, "_write_file", disk_full_at_passages)
    async with running_bot(app):
        rec = await fake_discord.send_slash("reindex", {"base": True}, user="owner")
        await rec.wait_for(finished, BUILD_WAIT)
        after = await answered(fake_discord.send_slash("quote", {"query": "what is a sect?"}))
    assert rec.ephemeral and rec.embed is not None and rec.embed["title"] == "Reindex failed"
    said = rec.embed["description"]
    assert "could not be written to disk (No space left on device)" in said
    assert "previous index is still in use" in said
    assert store.read_current_name(index_dir) == before
    assert not [p for p in (index_dir / "builds").iterdir() if p.name.startswith(".tmp")]
    assert after.embed is not None and after.embed["footer"]["text"].startswith("Result 1 of")
    # The audit log says it failed (it said "ok").
    [entry] = app.collections.base.log.tail(1)
    assert (entry.action, entry.work, entry.result) == ("reindex", "", "failed")


async def test_a_damaged_index_at_start_is_served_from_the_last_intact_build_and_admins_are_told(
    fake_discord: FakeDiscord, app: App, running_bot: RunningBot, two_builds: tuple[str, str]
) -> None:
    first, second = two_builds
    damage(app.settings.index / "builds" / second)
    app.index.load()  # what the next start does
    async with running_bot(app):
        # The base's damage is for the bot's owners to mend: a server's admins, who cannot
        # reindex the base, are not told, nor are members.
        admin = await fake_discord.send_slash("source", user="owner")
        server_admin = await fake_discord.send_slash("source", user="mod")
        member = await fake_discord.send_slash("source", user="alice")
        found = await fake_discord.send_slash("quote", {"query": NEW_QUERY})
        for rec in (admin, server_admin, member, found):
            await rec.wait_done(WAIT)
    assert app.index.searcher.build == first  # never the damaged one
    assert admin.embed is not None and member.embed is not None
    assert server_admin.embed is not None
    warning = {f["name"]: f["value"] for f in admin.embed["fields"]}[WARNING_TITLE]
    assert "vectors.npy is damaged" in warning and "Serving the previous index" in warning
    assert WARNING_TITLE not in [f["name"] for f in member.embed.get("fields", [])]
    assert WARNING_TITLE not in [f["name"] for f in server_admin.embed.get("fields", [])]
    # The damaged build's new work is not served, even partly: never a wrong answer.
    assert found.embed is not None and "late.txt" not in str(found.embed)


async def test_a_model_that_could_not_be_loaded_is_told_to_the_owners_on_source(
    fake_discord: FakeDiscord, app: App, running_bot: RunningBot
) -> None:
    # What App says when the configured model is missing (tests/bot/test_model_fallback.py).
    app.model_warning = model_fallback(
        ModelError("cannot_load", "/models/tuned", "no such folder"), DEFAULT_MODEL
    )
    async with running_bot(app):
        owner = await fake_discord.send_slash("source", user="owner")
        server_admin = await fake_discord.send_slash("source", user="mod")
        member = await fake_discord.send_slash("source", user="alice")
        for rec in (owner, server_admin, member):
            await rec.wait_done(WAIT)
    assert owner.embed is not None and member.embed is not None
    assert server_admin.embed is not None
    warning = {f["name"]: f["value"] for f in owner.embed["fields"]}[WARNING_TITLE]
    assert warning == app.model_warning
    assert "Using all-MiniLM-L6-v2 instead" in warning
    # The model is the bot's owners' to mend: not a server's admins', nor members'.
    assert WARNING_TITLE not in [f["name"] for f in member.embed.get("fields", [])]
    assert WARNING_TITLE not in [f["name"] for f in server_admin.embed.get("fields", [])]


async def test_reindex_builds_nothing_while_the_configured_model_cannot_be_loaded(
    fake_discord: FakeDiscord, app: App, running_bot: RunningBot
) -> None:
    # It built the whole index with MiniLM, the model answering meanwhile, under settings
    # that name another: what App sets when the model is missing (test_model_fallback.py).
    missing = ModelError("cannot_load", "/models/tuned", "no such folder")
    app.collections.base.model_error = missing
    builds = sorted(p.name for p in (app.settings.index / "builds").iterdir())
    async with running_bot(app):
        rec = await fake_discord.send_slash("reindex", {"base": True, "force": True}, user="owner")
        await rec.wait_for(finished, BUILD_WAIT)
    assert rec.ephemeral and rec.embed is not None and rec.embed["title"] == "Reindex failed"
    said = rec.embed["description"].replace("\\_", "_")  # Markdown's escape, as shown
    assert said.startswith(
        "Could not load the model '/models/tuned': no such folder. Nothing was built: "
        "restore that model, or name another in [model] name (QUOTEBOT_MODEL), then reindex."
    )
    assert sorted(p.name for p in (app.settings.index / "builds").iterdir()) == builds
    [entry] = app.collections.base.log.tail(1)
    assert (entry.action, entry.result) == ("reindex", "forced, failed")


async def test_a_new_build_damaged_before_it_is_loaded_is_reported_by_reindex(
    fake_discord: FakeDiscord, app: App, running_bot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = app.index.searcher.build
    (app.settings.corpus / "late.txt").write_text(NEW_WORK)
    save = store.save

    def save_then_rot(index_dir: Path, data: Any) -> Path:
        build = save(index_dir, data)
        damage(build, "passages.jsonl")  # a bad disk, between the write and the load
        return build

    monkeypatch.setattr(store, "save", save_then_rot)
    async with running_bot(app):
        rec = await fake_discord.send_slash("reindex", {"base": True}, user="owner")
        await rec.wait_for(finished, BUILD_WAIT)
        after = await answered(fake_discord.send_slash("quote", {"query": NEW_QUERY}))
    assert rec.embed is not None and rec.embed["title"] == "Reindex finished"
    warning = {f["name"]: f["value"] for f in rec.embed["fields"]}[WARNING_TITLE]
    assert "passages.jsonl is damaged" in warning
    assert app.index.searcher.build == old
    assert "late.txt" not in str(after.embed)


async def test_with_nothing_intact_every_answer_names_the_damage_and_the_fix(
    fake_discord: FakeDiscord, app: App, running_bot: RunningBot
) -> None:
    damage(store.current_build(app.settings.index))
    cold = App(app.settings, app.encoder)  # a bot whose index is not loaded yet
    async with running_bot(cold):
        answers = [
            await fake_discord.send_slash("quote", {"query": "what is a sect?"}),
            await fake_discord.send_slash("source", user="bob"),
            await fake_discord.send_slash("define", {"term": "sect"}, user="mod"),
        ]
        for rec in answers:
            await rec.wait_done(WAIT)
    for rec in answers:
        assert rec.ephemeral and rec.embed is not None and rec.embed["title"] == "Sorry"
        assert rec.embed["description"] == (
            "The index file vectors.npy is damaged (its checksum does not match); run a reindex."
        )


async def test_two_reindexes_at_once_run_one_build(
    fake_discord: FakeDiscord, app: App, running_bot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    builds: list[int] = []
    build = bot.live.reindex

    def counted(*args: Any, **kwargs: Any) -> Any:
        builds.append(1)
        return build(*args, **kwargs)

    monkeypatch.setattr(bot.live, "reindex", counted)
    (app.settings.corpus / "late.txt").write_text(NEW_WORK)
    async with running_bot(app):
        # Both are on the wire before the bot handles either.
        first, second = await asyncio.gather(
            fake_discord.send_slash("reindex", {"base": True}, user="owner"),
            fake_discord.send_slash("reindex", {"base": True}, user="owner"),
        )
        await first.wait_for(finished, BUILD_WAIT)
        await second.wait_for(finished, BUILD_WAIT)
    titles = sorted(rec.embed["title"] for rec in (first, second) if rec.embed)
    busy = [r for r in (first, second) if r.embed and r.embed["description"] == BUSY]
    assert len(builds) == 1 and len(busy) == 1
    assert titles == ["Reindex finished", "Sorry"]


async def test_a_reindex_by_another_process_makes_reindex_say_busy(
    fake_discord: FakeDiscord, app: App, running_bot: RunningBot
) -> None:
    async with running_bot(app):
        with store.build_lock(app.settings.index):  # `quotebot reindex` in a terminal
            rec = await fake_discord.send_slash("reindex", {"base": True}, user="owner")
            await rec.wait_for(finished, BUILD_WAIT)
    assert rec.embed is not None and rec.embed["title"] == "Reindex failed"
    assert rec.embed["description"].startswith("A reindex is already running")


async def test_queries_and_buttons_keep_working_through_the_swap(
    fake_discord: FakeDiscord, app: App, running_bot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = Gate("save")
    monkeypatch.setattr(bot.live, "reindex", gate.wrap(bot.live.reindex))
    swapped = asyncio.Event()
    loop = asyncio.get_running_loop()

    def on_swap(live: object) -> None:
        loop.call_soon_threadsafe(swapped.set)

    app.index.listeners.append(on_swap)
    (app.settings.corpus / "late.txt").write_text(NEW_WORK)
    users = ["alice", "bob", "owner"]

    async def burst(query: str) -> list[InteractionRecord]:
        sent = [await fake_discord.send_slash("quote", {"query": query}, user=u) for u in users]
        return sent

    try:
        async with running_bot(app):
            before = await answered(fake_discord.send_slash("quote", {"query": "what is a sect?"}))
            rec = await fake_discord.send_slash("reindex", {"base": True}, user="owner")
            await gate.wait_reached()
            during = await burst("what is a sect?")  # the build is saving
            gate.opened.set()
            swap = await burst("sectarianism and the movement")  # racing the load and swap
            await asyncio.wait_for(swapped.wait(), WAIT)
            after = await burst(NEW_QUERY)
            # A pager made by the old index still works on the new one.
            context = await fake_discord.click(before, "pager:context")
            turned = await fake_discord.click(before, "pager:next")
            everything = [*during, *swap, *after, context, turned]
            for r in everything:
                await r.wait_done(WAIT)
            await rec.wait_for(finished, BUILD_WAIT)
    finally:
        gate.opened.set()
    failed = [r.summary() for r in everything if not r.embed or r.embed["title"] == "Sorry"]
    assert failed == []
    assert {quote_source(r) for r in after} == {"late.txt"}
    assert rec.embed is not None and rec.embed["title"] == "Reindex finished"


def host_paths_in(text: str, app: App) -> list[str]:
    """The bot's own folders named in `text`: the owners' business, not a server's."""
    folders = (app.settings.data_dir, app.settings.index, app.settings.corpus, Path("/models"))
    return [str(f) for f in folders if str(f.resolve()) in text or str(f) in text]


@pytest.fixture
def own_text(fake_discord: FakeDiscord, app: App) -> Collection:
    """The test server's collection, holding one text its admin added."""
    guild = fake_discord.guild_id
    mod = Actor(fake_discord.user_ids["mod"], "mod", guild, admin=True)
    collection = app.collections.of(guild)
    texts.add_work(app, collection, "late.txt", NEW_WORK.encode(), WorkMeta(), actor=mod)
    return collection


async def test_a_servers_damaged_texts_are_told_to_its_admins_and_to_no_member(
    fake_discord: FakeDiscord, app: App, running_bot: RunningBot, own_text: Collection
) -> None:
    for build in (own_text.service.settings.index / "builds").iterdir():
        (build / "passages.jsonl").write_text("not json\n")
    restarted = app_like(app)
    restarted.collections = Collections(restarted.settings, app.index)  # nothing loaded yet
    async with running_bot(restarted):
        server_admin = await answered(fake_discord.send_slash("source", user="mod"))
        member = await answered(fake_discord.send_slash("source", user="alice"))
    assert server_admin.embed is not None and member.embed is not None
    warning = {f["name"]: f["value"] for f in server_admin.embed["fields"]}[WARNING_TITLE]
    assert "passages.jsonl is damaged" in warning
    assert host_paths_in(warning, app) == []  # the owners' folders are not a server's
    assert WARNING_TITLE not in [f["name"] for f in member.embed.get("fields", [])]


async def test_a_servers_admins_read_what_failed_without_the_bots_folders(
    fake_discord: FakeDiscord, app: App, running_bot: RunningBot, own_text: Collection
) -> None:
    # The model's folder and the data folder are the owners' to mend; a server's admins
    # are told what failed, in words, and the owners still read the paths (test above).
    own_text.model_error = ModelError("cannot_load", "/models/tuned", "no such folder")
    async with running_bot(app):
        rec = await fake_discord.send_slash("reindex", {"force": True}, user="mod")
        await rec.wait_for(finished, BUILD_WAIT)
    assert rec.embed is not None and rec.embed["title"] == "Reindex failed"
    said = rec.embed["description"].replace("\\_", "_")
    assert said == BUILD_REFUSED_TO_SERVER
    assert host_paths_in(said, app) == []


async def test_a_servers_own_reindex_shows_its_admins_no_warning_of_the_bots(
    fake_discord: FakeDiscord, app: App, running_bot: RunningBot, own_text: Collection
) -> None:
    # The base's warnings (the model, a damaged base build) are the owners' alone, on
    # /reindex's report as on /source.
    app.model_warning = model_fallback(
        ModelError("cannot_load", "/models/tuned", "no such folder"), DEFAULT_MODEL
    )
    async with running_bot(app):
        rec = await fake_discord.send_slash("reindex", {"force": True}, user="mod")
        await rec.wait_for(finished, BUILD_WAIT)
    assert rec.embed is not None and rec.embed["title"] == "Reindex finished"
    assert WARNING_TITLE not in [f["name"] for f in rec.embed.get("fields", [])]


async def test_a_servers_admins_read_a_refused_new_build_as_the_owners_to_mend(
    fake_discord: FakeDiscord,
    app: App,
    running_bot: RunningBot,
    own_text: Collection,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Another process built this server's texts with the configured model, which this one
    # could not load: the build is refused and the one in use answers. What to do about a
    # model is the owners' business; the server's admins are told so, not to change a
    # setting of the bot's.
    index_dir = own_text.service.settings.index
    in_use = store.current_build(index_dir)
    copy = in_use.with_name(in_use.name + "-copy")
    shutil.copytree(in_use, copy)
    (index_dir / "CURRENT").write_text(copy.name + "\n")

    def unloadable(index_dir: Path, **options: Any) -> store.IndexData:
        raise IndexIncompatibleError("model", "/models/tuned", DEFAULT_MODEL, True)

    monkeypatch.setattr(store, "load", unloadable)
    assert own_text.follow() is False
    async with running_bot(app):
        server_admin = await answered(fake_discord.send_slash("source", user="mod"))
    assert server_admin.embed is not None
    warning = {f["name"]: f["value"] for f in server_admin.embed["fields"]}[WARNING_TITLE]
    assert MODEL_MISSING_TO_SERVER in warning
    assert "[model]" not in warning and host_paths_in(warning, app) == []
