"""The encoder: offline loading, exact token counts, fast query path, micro-batching."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from embeddings.batching import MicroBatcher
from embeddings.encoder import Encoder
from embeddings.errors import ModelError
from tests.needs import needs_onnx


def test_the_bundled_model_loads_offline_with_its_dimension_and_limit(encoder: Encoder) -> None:
    assert encoder.dimension == 384
    assert encoder.max_tokens == 254


def test_token_counts_are_word_pieces_without_padding(encoder: Encoder) -> None:
    counts = encoder.count_tokens(["sectarianism", "a b", ""])
    assert counts[1:] == [2, 0] and counts[0] >= 1
    # Word pieces of whitespace-joined texts add up: the chunker relies on it.
    a, b = "The sect-socialist has always felt", "a soul-torn difficulty."
    assert encoder.count_tokens([f"{a} {b}"])[0] == sum(encoder.count_tokens([a, b]))


def test_the_fast_query_path_gives_the_same_vectors_as_encode(encoder: Encoder) -> None:
    texts = ["what is a sect?", "a much longer question about the working-class party " * 3]
    fast = encoder.encode_queries(texts)
    slow = encoder.encode(texts)
    assert fast.shape == (2, 384)
    np.testing.assert_allclose(fast, slow, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(fast, axis=1), 1.0, atol=1e-5)


def test_concurrent_queries_share_forward_passes(encoder: Encoder) -> None:
    batcher = MicroBatcher(encoder.encode_queries, max_wait=0.05)
    texts = [f"question number {i} about sects" for i in range(24)]
    results: dict[int, np.ndarray] = {}
    start = threading.Barrier(len(texts))

    def ask(i: int) -> None:
        start.wait()
        results[i] = batcher.encode(texts[i])

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(texts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    batcher.close()
    assert batcher.encoded == 24 and batcher.batches < 24
    expected = encoder.encode_queries(texts)
    for i in range(len(texts)):
        np.testing.assert_allclose(results[i], expected[i], atol=1e-5)


def test_a_failed_batch_fails_each_waiter_instead_of_hanging() -> None:
    def broken(texts: object) -> np.ndarray:
        raise RuntimeError("model crashed")

    batcher = MicroBatcher(broken)
    future = batcher.submit("anything")
    try:
        future.result(timeout=5)
    except RuntimeError as exc:
        assert "model crashed" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("expected the failure to reach the caller")
    batcher.close()


def test_waiting_queries_go_before_background_sentences_and_are_never_batched_with_them() -> None:
    calls: list[list[str]] = []
    busy, release = threading.Event(), threading.Event()

    def fake_encode(texts: object) -> np.ndarray:
        batch = list(texts)  # type: ignore[call-overload]
        calls.append(batch)
        busy.set()
        release.wait(5)
        return np.zeros((len(batch), 4), dtype=np.float32)

    batcher = MicroBatcher(fake_encode, max_wait=0.05)
    first = batcher.submit("first query")
    assert busy.wait(5)  # the worker is encoding "first query"
    later = [batcher.submit(f"sentence {i}", urgent=False) for i in range(3)]
    later += [batcher.submit(f"query {i}") for i in range(2)]
    release.set()
    for future in [first, *later]:
        future.result(timeout=5)
    batcher.close()
    assert calls == [
        ["first query"],
        ["query 0", "query 1"],
        ["sentence 0", "sentence 1", "sentence 2"],
    ]


def test_background_sentences_wait_until_queries_have_been_quiet_for_a_while() -> None:
    def fake_encode(texts: Sequence[str]) -> np.ndarray:
        return np.zeros((len(list(texts)), 4), dtype=np.float32)

    batcher = MicroBatcher(fake_encode, background_delay=0.3)
    started = time.monotonic()
    query = batcher.submit("a query")
    sentence = batcher.submit("a sentence", urgent=False)
    query.result(timeout=5)
    assert time.monotonic() - started < 0.3 or not sentence.done()
    sentence.result(timeout=5)
    assert time.monotonic() - started >= 0.3  # the searches after a burst get the CPU first
    batcher.close()


def test_encoding_reports_progress_after_every_batch(encoder: Encoder) -> None:
    """Not only after each chunk of 2,048: a reindex shows its progress in Discord and stops
    between two reports when the bot shuts down (tests/bot/discord/test_shutdown.py)."""
    texts = [f"passage number {i} about circles and sects" for i in range(150)]
    seen: list[tuple[int, int]] = []
    vectors = encoder.encode(texts, progress=lambda done, total: seen.append((done, total)))
    batch = encoder.batch_size
    assert seen == [(min(n, 150), 150) for n in range(batch, 150 + batch, batch)]
    np.testing.assert_allclose(vectors, encoder.encode(texts), atol=1e-6)


def _elsewhere(self: object, texts: list[str]) -> np.ndarray:
    """An ONNX model's `embed` whose vectors are not the model's."""
    out = np.zeros((len(texts), 384), dtype=np.float32)
    out[:, 0] = 1.0
    return out


@needs_onnx
def test_a_running_process_moves_its_queries_to_onnx_runtime_with_the_same_vectors(
    model_cache: Path,
) -> None:
    encoder = Encoder("all-MiniLM-L6-v2", cache_dir=model_cache)  # the session's stays as is
    texts = ["what is a sect?", "take no thought for the morrow"]
    on_numpy = encoder.encode_queries(texts)
    assert type(encoder.query_backend).__name__ == "NumpyBert"

    encoder.promote_queries_later().join(timeout=120)

    assert type(encoder.query_backend).__name__ == "OnnxModel"
    # The export now in the cache, passages encode there too (one session for both).
    assert encoder.passage_backend is encoder.query_backend
    np.testing.assert_allclose(encoder.encode_queries(texts), on_numpy, atol=1e-5)
    assert encoder.promote_queries() is False  # already done: nothing more to do


def test_without_onnx_runtime_queries_move_to_the_passage_backend(
    model_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("embeddings.onnx_backend.available", lambda: False)
    encoder = Encoder("all-MiniLM-L6-v2", cache_dir=model_cache)
    on_numpy = encoder.encode_queries(["what is a sect?"])

    assert encoder.promote_queries() is True

    assert encoder.query_backend is encoder.passage_backend
    np.testing.assert_allclose(encoder.encode_queries(["what is a sect?"]), on_numpy, atol=1e-5)


def _refused(*args: object) -> Path:
    raise ModelError("onnx_export", "model", "disk full")


@needs_onnx
@pytest.mark.parametrize(
    ("patched", "fault", "said"),
    [
        ("model_file", _refused, "queries run on torch: no ONNX model"),
        ("OnnxModel.embed", _elsewhere, "queries run on torch: the ONNX model's vectors differ"),
    ],
    ids=["an export that fails", "an ONNX model whose vectors differ"],
)
def test_queries_move_to_torch_when_the_onnx_model_fails_or_differs(
    patched: str,
    fault: object,
    said: str,
    model_cache: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(f"embeddings.onnx_backend.{patched}", fault)
    encoder = Encoder("all-MiniLM-L6-v2", cache_dir=model_cache)
    with caplog.at_level("WARNING", logger="embeddings.encoder"):
        assert encoder.promote_queries() is True

    assert encoder.query_backend is encoder.passage_backend  # never the faulty model
    assert type(encoder.query_backend).__name__ == "LeanBert"
    assert said in caplog.text


@needs_onnx
def test_passages_encode_on_onnx_runtime_once_the_model_is_exported_with_torchs_vectors(
    model_cache: Path,
) -> None:
    from embeddings import onnx_backend
    from embeddings.bert import LeanBert

    encoder = Encoder("all-MiniLM-L6-v2", cache_dir=model_cache)
    onnx_backend.model_file(model_cache, Path(encoder.path), "onnx")  # as a running bot does
    texts = ["a sect", "the party and the class " * 40, "what is a sect?", "x"]

    assert type(encoder.passage_backend).__name__ == "OnnxModel"
    on_torch = LeanBert(encoder.path).embed_many(texts, batch_size=2)
    np.testing.assert_allclose(encoder.encode(texts), on_torch, atol=1e-5)
    np.testing.assert_allclose(encoder.encode_batch(texts), on_torch, atol=1e-5)
    # Batched by length, returned in the order given.
    one_by_one = np.concatenate([encoder.passage_backend.embed([t]) for t in texts])
    np.testing.assert_allclose(
        encoder.passage_backend.embed_many(texts, batch_size=2), one_by_one, atol=1e-6
    )


def test_passages_stay_on_torch_until_the_model_is_exported(tmp_path: Path) -> None:
    encoder = Encoder("all-MiniLM-L6-v2", cache_dir=tmp_path)

    assert type(encoder.passage_backend).__name__ == "LeanBert"
    assert not list(tmp_path.rglob("*.onnx"))  # a reindex never waits for an export


@needs_onnx
def test_an_export_whose_vectors_differ_never_encodes_passages(
    model_cache: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from embeddings import onnx_backend

    encoder = Encoder("all-MiniLM-L6-v2", cache_dir=model_cache)
    onnx_backend.model_file(model_cache, Path(encoder.path), "onnx")

    monkeypatch.setattr(onnx_backend.OnnxModel, "embed", _elsewhere)
    with caplog.at_level("WARNING", logger="embeddings.encoder"):
        assert type(encoder.passage_backend).__name__ == "LeanBert"
    assert "passages encode on torch: the ONNX model's vectors differ" in caplog.text


def test_queries_stay_on_numpy_when_the_passage_backend_cannot_load(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    encoder = Encoder("all-MiniLM-L6-v2")
    before = encoder.query_backend

    def broken(kind: str, place: object) -> object:
        raise RuntimeError("torch is broken")

    monkeypatch.setattr("embeddings.backends.make", broken)
    with caplog.at_level("WARNING", logger="embeddings.encoder"):
        encoder.promote_queries_later().join(timeout=60)

    assert encoder.query_backend is before
    assert encoder.encode_queries(["still answers"]).shape == (1, 384)
    assert "queries stay on the numpy encoder" in caplog.text
