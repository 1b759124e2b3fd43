"""A lean BERT encoder: the sentence-transformers vectors from torch, safetensors and tokenizers.

Why: `import sentence_transformers` takes about 9 s (it pulls transformers, which imports
torch's compiler and distributed stacks, SciPy and SymPy), `import torch` about 2.3 s. A
plain BERT forward pass is a few dozen lines of torch, so for the models that are nothing
more than BERT + mean (or CLS) pooling (+ normalise) we run it ourselves and the bot
answers its first query without ever importing transformers or sentence-transformers.

Only folders whose every setting we reproduce are eligible (`unsupported_reason` says why
not); for anything else the caller keeps using sentence-transformers. The vectors match
`SentenceTransformer.encode` to 1e-5 per component (tests check).
"""

from __future__ import annotations

import json
import os
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import numpy as np

from embeddings.backends import WordPieceBackend
from embeddings.errors import ModelError

if TYPE_CHECKING:
    import torch

W = TypeVar("W")  # a weight: a torch tensor or a numpy array

WEIGHTS_FILE = "model.safetensors"
# Where the encoder's weights may sit in the file: a bare BertModel, or inside a task model.
_PREFIXES = ("", "bert.", "model.")
_POOLING_FLAGS = {  # the legacy 1_Pooling/config.json booleans, as modes
    "pooling_mode_cls_token": "cls",
    "pooling_mode_max_tokens": "max",
    "pooling_mode_mean_tokens": "mean",
    "pooling_mode_mean_sqrt_len_tokens": "mean_sqrt_len_tokens",
    "pooling_mode_weightedmean_tokens": "weightedmean",
    "pooling_mode_lasttoken": "lasttoken",
}
_POOLINGS = frozenset({"mean", "cls"})
# sentence_bert_config.json keys we reproduce, each with a check that its value changes
# nothing we do; any other key (or value) could change the vectors, so it makes a folder
# ineligible.
_ST_CONFIG_KEYS: dict[str, Callable[[Any], bool]] = {
    "max_seq_length": lambda v: isinstance(v, int) and v > 0,
    "do_lower_case": lambda v: v is False,
    "transformer_task": lambda v: v == "feature-extraction",
    "module_output_name": lambda v: v in (None, "token_embeddings"),
    "modality_config": lambda v: True,  # which inputs the module takes: we take text only
    "unpad_inputs": lambda v: True,  # an implementation choice, the same vectors
    "processing_kwargs": lambda v: not v,
    "query_length": lambda v: v is None,
    "document_length": lambda v: v is None,
    "query_expansion": lambda v: v is None,
}
_LAYER_PARTS = (
    "attention.self.query",
    "attention.self.key",
    "attention.self.value",
    "attention.output.dense",
    "attention.output.LayerNorm",
    "intermediate.dense",
    "output.dense",
    "output.LayerNorm",
)


@dataclass(frozen=True)
class BertSpec:
    """What an eligible folder says, read once and checked."""

    path: Path
    prefix: str  # of the weight names: "", "bert." or "model."
    hidden: int
    heads: int
    layers: int
    eps: float
    max_seq_length: int  # sentence-transformers' limit, not tokenizer.json's
    pooling: str  # "mean" or "cls"
    normalize: bool  # modules.json ends in a Normalize module


@dataclass(frozen=True)
class Layer(Generic[W]):
    """One encoder layer's weights, as a forward pass multiplies by them (torch tensors,
    or numpy arrays transposed for `x @ w`)."""

    qkv_w: W  # query, key and value stacked: one product instead of three
    qkv_b: W
    attn_out_w: W
    attn_out_b: W
    ln1_w: W
    ln1_b: W
    inter_w: W
    inter_b: W
    out_w: W
    out_b: W
    ln2_w: W
    ln2_b: W


