"""bench.run's reindex figures: a full reindex against a raw encode of the same texts, with
the backend that ran it named, and, asked for, the raw encode on the torch BERT too."""

from __future__ import annotations

from pathlib import Path

from bench.run import reindex_against_raw, render_reindex
from embeddings.encoder import Encoder


def test_the_reindex_is_compared_with_raw_encodes_on_its_backend_and_on_torch(
    seed_corpus: Path, encoder: Encoder, tmp_path: Path
) -> None:
    on_torch = Encoder("all-MiniLM-L6-v2", cache_dir=tmp_path / "no-export")

    out, report = reindex_against_raw(
        seed_corpus, tmp_path / "index", encoder, rounds=1, raw=True, torch_encoder=on_torch
    )

    (row,) = out["rounds"]
    assert row["raw_torch_seconds"] > 0 and out["ratio_to_raw_torch"] > 0
    assert out["ratio_to_raw_torch"] == row["raw_torch_seconds"] / row["seconds"]
    assert out["passage_backend"] == type(encoder.passage_backend).__name__
    assert type(on_torch.passage_backend).__name__ == "LeanBert"
    assert out["texts_encoded_raw"] >= report.passages
    text = render_reindex(
        {
            "only": None,
            "full_reindex": {
                "documents": report.documents,
                "passages": report.passages,
                "sentences": report.sentences,
                "encoded": report.encoded + report.sentences_encoded,
                "ratio_to_raw_encode": out["ratio_to_raw"],
                "ratio_to_raw_thread_encode": out["ratio_to_raw_thread"],
                **out,
            },
            "raw_encode": {"texts": out["texts_encoded_raw"]},
        }
    )
    assert f"ran on {out['passage_backend']}" in text
    assert "The same raw encode on the torch BERT" in text


def test_without_the_torch_comparison_nothing_more_is_timed(
    seed_corpus: Path, encoder: Encoder, tmp_path: Path
) -> None:
    out, _ = reindex_against_raw(seed_corpus, tmp_path / "index", encoder, rounds=1, raw=True)

    assert "ratio_to_raw_torch" not in out
    assert "raw_torch_seconds" not in out["rounds"][0]
