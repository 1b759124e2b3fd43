"""Score fusion: what each method of the table makes of a candidate's two scores, and the
table as the one list of fusion names the settings accept."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from bot.settings import DEFAULT_CONFIG, SettingsError, load_settings
from embeddings.fusion import METHODS, Scores, convex, method, rrf
from embeddings.search import SearchParams

WEIGHTS = SearchParams(alpha=0.8, bm25_saturation=10.0, rrf_k=60)


def scores(cosines: list[float], lexical: list[float], sparse_ids: list[int]) -> Scores:
    return Scores(
        np.arange(len(cosines)),
        np.asarray(cosines, dtype=np.float32),
        np.asarray(lexical, dtype=np.float32),
        np.asarray(sparse_ids, dtype=np.int64),
    )


def test_convex_blends_the_cosine_with_a_saturated_bm25_score() -> None:
    fused = convex(scores([0.5, 0.5], [0.0, 10.0], [1]), WEIGHTS)
    # 0.8 * cosine + 0.2 * bm25 / (bm25 + 10)
    assert fused == pytest.approx([0.4, 0.4 + 0.2 * 0.5])


def test_convex_keeps_a_weak_best_lexical_match_weak() -> None:
    """Unlike max-normalisation, the best BM25 score of a query is not raised to 1."""
    fused = convex(scores([0.5, 0.5], [0.0, 1.0], [1]), WEIGHTS)
    assert fused[1] - fused[0] == pytest.approx(0.2 / 11)


def test_rrf_sums_the_reciprocal_ranks_of_the_retrievers_that_found_a_passage() -> None:
    # Dense order: 0, 1, 2; BM25 found 2 first and 1 second, not 0.
    fused = rrf(scores([0.9, 0.5, 0.1], [0.0, 3.0, 7.0], [2, 1]), WEIGHTS)
    assert fused == pytest.approx([1 / 60, 1 / 61 + 1 / 61, 1 / 62 + 1 / 60])


def test_the_single_retriever_methods_take_one_retrievers_candidates_and_score() -> None:
    s = scores([0.9, 0.1], [0.0, 7.0], [1])
    dense, bm25 = METHODS["dense"], METHODS["bm25"]
    assert dense.dense and not dense.lexical
    assert bm25.lexical and not bm25.dense
    assert list(dense.fuse(s, WEIGHTS)) == pytest.approx([0.9, 0.1])
    assert list(bm25.fuse(s, WEIGHTS)) == [0.0, 7.0]
    assert METHODS["convex"].dense and METHODS["convex"].lexical


def test_an_unknown_fusion_is_refused_by_name() -> None:
    assert method("rrf") is METHODS["rrf"]
    with pytest.raises(ValueError, match="'lots'"):
        method("lots")


def _config_with_fusion(tmp_path: Path, name: str) -> Path:
    text = DEFAULT_CONFIG.read_text()
    path = tmp_path / f"{name}.toml"
    path.write_text(re.sub(r'(?m)^fusion = "\w+"', f'fusion = "{name}"', text))
    return path


def test_the_settings_accept_every_method_of_the_table_and_nothing_else(tmp_path: Path) -> None:
    for name in METHODS:
        settings = load_settings(_config_with_fusion(tmp_path, name), env={})
        assert settings.search.fusion == name
    with pytest.raises(SettingsError):
        load_settings(_config_with_fusion(tmp_path, "lots"), env={})
