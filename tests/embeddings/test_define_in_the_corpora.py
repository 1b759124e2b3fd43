"""Shapes of definition, and of mere usage, met in the shared corpora: each case is a
sentence of the King James Bible, the Communist Manifesto or The Devil's Dictionary that
/define and Explain read wrongly before."""

from __future__ import annotations

import pytest

from tests.embeddings.test_define import shapes

# -- 1. "X is" + a passive participle that does not end in -ed: telling, not defining ---------


@pytest.mark.parametrize(
    ("term", "sentence"),
    [
        ("man", "Yet man is born unto trouble, as the sparks fly upward."),  # Job 5:7
        ("man", "A man is known by the company that he organizes."),  # Bierce, SAW
        ("light", "Light is sown for the righteous, and gladness for the upright in heart."),
        ("few", "For many are called, but few are chosen."),  # Matthew 22:14
        ("wife", "The wife is bound by the law as long as her husband liveth."),
        ("French", "The French are said to eat more bread per capita than any other people."),
        ("Babylon", "Babylon is suddenly fallen and destroyed: howl for her."),  # Jer 51:8
        (
            "communists",
            "The Communists are further reproached with desiring to abolish countries.",
        ),
    ],
)
def test_a_passive_statement_is_not_a_definition(term: str, sentence: str) -> None:
    # shapes.py: '"was very behindhand", "are operating", "is born": telling, not
    # defining' -- but only "-ing"/"-ed" words were checked, after a fixed list of adverbs.
    assert shapes(term, sentence) == set()
