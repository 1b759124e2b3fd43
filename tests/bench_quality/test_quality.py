"""bench/quality.py: what counts as a hit, a bare heading, the seeded split, and a run
against a real index."""

from __future__ import annotations

from collections import Counter
from typing import Any

from bench.quality import (
    CORPORA,
    QUERIES,
    Runner,
    assign_splits,
    bootstrap_interval,
    compare,
    corpus_of,
    floor_summary,
    is_bare_heading,
    is_labelled,
    load_queries,
    matches,
    measure,
    score_table,
    select,
    stratum,
)
from bot.app import App

VERSE = (
    "Take therefore no thought for the morrow: "
    "for the morrow shall take thought for the things of itself."
)


# -- hits -----------------------------------------------------------------------------------


def test_a_passage_containing_the_answer_is_a_hit_whatever_its_spacing_and_case() -> None:
    window = "6:33 But seek ye first the kingdom;\n6:34 TAKE therefore  no\nthought for the morrow"
    assert matches(window, ["Take therefore no thought for the morrow"])


def test_a_passage_that_cuts_the_answer_counts_when_it_keeps_most_of_its_words() -> None:
    answer = "the free development of each is the condition for the free development of all"
    cut = "we shall have an association, in which the free development of each is the condition for"
    assert matches(cut, [answer])
    assert not matches("the free development of each person", [answer])


def test_a_short_answer_must_be_contained_whole() -> None:
    assert matches("Jesus wept.", ["Jesus wept."])
    assert not matches("Jesus went up to Jerusalem.", ["Jesus wept."])


def test_an_unrelated_passage_is_no_hit() -> None:
    assert not matches(VERSE, ["Judge not, that ye be not judged"])


# -- bare headings --------------------------------------------------------------------------


def test_plain_text_headings_and_name_lines_are_bare_headings() -> None:
    assert is_bare_heading(
        "Examples of working with people we disagree with or compete with for recruits"
    )
    assert is_bare_heading("Jamrach Holobom")
    assert is_bare_heading("I. BOURGEOIS AND PROLETARIANS")
    assert is_bare_heading("CHAPTER XVII: HOW THE CHANGE CAME", "CHAPTER XVII: HOW THE CHANGE CAME")


def test_sentences_verses_and_fragments_with_punctuation_are_not() -> None:
    assert not is_bare_heading(VERSE)
    assert not is_bare_heading("And God spake unto Noah, saying,")
    assert not is_bare_heading("And God wrought special miracles by the hands of Paul:")
    assert not is_bare_heading("ALONE, adj. In bad company.")
    assert not is_bare_heading("Examples of working with people\nwe disagree with")


# -- the split ------------------------------------------------------------------------------


def _q(i: int, source: str, kind: str = "paraphrase") -> dict[str, Any]:
    return {"id": f"q{i}", "query": "", "source": source, "answers": ["x"], "kind": kind}


def test_a_fresh_split_halves_every_corpus_and_every_kind_within_it() -> None:
    queries = [_q(i, "seeds/a.txt", "keyword" if i % 3 else "question") for i in range(11)]
    queries += [_q(100 + i, "gutenberg/kjv/book01.htm") for i in range(8)]
    split = assign_splits(queries)
    for group in ({"seeds"}, {"kjv"}):
        c = Counter(q["split"] for q in split if corpus_of(q["source"]) in group)
        assert abs(c["dev"] - c["test"]) <= 1
    kinds = Counter((q["kind"], q["split"]) for q in split if q["source"] == "seeds/a.txt")
    assert abs(kinds["keyword", "dev"] - kinds["keyword", "test"]) <= 1


def test_the_split_is_fixed_by_the_seed() -> None:
    queries = [_q(i, "seeds/a.txt") for i in range(20)]
    assert assign_splits(queries) == assign_splits(queries)
    assert [q["split"] for q in assign_splits(queries, seed=1)] != [
        q["split"] for q in assign_splits(queries, seed=2)
    ]


def test_appended_queries_get_a_split_and_old_ones_keep_theirs() -> None:
    old = assign_splits([_q(i, "seeds/a.txt") for i in range(9)])
    grown = assign_splits([*old, *(_q(50 + i, "seeds/a.txt") for i in range(5))])
    assert [q["split"] for q in grown[:9]] == [q["split"] for q in old]
    c = Counter(q["split"] for q in grown)
    assert abs(c["dev"] - c["test"]) <= 1


def test_the_shipped_queries_are_split_and_labelled() -> None:
    queries = load_queries(QUERIES)
    assert len({q["id"] for q in queries}) == len(queries)
    assert all(q["split"] in ("dev", "test", "holdout") for q in queries)
    assert all(bool(q["answers"]) == is_labelled(q) for q in queries)
    assert sum(is_labelled(q) for q in queries) >= 200
    # The first batch (q1-q265) was split in one go: splitting it afresh gives the splits
    # the file records, so none was edited by hand; later queries were appended.
    first = [{k: v for k, v in q.items() if k != "split"} for q in queries[:265]]
    assert [q["split"] for q in assign_splits(first)] == [q["split"] for q in queries[:265]]
    assert assign_splits(queries) == queries
    for name in {stratum(q) for q in queries}:
        c = Counter(q["split"] for q in queries if stratum(q) == name)
        assert abs(c["dev"] - c["test"]) <= 1, name


