"""The encoder's ONNX Runtime backends: exported once from the bundled weights, offline.

sentence-transformers' own `backend="onnx"` needs optimum-onnx, whose releases pin
transformers<4.58 while sentence-transformers 6 needs transformers>=5: the two cannot be
installed together. So the export is ours and needs nothing that is not already here:
torch.onnx's TorchScript exporter writes the transformer with mean pooling folded into
the graph, onnxruntime's dynamic quantiser makes the int8 copy, and from then on only
onnxruntime and `tokenizers` run (torch is not even imported).

The files go into a cache folder of ours (never the model package's folder), keyed by
the model's path and weights, written atomically so concurrent processes never read a
half-written model.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
import uuid
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from embeddings.backends import WordPieceBackend
from embeddings.errors import ModelError

ONNX_BACKENDS = ("onnx", "onnx-int8")
_FILES = {"onnx": "model.onnx", "onnx-int8": "model-int8.onnx"}
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
_export_lock = threading.Lock()


def available() -> bool:
    """Whether the optional `onnx` extra is installed (onnxruntime, and onnx to quantise)."""
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def _require() -> None:
    if not available():
        raise ModelError("onnx_missing")


def check_supported(model_path: Path) -> None:
    """Only transformer + mean pooling (+ normalise) models: that is what the export folds."""
    modules = model_path / "modules.json"
    pooling = model_path / "1_Pooling" / "config.json"
    if not (modules.is_file() and pooling.is_file() and (model_path / "tokenizer.json").is_file()):
        raise ModelError("onnx_needs_folder", str(model_path))
    kinds = [m["type"].rsplit(".", 1)[-1] for m in json.loads(modules.read_text())]
    pool = json.loads(pooling.read_text())
    if kinds[:2] != ["Transformer", "Pooling"] or set(kinds[2:]) - {"Normalize"}:
        raise ModelError("onnx_modules", str(model_path), str(kinds))
    if not pool.get("pooling_mode_mean_tokens") or any(
        v
        for k, v in pool.items()
        if k.startswith("pooling_mode_") and k != "pooling_mode_mean_tokens"
    ):
        raise ModelError("onnx_pooling", str(model_path))


def cache_folder(cache_dir: Path, model_path: Path) -> Path:
    """One folder per model and weights: a changed model gets a fresh export."""
    weights = sorted(model_path.glob("*.safetensors")) or sorted(model_path.glob("*.bin"))
    h = hashlib.sha256(str(model_path.resolve()).encode())
    for w in weights:
        st = w.stat()
        h.update(f"{w.name}:{st.st_size}:{st.st_mtime_ns}".encode())
    return cache_dir / f"{model_path.name}-{h.hexdigest()[:12]}"


def exported(cache_dir: Path, model_path: Path) -> bool:
    """Whether the model's fp32 export is already in `cache_dir` (nothing is exported)."""
    if not available():
        return False
    try:
        check_supported(model_path)
    except ModelError:
        return False
    return (cache_folder(cache_dir, model_path) / _FILES["onnx"]).is_file()


def model_file(cache_dir: Path, model_path: Path, backend: str) -> Path:
    """The ONNX file for `backend`, exported (and quantised) on first use."""
    _require()
    check_supported(model_path)
    folder = cache_folder(cache_dir, model_path)
    target = folder / _FILES[backend]
    if target.is_file():
        return target
    with _export_lock:  # threads of one process export once; processes race harmlessly
        fp32 = folder / _FILES["onnx"]
        if not fp32.is_file():
            _export(model_path, fp32)
        if backend == "onnx-int8" and not target.is_file():
            _quantise(fp32, target)
    return target


