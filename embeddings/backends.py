"""Encoder backends: one protocol, and the choice of a backend for each use.

Queries and passages may run on different backends as long as their vectors agree (to
1e-5, tests check): a query is a dozen word pieces and must not wait for `import torch`
(2.3 s of a one-shot answer), while a reindex encodes thousands of passages, where
torch's kernels are fastest. Each backend's module is imported only when it is made.

| `[model] backend` | queries | passages |
| --- | --- | --- |
| torch, a plain BERT (the bundled MiniLM) | numpy BERT, then ONNX (1) | torch BERT, or ONNX (2) |
| torch, any other folder | sentence-transformers | sentence-transformers |
| onnx, onnx-int8 | ONNX Runtime | ONNX Runtime |

(1) A process that keeps running (the bot, the console) moves its queries off the numpy
pass once started (`Encoder.promote_queries`): to ONNX Runtime with the same vectors, or
to the torch BERT where ONNX cannot be had.
(2) Once that export is in the model cache, a reindex's passages run there too, with the
same check (`Encoder._exported_onnx`): a session holds the GIL only between batches.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol, get_args

import numpy as np

from embeddings.errors import ModelError

log = logging.getLogger(__name__)

# The setting's values. "onnx" gives torch's vectors (to 1e-6); "onnx-int8" its dynamically
# quantised copy (different vectors: an index of its own).
Setting = Literal["torch", "onnx", "onnx-int8"]
BACKENDS: tuple[Setting, ...] = get_args(Setting)

# Passages per forward pass. Small batches keep a pass's activations in the processor's
# caches: on 2 cores, 16 encoded 6-31 % more texts a second than 64 at every length, on
# ONNX Runtime and on torch alike (bench/passage_batches.py), and a full reindex of the
# shared corpora took 5 % less time (bench/RESULTS.md, "Passages per forward pass").
PASSAGE_BATCH = 16

Role = Literal["query", "passage"]
Kind = Literal["numpy-bert", "torch-bert", "sentence-transformers", "onnx", "onnx-int8"]


class EncoderBackend(Protocol):
    """A way of running the model. Vectors are float32, L2-normalised, in input order;
    both methods may be called from several threads at once. A backend that subclasses
    this protocol inherits `embed_many` as `embed` over one batch after another (its
    `embed` then gives an empty array of the right width for no texts)."""

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """A few texts as one batch: the query path."""
        ...

    def embed_many(
        self,
        texts: Sequence[str],
        *,
        batch_size: int = PASSAGE_BATCH,
        progress: Callable[[int], None] | None = None,
    ) -> np.ndarray:
        """Any number of texts in batches of `batch_size`; `progress(done)` as batches
        finish. Backends with a faster way (sorting by length, their own batching) give
        their own `_batched`."""
        if not texts:
            return self.embed(texts)
        return self._batched(texts, batch_size, progress)

    def _batched(
        self, texts: Sequence[str], batch_size: int, progress: Callable[[int], None] | None
    ) -> np.ndarray:
        """`embed` over one batch after another, in the order given (`texts` not empty)."""
        parts = []
        for lo in range(0, len(texts), batch_size):
            parts.append(self.embed(texts[lo : lo + batch_size]))
            if progress:
                progress(lo + len(parts[-1]))
        return np.concatenate(parts)


class WordPieceBackend(EncoderBackend):
    """A backend that tokenizes for itself (`tokenizers`, truncating, never padding):
    `embed` runs one padded batch, `embed_many` tokenizes all its texts once and batches
    them by word-piece count (`_batched`). Subclasses call
    `_use_tokenizer` and give `dimension` and `_vectors`."""

    _tokenizer: Any
    _pad_id: int
    _pad_type_id: int
    dimension: int

    def _use_tokenizer(self, tokenizer: Any, max_length: int) -> None:
        """Tokenize with `tokenizer`, truncating to `max_length` word pieces. Its padding
        is turned off: `_padded` pads each batch itself, with the tokenizer's pad ids, so
        that `embed_many` can batch texts by length after tokenizing them once."""
        tokenizer.enable_truncation(max_length=max_length)
        pad = tokenizer.padding or {}
        self._pad_id = int(pad.get("pad_id", 0))
        self._pad_type_id = int(pad.get("pad_type_id", 0))
        tokenizer.no_padding()
        self._tokenizer = tokenizer

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """float32 vectors of one batch, in order."""
        if not texts:
            return np.empty((0, self.dimension), dtype=np.float32)
        return self._padded(self._tokenizer.encode_batch(list(texts)))

    def _batched(
        self, texts: Sequence[str], batch_size: int, progress: Callable[[int], None] | None
    ) -> np.ndarray:
        """Tokenized once, then run in batches of similar word-piece count: batches hardly
        pad (2% padding on 200-piece passages against 15% when sorted by characters, as
        `SentenceTransformer.encode` does). Rows in the texts' order."""
        encodings = self._tokenizer.encode_batch(list(texts))
        order = np.argsort([len(e.ids) for e in encodings], kind="stable")
        out: np.ndarray | None = None
        for lo in range(0, len(order), batch_size):
            idx = order[lo : lo + batch_size]
            rows = self._padded([encodings[i] for i in idx])
            if out is None:  # the width the model gives (an export may not declare it)
                out = np.empty((len(encodings), rows.shape[1]), dtype=np.float32)
            out[idx] = rows
            if progress:
                progress(lo + len(idx))
        assert out is not None  # `embed_many` never batches no texts
        return out

    def _padded(self, enc: list[Any]) -> np.ndarray:
        """`_vectors` of encodings padded on the right to the longest of them."""
        rows, width = len(enc), max(len(e.ids) for e in enc)
        ids = np.full((rows, width), self._pad_id, dtype=np.int64)
        types = np.full((rows, width), self._pad_type_id, dtype=np.int64)
        mask = np.zeros((rows, width), dtype=np.bool_)
        for row, e in enumerate(enc):
            n = len(e.ids)
            ids[row, :n], types[row, :n], mask[row, :n] = e.ids, e.type_ids, True
        return self._vectors(ids, types, mask)

    def _vectors(self, ids: np.ndarray, types: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """The float32 vectors of a padded batch (`mask`: true on real word pieces)."""
        raise NotImplementedError


@dataclass(frozen=True)
class ModelPlace:
    """What every backend needs to know to load the model."""

    name: str  # as the settings name it (for messages)
    path: str  # a folder, or a hub name for sentence-transformers
    cache_dir: Path  # where ONNX exports are kept
    device: str = "cpu"
    threads: int | None = None


def choose(setting: str, role: Role, path: str) -> Kind:
    """Which backend runs `role` for a model folder under the `backend` setting."""
    if setting == "onnx":
        return "onnx"
    if setting == "onnx-int8":
        return "onnx-int8"
    if setting != "torch":
        raise ModelError("unknown_backend", detail=setting, choices=BACKENDS)
    from embeddings import bert

    reason = bert.unsupported_reason(path)
    if reason:
        log.debug("%s runs on sentence-transformers: %s", path, reason)
        return "sentence-transformers"
    return "numpy-bert" if role == "query" else "torch-bert"


def make(kind: Kind, place: ModelPlace) -> EncoderBackend:
    """A loaded backend of `kind` (slow: reads weights, imports its runtime)."""
    return _MAKERS[kind](place)


def _numpy_bert(place: ModelPlace) -> EncoderBackend:
    from threadpoolctl import threadpool_limits

    from embeddings.bert_numpy import NumpyBert

    # numpy's BLAS threads, for the whole process (they are one pool): one unless set.
    # A query is too small to share, and on a busy 2-core machine spinning BLAS threads
    # made one query 10x slower (31-46 ms with one thread, 275-513 ms with two) and a
    # batch of 50 twice as slow (bench/RESULTS.md, "Start-up").
    threadpool_limits(place.threads or 1, user_api="blas")
    return NumpyBert(place.path, normalize=True)


def _torch_bert(place: ModelPlace) -> EncoderBackend:
    import torch

    from embeddings.bert import LeanBert

    if place.threads:
        torch.set_num_threads(place.threads)
    try:
        return LeanBert(place.path, normalize=True)
    except Exception as exc:
        raise ModelError("cannot_load", place.name, str(exc)) from exc


def _sentence_transformers(place: ModelPlace) -> EncoderBackend:
    from embeddings import st_backend

    model = st_backend.load_model(
        place.path, place.name, device=place.device, threads=place.threads
    )
    return st_backend.SentenceTransformerBackend(model)


def _onnx(kind: Literal["onnx", "onnx-int8"]) -> Callable[[ModelPlace], EncoderBackend]:
    def make_onnx(place: ModelPlace) -> EncoderBackend:
        import os

        from embeddings import onnx_backend

        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        path = Path(place.path)
        return onnx_backend.OnnxModel(
            onnx_backend.model_file(place.cache_dir, path, kind), path, threads=place.threads
        )

    return make_onnx


_MAKERS: dict[Kind, Callable[[ModelPlace], EncoderBackend]] = {
    "numpy-bert": _numpy_bert,
    "torch-bert": _torch_bert,
    "sentence-transformers": _sentence_transformers,
    "onnx": _onnx("onnx"),
    "onnx-int8": _onnx("onnx-int8"),
}
