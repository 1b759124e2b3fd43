"""A configured model that cannot be loaded (a tuned model's folder moved or damaged) does
not stop the bot: it starts on the bundled MiniLM, says so once in the log, and tells the
bot's owners on /source (tests/bot/discord/test_index_faults.py). An index built with the
missing model is refused (restore it, or reindex), never searched with the wrong model."""

from __future__ import annotations

import logging
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from bot.app import App
from bot.cli import main
from bot.commands import corpus as texts
from bot.commands.corpus import Actor
from bot.commands.sidecar import WorkMeta
from bot.messages import describe
from embeddings.encoder import DEFAULT_MODEL
from embeddings.errors import IndexIncompatibleError


def test_a_missing_model_falls_back_to_minilm_and_says_so_once(
    seed_app: App, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    index = tmp_path / "index"
    shutil.copytree(seed_app.settings.index, index)
    missing = str(tmp_path / "tuned-model")
    with caplog.at_level(logging.WARNING, logger="bot.app"):
        app = App(replace(seed_app.settings, index=index, model=missing))
    assert app.encoder.name == DEFAULT_MODEL
    said = [r.getMessage() for r in caplog.records if r.name == "bot.app"]
    assert said == [app.model_warning]
    assert app.model_warning == (
        f"Could not load the model '{missing}': no such folder. "
        f"Using {DEFAULT_MODEL} instead until that is fixed."
    )
    app.index.load()  # the index was built with MiniLM: it answers
    assert app.index.searcher.search("what makes a group a sect?").hits


def test_an_index_built_with_the_missing_model_asks_for_a_reindex(
    seed_app: App, tmp_path: Path
) -> None:
    index = tmp_path / "index"
    shutil.copytree(seed_app.settings.index, index)
    tuned = tmp_path / "tuned-model"
    for manifest in index.glob("builds/*/manifest.json"):
        manifest.write_text(manifest.read_text().replace(DEFAULT_MODEL, str(tuned)))
    app = App(replace(seed_app.settings, index=index, model=str(tuned)))
    with pytest.raises(IndexIncompatibleError) as refused:
        app.index.load()
    # Not "quotebot is set to use MiniLM": the settings name the tuned model.
    assert describe(refused.value) == (
        f"The index was built with the model '{tuned}', which quotebot is set to use but "
        f"could not load; restore that model, or name another in [model] name (such as "
        f"'{DEFAULT_MODEL}') and reindex."
    )


def test_a_reindex_by_hand_with_the_configured_model_missing_builds_nothing(
    seed_app: App, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # It built the whole index with MiniLM, exit 0, under settings that name another model.
    index = tmp_path / "index"
    shutil.copytree(seed_app.settings.index, index)
    before = sorted(p.name for p in (index / "builds").iterdir())
    corpus = str(seed_app.settings.corpus)
    missing = str(tmp_path / "tuned-model")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("QUOTEBOT_MODEL", missing)
        code = main(["reindex", "--force", "--corpus", corpus, "--index", str(index)])
    err = capsys.readouterr().err
    assert code == 1
    assert f"Could not load the model '{missing}': no such folder. Nothing was built" in err
    assert sorted(p.name for p in (index / "builds").iterdir()) == before


def test_a_servers_new_text_is_kept_but_not_indexed_while_the_configured_model_is_missing(
    seed_app: App, tmp_path: Path
) -> None:
    # The reindex after a change would build the server's index with MiniLM, under settings
    # that name another model: the text is saved and the admin told why it is not searchable.
    missing = str(tmp_path / "tuned-model")
    app = App(replace(seed_app.settings, data=tmp_path / "data", model=missing))
    server = app.collections.of(4242)
    admin = Actor(1, "mod", guild_id=4242, guild_name="Reading circle", admin=True)
    change = texts.add_work(
        app, server, "almanac.txt", b"A garden almanac: sow in spring.\n", WorkMeta(), actor=admin
    )
    assert (server.corpus / "almanac.txt").is_file()
    assert change.report is None
    assert change.index_error is not None and describe(change.index_error) == (
        f"Could not load the model '{missing}': no such folder. Nothing was built: restore "
        "that model, or name another in [model] name (QUOTEBOT_MODEL), then reindex."
    )
    assert not (server.service.settings.index / "builds").exists()


def test_a_loadable_model_is_used_and_nothing_is_said(
    seed_app: App, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="bot.app"):
        app = App(replace(seed_app.settings, model=f"sentence-transformers/{DEFAULT_MODEL}"))
    assert app.encoder.name == f"sentence-transformers/{DEFAULT_MODEL}"
    assert app.model_warning == "" and not caplog.records
