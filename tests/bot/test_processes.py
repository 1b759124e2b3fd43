"""Several processes on one index folder and one data folder, as several bot processes (Discord
shards) on shared storage run them. Here two `App`s stand for two processes: each loads the
index itself, and one follows what the other builds (the watcher's one look, `follow`).
tests/bot/discord/test_processes.py runs real `quotebot run` processes against the fake Discord.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

import bot.live
from bot.app import App
from bot.cli import main
from bot.commands import corpus as texts
from bot.commands.corpus import Actor
from bot.commands.quote import QuoteRequest, quote
from bot.commands.upload import UploadRefused
from bot.discord.client import QuoteBot, ShardedQuoteBot, make_bot
from bot.live import IndexService
from bot.messages import describe
from bot.settings import SettingsError, load_settings, shard_plan
from bot.watch import IndexWatcher
from embeddings import store
from embeddings.errors import IndexCorruptError
from tests.bot.test_servers import GARDEN_QUERY, SERVER_A, SERVER_B, add_garden

NEW_TEXT = "A reading circle meets weekly to discuss one essay in depth, then walks home.\n"
NEW_QUERY = "a reading circle that meets every week"


def other_process(app: App) -> App:
    """A second process on the same folders: its own App, loading the index itself."""
    other = App(app.settings, app.encoder)
    other.index.load()
    return other


def answers_from(app: App, query: str, guild: int | None = None) -> set[str]:
    return {q.build for q in quote(app, QuoteRequest(query, guild=guild)).quotes}


def add_note(app: App) -> None:
    (Path(app.settings.corpus) / "reading-circle.txt").write_text(NEW_TEXT)


def test_a_reindex_in_one_process_is_swapped_in_by_the_other(app: App) -> None:
    other = other_process(app)
    before = other.index.build_name
    add_note(app)
    report = app.index.reindex()
    assert report.build and report.build != before
    assert other.index.build_name == before  # nothing happens until it looks
    assert other.collections.follow() == ["base"]
    assert other.index.build_name == report.build
    assert answers_from(other, NEW_QUERY) == {report.build}
    assert other.collections.follow() == []  # nothing new: nothing reloaded


def test_the_process_that_built_does_not_load_its_own_build_twice(app: App) -> None:
    add_note(app)
    app.index.reindex()
    live = app.index.live
    assert app.collections.follow() == []
    assert app.index.live is live


@contextmanager
def waiting_its_turn(service: IndexService) -> Iterator[None]:
    """A reindex of `service` asked for, waiting for the build gate through the block while
    another of its process's builds has the one turn (`max_builds`); it runs after."""
    waiting = threading.Event()

    def told(stage: str, done: int, total: int) -> None:
        if stage == "waiting":
            waiting.set()

    with service.gate.turn():
        asked = threading.Thread(target=service.reindex, kwargs={"progress": told})
        asked.start()
        assert waiting.wait(10)
        yield
    asked.join(60)
    assert not asked.is_alive()


def test_a_process_whose_own_reindex_waits_its_turn_follows_builds_made_elsewhere(
    app: App,
) -> None:
    # A reindex waiting its turn stopped its process following: it answered from its old
    # build, though another process had built a newer one, until its own build began.
    other = other_process(app)
    with waiting_its_turn(other.index):
        add_note(app)
        report = app.index.reindex()
        assert other.collections.follow() == ["base"]
        assert answers_from(other, NEW_QUERY) == {report.build}
    assert other.index.build_name == report.build


def test_a_servers_index_dropped_elsewhere_is_dropped_while_a_reindex_of_it_waits_here(
    app: App,
) -> None:
    add_garden(app, SERVER_A)
    other = other_process(app)
    assert answers_from(other, GARDEN_QUERY, SERVER_A)  # served here: followed
    collection = other.collections.of(SERVER_A)
    with waiting_its_turn(collection.service):
        app.collections.of(SERVER_A).clear_index()
        assert other.collections.follow() == [str(SERVER_A)]
        assert other.live_for(SERVER_A) is other.index.live


