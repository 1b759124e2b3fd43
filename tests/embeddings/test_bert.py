"""The lean BERT encoders: sentence-transformers' vectors without importing it.

For a plain BERT folder (the bundled MiniLM) both lean encoders, `LeanBert` in torch and
`NumpyBert` in numpy, give the vectors `SentenceTransformer.encode` gives; any folder they
cannot reproduce exactly is reported ineligible and the encoder falls back to
sentence-transformers; and a bot that encodes queries and warms up never imports torch.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from embeddings import backends, bert
from embeddings.bert import BertEncoder, LeanBert
from embeddings.bert_numpy import NumpyBert
from embeddings.encoder import Encoder, resolve_model_path
from embeddings.st_backend import SentenceTransformerBackend

PROJECT = Path(__file__).resolve().parents[2]
BUNDLED = Path(resolve_model_path("all-MiniLM-L6-v2"))
LONG = " ".join(
    ["The sect-socialist has always felt a soul-torn difficulty in explaining himself."] * 30
)
TEXTS = [
    "what is a sect?",  # a short query
    LONG,  # over 300 word pieces: truncated at max_seq_length = 256, not tokenizer.json's 128
    "Hello, world!!! (Is this... a test?) — «yes»; 'no': [maybe] {perhaps} #1 @home 50%",
    "Naïve café résumé: Ærøskøbing, Dvořák, São Paulo, Ελληνικά, Кириллица.",
    "中文句子测试，日本語の文章もあります。한국어 문장.",
    "a smile 🙂 and a party 🎉",
    "",  # an empty text is [CLS] [SEP]
    "  leading and trailing spaces are the tokenizer's business  ",
]


@pytest.fixture(scope="module", params=[LeanBert, NumpyBert], ids=["torch", "numpy"])
def lean(request: pytest.FixtureRequest) -> BertEncoder:
    """Each lean encoder in turn: every test below holds for both."""
    kind: type[BertEncoder] = request.param
    return kind(BUNDLED)


@pytest.fixture(scope="module")
def reference(encoder: Encoder) -> Callable[[list[str]], np.ndarray]:
    """`SentenceTransformer.encode` on the bundled model (the session's, loaded once)."""

    def encode(texts: list[str]) -> np.ndarray:
        return np.asarray(
            encoder.model.encode(texts, normalize_embeddings=True, show_progress_bar=False)
        )

    return encode


# -- the same vectors ---------------------------------------------------------------------


def test_the_bundled_model_is_eligible() -> None:
    assert bert.unsupported_reason(BUNDLED) is None
    assert LeanBert.supports(BUNDLED)


def test_the_batch_exercises_truncation_at_256_word_pieces(encoder: Encoder) -> None:
    assert encoder.count_tokens([LONG])[0] > 300
    assert bert.inspect(BUNDLED).max_seq_length == 256


def test_vectors_equal_sentence_transformers_on_a_varied_padded_batch(
    lean: BertEncoder, reference: Callable[[list[str]], np.ndarray]
) -> None:
    expected = reference(TEXTS)
    got = lean.embed(TEXTS)
    assert got.shape == (len(TEXTS), 384) and got.dtype == np.float32
    np.testing.assert_allclose(got, expected, atol=1e-5, rtol=0)


def test_vectors_equal_sentence_transformers_one_text_at_a_time(
    lean: BertEncoder, reference: Callable[[list[str]], np.ndarray]
) -> None:
    expected = reference(TEXTS)
    for i, text in enumerate(TEXTS):
        np.testing.assert_allclose(lean.embed([text]), expected[i : i + 1], atol=1e-5, rtol=0)


def test_many_texts_batched_by_word_pieces_keep_their_order_and_vectors(
    lean: BertEncoder, reference: Callable[[list[str]], np.ndarray]
) -> None:
    texts = TEXTS * 3
    got = lean.embed_many(texts, batch_size=4)
    np.testing.assert_allclose(got, np.tile(reference(TEXTS), (3, 1)), atol=1e-5, rtol=0)
    assert lean.embed_many([]).shape == (0, 384)


def test_vectors_are_unit_length_as_the_normalize_module_says(lean: BertEncoder) -> None:
    assert lean.spec.normalize and lean.spec.pooling == "mean"
    np.testing.assert_allclose(np.linalg.norm(lean.embed(TEXTS), axis=1), 1.0, atol=1e-6)
    raw = type(lean)(BUNDLED, normalize=False).embed(TEXTS[:2])
    assert not np.allclose(np.linalg.norm(raw, axis=1), 1.0)


def test_the_encoder_runs_queries_on_numpy_and_passages_on_torch(
    reference: Callable[[list[str]], np.ndarray], tmp_path: Path
) -> None:
    # Its own encoder: a bot test may have moved the session's queries already; and an
    # empty model cache: with an ONNX export at hand, passages would run there.
    encoder = Encoder("all-MiniLM-L6-v2", cache_dir=tmp_path)
    assert isinstance(encoder.query_backend, NumpyBert)
    assert isinstance(encoder.passage_backend, LeanBert)
    expected = reference(TEXTS)
    np.testing.assert_allclose(encoder.encode_queries(TEXTS), expected, atol=1e-5, rtol=0)
    np.testing.assert_allclose(encoder.encode(TEXTS), expected, atol=1e-5, rtol=0)
    assert encoder.encode_queries([]).shape == (0, 384)


def test_concurrent_callers_get_the_same_vectors(lean: BertEncoder) -> None:
    expected = lean.embed(TEXTS)
    results: dict[int, np.ndarray] = {}
    start = threading.Barrier(4)

    def run(i: int) -> None:
        start.wait()
        results[i] = lean.embed(TEXTS[i:] + TEXTS[:i])  # different paddings at once

    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i in range(4):
        np.testing.assert_allclose(results[i], np.roll(expected, -i, axis=0), atol=1e-6)


# -- eligibility and the fallback -----------------------------------------------------------


def copy_model(dest: Path, change: Callable[[Path], None] | None = None) -> Path:
    """The bundled folder's small files copied, its weights linked, then `change`d."""
    shutil.copytree(BUNDLED, dest, ignore=shutil.ignore_patterns(bert.WEIGHTS_FILE))
    (dest / bert.WEIGHTS_FILE).symlink_to(BUNDLED / bert.WEIGHTS_FILE)
    if change:
        change(dest)
    return dest


def edit_json(file: str, edit: Callable[[Any], Any]) -> Callable[[Path], None]:
    def change(folder: Path) -> None:
        path = folder / file
        path.write_text(json.dumps(edit(json.loads(path.read_text()))))

    return change


def setting(key: str, value: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda cfg: {**cfg, key: value}


def add_dense(modules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    dense = {
        "idx": 2,
        "name": "2",
        "path": "2_Dense",
        "type": "sentence_transformers.models.Dense",
    }
    return [*modules[:2], dense, {**modules[2], "idx": 3, "name": "3"}]


INELIGIBLE: dict[str, Callable[[Path], None]] = {
    "another architecture": edit_json("config.json", setting("model_type", "roberta")),
    "a Dense module": edit_json("modules.json", add_dense),
    "relative positions": edit_json(
        "config.json", setting("position_embedding_type", "relative_key")
    ),
    "tanh GELU": edit_json("config.json", setting("hidden_act", "gelu_new")),
    "max pooling": edit_json(
        "1_Pooling/config.json",
        lambda c: {**c, "pooling_mode_mean_tokens": False, "pooling_mode_max_tokens": True},
    ),
    "mean and CLS pooling together": edit_json(
        "1_Pooling/config.json", setting("pooling_mode_cls_token", True)
    ),
    "lower-casing by sentence-transformers": edit_json(
        "sentence_bert_config.json", setting("do_lower_case", True)
    ),
    "a default prompt": edit_json(
        "config_sentence_transformers.json",
        lambda c: {**c, "prompts": {"query": "query: "}, "default_prompt_name": "query"},
    ),
    "no tokenizer.json": lambda folder: (folder / "tokenizer.json").unlink(),
}


def test_a_copy_of_the_bundled_folder_is_eligible(tmp_path: Path) -> None:
    assert bert.unsupported_reason(copy_model(tmp_path / "model")) is None


@pytest.mark.parametrize("case", list(INELIGIBLE))
def test_a_folder_it_cannot_reproduce_is_ineligible(tmp_path: Path, case: str) -> None:
    folder = copy_model(tmp_path / "model", INELIGIBLE[case])
    assert not LeanBert.supports(folder)
    assert bert.unsupported_reason(folder)
    for role in ("query", "passage"):
        assert backends.choose("torch", role, str(folder)) == "sentence-transformers"


def test_cls_pooling_is_supported(tmp_path: Path, lean: BertEncoder) -> None:
    folder = copy_model(
        tmp_path / "model",
        edit_json(
            "1_Pooling/config.json",
            lambda c: {**c, "pooling_mode_mean_tokens": False, "pooling_mode_cls_token": True},
        ),
    )
    cls = type(lean)(folder)
    assert cls.spec.pooling == "cls"
    assert not np.allclose(cls.embed(TEXTS[:1]), lean.embed(TEXTS[:1]), atol=1e-3)


def test_an_ineligible_model_is_encoded_by_sentence_transformers(tmp_path: Path) -> None:
    folder = copy_model(tmp_path / "model", INELIGIBLE["max pooling"])
    encoder = Encoder(str(folder), batch_size=2)  # passages: the protocol's batches of 2
    queries = TEXTS[:3]
    got = encoder.encode_queries(queries)
    assert isinstance(encoder.query_backend, SentenceTransformerBackend)
    assert encoder.passage_backend is encoder.query_backend  # one model loaded, not two
    expected = encoder.model.encode(queries, normalize_embeddings=True, show_progress_bar=False)
    np.testing.assert_allclose(got, expected, atol=1e-5, rtol=0)
    np.testing.assert_allclose(encoder.encode(queries), expected, atol=1e-5, rtol=0)
    # No texts: no rows, of the model's width (stacked with other batches' rows as they are).
    assert encoder.query_backend.embed([]).shape == (0, got.shape[1])


# -- start-up -------------------------------------------------------------------------------


def test_queries_and_warm_up_never_import_torch() -> None:
    code = (
        "import sys\n"
        "from embeddings.encoder import Encoder\n"
        "e = Encoder('all-MiniLM-L6-v2')\n"
        "assert e.encode_queries(['a question']).shape == (1, 384)\n"
        "e.warm_up()\n"
        "heavy = ('torch', 'transformers', 'sentence_transformers', 'onnxruntime')\n"
        "loaded = [m for m in heavy if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=PROJECT
    )
    assert result.returncode == 0, result.stderr
