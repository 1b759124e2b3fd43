"""Whether a model setting can be loaded, told without loading it (no torch, milliseconds).

A process that keeps running (the bot, the console) checks a model other than the bundled
MiniLM before it starts, so that a tuned model whose folder was moved, truncated or never
copied to this machine is met at start-up, where the process can fall back to MiniLM and
say so once, instead of on the first question of some user. What is checked is what a
load needs first: the folder (or the offline cache for a hub name), the transformer's
`config.json`, a weights file, and the header of a safetensors file (a truncated copy
fails there). Weights that are complete but wrong are left for the load itself to find.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

from embeddings.errors import ModelError

WEIGHTS = ("model.safetensors", "pytorch_model.bin", "model.safetensors.index.json")
MAX_HEADER = 100_000_000  # a safetensors header larger than this is damage, not a header


def check_model(name: str, path: str) -> None:
    """Raise `ModelError("cannot_load")` when the model `name`, resolved to `path` by
    `embeddings.encoder.resolve_model_path`, cannot be loaded."""
    folder = Path(path)
    if not folder.exists():
        if _looks_like_path(name):
            raise ModelError("cannot_load", name, "no such folder")
        _check_cached(name)
        return
    if not folder.is_dir():
        raise ModelError("cannot_load", name, "not a folder")
    transformer = _transformer_folder(name, folder)
    _check_config(name, transformer / "config.json")
    weights = [transformer / w for w in WEIGHTS if (transformer / w).is_file()]
    if not weights:
        raise ModelError("cannot_load", name, f"no weights file ({', '.join(WEIGHTS)})")
    if weights[0].name == "model.safetensors":
        _check_safetensors(name, weights[0])


def _looks_like_path(name: str) -> bool:
    return name.startswith(("/", ".", "~")) or name.count("/") > 1 or "\\" in name


def _check_cached(name: str) -> None:
    """A hub name: quotebot runs offline, so its files must already be in the local cache."""
    from huggingface_hub import try_to_load_from_cache

    if not isinstance(try_to_load_from_cache(name, "config.json"), str):
        raise ModelError(
            "cannot_load", name, "neither a folder nor in the local model cache (no downloads)"
        )


def _transformer_folder(name: str, folder: Path) -> Path:
    """Where the transformer's own files are: the folder itself, or the sub-folder that a
    sentence-transformers `modules.json` names for its Transformer module."""
    modules = folder / "modules.json"
    if not modules.is_file():
        return folder
    try:
        entries = json.loads(modules.read_text(encoding="utf-8"))
        for entry in entries:
            if str(entry.get("type", "")).endswith("Transformer"):
                return folder / str(entry.get("path", ""))
    except (OSError, ValueError, AttributeError, TypeError) as exc:
        raise ModelError("cannot_load", name, f"modules.json cannot be read: {exc}") from exc
    return folder


def _check_config(name: str, config: Path) -> None:
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ModelError("cannot_load", name, "no config.json") from exc
    except (OSError, ValueError) as exc:
        raise ModelError("cannot_load", name, f"config.json cannot be read: {exc}") from exc
    if not isinstance(data, dict) or "model_type" not in data:
        raise ModelError("cannot_load", name, "config.json names no model_type")


def _check_safetensors(name: str, weights: Path) -> None:
    """The header: an 8-byte length, then that many bytes of JSON describing every tensor,
    whose data must fit in the file."""
    try:
        with weights.open("rb") as f:
            (length,) = struct.unpack("<Q", f.read(8))
            if not 0 < length <= MAX_HEADER:
                raise ValueError("the header's length is not a header's")
            header = json.loads(f.read(length))
        size = weights.stat().st_size
    except (OSError, ValueError, struct.error) as exc:
        raise ModelError("cannot_load", name, f"{weights.name} is damaged: {exc}") from exc
    ends = [
        int(t["data_offsets"][1])
        for key, t in header.items()
        if key != "__metadata__" and isinstance(t, dict) and "data_offsets" in t
    ]
    if not ends or 8 + length + max(ends) > size:
        raise ModelError("cannot_load", name, f"{weights.name} is damaged: it is cut short")
