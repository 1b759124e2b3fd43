"""The sentence-transformers backend: any model it loads, for folders the lean BERT
encoders cannot reproduce (another architecture, a Dense module, max pooling...).

`import sentence_transformers` takes about 9 s (transformers, torch's compiler stacks,
SciPy, SymPy): only models that need it pay for it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from embeddings.backends import EncoderBackend
from embeddings.errors import ModelError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer


def load_model(
    path: str, name: str, *, device: str = "cpu", threads: int | None = None
) -> SentenceTransformer:
    """The folder (or hub name) as a SentenceTransformer, offline; ModelError if it fails."""
    # Never reach for the hub: the machine is offline and a bot must not hang on it.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")  # no weight-loading bars
    import torch
    import transformers
    from sentence_transformers import SentenceTransformer

    transformers.utils.logging.disable_progress_bar()
    if threads:
        torch.set_num_threads(threads)
    try:
        return SentenceTransformer(path, device=device)
    except Exception as exc:
        raise ModelError("cannot_load", name, str(exc)) from exc


class SentenceTransformerBackend(EncoderBackend):
    """`SentenceTransformer` behind the backend protocol, whose `embed_many` batches
    `embed` (`Encoder.encode` has sorted the texts by length already, as
    `SentenceTransformer.encode` would); thread-safe (torch releases the GIL)."""

    def __init__(self, model: SentenceTransformer) -> None:
        self.model = model

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Normalised vectors for one batch, with the least overhead: the module pipeline
        called directly instead of `SentenceTransformer.encode`, which sorts, batches and
        converts on every call; the vectors are the same (tests check)."""
        import torch

        model = self.model
        if not texts:
            return np.empty((0, model.get_embedding_dimension() or 0), dtype=np.float32)
        try:
            with torch.inference_mode():
                features = model.preprocess(list(texts))
                out = model(features)["sentence_embedding"]
                out = torch.nn.functional.normalize(out.float(), p=2, dim=1)
            return np.ascontiguousarray(out.numpy(), dtype=np.float32)
        except (AttributeError, KeyError, TypeError):  # another kind of model: the slow path
            vectors = model.encode(
                list(texts),
                batch_size=len(texts),
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            return np.asarray(vectors, dtype=np.float32)
