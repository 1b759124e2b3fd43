"""Companion texts (embeddings/companion.py): another rendering of a work, keyed by its
passages' locators, searched beside the work and never quoted."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from bot.cli import main
from bot.discord.reindexing import report_fields
from embeddings import dense as dense_index
from embeddings import store
from embeddings.build import reindex
from embeddings.companion import parse_companion
from embeddings.dense import DenseParams
from embeddings.encoder import Encoder
from embeddings.errors import IndexCorruptError
from embeddings.search import Filters, Searcher, SearchParams
from tests.embeddings.helpers import flip_a_byte
from tests.embeddings.test_signals import MATTHEW

# The same verses in the Bible in Basic English (public domain), keyed by their locators.
BASIC = "".join(
    f"{locator}\t{text}\n"
    for locator, text in (
        ("# Bible in Basic English, Matthew 6-7", ""),
        (
            "6:24",
            "No man is able to be a servant to two masters: for he will have hate for the "
            "one and love for the other. You may not be servants of God and of wealth.",
        ),
        (
            "6:33",
            "But let your first care be for his kingdom and his righteousness; and all "
            "these other things will be given to you in addition.",
        ),
        (
            "6:34",
            "Then have no care for tomorrow: tomorrow will take care of itself. Take no "
            "trouble about the evil of tomorrow before it comes.",
        ),
        ("7:1", "Be not judges of others, and you will not be judged."),
    )
)
TOMORROW = "do not worry about tomorrow, it will take care of itself"


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    root.mkdir()
    (root / "matthew.htm").write_text(MATTHEW)
    (root / "matthew.htm.companion.tsv").write_text(BASIC)
    return root


def _built(corpus: Path, index: Path, encoder: Encoder) -> store.IndexData:
    reindex(corpus, index, encoder)
    return store.load(index)


def _verse(data: store.IndexData, locator: str) -> int:
    return next(i for i, p in enumerate(data.passages) if p.locator == locator)


def test_a_companion_file_is_read_line_by_line_and_says_what_it_cannot_use() -> None:
    read = parse_companion(
        "# a comment\n\n1:1\tIn the beginning\n1:2 no tab here\n1:3\t\n1:1\tagain\n"
        f"1:4\t{'x' * 5000}\n",
        "genesis.htm.companion.tsv",
    )
    assert read.lines == {"1:1": "In the beginning"}
    assert read.problems == (
        "genesis.htm.companion.tsv line 4: not LOCATOR<TAB>TEXT, skipped",
        "genesis.htm.companion.tsv line 5: not LOCATOR<TAB>TEXT, skipped",
        "genesis.htm.companion.tsv line 6: 1:1 given twice, the first kept",
        "genesis.htm.companion.tsv line 7: longer than 4,000 characters",
    )


def test_each_verse_gets_the_line_of_its_locator_and_the_work_is_still_what_is_quoted(
    corpus: Path, tmp_path: Path, encoder: Encoder
) -> None:
    data = _built(corpus, tmp_path / "index", encoder)
    verse = _verse(data, "6:34")
    assert data.passages[verse].companion.startswith("Then have no care for tomorrow")
    assert data.passages[_verse(data, "6:25")].companion == ""  # no line for 6:25
    assert data.companion is not None and len(data.companion) == 4
    row = int(data.companion.rows[verse])
    expected = encoder.encode([data.passages[verse].companion])[0]
    assert np.allclose(data.companion.vectors[row], expected, atol=1e-5)
    hits = Searcher(data, encoder, SearchParams(min_cosine=0.0)).search(TOMORROW, k=1).hits
    assert hits[0].passage_id == verse
    assert data.passages[hits[0].passage_id].text.startswith("Take therefore no thought")


def test_a_passage_with_a_line_is_scored_with_its_line_too(
    corpus: Path, tmp_path: Path, encoder: Encoder
) -> None:
    data = _built(corpus, tmp_path / "index", encoder)
    qvec = encoder.encode_queries([TOMORROW])[0]

    def cosines(weight: float) -> dict[int, float]:
        params = SearchParams(min_cosine=0.0, companion_weight=weight)
        ranking = Searcher(data, encoder, params).ranking(TOMORROW, qvec, None, "dense")
        return {int(i): float(c) for i, c in zip(ranking.ids, ranking.cosines, strict=True)}

    alone, blended = cosines(0.0), cosines(0.5)
    verse, plain = _verse(data, "6:34"), _verse(data, "6:25")
    assert data.companion is not None
    theirs = float(data.companion.vectors[int(data.companion.rows[verse])] @ qvec)
    assert blended[verse] == pytest.approx(0.5 * alone[verse] + 0.5 * theirs, abs=1e-5)
    assert theirs > alone[verse]  # the modern words match the modern rendering better
    assert blended[plain] == pytest.approx(alone[plain], abs=1e-6)  # no line: unchanged


def test_the_lines_nearest_the_query_bring_their_passages_into_the_candidates(
    corpus: Path, tmp_path: Path, encoder: Encoder
) -> None:
    data = _built(corpus, tmp_path / "index", encoder)
    assert data.companion is not None
    qvec = encoder.encode_queries(["be not judges of others"])[0]
    judge = _verse(data, "7:1")
    assert [int(i) for i in data.companion.nearest_passages(qvec[None, :], 1)[0]] == [judge]
    allowed = np.array([i for i in range(len(data.passages)) if i != judge])
    found = data.companion.nearest_passages(qvec[None, :], 1, allowed)[0]
    assert judge not in found.tolist() and len(found) == 1  # a hidden passage stays hidden


def test_a_hidden_work_is_never_found_through_its_companion(
    corpus: Path, tmp_path: Path, encoder: Encoder
) -> None:
    (corpus / "notes.txt").write_text(
        "Tomorrow we plant the beans.\n\nThe garden needs water every day in summer.\n"
    )
    data = _built(corpus, tmp_path / "index", encoder)
    searcher = Searcher(data, encoder, SearchParams(min_cosine=0.0))
    assert searcher.search(TOMORROW, k=1).hits[0].passage_id == _verse(data, "6:34")
    hidden = searcher.search(TOMORROW, k=5, filters=Filters(hidden=frozenset({"matthew.htm"})))
    sources = {data.passages[h.passage_id].source for h in hidden.hits}
    assert sources == {"notes.txt"}


def test_an_unchanged_reindex_embeds_no_line_and_a_changed_line_is_embedded_alone(
    corpus: Path, tmp_path: Path, encoder: Encoder
) -> None:
    index = tmp_path / "index"
    first = reindex(corpus, index, encoder)
    assert (first.companions, first.companions_encoded) == (4, 4)
    assert "4 companion lines (4 embedded)" in first.summary()
    assert reindex(corpus, index, encoder).up_to_date
    changed = BASIC.replace("Be not judges of others", "Judge no one")
    (corpus / "matthew.htm.companion.tsv").write_text(changed)
    again = reindex(corpus, index, encoder)
    assert again.changed == ["matthew.htm"]  # the companion is part of the work
    assert (again.encoded, again.companions, again.companions_encoded) == (0, 4, 1)
    data = store.load(index)
    assert data.passages[_verse(data, "7:1")].companion.startswith("Judge no one")


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("7:2 forgot the tab", "matthew.htm.companion.tsv line 6: not LOCATOR<TAB>TEXT, skipped"),
        # A mistyped locator was dropped without a word: only malformed lines were named.
        (
            "7:99\tNo such verse.",
            "matthew.htm.companion.tsv: 7:99 names no passage of the work, not used",
        ),
    ],
    ids=["malformed", "no-such-locator"],
)
def test_a_line_that_cannot_be_used_is_reported_and_the_work_indexed_without_it(
    corpus: Path, tmp_path: Path, encoder: Encoder, line: str, problem: str
) -> None:
    (corpus / "matthew.htm.companion.tsv").write_text(BASIC + line + "\n")
    report = reindex(corpus, tmp_path / "index", encoder)
    assert report.companion_problems == [problem]
    assert report.companions == 4 and report.skipped == []
    assert report.summary().endswith(
        f"4 companion lines (4 embedded), 1 not used in {report.seconds:.1f} s."
    )


@pytest.mark.usefixtures("shared_model")
def test_the_lines_not_used_are_named_to_whoever_ran_the_reindex(
    corpus: Path, tmp_path: Path, encoder: Encoder, capsys: pytest.CaptureFixture[str]
) -> None:
    (corpus / "matthew.htm.companion.tsv").write_text(BASIC + "7:2 forgot the tab\n")
    problem = "matthew.htm.companion.tsv line 6: not LOCATOR<TAB>TEXT, skipped"
    assert main(["reindex", "--corpus", str(corpus), "--index", str(tmp_path / "i")]) == 0
    out, err = capsys.readouterr()
    assert "1 not used" in out and f"companion: {problem}" in err
    report = reindex(corpus, tmp_path / "j", encoder)
    [field] = report_fields(report)  # the card /reindex and /corpus show
    assert field.name == "Companion lines not used (1)" and problem in field.value


def test_without_a_companion_nothing_is_written_and_search_is_unchanged(
    corpus: Path, tmp_path: Path, encoder: Encoder
) -> None:
    (corpus / "matthew.htm.companion.tsv").unlink()
    report = reindex(corpus, tmp_path / "index", encoder)
    assert "companion" not in report.summary()
    data = store.load(tmp_path / "index")
    assert data.companion is None and data.manifest.companion_count == 0
    assert data.path is not None and not list(data.path.glob("companion*"))
    hits = Searcher(data, encoder, SearchParams(min_cosine=0.0)).search(TOMORROW, k=3).hits
    plain = Searcher(data, encoder, replace(SearchParams(min_cosine=0.0), companion_weight=0.0))
    assert [h.passage_id for h in hits] == [h.passage_id for h in plain.search(TOMORROW, k=3).hits]


def test_the_lines_index_searches_with_its_own_ef_search(
    corpus: Path, tmp_path: Path, encoder: Encoder
) -> None:
    params = DenseParams(kind="hnsw", ef_search=300, companion_ef_search=40)
    reindex(corpus, tmp_path / "index", encoder, dense=params)
    data = store.load(tmp_path / "index")
    assert data.companion is not None
    assert dense_index.faiss_index(data.dense).hnsw.efSearch == 300
    assert dense_index.faiss_index(data.companion.index).hnsw.efSearch == 40


def test_a_damaged_companion_file_is_never_served(
    corpus: Path, tmp_path: Path, encoder: Encoder
) -> None:
    index = tmp_path / "index"
    data = _built(corpus, index, encoder)
    assert data.path is not None
    flip_a_byte(data.path / "companion.npy")
    with pytest.raises(IndexCorruptError):
        store.load(index)
