"""A passage that holds the query word for word (`[search] phrase_boost`): found however
BM25 and the model rank it, put first, and never hidden by the relevance floor."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from embeddings import phrase as phrase_module
from embeddings import store
from embeddings.build import reindex
from embeddings.encoder import Encoder
from embeddings.phrase import MAX_PHRASE_WORDS, holding, phrase_of
from embeddings.search import Searcher, SearchParams
from embeddings.tokens import terms

# Short verses full of "third" and "camp" (BM25's favourites for "Third Camp"), and one
# long paragraph that names the Third Camp once.
VERSES = "\n\n".join(
    f"{n}:1 And on the third day they came into the camp of Ephraim, and the third part "
    f"of the camp rested there by the waters."
    for n in range(1, 31)
)
ESSAY = (
    "The socialists who refused to choose between the two great powers of the day argued "
    "for an independent working-class politics, opposed to the ruling classes of both "
    "blocs alike. Their strategy was to organise the unorganised, to defend democratic "
    "rights everywhere, and to constitute the class base of a Third Camp in the unions "
    "and the movements of the oppressed, rather than to line up behind either state."
)


@pytest.fixture(scope="module")
def camp(tmp_path_factory: pytest.TempPathFactory, encoder: Encoder) -> store.IndexData:
    corpus = tmp_path_factory.mktemp("camp")
    (corpus / "numbers.txt").write_text(VERSES)
    (corpus / "essay.txt").write_text(ESSAY)
    index = tmp_path_factory.mktemp("camp-index")
    reindex(corpus, index, encoder)
    return store.load(index)


def _essay_id(index: store.IndexData) -> int:
    return next(i for i, p in enumerate(index.passages) if "Third Camp" in p.text)


def test_a_query_is_a_phrase_when_it_has_two_content_words_or_more_and_few_words() -> None:
    assert phrase_of("Third Camp") == ["third", "camp"]
    assert phrase_of("  the THIRD, camp! ") == ["the", "third", "camp"]
    assert phrase_of("socialism") is None  # one word: BM25's job
    assert phrase_of("the and of") is None  # no content word
    long = " ".join(["word"] * (MAX_PHRASE_WORDS + 1))
    assert phrase_of(long) is None  # a question, not a phrase


def test_only_passages_holding_the_words_in_order_hold_the_phrase(camp: store.IndexData) -> None:
    def held(query: str) -> list[int]:
        bm25 = camp.sparse.scores(terms(query))
        return [int(i) for i in holding(camp, query, bm25)]

    essay = _essay_id(camp)
    assert held("Third Camp") == [essay]
    assert held("third   CAMP") == [essay]  # case and spacing never hide it
    assert held("camp third") == []  # other order
    assert held("Third Campaign") == []  # whole words only
    assert held("camp") == []  # one word is no phrase


def test_the_passage_holding_the_phrase_gains_the_boost_and_clears_the_floor(
    camp: store.IndexData, encoder: Encoder
) -> None:
    essay = _essay_id(camp)
    off = Searcher(camp, encoder, replace(SearchParams(), phrase_boost=0.0))
    before = off.search("Third Camp", k=5)
    # Without the boost the floor hides it: its cosine is low and BM25 prefers the verses.
    assert essay not in [h.passage_id for h in before.hits]
    assert essay in [h.passage_id for h in before.weak]
    for boost in (0.2, 1.0):
        on = Searcher(camp, encoder, replace(SearchParams(), phrase_boost=boost))
        qvec = on.embeddings.get("Third Camp")
        plain = off.ranking("Third Camp", qvec, None, "convex")
        boosted = on.ranking("Third Camp", qvec, None, "convex")
        gain = (
            boosted.fused[list(boosted.ids).index(essay)]
            - plain.fused[list(plain.ids).index(essay)]
        )
        assert gain == pytest.approx(boost, abs=1e-6)
    # The verses say "third" and "camp" over and over: only a large boost puts the one
    # paragraph that names the Third Camp above them.
    after = Searcher(camp, encoder, replace(SearchParams(), phrase_boost=1.0)).search(
        "Third Camp", k=5
    )
    assert after.hits[0].passage_id == essay
    assert after.hits[0].cosine < off.params.min_cosine  # answered despite its cosine


def test_with_the_boost_off_no_phrase_is_looked_for(
    camp: store.IndexData, encoder: Encoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    def never(*args: object) -> None:
        raise AssertionError("looked for a phrase with the boost off")

    monkeypatch.setattr(phrase_module, "holding", never)
    off = replace(SearchParams(), phrase_boost=0.0)
    result = Searcher(camp, encoder, off).search("Third Camp", k=10)
    assert result.hits or result.weak


def test_the_boost_is_on_by_default_in_the_code_and_in_the_shipped_settings() -> None:
    from bot.settings import load_settings

    # Chosen on dev, confirmed on the held-out queries (bench/RESULTS.md).
    assert SearchParams().phrase_boost == 0.2
    assert load_settings(env={}, dotenv=False).search.phrase_boost == 0.2


def test_the_setting_is_read_from_the_file(tmp_path: Path) -> None:
    from bot.settings import load_settings

    path = tmp_path / "settings.toml"
    path.write_text("[search]\nphrase_boost = 0.2\n")
    assert load_settings(path, env={}).search.phrase_boost == 0.2