def read_layers(
    spec: BertSpec,
    weight: Callable[[str], W],
    stack: Callable[[list[W]], W],
    for_product: Callable[[W], W] = lambda w: w,
) -> list[Layer[W]]:
    """Every layer's weights: `weight(name)` reads one (without the folder's prefix),
    `stack` joins query, key and value, `for_product` readies a matrix for the products."""
    layers: list[Layer[W]] = []
    for i in range(spec.layers):
        p = f"encoder.layer.{i}."
        qkv = ("attention.self.query", "attention.self.key", "attention.self.value")
        layers.append(
            Layer(
                qkv_w=for_product(stack([weight(f"{p}{n}.weight") for n in qkv])),
                qkv_b=stack([weight(f"{p}{n}.bias") for n in qkv]),
                attn_out_w=for_product(weight(f"{p}attention.output.dense.weight")),
                attn_out_b=weight(f"{p}attention.output.dense.bias"),
                ln1_w=weight(f"{p}attention.output.LayerNorm.weight"),
                ln1_b=weight(f"{p}attention.output.LayerNorm.bias"),
                inter_w=for_product(weight(f"{p}intermediate.dense.weight")),
                inter_b=weight(f"{p}intermediate.dense.bias"),
                out_w=for_product(weight(f"{p}output.dense.weight")),
                out_b=weight(f"{p}output.dense.bias"),
                ln2_w=weight(f"{p}output.LayerNorm.weight"),
                ln2_b=weight(f"{p}output.LayerNorm.bias"),
            )
        )
    return layers


class _Unsupported(Exception):
    """Why a folder is not eligible (internal: `unsupported_reason` returns the message)."""


def _read_json(file: Path) -> Any:
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise _Unsupported(f"{file.name} is unreadable: {exc}") from exc


def _safetensors_header(file: Path) -> tuple[dict[str, Any], int]:
    # The format is an 8-byte little-endian length and a JSON header: reading it directly
    # checks names and dtypes without importing torch (eligibility is decided before it).
    try:
        with file.open("rb") as fh:
            (size,) = struct.unpack("<Q", fh.read(8))
            if size > 100_000_000:
                raise _Unsupported(f"{file.name} has an implausible header")
            header = json.loads(fh.read(size))
    except (OSError, ValueError, struct.error) as exc:
        raise _Unsupported(f"{file.name} is unreadable: {exc}") from exc
    if not isinstance(header, dict):
        raise _Unsupported(f"{file.name} has no tensor table")
    header.pop("__metadata__", None)
    return header, 8 + size  # the tensors' data follows the header


def _canonical(name: str) -> str:
    # Old BERT checkpoints call LayerNorm parameters gamma and beta; transformers renames them.
    if name.endswith(".gamma"):
        return name[: -len("gamma")] + "weight"
    if name.endswith(".beta"):
        return name[: -len("beta")] + "bias"
    return name


def _pooling_modes(cfg: dict[str, Any]) -> set[str]:
    mode = cfg.get("pooling_mode")
    if mode is not None:  # sentence-transformers >= 6 writes one key
        return {mode} if isinstance(mode, str) else set(mode)
    return {m for flag, m in _POOLING_FLAGS.items() if cfg.get(flag)}


def inspect(path: str | Path) -> BertSpec:
    """The folder's settings if the lean encoder reproduces it exactly; ModelError if not."""
    try:
        return _inspect(Path(path))
    except _Unsupported as exc:
        raise ModelError("not_plain_bert", str(path), str(exc)) from exc


def unsupported_reason(path: str | Path) -> str | None:
    """None if the lean encoder reproduces the folder's vectors, else the reason it cannot."""
    try:
        _inspect(Path(path))
    except _Unsupported as exc:
        return str(exc)
    return None