def test_the_held_out_queries_came_last_and_cover_every_corpus() -> None:
    """q427–q562 were written after the test half had judged many variants: they are the
    held-out split, appended as one block, and no rule gives them dev or test. Queries
    written later come after the block, in dev or test."""
    queries = load_queries(QUERIES)
    holdout = [q for q in queries if q["split"] == "holdout"]
    assert [q["id"] for q in holdout] == [f"q{i}" for i in range(427, 563)]
    start = queries.index(holdout[0])
    assert queries[start : start + len(holdout)] == holdout
    assert {q["split"] for q in queries[start + len(holdout) :]} <= {"dev", "test"}
    per_corpus = Counter(corpus_of(q["source"]) for q in holdout if is_labelled(q))
    assert set(per_corpus) == set(CORPORA)
    assert min(per_corpus.values()) >= 20
    assert {q["kind"] for q in holdout} >= {"offtopic", "foreign"}
    assert [q["split"] for q in assign_splits(holdout)] == ["holdout"] * len(holdout)
    assert select(queries, "holdout") == holdout  # --split holdout
    assert all(q["split"] == "dev" for q in select(queries, "dev"))


# -- a run ----------------------------------------------------------------------------------


def test_a_run_ranks_each_system_and_records_the_floor(seed_app: App) -> None:
    queries = [
        {
            "id": "a",
            "query": "It would be a waste to redo the work someone else did",
            "source": "seeds/mim-definition-of-sectarianism.txt",
            "answers": ["It would be a waste to redo the work someone else did"],
            "kind": "quote",
        },
        {
            "id": "b",
            "query": "how do I reset my router",
            "source": "",
            "answers": [],
            "kind": "offtopic",
        },
    ]
    out = measure(Runner(seed_app), queries)
    quoted = out["records"]["a"]["systems"]
    assert quoted["bm25"]["rank"] == 1
    assert quoted["engine"]["rank"] is not None
    assert quoted["engine"]["rank"] <= 5
    assert out["records"]["a"]["no_good_match"] is False
    assert out["records"]["b"]["systems"]["engine"]["rank"] is None
    table = score_table(out["records"], ("bm25", "dense", "engine"))
    assert table["bm25"]["seeds"]["recall@5"] == 1.0
    assert table["engine"]["seeds"]["mrr@10"] == 1.0 / quoted["engine"]["rank"]
    assert out["latency_ms"]["n"] == 2


# -- comparing runs -------------------------------------------------------------------------


def _run(ranks: dict[str, int | None]) -> dict[str, Any]:
    return {
        "records": {
            qid: {
                "query": qid,
                "kind": "paraphrase",
                "corpus": "kjv",
                "no_good_match": False,
                "systems": {"engine": {"rank": rank, "headings": [], "top": []}},
            }
            for qid, rank in ranks.items()
        }
    }


def test_compare_counts_a_win_when_the_first_hit_moves_up_and_a_loss_when_it_moves_down() -> None:
    before = _run({"q1": 3, "q2": None, "q3": 1, "q4": 2})
    after = _run({"q1": 1, "q2": 4, "q3": 2, "q4": 2})
    report = compare(before, after)
    assert "| kjv | 2 | 1 | 1 |" in report
    assert "win  q1    rank 3 -> 1" in report
    assert "loss q3    rank 1 -> 2" in report


def test_the_bootstrap_interval_surrounds_the_mean_and_narrows_with_more_queries() -> None:
    few = [1.0, 0.0, 1.0, 0.0, 1.0]
    many = few * 40
    lo_few, hi_few = bootstrap_interval(few, seed="t")
    lo_many, hi_many = bootstrap_interval(many, seed="t")
    assert lo_few <= 0.6 <= hi_few
    assert lo_many <= 0.6 <= hi_many
    assert hi_many - lo_many < hi_few - lo_few
    assert bootstrap_interval([0.5] * 10, seed="t") == (0.5, 0.5)


def test_the_floor_summary_quartiles_lie_between_the_least_and_the_greatest_cosine() -> None:
    queries = [
        {"id": "a", "query": "pizza", "source": "", "answers": [], "kind": "offtopic"},
        {"id": "b", "query": "router", "source": "", "answers": [], "kind": "offtopic"},
    ]
    records = {
        qid: {"no_good_match": True, "systems": {"engine": {"rank": None, "first": {"cosine": c}}}}
        for qid, c in (("a", 0.25), ("b", 0.41))
    }
    line = next(x for x in floor_summary(records, queries).splitlines() if "offtopic:" in x)
    cells = [float(v) for v in line.split(":")[1].split("(")[0].split()]
    assert cells == sorted(cells)  # min, q1, median, q3, max
    assert (cells[0], cells[-1]) == (0.25, 0.41)
