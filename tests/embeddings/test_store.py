"""The on-disk index: manifest, atomic saves, incremental reuse, refusal of foreign indexes."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from bot.app import App
from bot.messages import serving_previous
from embeddings import dense as dense_index
from embeddings import store
from embeddings.build import reindex
from embeddings.dense import DenseParams
from embeddings.documents import DocumentMeta
from embeddings.errors import (
    IndexCorruptError,
    IndexIncompatibleError,
    IndexMissingError,
    IndexWriteError,
    ReindexBusyError,
)
from tests.embeddings.helpers import flip_a_byte, recall_at_10
from tests.wording import raises_saying

QUERIES = ["what makes a group a sect?", "the party and the working class", "sect sect sect"]


def manifest_of(app: App) -> dict:
    build = store.current_build(app.settings.index)
    return json.loads((build / "manifest.json").read_text())


def test_the_manifest_records_how_the_index_was_built(seed_app: App) -> None:
    m = manifest_of(seed_app)
    assert m["model"] == "all-MiniLM-L6-v2"
    assert m["dimension"] == 384
    assert m["passage_count"] == len(seed_app.index.searcher.index.passages) > 50
    assert m["chunking"]["max_tokens"] == 254
    assert m["format_version"] == store.FORMAT_VERSION
    assert len(m["corpus_fingerprint"]) == 64 and m["built_at"].endswith("Z")
    assert set(m["checksums"]) >= {"vectors.npy", "passages.jsonl", "documents.json"}


def test_reindexing_an_unchanged_corpus_does_nothing(fresh_app: App) -> None:
    before = store.read_current_name(fresh_app.settings.index)
    report = fresh_app.index.reindex()
    assert report.up_to_date and report.encoded == 0
    assert store.read_current_name(fresh_app.settings.index) == before


def test_a_changed_document_is_re_read_and_only_its_new_text_embedded(fresh_app: App) -> None:
    mim = fresh_app.settings.corpus / "mim-definition-of-sectarianism.txt"
    mim.write_text(mim.read_text() + "\n\nA new closing paragraph about unity and principle.\n")
    report = fresh_app.index.reindex()
    assert report.changed == ["mim-definition-of-sectarianism.txt"]
    assert report.unchanged == 1 and not report.added and not report.removed
    assert 1 <= report.encoded <= 2 and report.reused == report.passages - report.encoded
    texts = [p.text for p in fresh_app.index.searcher.index.passages]
    assert any("A new closing paragraph about unity" in t for t in texts)


def test_added_and_removed_documents_are_reported(fresh_app: App) -> None:
    corpus = fresh_app.settings.corpus
    (corpus / "new-note.txt").write_text(
        "On reading together\n\nA reading circle meets weekly to discuss one essay in depth.\n"
    )
    (corpus / "mim-definition-of-sectarianism.txt").unlink()
    report = fresh_app.index.reindex()
    assert report.added == ["new-note.txt"]
    assert report.removed == ["mim-definition-of-sectarianism.txt"]
    sources = {d.source for d in fresh_app.index.searcher.index.documents}
    assert sources == {"draper-anatomy-of-the-micro-sect.md", "new-note.txt"}


def test_unreadable_files_are_skipped_with_a_warning_naming_them(fresh_app: App) -> None:
    corpus = fresh_app.settings.corpus
    (corpus / "broken.md").write_text("---\ntitle: [unclosed\n---\nText here.\n")
    (corpus / "empty.txt").write_text("")
    (corpus / "binary.txt").write_bytes(bytes(range(256)) * 4)
    report = fresh_app.index.reindex()
    skipped = " ".join(report.skipped)
    for name in ("broken.md", "empty.txt", "binary.txt"):
        assert name in skipped
    assert report.documents == 2  # the rest is still indexed
    # ... and named again by every later reindex, not only the first.
    again = fresh_app.index.reindex()
    assert again.up_to_date and sorted(again.skipped) == sorted(report.skipped)
    assert ", 3 skipped," in again.summary()


def test_an_index_built_with_another_model_is_refused(fresh_app: App) -> None:
    build = store.current_build(fresh_app.settings.index)
    m = json.loads((build / "manifest.json").read_text())
    m["model"] = "some-other-model"
    (build / "manifest.json").write_text(json.dumps(m))
    with raises_saying(IndexIncompatibleError, "run a reindex"):
        fresh_app.index.load()


def test_an_index_of_another_format_version_is_refused(fresh_app: App) -> None:
    build = store.current_build(fresh_app.settings.index)
    m = json.loads((build / "manifest.json").read_text())
    m["format_version"] = 999
    (build / "manifest.json").write_text(json.dumps(m))
    with raises_saying(IndexIncompatibleError, "another version"):
        store.load(fresh_app.settings.index)


def test_a_damaged_index_file_is_detected_by_its_checksum(fresh_app: App) -> None:
    flip_a_byte(store.current_build(fresh_app.settings.index) / "vectors.npy", at=-5)
    with raises_saying(IndexCorruptError, r"vectors\.npy is damaged"):
        store.load(fresh_app.settings.index)


def test_no_index_yet_says_how_to_build_one(tmp_path: Path) -> None:
    with raises_saying(IndexMissingError, "quotebot reindex"):
        store.load(tmp_path)


def test_only_one_build_runs_at_a_time(fresh_app: App) -> None:
    with store.build_lock(fresh_app.settings.index), pytest.raises(ReindexBusyError):
        reindex(fresh_app.settings.corpus, fresh_app.settings.index, fresh_app.encoder, force=True)


def test_a_failed_save_leaves_the_previous_index_in_use(
    fresh_app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    index_dir = fresh_app.settings.index
    before = store.read_current_name(index_dir)

    def disk_full(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store.SparseIndex, "save", disk_full)
    with raises_saying(IndexWriteError, "No space left"):
        fresh_app.index.reindex(force=True)
    assert store.read_current_name(index_dir) == before
    assert not [p for p in (index_dir / "builds").iterdir() if p.name.startswith(".tmp")]
    assert store.load(index_dir).manifest.passage_count > 0


def test_a_short_write_on_a_full_disk_is_called_what_it_is(
    fresh_app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    # numpy's own words for a full disk: "N requested and M written", no errno.
    def short_write(*args: object, **kwargs: object) -> None:
        raise OSError("243840 requested and 75744 written")

    monkeypatch.setattr(store.SparseIndex, "save", short_write)
    monkeypatch.setattr(
        store.shutil, "disk_usage", lambda _: SimpleNamespace(total=1, used=1, free=0)
    )
    with raises_saying(IndexWriteError, "No space left on device"):
        fresh_app.index.reindex(force=True)


# `quotebot reindex` whose build stalls half-written (while checksumming the files it
# wrote into builds/.tmp-*), so the test can kill it there rather than race it.
STALLING_REINDEX = """
import sys, time
import embeddings.store as store
real_sha256 = store._sha256
def stall(path):
    time.sleep(120)
    return real_sha256(path)