def _atomic_target(target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    return target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.tmp")


def _export(model_path: Path, target: Path) -> None:
    """`export` in a child process. torch and transformers are loaded there and leave with
    it, and a process that must stop while the export runs (a bot told to shut down, whose
    queries were moving to ONNX in the background) is never caught inside torch's C++: in
    a thread of its own it aborted the whole process ("terminate called without an active
    exception")."""
    done = subprocess.run(
        [sys.executable, "-m", "embeddings.onnx_backend", str(model_path), str(target)],
        capture_output=True,
        text=True,
        check=False,  # `export` sets HF_HUB_OFFLINE in the child, as it did in this process
    )
    if done.returncode != 0 or not target.is_file():
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        why = lines[-1] if lines else f"the export ended with code {done.returncode}"
        raise ModelError("onnx_export", str(model_path), why)


def export(model_path: Path, target: Path) -> None:
    """Write `model_path`'s transformer with mean pooling as ONNX to `target`, atomically."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from transformers import AutoModel

    hf = AutoModel.from_pretrained(str(model_path))
    hf.eval()

    class MeanPooled(torch.nn.Module):
        # Pooling inside the graph: onnxruntime averages in C++ and returns one small
        # vector per text instead of every token's hidden state.
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(
            self,
            input_ids: torch.Tensor,
            attention_mask: torch.Tensor,
            token_type_ids: torch.Tensor,
        ) -> torch.Tensor:
            out = self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(out.dtype)
            summed = (out * mask).sum(1)
            return summed / mask.sum(1).clamp(min=1e-9)

    # Two texts of different lengths, so the traced graph has padding in it.
    ids = torch.tensor([[101, 7592, 2088, 102, 0], [101, 2023, 2003, 1037, 102]])
    mask = (ids != 0).long()
    tmp = _atomic_target(target)
    dynamic = {name: {0: "batch", 1: "tokens"} for name in _INPUTS}
    try:
        # The tracer warns about every shape-dependent branch of the transformers code; the
        # exported graph is checked against torch's vectors in tests instead.
        with torch.inference_mode(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                MeanPooled(hf),
                (ids, mask, torch.zeros_like(ids)),
                str(tmp),
                input_names=list(_INPUTS),
                output_names=["sentence_embedding"],
                dynamic_axes={**dynamic, "sentence_embedding": {0: "batch"}},
                opset_version=17,
                dynamo=False,  # the dynamo exporter needs onnxscript; TorchScript does not
            )
        os.replace(tmp, target)
    except Exception as exc:
        tmp.unlink(missing_ok=True)
        raise ModelError("onnx_export", str(model_path), str(exc)) from exc


def _quantise(source: Path, target: Path) -> None:
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    # The quantiser advises pre-processing on the root logger for every model: noise here.
    root = logging.getLogger()
    level = root.level
    root.setLevel(max(level, logging.ERROR))
    tmp = _atomic_target(target)
    try:
        # Dynamic int8: weights quantised ahead of time, activations per batch at run
        # time. Per-channel scales: per-tensor ones cost far more agreement with torch
        # (mean cosine 0.958 against 0.993 on 600 corpus passages; bench/RESULTS.md).
        quantize_dynamic(str(source), str(tmp), weight_type=QuantType.QInt8, per_channel=True)
        os.replace(tmp, target)
    except Exception as exc:
        tmp.unlink(missing_ok=True)
        raise ModelError("onnx_quantise", str(source), str(exc)) from exc
    finally:
        root.setLevel(level)


class OnnxModel(WordPieceBackend):
    """One onnxruntime session and a padding, truncating tokenizer; thread-safe."""

    def __init__(self, onnx_file: Path, model_path: Path, *, threads: int | None = None) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads or 0  # 0: one per physical core
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # No busy-waiting between runs: on a shared 2-core machine spinning threads took
        # the CPU from everything else (torch's single-query p50 went 171 -> 305 ms next to
        # a spinning session) and made onnx itself slower (12 -> 37 ms); bench/RESULTS.md.
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        opts.add_session_config_entry("session.inter_op.allow_spinning", "0")
        self.session: Any = ort.InferenceSession(
            str(onnx_file), opts, providers=["CPUExecutionProvider"]
        )
        self.file = onnx_file
        cfg = model_path / "sentence_bert_config.json"
        limit = (
            int(json.loads(cfg.read_text()).get("max_seq_length", 256)) if cfg.is_file() else 256
        )
        tok = Tokenizer.from_file(str(model_path / "tokenizer.json"))
        # The same word pieces sentence-transformers feeds torch: truncated to the model's
        # max_seq_length (not tokenizer.json's 128), and padded to the longest in the batch
        # (here, in `_padded`: `embed_many` tokenizes all its texts once, then batches them).
        self._use_tokenizer(tok, limit)
        self._wanted = {i.name for i in self.session.get_inputs()}
        width = self.session.get_outputs()[0].shape[-1]  # fixed by the export: the hidden size
        self.dimension = width if isinstance(width, int) else 0

    def _vectors(self, ids: np.ndarray, types: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """One session run: normalised float32 vectors."""
        feeds = {"input_ids": ids, "attention_mask": mask.astype(np.int64), "token_type_ids": types}
        # The session runs without the GIL: a thread reading beside it barely slows it.
        (out,) = self.session.run(None, {k: v for k, v in feeds.items() if k in self._wanted})
        out = np.asarray(out, dtype=np.float32)
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
        return out


if __name__ == "__main__":  # the child `_export` runs: MODEL_FOLDER TARGET_FILE
    try:
        export(Path(sys.argv[1]), Path(sys.argv[2]))
    except ModelError as exc:
        sys.exit(exc.detail)
