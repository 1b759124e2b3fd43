"""The IVF index: sizes derived from N, recall against exact search, saved settings, and
its lists of 8-bit codes whose candidates are re-scored from the float vectors."""

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
    loaded = dense.load(tmp_path / "dense.faiss", DenseParams(kind="ivf", nprobe=3), vecs)
    assert dense.faiss_index(loaded).nprobe == 3 and loaded.ntotal == 5_000


# -- 8-bit codes, re-scored ----------------------------------------------------------------


def test_the_quantised_index_gives_exact_search_s_top_results_and_scores() -> None:
    """Every list scanned: the codes only choose candidates, the float vectors rank them,
    so the top 10 are exact search's, in its order, with its cosines."""
    vecs, queries = _near_real(5_000)
    exact = dense.build(vecs, DenseParams(kind="exact"))
    quantised = dense.build(vecs, DenseParams(kind="ivf", nlist=50, nprobe=50))
    assert dense.codes(quantised) == "sq8"
    want_scores, want = dense.search(exact, queries, 10)
    got_scores, got = dense.search(quantised, queries, 10)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_allclose(got_scores, want_scores, atol=1e-5)


def test_the_quantised_index_finds_what_the_float_one_finds() -> None:
    """With the default number of lists scanned, recall@10 against exact search is the
    float IVF's: the same lists are scanned, and re-scoring undoes the codes' error."""
    vecs, queries = _near_real(20_000)
    flat = recall_at_10(vecs, queries, "ivf", ivf_codes="flat")
    quantised = recall_at_10(vecs, queries, "ivf", ivf_codes="sq8")
    assert quantised >= flat - 0.005 and quantised >= 0.95


def test_without_re_scoring_the_codes_alone_lose_results() -> None:
    """Why `rescore` asks the codes for more than k: their top k alone miss some of exact
    search's (the codes' error reorders near-ties), which the wider net recovers."""
    vecs, queries = _near_real(20_000)
    alone = recall_at_10(vecs, queries, "ivf", rescore=1)
    rescored = recall_at_10(vecs, queries, "ivf")
    assert alone < rescored


def test_the_quantised_index_is_a_quarter_of_the_float_one_on_disk(tmp_path: Path) -> None:
    vecs, _ = _near_real(20_000)
    for codes in ("flat", "sq8"):
        dense.save(dense.build(vecs, DenseParams(kind="ivf", ivf_codes=codes)), tmp_path / codes)
    flat, sq8 = ((tmp_path / c).stat().st_size for c in ("flat", "sq8"))
    assert vecs.nbytes < flat and sq8 < 0.3 * flat


def test_a_subset_search_of_the_quantised_index_stays_in_the_subset() -> None:
    vecs, queries = _near_real(5_000)
    quantised = dense.build(vecs, DenseParams(kind="ivf", nlist=50, nprobe=50))
    allowed = np.arange(0, 5_000, 3)
    _, ids = dense.search_subset(quantised, queries[:20], 10, allowed)
    assert np.isin(ids, allowed).all()
    sims = vecs[allowed] @ queries[:20].T
    want = allowed[np.argsort(-sims, axis=0)[:10].T]
    np.testing.assert_array_equal(ids, want)


def test_a_loaded_quantised_index_re_scores_from_the_vectors_it_is_given(tmp_path: Path) -> None:
    vecs, queries = _near_real(5_000)
    dense.save(dense.build(vecs, DenseParams(kind="ivf")), tmp_path / "dense.faiss")
    np.save(tmp_path / "vectors.npy", vecs)
    mapped = np.load(tmp_path / "vectors.npy", mmap_mode="r")
    loaded = dense.load(tmp_path / "dense.faiss", DenseParams(kind="ivf", rescore=3), mapped)
    assert isinstance(loaded, dense.Rescored) and loaded.vectors is mapped
    assert loaded.rescore == 3
    scores, ids = dense.search(loaded, queries[:5], 10)
    np.testing.assert_allclose(scores, np.einsum("qkd,qd->qk", vecs[ids], queries[:5]), atol=1e-5)


def test_hnsw_over_codes_finds_what_the_float_graph_finds() -> None:
    """The graph walked on 8-bit codes, its candidates re-scored from the float vectors:
    recall@10 against exact search is the float graph's."""
    vecs, queries = _near_real(20_000)
    flat = recall_at_10(vecs, queries, "hnsw", hnsw_codes="flat")
    codes = recall_at_10(vecs, queries, "hnsw", hnsw_codes="sq8")
    assert codes >= flat - 0.005 and codes >= 0.95


def test_hnsw_over_codes_is_a_third_of_the_float_graph_on_disk(tmp_path: Path) -> None:
    vecs, _ = _near_real(5_000)
    for codes in ("flat", "sq8"):
        params = DenseParams(kind="hnsw", hnsw_codes=codes)
        dense.save(dense.build(vecs, params), tmp_path / codes)
    flat, sq8 = ((tmp_path / c).stat().st_size for c in ("flat", "sq8"))
    assert vecs.nbytes < flat and sq8 < 0.4 * flat


def test_a_subset_search_of_hnsw_over_codes_stays_in_the_subset_and_finds_its_best() -> None:
    vecs, queries = _near_real(5_000)
    graph = dense.build(vecs, DenseParams(kind="hnsw"))
    assert dense.codes(graph) == "sq8"
    allowed = np.arange(0, 5_000, 3)
    scores, ids = dense.search_subset(graph, queries[:20], 10, allowed)
    assert np.isin(ids, allowed).all()
    # Exact scores (re-scored from the vectors), and the subset's own top 10.
    np.testing.assert_allclose(scores, np.einsum("qkd,qd->qk", vecs[ids], queries[:20]), atol=1e-5)
    sims = vecs[allowed] @ queries[:20].T
    want = allowed[np.argsort(-sims, axis=0)[:10].T]
    found = np.mean([len(set(w) & set(g)) / 10 for w, g in zip(want, ids, strict=True)])
    assert found >= 0.95


def test_the_index_type_setting_accepts_ivf_and_refuses_unknown_kinds(tmp_path: Path) -> None:
    def config(index_lines: str) -> dict[str, str]:
        path = tmp_path / "config" / "settings.toml"
        path.parent.mkdir(exist_ok=True)
        path.write_text(f"[index]\n{index_lines}\n")
        return {"QUOTEBOT_CONFIG": str(path)}

    ivf = load_settings(env=config('type = "ivf"\nnprobe = 9'))
    assert ivf.dense.kind == "ivf" and ivf.dense.nprobe == 9 and ivf.dense.nlist == 0
    assert ivf.dense.ivf_codes == "sq8"  # by default
    flat = load_settings(env=config('type = "ivf"\nivf_codes = "flat"\nrescore = 3'))
    assert flat.dense.ivf_codes == "flat" and flat.dense.rescore == 3
    with raises_saying(SettingsError, r"index\.ivf_codes"):
        load_settings(env=config('ivf_codes = "pq"'))
    with raises_saying(SettingsError, r"index\.rescore"):
        load_settings(env=config("rescore = 0"))
    with raises_saying(SettingsError, r"index\.type"):
        load_settings(env=config('type = "lsh"'))
