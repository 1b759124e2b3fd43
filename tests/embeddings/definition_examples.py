"""Definitions in prose, read both ways the grammar is read (embeddings/define/grammar.py).

Each example is a text, a term asked, and the shape /define recognises around it; and,
when the shape is precise enough for the vocabulary to find the term without being asked,
the term as it finds it (`named`). The loose shapes ("X is glorious", "... gets called a
'sect'") are for /define only: nothing would confirm what they name.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest


@dataclass(frozen=True)
class Example:
    shape: str  # as /define names it (Signal.how)
    term: str  # as asked
    text: str
    named: str = ""  # the term the vocabulary finds in `text` ("": none)


STIPULATING = (
    "There is a terminological problem. We shall use these terms with more precise "
    "meanings. A sect presents itself as the embodiment of the movement. In contrast, a "
    "working-class party is an organization of the class."
)

EXAMPLES = {
    "X is a": Example(
        "is", "sect", "A sect is a group that sets its boundary by its program.", "sect"
    ),
    "X are": Example("is", "sect", "Sects are groups that set their boundary by a program."),
    "X means": Example(
        "means",
        "sectarianism",
        "Sectarianism means putting the needs of one's group above those of the class.",
        "Sectarianism",
    ),
    "X means, short": Example(
        "means", "revisionism", "Revisionism means the revision of Marxism.", "Revisionism"
    ),
    "X refers to": Example(
        "means",
        "opportunism",
        "Opportunism refers to giving up principles for a short-term gain.",
        "Opportunism",
    ),
    "the word X denotes": Example(
        "means", "sect", "In this usage, the word sect denotes a membership organization."
    ),
    "“X” is used to mean": Example(
        "means",
        "sect",
        "“Sect” is often used as a cuss-word to mean a group one doesn't like.",
        "Sect",
    ),
    "by X we mean": Example(
        "by X we mean",
        "political center",
        "By a political center we mean a paper or other publication around which people gather.",
        "political center",
    ),
    # The subjects of the sentences after "we shall use these terms" are defined.
    "stipulated": Example("stipulated", "sect", STIPULATING),
    "stipulated phrase": Example(
        "stipulated", "working-class party", STIPULATING, "working-class party"
    ),
    "stipulated, next sentence": Example(
        "stipulated",
        "working-class party",
        "We shall use these terms with more precise meanings. In contrast, a "
        "working-class party is an organization of the class.",
        "working-class party",
    ),
    "the definition of X is": Example(
        "definition of",
        "sect",
        "The definition of a sect is simple: a group ruled by its program.",
    ),
    "the definition of X is, short": Example(
        "definition of", "sect", "The definition of a sect is simple.", "sect"
    ),
    "X may be defined as": Example(
        "defined as", "sect", "A sect may be defined as a group without a class."
    ),
    "define X as": Example("defined as", "sect", "We define a sect as a group without a class."),
    "a quoted term and its explanation": Example(
        "quoted",
        "sect",
        'It is an insult to say someone belongs to a "sect," which is usually just a party.',
    ),
    "speak of X, they refer to": Example(
        "speak of",
        "sectarianism",
        'When Marxists speak of "sectarianism," they refer to a situation where an '
        "organization puts its own needs above those of the international proletariat.",
        "sectarianism",
    ),
    "speak of X, short": Example(
        "speak of",
        "sectarianism",
        'When Marxists speak of "sectarianism," they refer to a situation.',
        "sectarianism",
    ),
    "a name given to something described": Example(
        "called",
        "sect",
        'Taught obedience to their own organization only (which then gets called a "sect,").',
    ),
    "a headword in capitals": Example(
        "glossary", "sect", "SECT. A body of believers who agree with one another."
    ),
    "a headword and a colon": Example(
        "glossary", "sect", "Sect: a body of believers who agree with one another."
    ),
}


def every_example() -> list[object]:
    return [pytest.param(e, id=name) for name, e in EXAMPLES.items()]


def named_examples() -> list[object]:
    return [pytest.param(e, id=name) for name, e in EXAMPLES.items() if e.named]
