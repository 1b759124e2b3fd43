"""bench/rerank.py: the orderings its figures in bench/RESULTS.md come from."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bench.rerank import Query, Setting, rank_of


def logits(*values: float) -> np.ndarray:
    return np.asarray(values, dtype=np.float32)


def test_the_engine_setting_keeps_the_engines_order_whatever_the_logits() -> None:
    assert Setting("engine").order(logits(0, 9, 5))[:3] == [0, 1, 2]


def test_the_cross_encoder_orders_by_logit_and_ties_keep_the_engines_order() -> None:
    assert Setting("ce", 4).order(logits(1, 3, 3, 2)) == [1, 2, 3, 0]


def test_the_linear_blend_weighs_the_logit_against_the_log_of_the_engine_rank() -> None:
    # logit − w·ln(rank): 2nd place needs a logit ln 2 above the first to pass it at w = 1.
    below, above = math.log(2) - 0.01, math.log(2) + 0.01
    assert Setting("lin", 2, 1.0).order(logits(0, below)) == [0, 1]
    assert Setting("lin", 2, 1.0).order(logits(0, above)) == [1, 0]


def test_keep1_moves_the_engines_first_only_for_a_margin() -> None:
    keep = Setting("keep1", 3, 2.0)
    assert keep.order(logits(0, 1.5, 1)) == [0, 1, 2]
    assert keep.order(logits(0, 2.5, 1)) == [1, 2, 0]


@pytest.mark.parametrize(
    "name", ["engine", "ce@10", "lin@30:w=1", "rrf@20:w=0.5,c=5", "keep1@10:m=2"]
)
def test_a_settings_name_reads_back_as_the_same_setting(name: str) -> None:
    assert Setting.parse(name).name == name


def test_the_rank_is_of_the_first_answer_in_the_first_ten_of_the_order() -> None:
    q = Query("q1", "kjv", [False, False, True], {3: logits(0, 1, 2)})
    assert rank_of(q, Setting("engine")) == 3
    assert rank_of(q, Setting("ce", 3)) == 1
    assert rank_of(Query("q2", "kjv", [False] * 3, {3: logits(0, 1, 2)}), Setting("ce", 3)) is None
