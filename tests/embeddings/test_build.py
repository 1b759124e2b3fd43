"""A reindex in its steps: scan, plan, read and embed (side by side), index, save, each
told to whoever watches the build, and the plan that decides what the current build can
give."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pytest

from embeddings import build, passages, store, vocabulary
from embeddings.build import Job, no_progress, plan, reindex, scan
from embeddings.dense import DenseParams
from embeddings.documents import Document
from embeddings.encoder import Encoder
from embeddings.ingest import CorpusFile
from embeddings.passages import ChunkParams
from embeddings.sentence_index import sentence_texts
from tests.embeddings.test_vocabulary import ENTRIES

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


def test_a_file_removed_while_the_corpus_is_scanned_is_a_removed_document(
    small_corpus: Path, tmp_path: Path, encoder: Encoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another process's /corpus remove between the listing and the hashing: the build
    # failed with a raw FileNotFoundError (an "internal error" after a /corpus add).
    (small_corpus / "gone.txt").write_text(NOTE.replace("reading circle", "study group"))
    (small_corpus / "gone.txt.meta.toml").write_text('title = "Gone"\n')
    (small_corpus / "reading-circle.txt.meta.toml").write_text('title = "Circles"\n')
    listed = build.discover

    def removed_meanwhile(root: Path) -> tuple[list[CorpusFile], list[str]]:
        found = listed(root)
        (root / "gone.txt").unlink()
        (root / "reading-circle.txt.meta.toml").unlink()  # a sidecar alone, too
        return found

    monkeypatch.setattr(build, "discover", removed_meanwhile)
    report = reindex(small_corpus, tmp_path / "index", encoder)
    assert report.added == ["reading-circle.txt"]
    assert [d.source for d in store.load(tmp_path / "index").documents] == ["reading-circle.txt"]


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


def test_a_build_whose_vocabulary_was_counted_by_older_rules_is_made_again_at_the_next_reindex(
    tmp_path: Path, encoder: Encoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    (corpus / "glossary.txt").write_text("\n\n".join(p.text for p in ENTRIES) + "\n")
    with monkeypatch.context() as before:  # the rules before: "adj." of an entry a word
        before.setattr(passages, "VOCABULARY_RULES", passages.VOCABULARY_RULES - 1)
        before.setattr(vocabulary, "without_parts_of_speech", lambda text: text)
        reindex(corpus, index, encoder)
    assert store.load(index).vocabulary.lookup("adj") is not None
    assert not reindex(corpus, index, encoder).up_to_date
    assert store.load(index).vocabulary.lookup("adj") is None


# -- reading and encoding side by side ------------------------------------------------------
#
# The build encodes in a thread of its own while it reads the next documents
# (embeddings/encode_stream.py). Small batches make the two overlap on the seed corpus.


@pytest.fixture(scope="module")
def small_batches(encoder: Encoder) -> Encoder:
    """The same model, encoding 8 texts per batch: many batches, some while still reading."""
    return Encoder(encoder.name, batch_size=8)


def build_files(index_dir: Path) -> dict[str, bytes]:
    build = store.current_build(index_dir)
    return {p.name: p.read_bytes() for p in build.iterdir() if p.is_file()}


def test_an_overlapped_build_is_the_serial_build_to_the_byte(
    seed_corpus: Path, tmp_path: Path, small_batches: Encoder
) -> None:
    threads: set[str] = set()

    def watch(stage: str, done: int, total: int) -> None:
        threads.add(threading.current_thread().name)

    together = reindex(seed_corpus, tmp_path / "a", small_batches, progress=watch)
    serial = reindex(seed_corpus, tmp_path / "b", small_batches, overlap=False)
    a, b = build_files(tmp_path / "a"), build_files(tmp_path / "b")
    for name in ("passages.jsonl", "documents.json", "sentence_spans.npy", "text_ids.npy"):
        assert a[name] == b[name], name
    for name in ("vectors.npy", "sentences.npy"):
        assert np.array_equal(
            np.load(tmp_path / "a" / "builds" / together.build / name),
            np.load(tmp_path / "b" / "builds" / serial.build / name),
        ), name
    assert together.encoded == serial.encoded and together.sentences == serial.sentences
    # Progress is told in the thread that runs the build, never in the encoder's.
    assert threads == {threading.current_thread().name}


def test_the_vectors_of_a_build_are_the_models_vectors_of_each_text(
    small_corpus: Path, tmp_path: Path, encoder: Encoder
) -> None:
    reindex(small_corpus, tmp_path / "index", encoder)
    data = store.load(tmp_path / "index")
    texts = [p.text for p in data.passages]
    assert np.allclose(data.vectors, encoder.encode(texts), atol=1e-5)
    assert data.sentences is not None and len(data.sentences) > 0
    sentences = sentence_texts(data.passages, data.sentences.spans)
    assert np.allclose(data.sentences.vectors, encoder.encode(sentences), atol=1e-5)


def test_a_build_counts_the_word_pieces_of_each_text_once(
    seed_corpus: Path, tmp_path: Path, encoder: Encoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A paragraph is counted to cut it, and that count serves again to batch its passage.
    counted: list[str] = []
    real = encoder.count_tokens

    def count_tokens(texts: Sequence[str]) -> list[int]:
        counted.extend(texts)
        return real(texts)

    monkeypatch.setattr(encoder, "count_tokens", count_tokens)
    report = reindex(seed_corpus, tmp_path / "index", encoder)
    assert report.encoded > 0
    data = store.load(tmp_path / "index")
    texts = [p.text for p in data.passages]
    assert data.sentences is not None
    texts += sentence_texts(data.passages, data.sentences.spans)
    assert set(texts) <= set(counted)
    assert len(counted) == len(set(counted))


@pytest.fixture
def built_once(seed_corpus: Path, tmp_path: Path, small_batches: Encoder) -> tuple[Path, Path]:
    """A private copy of the seed corpus, indexed once: the build a failed one must keep."""
    corpus = tmp_path / "corpus"
    shutil.copytree(seed_corpus, corpus)
    index_dir = tmp_path / "index"
    reindex(corpus, index_dir, small_batches)
    return corpus, index_dir


def assert_nothing_written(index_dir: Path, current: str | None) -> None:
    """The failed build left the current one in use and intact, and no thread behind."""
    assert store.read_current_name(index_dir) == current
    assert not [p for p in (index_dir / "builds").iterdir() if p.name.startswith(".tmp")]
    assert store.load(index_dir).manifest.passage_count > 0
    assert not [t for t in threading.enumerate() if t.name == "reindex-encode"]


def batches_encoded(
    encoder: Encoder,
    monkeypatch: pytest.MonkeyPatch,
    fail_on_batch: tuple[int, Exception] | None = None,
) -> list[int]:
    """The sizes of the batches `encoder` encodes from now on (a list that grows), the
    n-th batch raising the error instead when `fail_on_batch` is (n, error)."""
    sizes: list[int] = []
    real = encoder.encode_batch

    def encode_batch(texts: Sequence[str]) -> np.ndarray:
        sizes.append(len(texts))
        if fail_on_batch is not None and len(sizes) == fail_on_batch[0]:
            raise fail_on_batch[1]
        return real(texts)

    monkeypatch.setattr(encoder, "encode_batch", encode_batch)
    return sizes


def test_an_error_reading_a_later_document_stops_the_build_and_writes_nothing(
    built_once: tuple[Path, Path], small_batches: Encoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus, index_dir = built_once
    before = store.read_current_name(index_dir)
    encoded = batches_encoded(small_batches, monkeypatch)
    real_read = build.read_document

    def read_document(file: CorpusFile, root: Path) -> Document:
        if file.source.startswith("mim"):  # the second of the two documents
            # The first document's full batches are with the encoder by now.
            deadline = time.monotonic() + 60
            while not encoded and time.monotonic() < deadline:
                time.sleep(0.01)
            raise UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")
        return real_read(file, root)

    monkeypatch.setattr(build, "read_document", read_document)
    with pytest.raises(UnicodeDecodeError):  # as it surfaced before the build overlapped
        reindex(corpus, index_dir, small_batches, force=True)
    assert encoded, "the encoder was at work when the error came"
    assert_nothing_written(index_dir, before)

    monkeypatch.undo()
    assert not reindex(corpus, index_dir, small_batches, force=True).up_to_date


def test_an_error_in_the_encoder_stops_the_build_and_writes_nothing(
    built_once: tuple[Path, Path], small_batches: Encoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus, index_dir = built_once
    before = store.read_current_name(index_dir)
    out_of_memory = RuntimeError("[enforce fail at alloc_cpu.cpp] out of memory")
    batches_encoded(small_batches, monkeypatch, fail_on_batch=(2, out_of_memory))
    with pytest.raises(RuntimeError, match="out of memory"):  # what torch raises
        reindex(corpus, index_dir, small_batches, force=True)
    assert_nothing_written(index_dir, before)


class Stopped(Exception):
    """What a progress callback raises to stop a build (a cancelled /reindex)."""


def second_document_read(stage: str, done: int, total: int) -> bool:
    return stage == "read" and done == 2


def halfway_encoded(stage: str, done: int, total: int) -> bool:
    return stage == "encode" and 0 < done < total


@pytest.mark.parametrize(
    "stop_when", [second_document_read, halfway_encoded], ids=["while reading", "while encoding"]
)
def test_a_progress_callback_that_stops_the_build_writes_nothing(
    built_once: tuple[Path, Path],
    small_batches: Encoder,
    stop_when: Callable[[str, int, int], bool],
) -> None:
    corpus, index_dir = built_once
    before = store.read_current_name(index_dir)
    seen: list[str] = []

    def progress(stage: str, done: int, total: int) -> None:
        seen.append(stage)
        if stop_when(stage, done, total):
            raise Stopped

    with pytest.raises(Stopped):
        reindex(corpus, index_dir, small_batches, force=True, progress=progress)
    assert_nothing_written(index_dir, before)
    assert "index" not in seen


@pytest.mark.parametrize("exists", [False, True])
def test_a_corpus_that_is_not_a_folder_is_named_for_what_it_is(
    tmp_path: Path, encoder: Encoder, exists: bool
) -> None:
    from embeddings.errors import CorpusError

    corpus = tmp_path / "texts.txt"
    if exists:
        corpus.write_text(NOTE)  # a file given where the folder of the texts belongs
    with pytest.raises(CorpusError) as refused:
        reindex(corpus, tmp_path / "index", encoder)
    assert refused.value.problem == ("not_folder" if exists else "missing")
    assert not (tmp_path / "index").exists()  # nothing written


def test_a_work_removed_and_brought_back_takes_its_vectors_from_the_build_before(
    small_corpus: Path, tmp_path: Path, encoder: Encoder
) -> None:
    # Restoring a work from the trash (or undoing a replace) is a reindex whose current
    # build no longer holds that work: the build before it, still on disk, does.
    index = tmp_path / "index"
    essay = small_corpus / "garden.txt"
    essay.write_text(
        "The Beekeeper's Almanac\n\nBees swarm in late spring when the old queen leaves the "
        "hive. A beekeeper who sees the queen cells capped can split the colony first.\n"
    )
    first = reindex(small_corpus, index, encoder)
    vectors = {p.text: np.array(v) for p, v in zip(*_texts_and_vectors(index), strict=True)}
    aside = tmp_path / "garden.txt"
    essay.rename(aside)
    assert reindex(small_corpus, index, encoder).encoded == 0
    aside.rename(essay)
    back = reindex(small_corpus, index, encoder)
    assert back.encoded == 0 and back.reused == first.passages
    for passage, vector in zip(*_texts_and_vectors(index), strict=True):
        np.testing.assert_array_equal(vector, vectors[passage.text])
    # Nothing to lend when the build before lacks it too: encoded as before.
    (small_corpus / "new.txt").write_text("A new note on swarming bees and their queens.\n")
    assert reindex(small_corpus, index, encoder).encoded == 1


def _texts_and_vectors(index: Path) -> tuple[list, np.ndarray]:
    data = store.load(index)
    return list(data.passages), np.asarray(data.vectors)
