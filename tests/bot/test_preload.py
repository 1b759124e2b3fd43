"""Start-up: the index and the query encoder load side by side while the caller imports
what it needs, and `ensure_index` finds them loaded, once."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from bot.app import App
from embeddings import store
from embeddings.encoder import Encoder
from embeddings.errors import IndexCorruptError


def test_preloading_loads_the_index_and_the_encoder_once(
    seed_app: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = tmp_path / "index"
    shutil.copytree(seed_app.settings.index, index)
    loads: list[Path] = []
    real = store.load_last_good

    def counted(
        index_dir: Path, *, check: bool = True
    ) -> tuple[store.IndexData, IndexCorruptError | None]:
        loads.append(index_dir)
        return real(index_dir, check=check)

    monkeypatch.setattr(store, "load_last_good", counted)
    encoder = Encoder("all-MiniLM-L6-v2")
    app = App(replace(seed_app.settings, index=index), encoder)
    app.preload()
    assert app.ensure_index() is None
    assert loads == [index] and app.index.loaded
    assert "query" in encoder._roles  # warm: the first question does not load it
    hits = app.index.searcher.search("what makes a group a sect?").hits
    assert hits


def test_without_an_index_the_preload_leaves_the_build_to_ensure_index(
    seed_app: App, tmp_path: Path
) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(seed_app.settings.corpus, corpus)
    settings = replace(seed_app.settings, corpus=corpus, index=tmp_path / "index")
    app = App(settings, seed_app.encoder)
    app.preload()
    report = app.ensure_index()
    assert report is not None and report.passages > 0
    assert app.index.loaded
