"""The BERT forward pass in numpy: query vectors without importing torch.

Why: `import torch` alone takes about 2.3 s, and a query is a dozen word pieces: six
layers of 384 wide are a few milliseconds of matrix products in numpy. The weights are
memory-mapped from the model's safetensors file (nothing is read until a product touches
it; the pages are shared with every other process on the machine), so the encoder is
ready as soon as the tokenizer is. The vectors are torch's to 1e-5 per component (tests
check), so an index built by torch is queried with numpy's vectors.

Encoding many passages (a reindex) stays on torch (`embeddings.bert.LeanBert`): its
fused kernels are faster on long batches.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from embeddings.bert import BertEncoder, read_layers, weight_table
from embeddings.errors import ModelError

# Abramowitz and Stegun 7.1.26: erf to within 1.5e-7, numpy having no erf of its own
# (scipy.special's costs an import of its own). The error is below float32's resolution
# of the activations it is applied to.
_P = 0.3275911
_A = (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)


def _erf(x: np.ndarray) -> np.ndarray:
    a = np.abs(x)
    t = 1.0 / (1.0 + _P * a)
    poly = t * (_A[0] + t * (_A[1] + t * (_A[2] + t * (_A[3] + t * _A[4]))))
    return np.copysign(1.0 - poly * np.exp(-a * a), x)


def _gelu(x: np.ndarray) -> np.ndarray:
    """The exact (erf) GELU BERT uses, not the tanh approximation."""
    return 0.5 * x * (1.0 + _erf(x * np.float32(1 / math.sqrt(2))))


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    centred = x - x.mean(axis=-1, keepdims=True)
    var = np.mean(centred * centred, axis=-1, keepdims=True)
    return centred / np.sqrt(var + np.float32(eps)) * weight + bias


class NumpyBert(BertEncoder):
    """A plain BERT sentence encoder in numpy, for the folders `bert.inspect` accepts."""

    def __init__(self, path: str | Path, *, normalize: bool | None = None) -> None:
        super().__init__(path, normalize=normalize)
        spec = self.spec
        file, table, start = weight_table(spec.path)
        # One read-only map of the whole file; each tensor is a view into it (float32 is
        # checked by `inspect`). safetensors aligns tensors to 8 bytes, so views are aligned.
        data = np.memmap(file, dtype=np.uint8, mode="r")

        def w(name: str) -> np.ndarray:
            entry = table[spec.prefix + name]
            lo, hi = entry["data_offsets"]
            array = data[start + lo : start + hi].view("<f4").reshape(entry["shape"])
            if not array.flags.aligned:  # pragma: no cover - a file written unaligned
                array = np.array(array)
            return array

        try:
            self.word = w("embeddings.word_embeddings.weight")
            self.position = w("embeddings.position_embeddings.weight")
            self.token_type = w("embeddings.token_type_embeddings.weight")
            self.emb_ln = (w("embeddings.LayerNorm.weight"), w("embeddings.LayerNorm.bias"))
            # Query, key and value stacked (a copy: 1.7 MB a layer of MiniLM); matrices
            # transposed as views, so each product is one BLAS call on (tokens, hidden).
            self.layers = read_layers(spec, w, np.concatenate, lambda m: m.T)
        except (KeyError, ValueError) as exc:
            raise ModelError("cannot_load", str(spec.path), str(exc)) from exc

    def _pooled(self, ids: np.ndarray, types: np.ndarray, mask: np.ndarray) -> np.ndarray:
        spec = self.spec
        batch, length = ids.shape
        hidden, heads = spec.hidden, spec.heads
        size = hidden // heads
        # Tokens as rows of one (batch·length, hidden) matrix: every dense layer is then a
        # single matrix product.
        x = self.word[ids] + self.token_type[types] + self.position[:length]
        x = _layer_norm(x.reshape(batch * length, hidden), *self.emb_ln, spec.eps)
        # Padding gets -inf before the softmax (weight 0); no row is all padding (CLS is
        # real). None without padding: the usual single query.
        pad = None if mask.all() else np.where(mask, 0.0, -np.inf).astype(np.float32)
        scale = np.float32(1 / math.sqrt(size))
        for layer in self.layers:
            qkv = x @ layer.qkv_w + layer.qkv_b
            q, k, v = qkv.reshape(batch, length, 3, heads, size).transpose(2, 0, 3, 1, 4)
            scores = (q * scale) @ k.transpose(0, 1, 3, 2)  # (batch, heads, length, length)
            if pad is not None:
                scores += pad[:, None, None, :]
            scores -= scores.max(axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(axis=-1, keepdims=True)
            ctx = (scores @ v).transpose(0, 2, 1, 3).reshape(batch * length, hidden)
            x = _layer_norm(
                ctx @ layer.attn_out_w + layer.attn_out_b + x, layer.ln1_w, layer.ln1_b, spec.eps
            )
            inter = _gelu(x @ layer.inter_w + layer.inter_b)
            x = _layer_norm(
                inter @ layer.out_w + layer.out_b + x, layer.ln2_w, layer.ln2_b, spec.eps
            )
        tokens = x.reshape(batch, length, hidden)
        if spec.pooling == "cls":
            return tokens[:, 0]
        weights = mask[:, :, None].astype(np.float32)
        return (tokens * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