def _inspect(root: Path) -> BertSpec:
    for name in ("config.json", "modules.json", "tokenizer.json", WEIGHTS_FILE):
        if not (root / name).is_file():
            raise _Unsupported(f"no {name}")

    # modules.json: exactly Transformer (at the root) + Pooling (+ Normalize).
    modules = _read_json(root / "modules.json")
    if not isinstance(modules, list):
        raise _Unsupported("modules.json is not a list")
    kinds = [str(m.get("type", "")).rsplit(".", 1)[-1] for m in modules]
    if kinds not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]):
        raise _Unsupported(f"modules are {kinds}, not Transformer + Pooling (+ Normalize)")
    if modules[0].get("path", "") != "":
        raise _Unsupported("the transformer is not in the folder's root")

    cfg = _read_json(root / "config.json")
    checks = {
        "model_type": (cfg.get("model_type"), "bert"),
        "position_embedding_type": (cfg.get("position_embedding_type", "absolute"), "absolute"),
        "hidden_act": (cfg.get("hidden_act"), "gelu"),
        "is_decoder": (cfg.get("is_decoder", False), False),
        "add_cross_attention": (cfg.get("add_cross_attention", False), False),
    }
    for key, (found, wanted) in checks.items():
        if found != wanted:
            raise _Unsupported(f"config.json {key} is {found!r}, not {wanted!r}")
    try:
        hidden, heads = int(cfg["hidden_size"]), int(cfg["num_attention_heads"])
        layers, eps = int(cfg["num_hidden_layers"]), float(cfg.get("layer_norm_eps", 1e-12))
        max_positions = int(cfg.get("max_position_embeddings", 512))
    except (KeyError, TypeError, ValueError) as exc:
        raise _Unsupported(f"config.json lacks a setting: {exc}") from exc
    if hidden % heads:
        raise _Unsupported("hidden_size is not a multiple of num_attention_heads")

    st_file = root / "sentence_bert_config.json"
    st_cfg = _read_json(st_file) if st_file.is_file() else {}
    for key, value in st_cfg.items():
        ok = _ST_CONFIG_KEYS.get(key)
        if ok is None or not ok(value):
            raise _Unsupported(f"sentence_bert_config.json {key} = {value!r}")
    if "max_seq_length" not in st_cfg:
        # sentence-transformers would fall back to the tokenizer's limits: not worth copying.
        raise _Unsupported("sentence_bert_config.json has no max_seq_length")
    max_seq_length = min(int(st_cfg["max_seq_length"]), max_positions)

    st_model_file = root / "config_sentence_transformers.json"
    if st_model_file.is_file():
        st_model = _read_json(st_model_file)
        # A default prompt is prepended to every text by sentence-transformers.
        if st_model.get("default_prompt_name"):
            raise _Unsupported("a default prompt is set")

    pool_file = root / str(modules[1].get("path", "")) / "config.json"
    if not pool_file.is_file():
        raise _Unsupported(f"no {pool_file.relative_to(root)}")
    pool_cfg = _read_json(pool_file)
    modes = _pooling_modes(pool_cfg)
    if len(modes) != 1 or not modes <= _POOLINGS:
        raise _Unsupported(f"pooling {sorted(modes)}, not one of {sorted(_POOLINGS)}")
    dim = pool_cfg.get("embedding_dimension", pool_cfg.get("word_embedding_dimension", hidden))
    if dim != hidden:
        raise _Unsupported(f"pooling dimension {dim} is not hidden_size {hidden}")

    header, _ = _safetensors_header(root / WEIGHTS_FILE)
    names = {_canonical(k): v for k, v in header.items()}
    prefix = next((p for p in _PREFIXES if f"{p}embeddings.word_embeddings.weight" in names), None)
    if prefix is None:
        raise _Unsupported("no embeddings.word_embeddings.weight in the weights")
    embeddings = ("word_embeddings", "position_embeddings", "token_type_embeddings")
    needed = [f"{prefix}embeddings.{n}.weight" for n in embeddings]
    needed += [f"{prefix}embeddings.LayerNorm.{p}" for p in ("weight", "bias")]
    for i in range(layers):
        for part in _LAYER_PARTS:
            needed += [f"{prefix}encoder.layer.{i}.{part}.{p}" for p in ("weight", "bias")]
    for name in needed:
        if name not in names:
            raise _Unsupported(f"no {name} in the weights")
        # sentence-transformers computes in the weights' dtype; we keep to float32 only.
        if names[name].get("dtype") != "F32":
            raise _Unsupported(f"{name} is {names[name].get('dtype')}, not F32")

    return BertSpec(
        path=root,
        prefix=prefix,
        hidden=hidden,
        heads=heads,
        layers=layers,
        eps=eps,
        max_seq_length=max_seq_length,
        pooling=next(iter(modes)),
        normalize=kinds[-1] == "Normalize",
    )


def weight_table(path: str | Path) -> tuple[Path, dict[str, dict[str, Any]], int]:
    """The weights file of a folder, its tensor table (canonical names) and the offset its
    data starts at: enough to map the tensors without importing safetensors or torch."""
    file = Path(path) / WEIGHTS_FILE
    try:
        header, start = _safetensors_header(file)
    except _Unsupported as exc:
        raise ModelError("not_plain_bert", str(path), str(exc)) from exc
    return file, {_canonical(k): v for k, v in header.items()}, start


