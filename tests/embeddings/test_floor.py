"""The relevance floor: below it a search says "no good match" rather than show a passage
that only looks related. A query none of whose words the corpus holds (gibberish, a bare
number, another script) has no lexical evidence at all, and MiniLM's cosines for text it
cannot read run high: such a query must clear `min_cosine_unanchored`."""

from __future__ import annotations

from dataclasses import replace

from bot.app import App
from embeddings.search import Filters, Searcher, SearchParams
from embeddings.sparse import terms

GIBBERISH = "qwxz zzyq"
ANCHORED = "sectarian groups"


def best_cosine(searcher: Searcher, query: str) -> float:
    result = searcher.search(query, k=5)
    return max(h.cosine for h in [*result.hits, *result.weak])


def test_a_query_with_no_word_of_the_corpus_must_clear_the_higher_floor(seed_app: App) -> None:
    data, encoder = seed_app.index.searcher.index, seed_app.encoder
    assert data.sparse.scores(terms(GIBBERISH)).max() == 0  # no word of it in the corpus
    best = best_cosine(Searcher(data, encoder, SearchParams()), GIBBERISH)
    lenient = replace(SearchParams(), min_cosine=best - 0.01, min_cosine_unanchored=0.0)
    assert Searcher(data, encoder, lenient).search(GIBBERISH, k=5).hits
    strict = replace(lenient, min_cosine_unanchored=best + 0.01)
    result = Searcher(data, encoder, strict).search(GIBBERISH, k=5)
    assert result.hits == [] and result.weak  # "no good match", the closest still shown


def test_a_query_with_a_word_of_the_corpus_keeps_the_usual_floor(seed_app: App) -> None:
    data, encoder = seed_app.index.searcher.index, seed_app.encoder
    assert data.sparse.scores(terms(ANCHORED)).max() > 0
    best = best_cosine(Searcher(data, encoder, SearchParams()), ANCHORED)
    params = replace(SearchParams(), min_cosine=best - 0.01, min_cosine_unanchored=best + 0.01)
    assert Searcher(data, encoder, params).search(ANCHORED, k=5).hits


def test_a_filter_to_works_without_the_querys_words_keeps_the_usual_floor(seed_app: App) -> None:
    # The words are in the corpus, not in the work searched: the floor for queries the
    # corpus cannot read hid the answers of every search kept to one work ("a gentle reply
    # calms someone's fury", source Proverbs).
    data, encoder = seed_app.index.searcher.index, seed_app.encoder
    draper = Filters(title="Anatomy of the Micro-Sect")
    query = "the international proletariat"
    scores = data.sparse.scores(terms(query))
    allowed = Searcher(data, encoder, SearchParams()).allowed(draper)
    assert scores.max() > 0 and scores[allowed].max() == 0  # in the corpus, not in Draper
    best = max(
        h.cosine
        for h in Searcher(data, encoder, replace(SearchParams(), min_cosine=0.0))
        .search(query, k=5, filters=draper)
        .hits
    )
    params = replace(SearchParams(), min_cosine=best - 0.01, min_cosine_unanchored=best + 0.01)
    assert Searcher(data, encoder, params).search(query, k=5, filters=draper).hits
