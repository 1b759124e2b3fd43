"""The IVF-Flat index: sizes derived from N, recall against exact search, saved settings."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bot.settings import SettingsError, load_settings
from embeddings import dense
from embeddings.dense import DenseParams
from tests.embeddings.helpers import recall_at_10
from tests.wording import raises_saying


def _near_real(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Clustered unit vectors (noisy copies of 500 centres) and 200 held-out queries."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(500, 384))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    noise = 0.035  # about the real corpus's nearest-neighbour cosine (bench/RESULTS.md)
    vecs = centres[rng.integers(0, 500, n)] + rng.normal(0, noise, (n, 384))
    queries = centres[rng.integers(0, 500, 200)] + rng.normal(0, noise, (200, 384))
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    return vecs.astype(np.float32), queries.astype(np.float32)


def test_ivf_sizes_follow_the_number_of_passages() -> None:
    params = DenseParams(kind="ivf")
    assert params.ivf_nlist(1_000_000) == 4000  # 4·sqrt(N)
    assert params.ivf_nlist(10_000) == 10_000 // 64  # capped by the k-means sample
    assert params.ivf_nprobe(4000) >= 1 and params.ivf_nprobe(4000) <= 4000
    explicit = DenseParams(kind="ivf", nlist=100, nprobe=7)
    assert explicit.ivf_nlist(1_000_000) == 100 and explicit.ivf_nprobe(100) == 7
    assert DenseParams(nprobe=500).ivf_nprobe(100) == 100  # never more than there are


def test_ivf_finds_what_exact_search_finds() -> None:
    vecs, queries = _near_real(20_000)
    assert recall_at_10(vecs, queries, "ivf") >= 0.95


def test_a_saved_ivf_index_takes_nprobe_from_the_settings(tmp_path: Path) -> None:
    vecs, _ = _near_real(5_000)
    index = dense.build(vecs, DenseParams(kind="ivf"))
    dense.save(index, tmp_path / "dense.faiss")
    loaded = dense.load(tmp_path / "dense.faiss", DenseParams(kind="ivf", nprobe=3))
    assert loaded.nprobe == 3 and loaded.ntotal == 5_000


def test_the_index_type_setting_accepts_ivf_and_refuses_unknown_kinds(tmp_path: Path) -> None:
    def config(index_lines: str) -> dict[str, str]:
        path = tmp_path / "config" / "settings.toml"
        path.parent.mkdir(exist_ok=True)
        path.write_text(f"[index]\n{index_lines}\n")
        return {"QUOTEBOT_CONFIG": str(path)}

    ivf = load_settings(env=config('type = "ivf"\nnprobe = 9'))
    assert ivf.dense.kind == "ivf" and ivf.dense.nprobe == 9 and ivf.dense.nlist == 0
    with raises_saying(SettingsError, r"index\.type"):
        load_settings(env=config('type = "lsh"'))
