"""Encoder backends: ONNX Runtime gives torch's vectors, int8 is close, and an index built
with one backend is never silently queried with another whose vectors differ."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from bot.app import App
from bot.settings import SettingsError, load_settings
from embeddings import onnx_backend
from embeddings.encoder import Encoder
from embeddings.errors import IndexIncompatibleError, ModelError
from tests.needs import needs_onnx
from tests.wording import raises_saying

TEXTS = [
    "what is a sect?",
    "The sect-socialist has always felt a soul-torn difficulty in explaining himself.",
    "",  # an empty passage still gets a vector
    "word " * 400,  # longer than the model's 256 word pieces: truncated like torch does
    "Ein Satz auf Deutsch, und noch einer: « guillemets » — dashes.",
]


@pytest.fixture(scope="module")
def onnx_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("model-cache")


@pytest.fixture(scope="module")
def onnx_encoder(onnx_cache: Path) -> Encoder:
    return Encoder("all-MiniLM-L6-v2", backend="onnx", cache_dir=onnx_cache)


@pytest.fixture(scope="module")
def int8_encoder(onnx_cache: Path) -> Encoder:
    return Encoder("all-MiniLM-L6-v2", backend="onnx-int8", cache_dir=onnx_cache)


@needs_onnx
def test_onnx_vectors_match_torch(encoder: Encoder, onnx_encoder: Encoder) -> None:
    expected = encoder.encode(TEXTS)
    np.testing.assert_allclose(onnx_encoder.encode(TEXTS), expected, atol=1e-5)
    # The query path, one text at a time and as a padded batch.
    np.testing.assert_allclose(onnx_encoder.encode_queries(TEXTS[:1]), expected[:1], atol=1e-5)
    np.testing.assert_allclose(onnx_encoder.encode_queries(TEXTS), expected, atol=1e-5)
    assert onnx_encoder.encode(TEXTS).dtype == np.float32


@needs_onnx
def test_int8_vectors_stay_close_to_torch(encoder: Encoder, int8_encoder: Encoder) -> None:
    cosines = np.sum(int8_encoder.encode(TEXTS) * encoder.encode(TEXTS), axis=1)
    assert cosines.min() > 0.95, cosines


@needs_onnx
def test_the_export_is_made_once_in_our_cache_and_reused(
    onnx_encoder: Encoder, onnx_cache: Path
) -> None:
    onnx_encoder.encode_queries(["load it"])
    session = onnx_encoder.query_backend
    assert isinstance(session, onnx_backend.OnnxModel)
    assert onnx_encoder.passage_backend is session  # one session for both uses
    exported = session.file
    assert exported.is_file() and exported.is_relative_to(onnx_cache)
    assert not Path(onnx_encoder.path, "onnx").exists()  # the model package is untouched
    stamp = exported.stat().st_mtime_ns
    again = Encoder("all-MiniLM-L6-v2", backend="onnx", cache_dir=onnx_cache)
    again.encode_queries(["load it again"])
    session = again.query_backend
    assert isinstance(session, onnx_backend.OnnxModel)
    assert session.file == exported and exported.stat().st_mtime_ns == stamp


# A process (the bot) whose queries move to ONNX while the model is still to be exported:
# it waits for the export's child process, then leaves while that child is still at work.
_LEAVES_DURING_THE_EXPORT = """
import sys, time
from pathlib import Path
import psutil
from embeddings.encoder import Encoder
encoder = Encoder("all-MiniLM-L6-v2", cache_dir=Path(sys.argv[1]))
encoder.encode_queries(["warm up"])
encoder.promote_queries_later()
deadline = time.monotonic() + 60
while not psutil.Process().children() and time.monotonic() < deadline:
    time.sleep(0.02)
time.sleep(1.0)  # the child is inside torch's export
print("exporting in a child:", bool(psutil.Process().children()))
print("torch in this process:", "torch" in sys.modules)
"""


@needs_onnx
def test_the_export_runs_in_a_child_process_that_a_stopping_process_can_leave(
    tmp_path: Path,
) -> None:
    """In a thread of the bot's own process, torch's exporter aborted the process when it
    stopped mid-export ("terminate called without an active exception"); in a child
    process torch never enters the bot's, and the bot exits cleanly whenever it is told."""
    done = subprocess.run(
        [sys.executable, "-c", _LEAVES_DURING_THE_EXPORT, str(tmp_path / "cache")],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "exporting in a child: True" in done.stdout
    assert "torch in this process: False" in done.stdout


@needs_onnx
def test_an_export_that_fails_in_its_child_says_why(tmp_path: Path) -> None:
    broken = tmp_path / "model"
    shutil.copytree(Encoder("all-MiniLM-L6-v2").path, broken)
    (broken / "model.safetensors").write_bytes(b"not weights")
    with raises_saying(ModelError, "Could not export"):
        onnx_backend.model_file(tmp_path / "cache", broken, "onnx")
    assert not list((tmp_path / "cache").rglob("*.onnx"))  # nothing half-written is left


def test_backends_whose_vectors_differ_have_different_model_ids() -> None:
    torch_id = Encoder("all-MiniLM-L6-v2").model_id
    assert Encoder("all-MiniLM-L6-v2", backend="onnx").model_id == torch_id
    assert Encoder("all-MiniLM-L6-v2", backend="onnx-int8").model_id != torch_id
    with raises_saying(ModelError, "backend"):
        Encoder("all-MiniLM-L6-v2", backend="tensorflow")


def test_the_backend_setting_is_read_and_checked(tmp_path: Path) -> None:
    assert load_settings(env={}).backend == "torch"
    assert load_settings(env={"QUOTEBOT_BACKEND": "onnx-int8"}).backend == "onnx-int8"
    with raises_saying(SettingsError, "backend"):
        load_settings(env={"QUOTEBOT_BACKEND": "tpu"})
    settings = load_settings(env={})
    assert settings.model_cache_dir == settings.index / "model-cache"


@needs_onnx
def test_an_index_built_with_int8_is_refused_by_torch_and_rebuilt_whole(
    tmp_path: Path, seed_app: App, encoder: Encoder, int8_encoder: Encoder
) -> None:
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(seed_app.settings.corpus, corpus)
    settings = replace(seed_app.settings, corpus=corpus, index=index, backend="onnx-int8")
    int8_app = App(settings, int8_encoder)
    int8_app.ensure_index()
    assert int8_app.index.searcher.index.manifest.model == "all-MiniLM-L6-v2@onnx-int8"

    torch_app = App(replace(settings, backend="torch"), encoder)
    with raises_saying(IndexIncompatibleError, "onnx-int8"):
        torch_app.index.load()
    # Reindexing under torch re-encodes everything: no int8 vector is reused.
    report = torch_app.index.reindex()
    assert report.reused == 0 and report.encoded == report.passages


@needs_onnx
def test_an_index_built_with_torch_serves_the_fp32_onnx_backend(
    fresh_app: App, onnx_encoder: Encoder
) -> None:
    app = App(replace(fresh_app.settings, backend="onnx"), onnx_encoder)
    app.index.load()  # same vectors: no reindex needed
    hits = app.index.searcher.search("what is a sect?").hits
    assert hits
