"""Passages that read as quotes, and the ranking signals beyond one passage's cosine:
headings matched through their passages, sentence vectors, neighbour smoothing, windows
of short passages cited with their range."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from bot.app import App
from bot.commands.quote import QuoteRequest, locate, quote
from bot.commands.results import quote_from
from bot.settings import SettingsError, load_settings
from embeddings import store
from embeddings.build import reindex
from embeddings.encoder import Encoder
from embeddings.errors import IndexCorruptError, IndexIncompatibleError
from embeddings.passages import locator_range
from embeddings.search import Searcher, SearchParams, result_text
from embeddings.sentence_index import SentenceTable
from embeddings.sentences import scored_sentences
from embeddings.signals import smoothed_cosines
from tests.embeddings.helpers import flip_a_byte
from tests.wording import raises_saying

MIM_HEADING = "Examples of working with people we disagree with or compete with for recruits"

# Matthew 6 and 7 as the KJV pages have them: one verse per paragraph, "6:34 Take ...".
MATTHEW = """<html><head><title>The Gospel According to Saint Matthew</title></head><body>
<h1>The Gospel According to Saint Matthew</h1>
<p>6:24 No man can serve two masters: for either he will hate the one, and love the other;
or else he will hold to the one, and despise the other. Ye cannot serve God and mammon.</p>
<p>6:25 Therefore I say unto you, Take no thought for your life, what ye shall eat, or what
ye shall drink; nor yet for your body, what ye shall put on. Is not the life more than
meat, and the body than raiment?</p>
<p>6:26 Behold the fowls of the air: for they sow not, neither do they reap, nor gather into
barns; yet your heavenly Father feedeth them. Are ye not much better than they?</p>
<p>6:33 But seek ye first the kingdom of God, and his righteousness; and all these things
shall be added unto you.</p>
<p>6:34 Take therefore no thought for the morrow: for the morrow shall take thought for the
things of itself. Sufficient unto the day is the evil thereof.</p>
<p>7:1 Judge not, that ye be not judged.</p>
<p>7:2 For with what judgment ye judge, ye shall be judged: and with what measure ye mete,
it shall be measured to you again.</p>
</body></html>
"""


@pytest.fixture(scope="module")
def matthew(tmp_path_factory: pytest.TempPathFactory, encoder: Encoder) -> store.IndexData:
    corpus = tmp_path_factory.mktemp("matthew")
    (corpus / "matthew.htm").write_text(MATTHEW)
    index = tmp_path_factory.mktemp("matthew-index")
    reindex(corpus, index, encoder)
    return store.load(index)


# -- headings ----------------------------------------------------------------------------


def test_a_heading_over_a_list_is_the_section_of_its_items_and_never_a_result(
    seed_app: App,
) -> None:
    index = seed_app.index.searcher.index
    assert not any(p.text == MIM_HEADING for p in index.passages)
    items = [p for p in index.passages if p.section == MIM_HEADING]
    assert items and items[0].text.startswith("Selling books of all kinds")
    # Asked in the heading's own words, the answers include the passages under it.
    quotes = quote(seed_app, QuoteRequest(MIM_HEADING, count=10)).quotes
    assert quotes and all(q.text != MIM_HEADING for q in quotes)
    assert any(q.section == MIM_HEADING for q in quotes[:5])


def test_bm25_matches_a_passage_through_its_section(seed_app: App) -> None:
    searcher = seed_app.index.searcher
    index = searcher.index
    # "recruits" is in the heading, not in the first item's own text.
    first = next(i for i, p in enumerate(index.passages) if p.section == MIM_HEADING)
    assert "recruits" not in index.passages[first].text
    assert index.manifest.lexical == {"sections": True}
    ranking = searcher.ranking("recruits", searcher.embeddings.get("recruits"), None, "bm25")
    assert first in set(ranking.ids.tolist())
    query = "examples of working with people we disagree with"
    ranking = searcher.ranking(query, searcher.embeddings.get(query), None, "bm25")
    assert index.passages[int(ranking.ids[0])].section == MIM_HEADING


# -- sentence vectors --------------------------------------------------------------------


def test_sentence_vectors_are_stored_checksummed_and_match_the_model(
    seed_app: App, encoder: Encoder
) -> None:
    index = seed_app.index.searcher.index
    table = index.sentences
    assert table is not None and len(table) == index.manifest.sentence_count > 0
    build = store.current_build(seed_app.settings.index)
    checksums = json.loads((build / "manifest.json").read_text())["checksums"]
    assert {"sentences.npy", "sentence_spans.npy"} <= set(checksums)
    # Every passage of two or more sentences has exactly its sentences' rows, in order
    # (a closing signature or date line is none: sentences.scored_sentences).
    for pid, p in enumerate(index.passages):
        spans = scored_sentences(p.text)
        rows = table.rows_of(pid)
        assert [table.span(r) for r in rows] == (spans if len(spans) > 1 else [])
    pid = next(i for i in range(len(index.passages)) if len(table.rows_of(i)) > 2)
    row = table.rows_of(pid)[1]
    s, e = table.span(row)
    expected = encoder.encode([index.passages[pid].text[s:e]])[0]
    assert float(np.dot(table.vectors[row], expected)) > 0.999


def test_a_damaged_sentence_file_is_caught_by_its_checksum(fresh_app: App) -> None:
    flip_a_byte(store.current_build(fresh_app.settings.index) / "sentences.npy", at=-3)
    with raises_saying(IndexCorruptError, r"sentences\.npy is damaged"):
        store.load(fresh_app.settings.index)


def test_the_best_sentence_lifts_a_passage_and_is_its_highlight(seed_app: App) -> None:
    searcher = seed_app.index.searcher
    index = searcher.index
    query = "redoing what others already did is wasted effort"
    target = next(i for i, p in enumerate(index.passages) if "It would be a waste" in p.text)
    qvec = searcher.embeddings.get(query)

    def score(weight: float) -> float:
        s = Searcher(index, searcher.encoder, SearchParams(sentence_weight=weight))
        ranking = s.ranking(query, qvec, None, "dense")
        return float(ranking.cosines[list(ranking.ids).index(target)])

    table = index.sentences
    assert table is not None
    best_cos, best_row = table.best(np.array([target]), qvec)
    assert score(1.0) == pytest.approx(float(best_cos[0]), abs=1e-5)
    assert score(1.0) > score(0.0)
    # The highlight is that sentence, chosen from the stored vectors without the model.
    s = Searcher(index, searcher.encoder, SearchParams(sentence_weight=0.5))
    hit = next(h for h in s.search(query, k=10).hits if h.passage_id == target)
    [shown] = s.highlight(query, [hit])
    assert shown.settled and shown.highlight == table.span(int(best_row[0]))
    assert "It would be a waste" in index.passages[target].text[slice(*shown.highlight)]


# -- old indexes -------------------------------------------------------------------------


def _make_format_1(index_dir: Path) -> None:
    """Turn the current build into what quotebot wrote before sentence vectors."""
    build = store.current_build(index_dir)
    for name in ("sentences.npy", "sentence_spans.npy"):
        (build / name).unlink()
    m = json.loads((build / "manifest.json").read_text())
    m["format_version"] = 1
    for key in ("sentence_count", "lexical"):
        m.pop(key)
    for name in ("sentences.npy", "sentence_spans.npy"):
        m["checksums"].pop(name)
    (build / "manifest.json").write_text(json.dumps(m))


def test_an_index_without_sentence_vectors_asks_for_a_reindex(fresh_app: App) -> None:
    _make_format_1(fresh_app.settings.index)
    with raises_saying(IndexIncompatibleError, "run a reindex"):
        store.load(fresh_app.settings.index)
    with raises_saying(IndexIncompatibleError, "run a reindex"):
        App(fresh_app.settings, fresh_app.encoder).index.load()


def test_reindexing_an_old_index_reuses_its_vectors_and_adds_sentences(fresh_app: App) -> None:
    _make_format_1(fresh_app.settings.index)
    report = fresh_app.index.reindex()
    assert not report.up_to_date
    assert report.encoded == 0 and report.reused == report.passages
    index = fresh_app.index.searcher.index
    assert index.sentences is not None and len(index.sentences) == report.sentences > 0
    # The old build had no sentence vectors to give, only passage vectors for sentences
    # that are also a passage's whole text.
    sentences = {
        p.text[slice(*index.sentences.span(r))]
        for pid, p in enumerate(index.passages)
        for r in index.sentences.rows_of(pid)
    }
    assert report.sentences_encoded == len(sentences - {p.text for p in index.passages})
    assert (
        f"and {report.sentences} sentences ({report.sentences_encoded} embedded)"
        in report.summary()
    )


def test_an_unchanged_reindex_embeds_no_sentence_again(fresh_app: App) -> None:
    report = fresh_app.index.reindex(force=False)
    assert report.up_to_date
    corpus = fresh_app.settings.corpus
    mim = corpus / "mim-definition-of-sectarianism.txt"
    mim.write_text(mim.read_text() + "\n\nOne more closing line. And a second sentence here.\n")
    report = fresh_app.index.reindex()
    # Only the new paragraph's two sentences are new text.
    assert report.encoded == 1 and report.sentences_encoded == 2


# -- smoothing ---------------------------------------------------------------------------


def test_smoothing_blends_neighbours_of_the_same_document_only(seed_app: App) -> None:
    index = seed_app.index.searcher.index
    first_doc, second_doc = index.documents[0], index.documents[1]
    last_of_first = first_doc.first + first_doc.count - 1
    assert second_doc.first == last_of_first + 1
    qvec = np.asarray(index.vectors[second_doc.first], dtype=np.float32)  # the next document
    ids = np.array([last_of_first])
    got = smoothed_cosines(index, ids, qvec, 0.5)[0]
    v = np.asarray(index.vectors, dtype=np.float32)
    within = v[last_of_first] + 0.5 * v[last_of_first - 1]  # no neighbour after it
    expected = float(within @ qvec / np.linalg.norm(within))
    assert got == pytest.approx(expected, abs=1e-5)
    assert smoothed_cosines(index, ids, qvec, 0.0)[0] == pytest.approx(
        float(v[last_of_first] @ qvec), abs=1e-6
    )


# -- windows of short passages -----------------------------------------------------------


def test_a_short_verse_is_found_in_a_window_cited_with_its_range(
    matthew: store.IndexData, encoder: Encoder
) -> None:
    searcher = Searcher(matthew, encoder, SearchParams(window_words=40, min_cosine=0.0))
    result = searcher.search("do not be anxious about food and clothes, look at the birds", k=3)
    [top] = searcher.highlight(result.query, result.hits[:1])
    assert top.window is not None
    text = result_text(matthew, top)
    assert "Behold the fowls of the air" in text and "what ye shall eat" in text
    q = quote_from(searcher, top)
    first, last = (matthew.passages[i].locator for i in top.window)
    assert first.startswith("6:") and last.startswith("6:")  # never across chapters
    assert q.locator == locator_range(first, last) and "–" in q.locator
    assert q.section.endswith(q.locator)
    # The best verse is highlighted, whole.
    assert q.highlighted in {matthew.passages[i].text for i in top.window}
    assert q.text == text and q.passage_text == matthew.passages[top.passage_id].text


def test_windows_never_overlap_in_one_answer(matthew: store.IndexData, encoder: Encoder) -> None:
    searcher = Searcher(matthew, encoder, SearchParams(window_words=40, min_cosine=0.0))
    hits = searcher.search("take no thought for food or clothing", k=5).hits
    shown = [i for h in hits for i in h.ids]
    assert len(shown) == len(set(shown))


def test_without_windows_a_verse_stands_alone(matthew: store.IndexData, encoder: Encoder) -> None:
    searcher = Searcher(matthew, encoder, SearchParams(window_words=0, min_cosine=0.0))
    assert all(h.window is None for h in searcher.search("judge not", k=5).hits)


def test_a_window_competes_with_its_cosine_less_the_discount(
    matthew: store.IndexData, encoder: Encoder
) -> None:
    query = "do not be anxious about food and clothes, look at the birds"
    plain = Searcher(matthew, encoder, SearchParams(window_words=40, min_cosine=0.0))
    discounted = Searcher(
        matthew, encoder, SearchParams(window_words=40, min_cosine=0.0, window_discount=0.05)
    )
    qvec = encoder.encode_queries([query])[0]
    before = plain.ranking(query, qvec, None, "dense")
    after = discounted.ranking(query, qvec, None, "dense")
    assert before.first is not None and before.last is not None
    assert after.first is not None and after.last is not None
    windowed = {
        int(i): float(c)
        for i, c, f, la in zip(before.ids, before.cosines, before.first, before.last, strict=True)
        if f != la
    }
    assert windowed
    for pid, cos, f, la in zip(after.ids, after.cosines, after.first, after.last, strict=True):
        if int(pid) in windowed and f != la:  # still a window: 0.05 lower
            assert float(cos) == pytest.approx(windowed[int(pid)] - 0.05, abs=1e-5)
    # A discount beyond any cosine leaves every verse alone.
    never = Searcher(
        matthew, encoder, SearchParams(window_words=40, min_cosine=0.0, window_discount=2.0)
    )
    assert all(h.window is None for h in never.search(query, k=5).hits)


def test_verse_ranges_are_cited_compactly() -> None:
    assert locator_range("6:33", "6:34") == "6:33–34"
    assert locator_range("6:34", "7:1") == "6:34–7:1"
    assert locator_range("6:33", "6:33") == "6:33"
    assert locator_range("", "") == ""


def test_a_window_quote_is_found_again_after_a_rebuild(fresh_app: App) -> None:
    corpus = fresh_app.settings.corpus
    (corpus / "matthew.htm").write_text(MATTHEW)
    settings = replace(
        fresh_app.settings,
        search=replace(fresh_app.settings.search, window_words=40, min_cosine=0.0),
    )
    app = App(settings, fresh_app.encoder)
    app.index.reindex()
    [q] = quote(
        app,
        QuoteRequest(
            "do not be anxious about food and clothes, look at the birds",
            title="matthew",
            count=1,
        ),
    ).quotes
    assert q.window is not None
    (corpus / "note.txt").write_text("A reading circle meets weekly to discuss one essay.\n")
    app.index.reindex()  # a new build: passage ids may move
    found = locate(app, q)
    assert app.index.searcher.index.passages[found].text == q.passage_text


# -- settings ----------------------------------------------------------------------------


def test_the_signal_settings_are_read_and_checked(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text(
        "[search]\nsentence_weight = 0.5\nsmoothing = 0.2\nwindow_words = 12\n"
        "sentence_candidates = 0\n"
    )
    params = load_settings(env={"QUOTEBOT_CONFIG": str(path)}).search
    assert (params.sentence_weight, params.smoothing) == (0.5, 0.2)
    assert (params.window_words, params.sentence_candidates) == (12, 0)
    # The shipped file holds the defaults chosen on the dev queries.
    assert load_settings(env={}).search == SearchParams()
    path.write_text("[search]\nsentence_weight = 1.5\n")
    with raises_saying(SettingsError, "sentence_weight"):
        load_settings(env={"QUOTEBOT_CONFIG": str(path)})
    path.write_text("[search]\nwindow_words = -1\n")
    with raises_saying(SettingsError, "window_words"):
        load_settings(env={"QUOTEBOT_CONFIG": str(path)})


def test_the_passage_of_the_nearest_sentence_is_a_candidate(seed_app: App) -> None:
    index = seed_app.index.searcher.index
    table = index.sentences
    assert table is not None
    pid = next(i for i in range(len(index.passages)) if len(table.rows_of(i)) > 3)
    row = table.rows_of(pid)[2]
    qvec = np.asarray(table.vectors[row], dtype=np.float32)  # that sentence itself
    assert pid in table.nearest_passages(qvec, 1).tolist()
    other = next(d for d in index.documents if not d.first <= pid < d.first + d.count)
    allowed = np.arange(other.first, other.first + other.count)
    found = table.nearest_passages(qvec, 5, allowed)
    assert len(found) and set(found.tolist()) <= set(allowed.tolist())


def near_duplicate_table(seed: int) -> tuple[SentenceTable, np.ndarray]:
    """600 unit sentence vectors, one per passage, a third of them near-copies of others
    (the same sentence encoded in two batches differs in the last bits), and queries."""
    rng = np.random.default_rng(seed)
    vectors = rng.normal(size=(400, 64)).astype(np.float32)
    copies = vectors[rng.integers(0, 400, 200)] + rng.normal(0, 1e-7, (200, 64)).astype(np.float32)
    vectors = np.concatenate([vectors, copies])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    spans = np.stack([np.arange(600), np.zeros(600), np.ones(600)], axis=1).astype(np.int32)
    queries = vectors[rng.integers(0, 600, 40)] + rng.normal(0, 0.3, (40, 64)).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    return SentenceTable(spans, vectors, 600), queries.astype(np.float32)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_querys_nearest_sentences_do_not_depend_on_the_queries_scored_with_it(
    seed: int,
) -> None:
    table, queries = near_duplicate_table(seed)
    alone = [table.nearest_passages(q, 50) for q in queries]
    for size in (2, 5, 16, 40):
        together = [
            found
            for start in range(0, len(queries), size)
            for found in table.nearest_passages_of_many(queries[start : start + size], 50)
        ]
        for mine, its_own in zip(together, alone, strict=True):
            np.testing.assert_array_equal(mine, its_own)
    # And they are the 50 nearest (in exact arithmetic, but for near-equal scores at the cut).
    for q, found in zip(queries, alone, strict=True):
        exact = table.vectors.astype(np.float64) @ q.astype(np.float64)
        assert len(found) == 50
        assert exact[found].min() >= np.sort(exact)[-50] - 1e-5
