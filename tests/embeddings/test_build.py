"""A reindex in its steps: scan, plan, parse, embed, index, save, each told to whoever
watches the build, and the plan that decides what the current build can give."""

from __future__ import annotations

from pathlib import Path

import pytest

from embeddings.build import Job, no_progress, plan, reindex, scan
from embeddings.dense import DenseParams
from embeddings.encoder import Encoder
from embeddings.passages import ChunkParams

NOTE = (
    "On reading together\n\n"
    "A reading circle meets weekly to discuss one essay in depth. Everyone reads it first.\n\n"
    "The circle keeps no minutes, but each meeting ends with the question for the next.\n"
)


@pytest.fixture
def small_corpus(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "reading-circle.txt").write_text(NOTE)
    return corpus


def job(corpus: Path, encoder: Encoder, chunk: ChunkParams | None = None) -> Job:
    return Job(corpus, encoder, chunk or ChunkParams(max_tokens=encoder.max_tokens), DenseParams())


def test_a_build_tells_each_stage_in_order_and_when_it_is_done(
    small_corpus: Path, tmp_path: Path, encoder: Encoder
) -> None:
    seen: list[tuple[str, int, int]] = []
    reindex(small_corpus, tmp_path / "index", encoder, progress=lambda *s: seen.append(s))
    stages = list(dict.fromkeys(stage for stage, _, _ in seen))
    assert stages == ["scan", "read", "encode", "index", "save"]
    for stage in stages:
        done, total = next((d, t) for s, d, t in reversed(seen) if s == stage)
        assert done == total > 0


def test_an_up_to_date_build_only_scans(
    small_corpus: Path, tmp_path: Path, encoder: Encoder
) -> None:
    reindex(small_corpus, tmp_path / "index", encoder)
    seen: list[tuple[str, int, int]] = []
    report = reindex(small_corpus, tmp_path / "index", encoder, progress=lambda *s: seen.append(s))
    assert report.up_to_date
    assert seen == [("scan", 1, 1)]


def test_a_build_nobody_watches_needs_no_progress(
    small_corpus: Path, tmp_path: Path, encoder: Encoder
) -> None:
    assert job(small_corpus, encoder).progress is no_progress
    report = reindex(small_corpus, tmp_path / "index", encoder, progress=None)
    assert report.added == ["reading-circle.txt"] and report.passages >= 1


def test_the_plan_keeps_a_document_only_while_its_file_and_chunking_are_unchanged(
    small_corpus: Path, tmp_path: Path, encoder: Encoder
) -> None:
    index = tmp_path / "index"
    reindex(small_corpus, index, encoder)
    same = job(small_corpus, encoder)
    found = scan(same)
    source, fp = next(iter(found.prints.items()))
    planned = plan(same, index, found, force=False)
    assert planned.up_to_date(same.dense)
    assert planned.kept(source, fp) is not None
    assert planned.kept(source, "another fingerprint") is None

    forced = plan(same, index, found, force=True)
    assert forced.previous is None and forced.kept(source, fp) is None

    recut = job(small_corpus, encoder, chunk=ChunkParams(max_tokens=encoder.max_tokens // 2))
    replanned = plan(recut, index, scan(recut), force=False)
    # Its vectors can still be reused, its passages not: the text is cut again.
    assert replanned.previous is not None
    assert replanned.kept(source, fp) is None and not replanned.up_to_date(recut.dense)
