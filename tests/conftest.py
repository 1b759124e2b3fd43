"""Shared fixtures: one model per test session, and the seed corpus indexed once."""

from __future__ import annotations

import gc
import os
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from bot.app import App
from bot.settings import Settings, load_settings
from embeddings.batching import MicroBatcher
from embeddings.encoder import Encoder

PROJECT = Path(__file__).resolve().parents[1]
SEED_CORPUS = PROJECT / "corpus"
SHARED_CORPORA = PROJECT.parent / "shared" / "corpora"

pytest_plugins = ["tests.fake_discord.fixtures"]


@pytest.fixture(scope="session", autouse=True)
def encoders_idle_at_exit() -> Iterator[None]:
    """Every query batcher the session made is closed (its thread joined) before the
    interpreter exits: a daemon thread still inside the model's C++ runtime when Python
    tears it down can abort the process ("terminate called without an active
    exception", exit 134) after every test has passed."""
    made: list[MicroBatcher] = []
    setup = MicroBatcher.__post_init__

    def tracked(self: MicroBatcher) -> None:
        setup(self)
        made.append(self)

    MicroBatcher.__post_init__ = tracked  # type: ignore[method-assign]
    yield
    MicroBatcher.__post_init__ = setup  # type: ignore[method-assign]
    for batcher in made:
        batcher.close()


@pytest.fixture(autouse=True)
def thawed_heap() -> Iterator[None]:
    """`quotebot run` freezes its start-up heap (bot/heap.py); a test that runs it in this
    process must not leave the session's objects out of the collector's reach."""
    yield
    if gc.get_freeze_count():
        gc.unfreeze()


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the session's encoders keep the ONNX export queries move to once a bot runs
    (exported once per run, never into the user's own cache)."""
    return tmp_path_factory.mktemp("model-cache")


@pytest.fixture(scope="session")
def encoder(model_cache: Path) -> Encoder:
    """The real bundled model, loaded once for the whole run."""
    return Encoder("all-MiniLM-L6-v2", cache_dir=model_cache)


@pytest.fixture(scope="session")
def seed_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the shipped seed corpus (tests never touch the real one)."""
    dest = tmp_path_factory.mktemp("seed") / "corpus"
    shutil.copytree(SEED_CORPUS, dest)
    return dest


@pytest.fixture(scope="session")
def seed_settings(seed_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    base = load_settings(env={})
    return replace(base, corpus=seed_corpus, index=tmp_path_factory.mktemp("seed-index"))


@pytest.fixture(scope="session")
def seed_app(seed_settings: Settings, encoder: Encoder) -> App:
    """An application over the seed corpus, its index built once per session.

    Tests that change the corpus or the index must use their own copies (`fresh_app`).
    """
    app = App(seed_settings, encoder)
    app.ensure_index()
    return app


@pytest.fixture
def fresh_app(tmp_path: Path, encoder: Encoder, seed_app: App) -> App:
    """An application over a private copy of the seed corpus and of its built index."""
    corpus = tmp_path / "corpus"
    index = tmp_path / "index"
    shutil.copytree(seed_app.settings.corpus, corpus)
    shutil.copytree(seed_app.settings.index, index)
    app = App(replace(seed_app.settings, corpus=corpus, index=index), encoder)
    app.index.load()
    return app


@pytest.fixture
def shared_model(seed_app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every App the code under test builds (the CLI, `quotebot run`) gets the session's model
    instead of loading another."""
    original = App.__init__

    def init(self: App, settings: Settings, encoder: Encoder | None = None) -> None:
        original(self, settings, encoder or seed_app.encoder)

    monkeypatch.setattr(App, "__init__", init)