store._sha256 = stall
from bot.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.slow
def test_killing_a_build_leaves_the_previous_index_usable(fresh_app: App) -> None:
    index_dir = fresh_app.settings.index
    before = store.read_current_name(index_dir)
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    args = ["reindex", "--force", "--corpus", str(fresh_app.settings.corpus)]
    cmd = [sys.executable, "-c", STALLING_REINDEX, *args, "--index", str(index_dir)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    builds = index_dir / "builds"

    def half_written() -> bool:
        return any((p / "vectors.npy").exists() for p in builds.glob(".tmp-*"))

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None and not half_written():
        time.sleep(0.02)
    assert half_written(), "the reindex never reached the point where it writes its build"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert store.read_current_name(index_dir) == before
    assert store.load(index_dir).manifest.passage_count > 0
    # The next build cleans up what the killed one left behind.
    fresh_app.index.reindex(force=True)
    assert not [p for p in builds.iterdir() if p.name.startswith(".tmp")]


def test_the_approximate_index_finds_what_exact_search_finds(seed_app: App) -> None:
    """HNSW recall@10 against exact search, on 20,000 vectors near the real ones."""
    rng = np.random.default_rng(0)
    base = seed_app.index.searcher.index.vectors
    reps = 20_000 // len(base) + 1
    vecs = np.repeat(base, reps, axis=0)[:20_000] + rng.normal(0, 0.08, (20_000, base.shape[1]))
    vecs = (vecs / np.linalg.norm(vecs, axis=1, keepdims=True)).astype(np.float32)
    queries = vecs[rng.choice(len(vecs), 200, replace=False)] + rng.normal(0, 0.05, (200, 384))
    queries = (queries / np.linalg.norm(queries, axis=1, keepdims=True)).astype(np.float32)
    assert recall_at_10(vecs, queries, "hnsw") >= 0.95


def test_auto_picks_exact_search_then_hnsw_then_ivf_as_the_corpus_grows() -> None:
    params = DenseParams(kind="auto", ann_threshold=1000, ivf_threshold=5000)
    assert params.resolve(999) == "exact"
    assert params.resolve(1000) == "hnsw" and params.resolve(4999) == "hnsw"
    assert params.resolve(5000) == "ivf"
    assert DenseParams().resolve(34_107) == "hnsw"  # the shared corpora, by default


# -- an approximate index's codes (IVF and HNSW alike) -----------------------------------

CODES_KEY = {"ivf": "ivf_codes", "hnsw": "hnsw_codes"}
APPROXIMATE = pytest.mark.parametrize("kind", ["ivf", "hnsw"])


def ann_app(app: App, kind: str, codes: str = "sq8") -> App:
    """The same corpus and index folder, with an approximate index of `kind` holding
    `codes` ("sq8" or "flat")."""
    dense = DenseParams(kind=kind, **{CODES_KEY[kind]: codes})  # type: ignore[arg-type]
    return App(replace(app.settings, dense=dense), app.encoder)


@APPROXIMATE
def test_the_manifest_records_the_codes_and_the_build_holds_them(fresh_app: App, kind: str) -> None:
    app = ann_app(fresh_app, kind)
    app.index.reindex()
    assert manifest_of(app)["dense"][CODES_KEY[kind]] == "sq8"
    assert manifest_of(app)["dense"]["kind"] == kind
    index = app.index.searcher.index
    assert dense_index.codes(index.dense) == "sq8"
    # Re-scored from the build's own mapped vectors, not from a copy of them.
    assert index.dense.vectors is index.vectors and isinstance(index.vectors.base, np.memmap)


def as_build_before_codes(app: App, kind: str) -> None:
    """Make the current build of float vectors look written by the quotebot before its
    kind's codes setting: a manifest that does not name them (manifest.json has no
    checksum of its own)."""
    build = store.current_build(app.settings.index)
    manifest = json.loads((build / "manifest.json").read_text())
    del manifest["dense"][CODES_KEY[kind]]
    if kind == "ivf":
        del manifest["dense"]["rescore"]  # came with `ivf_codes`
    (build / "manifest.json").write_text(json.dumps(manifest))


@APPROXIMATE
def test_a_float_build_of_an_older_quotebot_loads_and_a_reindex_quantises_it(
    fresh_app: App, kind: str
) -> None:
    flat = ann_app(fresh_app, kind, "flat")
    flat.index.reindex()
    as_build_before_codes(flat, kind)
    before = {q: flat.index.searcher.search(q, k=8) for q in QUERIES}

    app = ann_app(fresh_app, kind)  # today's default: 8-bit codes
    app.index.load()
    assert dense_index.codes(app.index.searcher.index.dense) == "flat"
    for query, result in before.items():
        assert app.index.searcher.search(query, k=8) == result

    report = app.index.reindex()  # the corpus is unchanged, the index is not what it asks
    assert not report.up_to_date and report.encoded == 0  # its vectors are reused
    assert manifest_of(app)["dense"][CODES_KEY[kind]] == "sq8"
    assert dense_index.codes(app.index.searcher.index.dense) == "sq8"
    # At this size every list is scanned (nprobe is at least 96) and the graph's walk
    # (efSearch 512) reaches every passage: the same answers.
    for query, result in before.items():
        assert app.index.searcher.search(query, k=8) == result
    assert app.index.reindex().up_to_date


@APPROXIMATE
def test_a_manifest_that_names_other_codes_than_the_file_holds_is_refused(
    fresh_app: App, kind: str
) -> None:
    app = ann_app(fresh_app, kind, "flat")
    app.index.reindex()
    build = store.current_build(app.settings.index)
    manifest = json.loads((build / "manifest.json").read_text())
    manifest["dense"][CODES_KEY[kind]] = "sq8"
    (build / "manifest.json").write_text(json.dumps(manifest))
    with raises_saying(IndexCorruptError, "cannot be read"):
        store.load(app.settings.index)


def damaged_second_build(app: App) -> Path:
    """A second build whose passages are garbage; the first build, intact, is returned."""
    index_dir = app.settings.index
    first = store.current_build(index_dir)
    mim = app.settings.corpus / "mim-definition-of-sectarianism.txt"
    mim.write_text(mim.read_text() + "\n\nA paragraph only the second build has, on unity.\n")
    app.index.reindex()
    (store.current_build(index_dir) / "passages.jsonl").write_text("garbage\n")
    return first


def test_a_damaged_current_index_falls_back_to_the_previous_intact_build(fresh_app: App) -> None:
    index_dir = fresh_app.settings.index
    first = damaged_second_build(fresh_app).name

    data, damage = store.load_last_good(index_dir)
    assert data.path is not None and data.path.name == first
    assert damage is not None
    warning = serving_previous(damage, data.manifest.built_at)
    assert "passages.jsonl is damaged" in warning and "previous index" in warning
    fresh_app.index.load()
    assert fresh_app.index.warning == warning
    texts = [p.text for p in fresh_app.index.searcher.index.passages]
    assert not any("only the second build has" in t for t in texts)


def test_a_damaged_index_with_nothing_to_fall_back_on_is_refused(fresh_app: App) -> None:
    build = store.current_build(fresh_app.settings.index)
    (build / "documents.json").write_text("[]")
    with raises_saying(IndexCorruptError, r"documents\.json is damaged"):
        store.load_last_good(fresh_app.settings.index)


@pytest.mark.parametrize(
    "current",
    [b"\xff\xfe", b"", b"  \n", b"..", b"../builds"],
    ids=["not-utf8", "empty", "blank", "dotdot", "path"],
)
def test_a_damaged_current_file_serves_the_newest_intact_build_and_a_reindex_mends_it(
    fresh_app: App, current: bytes
) -> None:
    # Bytes that are not UTF-8 made every command, reindex too, an internal error; an empty
    # CURRENT made a query rebuild the whole index (and prune an intact build).
    index_dir = fresh_app.settings.index
    builds = {p.name for p in store.finished_builds(index_dir)}
    newest = store.finished_builds(index_dir)[-1].name
    (index_dir / "CURRENT").write_bytes(current)
    data, damage = store.load_last_good(index_dir)
    assert data.path is not None and data.path.name == newest
    assert damage is not None and damage.problem in ("no_current", "build_missing")
    assert {p.name for p in store.finished_builds(index_dir)} == builds  # nothing rebuilt
    report = reindex(fresh_app.settings.corpus, index_dir, fresh_app.encoder)
    assert report.encoded == 0  # the intact build's vectors were reused
    assert store.load(index_dir).path is not None


def test_a_reindex_over_a_damaged_build_never_takes_its_vectors(fresh_app: App) -> None:
    # A vector damaged on disk (its file fails the checksum, yet reads) is never reused:
    # the reindex takes vectors only from a build that passes its checks, else encodes.
    index_dir = fresh_app.settings.index
    vectors = store.current_build(index_dir) / "vectors.npy"
    good = np.load(vectors)
    flip_a_byte(vectors)  # the last passage's vector
    with raises_saying(IndexCorruptError, r"vectors\.npy is damaged"):
        store.load(index_dir)
    reindex(fresh_app.settings.corpus, index_dir, fresh_app.encoder)
    data = store.load(index_dir)  # intact again
    assert data.vectors.shape == good.shape
    np.testing.assert_allclose(data.vectors[-1], good[-1], atol=1e-4)


def test_a_restore_never_takes_vectors_from_a_damaged_earlier_build(
    fresh_app: App, tmp_path: Path
) -> None:
    # A work removed and brought back takes its vectors from the build before the current
    # one, but only from one that passes its checks: a damaged one's are encoded again.
    corpus, index_dir = fresh_app.settings.corpus, fresh_app.settings.index
    mim = [p for p in corpus.iterdir() if p.name.startswith("mim-")]
    with_mim = store.current_build(index_dir)
    good = np.load(with_mim / "vectors.npy")
    assert store.load(index_dir).documents[-1].source.startswith("mim-")  # its vectors last
    for path in mim:
        path.rename(tmp_path / path.name)
    reindex(corpus, index_dir, fresh_app.encoder)
    assert store.current_build(index_dir) != with_mim
    flip_a_byte(with_mim / "vectors.npy")  # the last passage of mim's text
    for path in mim:
        (tmp_path / path.name).rename(corpus / path.name)
    reindex(corpus, index_dir, fresh_app.encoder)
    data = store.load(index_dir)
    assert data.vectors.shape == good.shape
    np.testing.assert_allclose(data.vectors[-1], good[-1], atol=1e-4)


# -- the order of builds ------------------------------------------------------------------


def names(index_dir: Path) -> list[str]:
    return [p.name for p in store.finished_builds(index_dir)]


def clock_reads(monkeypatch: pytest.MonkeyPatch, when: float) -> None:
    """Builds are named by a machine whose clock reads `when` (seconds since the epoch)."""
    reading = time.gmtime(when)
    monkeypatch.setattr(store.time, "gmtime", lambda *_: reading)


def test_builds_made_within_one_second_keep_the_order_they_were_made_in(
    fresh_app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Names began with the second a build was made: within one second their random tags
    # ordered them, and a prune could keep an older build and delete the one before the
    # current one (which a restore takes its vectors from).
    index_dir, data = fresh_app.settings.index, fresh_app.index.searcher.index
    clock_reads(monkeypatch, time.time())
    tags = iter(range(0xFFFFFFFF, 0, -1))  # each random tag below the last
    monkeypatch.setattr(store.uuid, "uuid4", lambda: uuid.UUID(int=next(tags) << 96))
    made = [store.save(index_dir, data).name for _ in range(3)]
    assert names(index_dir) == made[-store.KEEP_BUILDS :]
    assert store.read_current_name(index_dir) == made[-1]
    earlier = store.load_earlier_for_reuse(index_dir)
    assert earlier is not None and earlier.path is not None and earlier.path.name == made[-2]


def test_a_build_made_by_a_clock_that_is_behind_comes_after_the_builds_before_it(
    fresh_app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Processes on machines with skewed clocks share one index volume: a build named by a
    # clock an hour behind sorted before the build it replaced, and the next build's prune
    # deleted it, the build before the current one.
    index_dir, data = fresh_app.settings.index, fresh_app.index.searcher.index
    first = store.read_current_name(index_dir)
    with monkeypatch.context() as behind:
        clock_reads(behind, time.time() - 3600)
        late = store.save(index_dir, data).name
    assert names(index_dir) == [first, late]
    newest = store.save(index_dir, data).name
    assert names(index_dir) == [late, newest]
    assert store.earlier_build(index_dir) == index_dir / "builds" / late


def test_prune_keeps_the_build_before_the_current_one_whatever_the_names_say(
    fresh_app: App,
) -> None:
    # An index written by an earlier quotebot: builds named by the time alone, one of them
    # by a machine whose clock ran years ahead. It sorts after the one in use, which is
    # still read and served, and a new build must keep that one (the build before it).
    index_dir, data = fresh_app.settings.index, fresh_app.index.searcher.index
    builds = index_dir / "builds"
    numbered = store.current_build(index_dir)
    in_use, ahead = builds / "20200101T000000-0badcafe", builds / "20990101T000000-deadbeef"
    for old in (in_use, ahead):
        shutil.copytree(numbered, old)
    (index_dir / "CURRENT").write_text(in_use.name + "\n")
    shutil.rmtree(numbered)
    assert store.load(index_dir).path == in_use
    newest = store.save(index_dir, data).name
    assert set(names(index_dir)) == {in_use.name, ahead.name, newest}
    assert store.earlier_build(index_dir) == in_use
    # The next build leaves the current one and the one before it, as ever.
    newer = store.save(index_dir, data).name
    assert names(index_dir) == [newest, newer]


# -- the vectors are memory-mapped --------------------------------------------------------


def test_the_vectors_of_a_loaded_index_are_memory_mapped_not_copied(seed_app: App) -> None:
    build = store.current_build(seed_app.settings.index)
    data = store.load(seed_app.settings.index)
    mapped = data.vectors.base  # a plain view (cheap to index) of the file's map
    assert isinstance(mapped, np.memmap)
    assert Path(str(mapped.filename)) == (build / "vectors.npy").resolve()
    assert not data.vectors.flags.owndata
    assert np.array_equal(data.vectors, np.load(build / "vectors.npy"))
    # Read-only: a write fails loudly instead of changing the index on disk or in use.
    assert not data.vectors.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        data.vectors[0, 0] = 0.0


def test_exact_search_reads_the_mapped_vectors_without_a_copy(seed_app: App) -> None:
    """Exact search (this small index's kind) and the sentences' exact search read the
    build's memory-mapped files where they are: no private copy inside FAISS."""
    data = store.load(seed_app.settings.index)
    assert data.manifest.dense["kind"] == "exact" and data.sentences is not None
    assert np.shares_memory(data.dense.vectors, data.vectors)
    assert isinstance(data.sentences.vectors.base, np.memmap)  # scanned where they are
    query = np.asarray(data.vectors[7], dtype=np.float32)
    scores, ids = dense_index.search(data.dense, query[None, :], 3)
    assert ids[0, 0] == 7 and scores[0, 0] == pytest.approx(1.0, abs=1e-5)


def test_the_index_in_use_maps_its_vectors_too(seed_app: App) -> None:
    assert isinstance(seed_app.index.searcher.index.vectors.base, np.memmap)


def test_pruning_a_build_still_mapped_by_a_running_process_leaves_its_vectors_readable(
    fresh_app: App,
) -> None:
    """Another process (or this one, serving an earlier build) may still have a pruned
    build's vectors mapped: on Linux the unlinked file lives on until it is unmapped."""
    index_dir = fresh_app.settings.index
    searcher = fresh_app.index.searcher  # the running bot's index, build B
    data = searcher.index
    assert data.path is not None
    expected = np.load(data.path / "vectors.npy")  # a private copy, read before the prune
    query = "what makes a group a sect?"
    before = searcher.search(query, k=5)

    for _ in range(store.KEEP_BUILDS):  # newer builds, each save pruning as a reindex does
        store.save(index_dir, data)
    assert not data.path.exists(), "B should have been pruned"
    assert f"{data.path / 'vectors.npy'} (deleted)" in Path("/proc/self/maps").read_text()

    rows = np.array([0, len(expected) // 2, len(expected) - 1])
    assert np.array_equal(data.vectors[rows], expected[rows])
    assert np.array_equal(data.vectors, expected)
    assert searcher.search(query, k=5) == before


@pytest.mark.parametrize("damage", ["truncated", "empty"])
def test_an_unreadable_vectors_file_is_refused_even_without_checksums(
    fresh_app: App, damage: str
) -> None:
    build = store.current_build(fresh_app.settings.index)
    vectors = build / "vectors.npy"
    data = vectors.read_bytes()[:-8] if damage == "truncated" else b""
    # Replaced, not rewritten in place: the app in this test still maps the old file.
    tmp = build / "vectors.npy.tmp"
    tmp.write_bytes(data)
    os.replace(tmp, vectors)
    with raises_saying(IndexCorruptError, "cannot be read"):
        store.load(fresh_app.settings.index, check=False)


def test_an_up_to_date_reindex_still_removes_what_a_killed_build_left(fresh_app: App) -> None:
    # A build killed mid-write leaves builds/.tmp-*; the next reindex, even one with
    # nothing to do, removes it (gigabytes, at scale).
    builds = fresh_app.settings.index / "builds"
    leftover = builds / ".tmp-20260101T000000-deadbeef"
    leftover.mkdir()
    (leftover / "vectors.npy").write_bytes(b"\0" * 1024)
    report = fresh_app.index.reindex()
    assert report.up_to_date and not leftover.exists()


def test_a_damaged_previous_build_is_never_the_fallback(fresh_app: App) -> None:
    # The fallback was loaded without its checksums: a damaged older build could answer.
    vectors = damaged_second_build(fresh_app) / "vectors.npy"
    data = bytearray(vectors.read_bytes())
    data[-4:] = b"\xff\xff\xff\x7f"
    vectors.write_bytes(bytes(data))
    with pytest.raises(IndexCorruptError):
        store.load_last_good(fresh_app.settings.index)


def test_a_work_is_its_collection_or_its_file_and_a_servers_never_the_bases() -> None:
    def record(source: str, title: str, collection: str = "") -> store.DocumentRecord:
        meta = DocumentMeta(title, author="", collection=collection)
        return store.DocumentRecord(source, meta, "html", "", 0, 1)

    bible = "The King James Bible"
    genesis, exodus = record("kjv/b1.htm", bible, bible), record("kjv/b2.htm", bible, bible)
    assert genesis.work == exodus.work  # one work in many files
    assert record("a.txt", "Essay").work != record("b.txt", "Essay").work  # a title alone
    # A server's upload whose front matter names the base's collection stays its own.
    assert record(store.COLLECTION_PREFIX + "x.htm", bible, bible).work != genesis.work
