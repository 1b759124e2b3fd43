"""bench/learned_fusion.py: the listwise scorer learns which feature marks the answers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bench.learned_fusion import Query, fit, main


def _queries(n: int, seed: int) -> list[Query]:
    """Candidates whose `useful` feature is highest on the answer and whose `noise` says
    nothing."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        useful, noise = rng.normal(size=20), rng.normal(size=20)
        labels = np.zeros(20, dtype=bool)
        labels[int(np.argmax(useful))] = True
        out.append(
            Query(f"q{i}", "seeds", np.arange(20), {"useful": useful, "noise": noise}, labels)
        )
    return out


def test_a_fitted_scorer_ranks_by_the_feature_that_marks_the_answers() -> None:
    scorer = fit(_queries(40, seed=1), ("noise", "useful"), l2=0.01)
    assert scorer.weights[1] > 5 * abs(scorer.weights[0])
    held_out = _queries(20, seed=2)
    assert all(int(np.argmax(scorer(q))) == int(np.flatnonzero(q.labels)[0]) for q in held_out)


def test_queries_without_a_labelled_candidate_do_not_move_the_scorer() -> None:
    queries = _queries(30, seed=3)
    unlabelled = [Query(q.id + "x", q.corpus, q.ids, q.features, q.labels & False) for q in queries]
    a = fit(queries, ("noise", "useful"), l2=0.01)
    b = fit(queries + unlabelled, ("noise", "useful"), l2=0.01)
    assert np.allclose(a.weights, b.weights)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--folds", "1"], "--folds must be at least 2"),
        (["--l2", "a,b"], "--l2 takes numbers separated by commas"),
    ],
)
def test_bad_options_are_refused_in_one_line(
    args: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--index", "/nowhere", *args])
    assert exit_.value.code == 2
    assert says in capsys.readouterr().err


def test_an_index_that_will_not_load_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match=f"cannot load the index {tmp_path}"):
        main(["--index", str(tmp_path)])