def test_a_server_left_while_a_reindex_of_it_waits_is_let_go_as_any_other_once_built(
    app: App,
) -> None:
    # The bot removed meanwhile: the build kept its index, and the server, no longer counted
    # among those held, was never let go (nobody asks a server the bot has left).
    for guild in (SERVER_A, SERVER_B):
        add_garden(app, guild)
    one = App(replace(app.settings, servers_in_memory=1), app.encoder)
    with waiting_its_turn(one.collections.of(SERVER_A).service):
        one.collections.left(SERVER_A)
    assert SERVER_A in one.collections.held()  # its build swapped its index in
    assert answers_from(one, GARDEN_QUERY, SERVER_B)
    assert one.collections.held() == {SERVER_B}


def test_a_damaged_new_build_is_refused_and_the_old_one_keeps_answering(app: App) -> None:
    other = other_process(app)
    before = other.index.build_name
    add_note(app)
    report = app.index.reindex()
    (store.current_build(app.settings.index) / "passages.jsonl").write_text("garbage\n")
    live = other.index.live
    assert other.collections.follow() == []
    assert other.index.live is live and other.index.build_name == before
    assert "passages.jsonl is damaged" in other.index.warning and before in other.index.warning
    assert answers_from(other, "what is a sect?") == {before}
    assert other.collections.follow() == []  # refused once, not reloaded every second
    # A later good build is taken up, and the warning goes.
    (Path(app.settings.corpus) / "reading-circle.txt").write_text(NEW_TEXT + "Again.\n")
    later = app.index.reindex(force=True)
    assert later.build != report.build
    assert other.collections.follow() == ["base"]
    assert other.index.build_name == later.build and other.index.warning == ""


class Unreadable:
    """A second process, and a build the first one just made that the second cannot read
    while `on` (store.load fails as a read does when file handles run out)."""

    def __init__(self, app: App, monkeypatch: pytest.MonkeyPatch) -> None:
        self.other = other_process(app)
        self.before = self.other.index.build_name
        add_note(app)
        self.build = app.index.reindex().build
        self.on, self.loads, self.reason = True, 0, "Too many open files"
        load = store.load

        def failing(*args: Any, **kwargs: Any) -> Any:
            if not self.on:
                return load(*args, **kwargs)
            self.loads += 1
            raise IndexCorruptError("unreadable", self.build, self.reason)

        monkeypatch.setattr(store, "load", failing)


@pytest.fixture
def unreadable(app: App, monkeypatch: pytest.MonkeyPatch) -> Unreadable:
    return Unreadable(app, monkeypatch)


