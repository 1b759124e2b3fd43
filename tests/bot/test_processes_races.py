"""Races between processes: as in tests/bot/test_processes.py, two `App`s stand for two
processes on the same folders."""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from bot.app import App
from bot.commands import corpus as texts
from bot.commands.sidecar import WorkMeta
from bot.commands.upload import UploadRefused
from embeddings import store
from tests.bot.test_processes import NEW_QUERY, NEW_TEXT, answers_from, other_process
from tests.bot.test_servers import SERVER_A, add_garden, admin_of


def test_two_processes_cannot_hide_the_last_two_base_works_of_a_server_without_texts(
    app: App,
) -> None:
    # README, "Many servers" 3: a server without texts of its own keeps at least one base
    # work. The check read this process's cached state, which did not show the other
    # process's hide yet (the watcher looks once a second): both hides passed.
    shard, terminal = app, other_process(app)
    first, second = sorted(texts.own_works(app.collections.base), key=lambda w: w.key)
    assert shard.collections.state(SERVER_A).hidden == frozenset()  # a query read it here
    texts.hide_work(terminal, SERVER_A, first.title, actor=admin_of(SERVER_A))
    with pytest.raises(UploadRefused, match="hide every work of the base"):
        texts.hide_work(shard, SERVER_A, second.title, actor=admin_of(SERVER_A))
    fresh = type(app.collections)(app.settings, app.index)
    assert fresh.state(SERVER_A).hidden != set(first.files) | set(second.files)


def test_a_server_cannot_lose_its_last_text_while_another_process_hides_the_last_base_work(
    app: App,
) -> None:
    # The same cached state, read by remove's "hides every base work?" check.
    add_garden(app, SERVER_A)
    shard, terminal = app, other_process(app)
    first, second = sorted(texts.own_works(app.collections.base), key=lambda w: w.key)
    texts.hide_work(shard, SERVER_A, first.title, actor=admin_of(SERVER_A))
    texts.hide_work(terminal, SERVER_A, second.title, actor=admin_of(SERVER_A))
    with pytest.raises(UploadRefused, match="unhide"):
        texts.remove_work(
            shard, shard.collections.of(SERVER_A), "almanac.txt", actor=admin_of(SERVER_A)
        )
    assert (shard.collections.of(SERVER_A).corpus / "almanac.txt").is_file()


def test_a_text_added_in_one_process_while_another_drops_the_emptied_index_stays_indexed(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Process A removes a server's last text; its reindex finds no works and drops the
    # index. Process B adds a text to the same server and builds in between A's look at the
    # folder and A taking the build lock: A then deleted B's build, and B's text, reported
    # added, was searchable nowhere (B's watcher drops the index too).
    add_garden(app, SERVER_A)
    a, b = app, other_process(app)
    collection_b = b.collections.of(SERVER_A)
    added: list[str] = []
    build_lock = store.build_lock

    @contextmanager
    def late_lock(index_dir: Path) -> Iterator[None]:
        if not added and index_dir == collection_b.service.settings.index:
            added.append("circle.txt")
            monkeypatch.setattr(store, "build_lock", build_lock)
            texts.add_work(
                b,
                collection_b,
                "circle.txt",
                NEW_TEXT.encode(),
                WorkMeta(),
                actor=admin_of(SERVER_A),
            )
        with build_lock(index_dir):
            yield

    monkeypatch.setattr(store, "build_lock", late_lock)
    texts.remove_work(a, a.collections.of(SERVER_A), "almanac.txt", actor=admin_of(SERVER_A))
    assert added
    assert (collection_b.corpus / "circle.txt").is_file()
    b.collections.follow()
    a.collections.follow()
    own = store.read_current_name(collection_b.service.settings.index)
    assert own is not None, "the server's index was dropped though it holds a text"
    assert answers_from(b, NEW_QUERY, SERVER_A) == {f"{b.index.build_name}+{own}"}


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def test_what_a_killed_build_left_does_not_fill_the_disk_the_next_build_needs(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A process killed while saving (SIGKILL after compose's 20 s grace, the OOM killer)
    # leaves builds/.tmp-* behind: a whole build's size. README: "the next build removes
    # its half-written folder", but prune ran only after the next build was written, so
    # on a disk with room for one more build the next build failed for lack of the space
    # the leftover held, and every reindex after it too.
    index = app.settings.index
    builds = index / "builds"
    current = store.current_build(index)
    leftover = builds / ".tmp-20200101T000000-deadbeef"
    shutil.copytree(current, leftover)  # as a build killed just before its rename
    room = _size(current) * 3 // 2  # the disk holds one more build, not two
    write_array = store._write_array

    def on_a_small_disk(path: Path, array: Any, dtype: type) -> None:
        used = sum(_size(p) for p in builds.glob(".tmp-*"))
        if used + array.nbytes > room:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        write_array(path, array, dtype)

    monkeypatch.setattr(store, "_write_array", on_a_small_disk)
    (Path(app.settings.corpus) / "reading-circle.txt").write_text(NEW_TEXT)
    report = app.index.reindex()
    assert report.build == store.read_current_name(index)
    assert not leftover.exists()


def test_a_change_of_hidden_works_within_one_tick_of_the_clock_is_followed(app: App) -> None:
    # Another process's state.json was noticed by its mtime alone: on a file system whose
    # timestamps are coarse (a second on some shared storage), a write in the same tick as
    # the one this process read was never seen, and the server's hidden works stayed stale
    # in this process until some later change.
    shard, terminal = app, other_process(app)
    draper = "draper-anatomy-of-the-micro-sect.md"
    shard.collections.hide(SERVER_A, (draper,))
    shard.live_for(SERVER_A)  # a server it serves: its state is kept, and followed
    path = shard.collections.folder(SERVER_A) / "state.json"
    stamp = path.stat()
    terminal.collections.unhide(SERVER_A, (draper,))
    os.utime(path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))  # the same tick
    assert shard.collections.follow() == [f"{SERVER_A} (hidden works)"]
    assert shard.collections.state(SERVER_A).hidden == frozenset()


def test_an_audit_entry_after_a_line_cut_short_is_kept(app: App) -> None:
    # Two processes append to one audit log. One that hit a full disk mid-line left it
    # without its end; the next entry, whoever wrote it, was glued to it and read as one
    # damaged line: a change made and reported was missing from /corpus log.
    log = app.collections.base.log
    log.append(server=None, user_id=1, user_name="owner", action="add", work="First")
    with open(log.path, "ab") as f:
        f.write(b'{"time": "2026-12-05T09:00:00Z", "server": null, "user_id": 2, "us')
    log.append(server=None, user_id=3, user_name="owner", action="remove", work="Second")
    assert [e.work for e in log.tail(5)] == ["First", "Second"]
