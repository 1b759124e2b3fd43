"""Opening an index fast: passages read on demand, BM25 without bm25s, the vocabulary
parsed on first use, checksums verified alongside; and never a different answer.

A build written before the offsets and text ids were saved (an older quotebot) is read
the slow way and answers the same.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bot.app import App
from embeddings import bm25_files, passage_file, store
from embeddings.bm25_files import STOPWORDS_EN, Bm25Files
from embeddings.build import lexical_text
from embeddings.errors import IndexCorruptError
from embeddings.passage_file import PassageFile
from embeddings.passages import Passage
from embeddings.sparse import SparseIndex, terms
from embeddings.vocabulary import Vocabulary

PROJECT = Path(__file__).resolve().parents[2]
QUERIES = ["what makes a group a sect?", "the party and the working class", "sect sect sect"]

ODD = [
    Passage("a.txt", "Plain text.", 0, 11),
    Passage("a.txt", "Line\nbreaks\r\nand \u2028 separators", 12, 40, section="§ 1", notes=("1",)),
    Passage("b.md", "Ünïcödé “quotes” — and \\ backslashes {}", 0, 39, kind="footnote", block=3),
]


def write(folder: Path, passages: list[Passage], *, offsets: bool = True) -> Path:
    lines, table = passage_file.encode(passages)
    (folder / passage_file.PASSAGES_FILE).write_bytes(lines)
    if offsets:
        np.save(folder / passage_file.OFFSETS_FILE, table)
    return folder


# -- the passage file ---------------------------------------------------------------------


@pytest.mark.parametrize("offsets", [True, False], ids=["with offsets", "older build"])
def test_passages_read_on_demand_equal_what_was_written(tmp_path: Path, offsets: bool) -> None:
    got = PassageFile(write(tmp_path, ODD, offsets=offsets))
    assert len(got) == 3
    assert got[1] == ODD[1] and got[-1] == ODD[2]
    assert got[0:2] == ODD[0:2] and got[::2] == [ODD[0], ODD[2]]
    assert list(got) == ODD
    with pytest.raises(IndexError):
        got[3]


def test_only_the_passages_read_last_are_kept_parsed(tmp_path: Path) -> None:
    """No Python object per passage of a large index: a bounded cache of the last read,
    which a scan of every passage leaves alone."""
    passages = [Passage("a.txt", f"Passage {i}.", 10 * i, 10 * i + 9) for i in range(50)]
    got = PassageFile(write(tmp_path, passages), cache=4)
    assert [got[i] for i in range(50)] == passages
    assert got.cached() == 4
    last = got[49]
    assert got[49] is last  # kept: not parsed again
    assert list(got) == passages
    assert got[49] is last and got.cached() == 4  # the scan evicted nothing


def test_a_final_newline_and_an_empty_file_are_read_as_before(tmp_path: Path) -> None:
    lines, _ = passage_file.encode(ODD)
    (tmp_path / passage_file.PASSAGES_FILE).write_bytes(lines + b"\n")
    assert list(PassageFile(tmp_path)) == ODD
    (tmp_path / passage_file.PASSAGES_FILE).write_bytes(b"")
    assert len(PassageFile(tmp_path)) == 0


def test_offsets_that_do_not_fit_the_file_are_refused(tmp_path: Path) -> None:
    write(tmp_path, ODD)
    lines, _ = passage_file.encode(ODD[:2])
    (tmp_path / passage_file.PASSAGES_FILE).write_bytes(lines)  # shorter than the offsets say
    with pytest.raises(ValueError, match="does not match"):
        PassageFile(tmp_path)


# -- a loaded build -------------------------------------------------------------------------


def test_a_loaded_build_opens_without_parsing_its_passages_or_vocabulary(seed_app: App) -> None:
    data = store.load(seed_app.settings.index)
    assert isinstance(data.passages, PassageFile)
    assert data.passages.cached() == 0  # nothing parsed yet
    assert not isinstance(data.vocabulary_source, Vocabulary)  # read, not parsed
    assert len(data.vocabulary) > 0 and isinstance(data.vocabulary_source, Vocabulary)
    assert data.vocabulary is data.vocabulary  # parsed once


def test_saved_text_ids_are_the_ones_computed_from_the_passages(seed_app: App) -> None:
    data = store.load(seed_app.settings.index)
    assert data.path is not None and (data.path / store.TEXT_IDS_FILE).is_file()
    np.testing.assert_array_equal(data.text_ids, store.text_ids(list(data.passages)))


def as_older_build(index: Path) -> None:
    """Make the current build look written by the quotebot before this one: no offsets, no
    text ids, and a manifest that does not know them."""
    build = store.current_build(index)
    manifest = json.loads((build / "manifest.json").read_text())
    for name in (passage_file.OFFSETS_FILE, store.TEXT_IDS_FILE):
        (build / name).unlink()
        del manifest["checksums"][name]
    (build / "manifest.json").write_text(json.dumps(manifest))


def test_an_older_build_is_read_the_slow_way_and_answers_the_same(fresh_app: App) -> None:
    before = {q: fresh_app.index.searcher.search(q, k=8) for q in QUERIES}
    new = fresh_app.index.searcher.index
    as_older_build(fresh_app.settings.index)
    fresh_app.index.load()
    old = fresh_app.index.searcher.index
    assert list(old.passages) == list(new.passages)
    np.testing.assert_array_equal(old.text_ids, new.text_ids)
    for query, result in before.items():
        assert fresh_app.index.searcher.search(query, k=8) == result


@pytest.mark.parametrize("name", [passage_file.OFFSETS_FILE, store.TEXT_IDS_FILE])
def test_a_damaged_offsets_or_text_ids_file_is_refused(fresh_app: App, name: str) -> None:
    build = store.current_build(fresh_app.settings.index)
    table = np.load(build / name)
    table[1] += 1
    np.save(build / name, table)
    with pytest.raises(IndexCorruptError) as refused:
        store.load(fresh_app.settings.index)
    assert refused.value.problem == "file_damaged" and refused.value.where == name


def test_a_damaged_file_is_reported_as_damaged_even_when_it_cannot_be_read(
    fresh_app: App,
) -> None:
    """The checksums run beside the reading: a file too broken to read is still reported
    as damaged, as when they ran first."""
    build = store.current_build(fresh_app.settings.index)
    (build / passage_file.OFFSETS_FILE).write_bytes(b"not an array")
    with pytest.raises(IndexCorruptError) as refused:
        store.load(fresh_app.settings.index)
    assert refused.value.problem == "file_damaged"
    with pytest.raises(IndexCorruptError) as refused:
        store.load(fresh_app.settings.index, check=False)
    assert refused.value.problem == "unreadable"


# -- BM25 ------------------------------------------------------------------------------------


def test_bm25_scores_read_with_numpy_equal_bm25s(seed_app: App) -> None:
    import bm25s

    folder = store.current_build(seed_app.settings.index) / "bm25"
    ours = Bm25Files(folder)
    theirs = bm25s.BM25.load(str(folder), show_progress=False, verbosity=0)
    assert ours.vocab_dict == theirs.vocab_dict
    for query in [*QUERIES, "sect", "zzzz unknown words"]:
        tokens = [t for t in terms(query) if t in theirs.vocab_dict]
        if tokens:
            np.testing.assert_array_equal(ours.get_scores(tokens), theirs.get_scores(tokens))
        else:
            assert not ours.get_scores(terms(query)).any()


def test_a_loaded_bm25_index_saves_as_it_was_read(seed_app: App, tmp_path: Path) -> None:
    folder = store.current_build(seed_app.settings.index) / "bm25"
    Bm25Files(folder).save(tmp_path)
    again = Bm25Files(tmp_path)
    for query in QUERIES:
        tokens = terms(query)
        np.testing.assert_array_equal(
            again.get_scores(tokens), Bm25Files(folder).get_scores(tokens)
        )


def test_the_bm25_matrix_is_memory_mapped_not_read(seed_app: App, tmp_path: Path) -> None:
    """Its pages are page cache shared by the processes serving the build, not private
    memory (~330 bytes a passage)."""
    folder = tmp_path / "bm25"
    shutil.copytree(store.current_build(seed_app.settings.index) / "bm25", folder)
    index = Bm25Files(folder)
    maps = Path("/proc/self/maps").read_text()
    for name in (bm25_files.DATA, bm25_files.INDICES):
        assert str(folder / name) in maps
    tokens = terms(QUERIES[0])
    before = index.get_scores(tokens)
    assert before.any() and before.flags.writeable  # the scores are the caller's own
    np.testing.assert_array_equal(index.get_scores(tokens), before)


def test_the_stop_words_are_bm25s_own() -> None:
    from bm25s.stopwords import STOPWORDS_EN as BM25S

    assert frozenset(BM25S) == STOPWORDS_EN


# -- the one-shot process ------------------------------------------------------------------


def test_a_one_shot_quote_answers_without_torch_scipy_or_bm25s(seed_app: App) -> None:
    settings = seed_app.settings
    code = (
        "import sys, json\n"
        "from bot.cli import main\n"
        "status = main(sys.argv[1:])\n"
        "heavy = ('torch', 'transformers', 'sentence_transformers', 'scipy', 'bm25s')\n"
        "print(json.dumps([m for m in heavy if m in sys.modules]), file=sys.stderr)\n"
        "sys.exit(status)\n"
    )
    args = ["quote", QUERIES[0], "--json", "--index", str(settings.index)]
    args += ["--corpus", str(settings.corpus)]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(PROJECT)}
    result = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, cwd=PROJECT
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["results"]
    assert json.loads(result.stderr.strip().splitlines()[-1]) == []


def test_a_build_can_be_saved_again_from_a_loaded_one(fresh_app: App) -> None:
    """What a test or a tool does with a loaded index: the copy answers the same."""
    data = fresh_app.index.searcher.index
    store.save(fresh_app.settings.index, data)
    copy = store.load(fresh_app.settings.index)
    assert copy.path != data.path
    assert list(copy.passages) == list(data.passages)
    assert copy.vocabulary.to_json() == data.vocabulary.to_json()


def test_the_passages_holding_every_term_are_read_from_the_columns(seed_app: App) -> None:
    """`holding_all` (the phrase boost's first cut) gives, from the saved files and from
    an index just built, exactly the passages that every term alone scores above 0."""
    loaded = store.load(seed_app.settings.index).sparse
    built = SparseIndex.build(
        [lexical_text(p) for p in store.load(seed_app.settings.index).passages]
    )
    for query in [*QUERIES, "sect", "working class", "zzzz unknown", "sect zzzz"]:
        query_terms = terms(query)
        every = np.ones(loaded.size, dtype=bool)
        for term in query_terms:
            every &= loaded.scores([term]) > 0
        expected = np.flatnonzero(every) if query_terms else np.empty(0, dtype=np.int64)
        for sparse in (loaded, built):
            found = sparse.holding_all(query_terms)
            np.testing.assert_array_equal(found, expected)
    assert len(loaded.holding_all(terms("working class"))) > 0  # the check is not vacuous