def test_a_new_build_that_could_not_be_read_for_a_moment_is_tried_again(
    unreadable: Unreadable, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Out of file handles, or shared storage gone a moment: the build was refused for good,
    # and even this process's own reindex, up to date, did not take it up.
    other = unreadable.other
    assert other.collections.follow() == []
    assert "Too many open files" in other.index.warning
    assert unreadable.before in other.index.warning
    unreadable.on = False
    assert other.collections.follow() == []  # not every second: after a pause
    later = time.monotonic() + bot.live.RETRY_UNREADABLE_SECONDS
    monkeypatch.setattr(bot.live.time, "monotonic", lambda: later)
    assert other.collections.follow() == ["base"]
    assert other.index.build_name == unreadable.build and other.index.warning == ""


def test_a_new_build_that_stays_unreadable_is_refused_after_a_few_tries(
    unreadable: Unreadable, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A file no one may read stays so: it was read (and its checksums hashed) again every
    # 30 seconds, for good.
    unreadable.reason = "Permission denied"
    now = [time.monotonic()]
    monkeypatch.setattr(bot.live.time, "monotonic", lambda: now[0])
    for _ in range(bot.live.UNREADABLE_TRIES + 5):
        unreadable.other.collections.follow()
        now[0] += 3600.0
    assert unreadable.loads == bot.live.UNREADABLE_TRIES + 1
    assert "Permission denied" in unreadable.other.index.warning


def test_a_reindex_up_to_date_takes_up_the_build_it_was_not_serving(
    unreadable: Unreadable,
) -> None:
    other = unreadable.other
    assert other.collections.follow() == []
    unreadable.on = False
    assert other.index.reindex().up_to_date  # the admin's /reindex in that process
    assert other.index.build_name == unreadable.build and other.index.warning == ""


def test_a_warning_that_current_was_missing_goes_once_current_names_the_build_again(
    app: App,
) -> None:
    # Another process was between renaming its first build into place and writing CURRENT.
    current = app.settings.index / "CURRENT"
    name = current.read_text()
    current.unlink()
    other = other_process(app)
    assert other.index.build_name == name.strip() and "CURRENT" in other.index.warning
    current.write_text(name)
    assert other.collections.follow() == []
    assert other.index.warning == ""


def test_a_build_still_being_written_is_not_picked_up(app: App) -> None:
    """A killed or unfinished build lives in builds/.tmp-*; only CURRENT names a build, and
    CURRENT is replaced after the build is complete."""
    other = other_process(app)
    before = other.index.build_name
    builds = app.settings.index / "builds"
    shutil.copytree(builds / before, builds / ".tmp-20990101T000000-deadbeef")
    (builds / ".tmp-20990101T000000-deadbeef" / "vectors.npy").write_bytes(b"half")
    assert other.collections.follow() == []
    assert other.index.build_name == before


def test_a_servers_collection_follows_builds_made_elsewhere(app: App) -> None:
    other = other_process(app)
    add_garden(app, SERVER_A)  # its first build, in the first process
    # Never loaded in the other process: its first query reads the newest build.
    own = app.collections.of(SERVER_A).service.build_name
    assert answers_from(other, GARDEN_QUERY, SERVER_A) == {f"{other.index.build_name}+{own}"}
    # Loaded here, rebuilt there: swapped in here.
    collection = app.collections.of(SERVER_A)
    (collection.corpus / "circle.txt").write_text(NEW_TEXT)
    newer = collection.reindex().build
    assert other.collections.follow() == [str(SERVER_A)]
    assert other.collections.of(SERVER_A).service.build_name == newer
    assert answers_from(other, NEW_QUERY, SERVER_A) == {f"{other.index.build_name}+{newer}"}
    # Emptied elsewhere: dropped here too, the server reads the base alone again.
    app.collections.of(SERVER_A).clear_index()
    assert other.collections.follow() == [str(SERVER_A)]
    assert not other.collections.of(SERVER_A).service.loaded
    assert other.live_for(SERVER_A) is other.index.live


def test_a_collection_that_could_not_be_loaded_is_tried_again_once_rebuilt_elsewhere(
    app: App,
) -> None:
    add_garden(app, SERVER_A)
    collection = app.collections.of(SERVER_A)
    (store.current_build(collection.service.settings.index) / "passages.jsonl").write_text("x\n")
    other = other_process(app)
    assert other.live_for(SERVER_A) is other.index.live  # the server reads the base meanwhile
    broken = other.collections.of(SERVER_A).broken
    assert broken is not None and "passages.jsonl is damaged" in describe(broken)
    assert other.collections.follow() == []  # nothing new yet: not retried every second
    rebuilt = collection.reindex(force=True).build
    assert other.collections.follow() == [str(SERVER_A)]
    assert answers_from(other, GARDEN_QUERY, SERVER_A) == {f"{other.index.build_name}+{rebuilt}"}


def test_hidden_works_chosen_in_one_process_apply_in_the_other(app: App) -> None:
    other = other_process(app)
    draper = "draper-anatomy-of-the-micro-sect.md"
    assert other.collections.state(SERVER_A).hidden == frozenset()
    app.collections.hide(SERVER_A, (draper,))
    assert other.collections.state(SERVER_A).hidden == {draper}  # no state file was kept
    other.live_for(SERVER_A)  # asked there: its state is kept, and followed
    app.collections.unhide(SERVER_A, (draper,))
    assert other.collections.follow() == [f"{SERVER_A} (hidden works)"]
    assert other.collections.state(SERVER_A).hidden == frozenset()


def test_hidden_works_changed_by_two_processes_at_once_are_both_kept(app: App) -> None:
    # Each wrote its cached state back whole: a hide by `quotebot corpus hide` was undone
    # by a shard's unhide within the watcher's second.
    add_garden(app, SERVER_A)
    other = other_process(app)
    shard, terminal = app.collections, other.collections
    shard.hide(SERVER_A, ("a.txt",))  # read and cached here
    terminal.hide(SERVER_A, ("b.txt",))
    shard.unhide(SERVER_A, ("a.txt",))  # before the watcher's next look
    assert type(shard)(app.settings, app.index).state(SERVER_A).hidden == {"b.txt"}


def test_two_owners_in_two_processes_cannot_remove_the_last_two_works(app: App) -> None:
    # Each process counted the works of its own index, which did not show the other's
    # removal yet: the base was left empty, and its build failed.
    other = other_process(app)
    owner = Actor(1, "owner", owner=True)
    first, second = sorted(texts.own_works(app.collections.base), key=lambda w: w.key)
    texts.remove_work(app, app.collections.base, first.key, actor=owner)
    with pytest.raises(UploadRefused, match="only work in the corpus"):
        texts.remove_work(other, other.collections.base, second.key, actor=owner)
    assert all((Path(app.settings.corpus) / f).is_file() for f in second.files)


def test_the_watcher_reads_no_current_of_a_server_this_process_never_served(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every server's CURRENT was read every second, another shard's included: 56 ms a
    # look at 3,000 servers on a local disk, far more on shared storage.
    add_garden(app, SERVER_A)
    other = other_process(app)
    other.collections.housekeeping()  # makes every server's collection, loads none
    read = store.read_current_name
    reads: list[Path] = []

    def counted(index_dir: Path) -> str | None:
        reads.append(index_dir)
        return read(index_dir)

    monkeypatch.setattr(store, "read_current_name", counted)
    other.collections.follow()
    assert set(reads) == {other.settings.index}  # the base's alone
    assert answers_from(other, GARDEN_QUERY, SERVER_A)  # now served here: followed
    reads.clear()
    other.collections.follow()
    assert other.collections.of(SERVER_A).service.settings.index in reads


def test_a_servers_state_changed_at_the_same_moment_keeps_both_changes(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_garden(app, SERVER_A)
    shard, terminal = app.collections, other_process(app).collections
    read = shard._read_state
    reading = threading.Event()

    def slow_read(guild_id: int) -> Any:
        state = read(guild_id)
        reading.set()
        time.sleep(0.3)  # the other process reads now, unless the lock holds it back
        return state

    monkeypatch.setattr(shard, "_read_state", slow_read)
    hiding = threading.Thread(target=shard.hide, args=(SERVER_A, ("a.txt",)))
    hiding.start()
    assert reading.wait(10)
    terminal.hide(SERVER_A, ("b.txt",))
    hiding.join(10)
    assert type(shard)(app.settings, app.index).state(SERVER_A).hidden == {"a.txt", "b.txt"}


def test_the_watcher_looks_in_a_background_thread_until_stopped(app: App) -> None:
    other = other_process(app)
    watcher = IndexWatcher(other.collections, interval=0.05)
    watcher.start()
    try:
        add_note(app)
        report = app.index.reindex()
        deadline = 200
        while other.index.build_name != report.build and deadline:
            deadline -= 1
            watcher._stop.wait(0.05)
        assert other.index.build_name == report.build
    finally:
        watcher.stop()
    assert watcher._thread is None


def test_a_watch_interval_of_zero_never_starts_a_thread(app: App) -> None:
    watcher = IndexWatcher(app.collections, interval=0)
    watcher.start()
    assert watcher._thread is None


# -- shard settings ------------------------------------------------------------------------------


def test_shard_settings_come_from_the_file_then_the_environment(tmp_path: Path) -> None:
    config = tmp_path / "config" / "settings.toml"
    config.parent.mkdir()
    config.write_text("[bot]\nshards = 4\nshard_ids = [0, 1]\n")
    settings = load_settings(config, env={})
    assert (settings.shards, settings.shard_ids) == (4, (0, 1))
    env = {"QUOTEBOT_SHARDS": "6", "QUOTEBOT_SHARD_IDS": "5, 2"}
    settings = load_settings(config, env=env)
    assert (settings.shards, settings.shard_ids) == (6, (5, 2))
    assert load_settings(env={}).shards == 0  # the default: one connection, unsharded


@pytest.mark.parametrize(
    ("shards", "ids", "message"),
    [
        ("2", "0,2", "shard id 2 is out of range: with 2 shards the ids are 0 to 1"),
        ("3", "1,1", "shard id 1 is given twice; each shard runs once"),
        ("0", "0", "shard ids need a shard count: set shards (--shards N) too"),
        ("two", "", "shards must be a whole number, not 'two'"),
        ("-1", "", "shards must be 0 (no sharding) or a number of shards, not -1"),
        ("2", "0;1", "shard ids must be whole numbers separated by commas, not '0;1'"),
    ],
)
def test_bad_shard_settings_are_one_clear_line(shards: str, ids: str, message: str) -> None:
    with pytest.raises(SettingsError) as caught:
        shard_plan(shards, ids)
    assert describe(caught.value) == message


def test_a_bad_shard_setting_names_the_variable_or_the_file_it_came_from(tmp_path: Path) -> None:
    env = {"QUOTEBOT_SHARDS": "2", "QUOTEBOT_SHARD_IDS": "5"}
    with pytest.raises(SettingsError) as caught:
        load_settings(env=env)
    assert describe(caught.value) == (
        "shard id 5 is out of range: with 2 shards the ids are 0 to 1 (from QUOTEBOT_SHARD_IDS)"
    )
    config = tmp_path / "settings.toml"
    config.write_text("[bot]\nshards = -1\n")
    with pytest.raises(SettingsError) as caught:
        load_settings(config, env={})
    assert describe(caught.value) == (
        f"shards must be 0 (no sharding) or a number of shards, not -1 (in {config})"
    )


def test_a_process_runs_the_shards_it_is_given_and_only_shard_0_syncs_commands(
    seed_app: App,
) -> None:
    def bot_for(shards: int, ids: tuple[int, ...]) -> QuoteBot:
        settings = replace(seed_app.settings, shards=shards, shard_ids=ids)
        return make_bot(App(settings, seed_app.encoder))

    unsharded = bot_for(0, ())
    assert type(unsharded) is QuoteBot and unsharded.sync_on_start
    later = bot_for(4, (2, 3))
    assert isinstance(later, ShardedQuoteBot)
    assert (later.shard_count, later.shard_ids) == (4, [2, 3]) and not later.sync_on_start
    first = bot_for(4, (0, 1))
    assert isinstance(first, ShardedQuoteBot)
    assert first.shard_ids == [0, 1] and first.sync_on_start
    every = bot_for(3, ())
    assert isinstance(every, ShardedQuoteBot)
    assert (every.shard_count, every.shard_ids, every.sync_on_start) == (3, None, True)
    # Which servers' comings and goings each process judges (Collections.servers_seen):
    # Discord's rule, (server id >> 22) % shards.
    on_shard = {shard: (1 << 22) * 4 * 1000 + (shard << 22) for shard in range(4)}
    assert [later.serves(on_shard[s]) for s in range(4)] == [False, False, True, True]
    assert all(every.serves(g) for g in on_shard.values())
    assert all(unsharded.serves(g) for g in on_shard.values())


def test_run_flags_with_bad_shards_exit_2_with_one_line_before_loading_anything(
    app: App, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "unused")
    paths = ["--corpus", str(app.settings.corpus), "--index", str(app.settings.index)]
    code = main(["run", *paths, "--shards", "2", "--shard-ids", "0,5"])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err == (
        "quotebot run: shard id 5 is out of range: with 2 shards the ids are 0 to 1 "
        "(see `quotebot run --help`)\n"
    )


def test_a_build_made_with_another_model_is_refused_once_and_never_queried(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Its vectors are another model's: queried with this one's, every answer would be wrong.
    other = other_process(app)
    before = other.index.build_name
    add_note(app)
    app.index.reindex()
    manifest = store.current_build(app.settings.index) / "manifest.json"
    written = json.loads(manifest.read_text())
    manifest.write_text(json.dumps({**written, "model": "some-other-model"}))
    loads: list[Path] = []
    load = store.load

    def counted(index_dir: Path, **options: Any) -> store.IndexData:
        loads.append(index_dir)
        return load(index_dir, **options)

    monkeypatch.setattr(store, "load", counted)
    assert other.collections.follow() == []
    assert other.collections.follow() == []  # refused once, not loaded every second
    assert len(loads) == 1
    assert other.index.build_name == before and "reindex" in other.index.warning
    assert answers_from(other, "what is a sect?") == {before}