class BertEncoder(WordPieceBackend):
    """What the torch and the numpy forward passes share: the spec, the word pieces
    sentence-transformers would feed the model, batching by length, normalising.

    Read-only once made, so thread-safe: the tokenizer's truncation is set here, before
    any call, and padding is done per call. Subclasses give `_pooled`.
    """

    def __init__(self, path: str | Path, *, normalize: bool | None = None) -> None:
        from tokenizers import Tokenizer

        self.spec = spec = inspect(path)
        self.dimension = spec.hidden
        # None: as the model's modules say (a final Normalize module), like sentence-transformers.
        self.normalize = spec.normalize if normalize is None else normalize
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        tok = Tokenizer.from_file(str(spec.path / "tokenizer.json"))
        # The word pieces sentence-transformers feeds the model: truncated to its
        # max_seq_length (the shipped tokenizer.json says 128), padded on the right to the
        # longest in the batch.
        self._use_tokenizer(tok, spec.max_seq_length)

    @classmethod
    def supports(cls, path: str | Path) -> bool:
        """Whether this encoder gives the folder's sentence-transformers vectors exactly."""
        return unsupported_reason(path) is None

    def _vectors(self, ids: np.ndarray, types: np.ndarray, mask: np.ndarray) -> np.ndarray:
        out = np.ascontiguousarray(self._pooled(ids, types, mask), dtype=np.float32)
        if self.normalize:
            # torch.nn.functional.normalize's formula: x / max(|x|, eps).
            out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
        return out

    def _pooled(self, ids: np.ndarray, types: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Pooled sentence vectors of a padded batch (`mask`: true on real tokens)."""
        raise NotImplementedError


class LeanBert(BertEncoder):
    """The forward pass in plain torch: the backend for encoding many passages (a reindex),
    where torch's kernels are fastest; loads its weights eagerly."""

    def __init__(self, path: str | Path, *, normalize: bool | None = None) -> None:
        import torch
        from safetensors.torch import load_file

        super().__init__(path, normalize=normalize)
        spec = self.spec
        raw = {_canonical(k): v for k, v in load_file(str(spec.path / WEIGHTS_FILE)).items()}

        def w(name: str) -> torch.Tensor:
            return raw[spec.prefix + name].float().contiguous()

        self.word = w("embeddings.word_embeddings.weight")
        self.position = w("embeddings.position_embeddings.weight")
        self.token_type = w("embeddings.token_type_embeddings.weight")
        self.emb_ln = (w("embeddings.LayerNorm.weight"), w("embeddings.LayerNorm.bias"))
        self.layers = read_layers(spec, w, torch.cat)

    def _pooled(self, ids: np.ndarray, types: np.ndarray, mask: np.ndarray) -> np.ndarray:
        import torch

        with torch.inference_mode():
            out = self._forward(
                torch.from_numpy(ids), torch.from_numpy(types), torch.from_numpy(mask)
            )
            return out.numpy()

    def _forward(self, ids: torch.Tensor, types: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Pooled sentence vectors of a padded batch (`mask`: true on real tokens)."""
        import torch
        from torch.nn import functional as F

        spec = self.spec
        batch, length = ids.shape
        hidden, heads = spec.hidden, spec.heads
        x = F.embedding(ids, self.word) + F.embedding(types, self.token_type)
        x = x + self.position[:length]
        x = F.layer_norm(x, (hidden,), *self.emb_ln, spec.eps)
        # Without padding no mask is needed, and SDPA picks its fastest kernel: the usual
        # case for a single query. Shape (batch, 1, 1, length) broadcasts over heads and
        # query positions; true means "may attend". No row is all-false (CLS is real).
        attn_mask = None if bool(mask.all()) else mask[:, None, None, :]
        for layer in self.layers:
            qkv = F.linear(x, layer.qkv_w, layer.qkv_b)
            q, k, v = qkv.view(batch, length, 3, heads, hidden // heads).permute(2, 0, 3, 1, 4)
            ctx = F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask)
            ctx = ctx.transpose(1, 2).reshape(batch, length, hidden)
            attended = F.linear(ctx, layer.attn_out_w, layer.attn_out_b) + x
            x = F.layer_norm(attended, (hidden,), layer.ln1_w, layer.ln1_b, spec.eps)
            inter = F.gelu(F.linear(x, layer.inter_w, layer.inter_b))  # exact (erf) GELU
            fed = F.linear(inter, layer.out_w, layer.out_b) + x
            x = F.layer_norm(fed, (hidden,), layer.ln2_w, layer.ln2_b, spec.eps)
        if spec.pooling == "cls":
            return x[:, 0]
        weights = mask.unsqueeze(-1).to(x.dtype)
        summed = (x * weights).sum(dim=1)
        return summed / torch.clamp(weights.sum(dim=1), min=1e-9)
