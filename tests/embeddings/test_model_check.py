"""A model other than the bundled MiniLM is checked before a running process relies on it:
a folder that is missing, incomplete or cut short is named with what is wrong, in
milliseconds and without loading torch."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from embeddings.encoder import DEFAULT_MODEL, resolve_model_path
from embeddings.errors import ModelError
from embeddings.model_check import check_model

BUNDLED = Path(resolve_model_path(DEFAULT_MODEL))


def copy_model(dest: Path, *, weights_bytes: int | None = None) -> Path:
    """The bundled model's folder, its weights linked (or cut to `weights_bytes`)."""
    shutil.copytree(BUNDLED, dest, ignore=shutil.ignore_patterns("model.safetensors"))
    weights = BUNDLED / "model.safetensors"
    if weights_bytes is None:
        (dest / "model.safetensors").symlink_to(weights)
    else:
        with weights.open("rb") as f:
            (dest / "model.safetensors").write_bytes(f.read(weights_bytes))
    return dest


def problem(name: str, path: Path | str | None = None) -> str:
    with pytest.raises(ModelError) as caught:
        check_model(name, str(path if path is not None else name))
    assert caught.value.problem == "cannot_load" and caught.value.model == name
    return caught.value.detail


def test_the_bundled_model_and_a_complete_copy_pass() -> None:
    check_model(DEFAULT_MODEL, str(BUNDLED))


def test_a_complete_copy_passes(tmp_path: Path) -> None:
    folder = copy_model(tmp_path / "tuned")
    check_model(str(folder), str(folder))


def test_a_folder_that_is_not_there_is_named_as_such(tmp_path: Path) -> None:
    assert problem(str(tmp_path / "tuned")) == "no such folder"


def test_a_hub_name_not_in_the_offline_cache_is_refused_without_a_download() -> None:
    assert "nor in the local model cache" in problem("someone/some-model-never-downloaded")


def test_weights_cut_short_are_found_from_the_header_alone(tmp_path: Path) -> None:
    folder = copy_model(tmp_path / "tuned", weights_bytes=1_000_000)
    assert problem(str(folder)) == "model.safetensors is damaged: it is cut short"


def test_weights_that_are_not_safetensors_are_damaged(tmp_path: Path) -> None:
    folder = copy_model(tmp_path / "tuned", weights_bytes=0)
    (folder / "model.safetensors").write_bytes(b"<html>not a model</html>")
    assert problem(str(folder)).startswith("model.safetensors is damaged")


def test_a_folder_without_weights_or_config_says_which(tmp_path: Path) -> None:
    folder = copy_model(tmp_path / "tuned")
    (folder / "model.safetensors").unlink()
    assert problem(str(folder)).startswith("no weights file")
    (folder / "config.json").unlink()
    assert problem(str(folder)) == "no config.json"
    (folder / "config.json").write_text("{not json")
    assert problem(str(folder)).startswith("config.json cannot be read")


def test_the_transformer_of_a_sentence_transformers_folder_is_where_modules_json_says(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "st"
    copy_model(folder / "0_Transformer")
    modules = [
        {
            "idx": 0,
            "name": "0",
            "path": "0_Transformer",
            "type": "sentence_transformers.models.Transformer",
        },
        {
            "idx": 1,
            "name": "1",
            "path": "1_Pooling",
            "type": "sentence_transformers.models.Pooling",
        },
    ]
    (folder / "modules.json").write_text(json.dumps(modules))
    check_model(str(folder), str(folder))
    (folder / "0_Transformer" / "config.json").unlink()
    assert problem(str(folder)) == "no config.json"
