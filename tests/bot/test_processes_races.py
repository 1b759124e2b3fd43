"""Races between processes on the same folders (as in tests/bot/test_processes.py, two `App`s
stand for two processes on the same folders)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bot.app import App
from bot.commands import corpus as texts
from bot.commands.upload import UploadRefused
from tests.bot.test_processes import other_process
from tests.bot.test_servers import SERVER_A, add_garden, admin_of


@pytest.fixture
def app(fresh_app: App, tmp_path: Path) -> App:
    return App(replace(fresh_app.settings, data=tmp_path / "data"), fresh_app.encoder)


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
