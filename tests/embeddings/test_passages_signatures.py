"""A name that signs the quotation above it stays with that quotation, not the next one.

The Devil's Dictionary quotes several people under one entry, each quotation followed by
its author's name on a line of its own (RICHES: "… well pleased." / John D. Rockefeller /
"The reward of toil and virtue." / J.P. Morgan / …). Joined to the quotation after it, the
name is shown, highlighted and cited over someone else's words.
"""

from __future__ import annotations

from collections.abc import Sequence

from embeddings.documents import Block, Document, DocumentMeta, with_offsets
from embeddings.passages import ChunkParams, chunk_document
from embeddings.sentences import scored_sentences


def count_words(texts: Sequence[str]) -> list[int]:
    return [len(t.split()) for t in texts]


RICHES = [
    Block("RICHES, n.", "RICHES", kind="entry"),
    Block(
        'A gift from Heaven signifying, "This is my beloved son, in whom I am well pleased."',
        "RICHES",
        kind="entry",
    ),
    Block("John D. Rockefeller", "RICHES", kind="entry"),
    Block("The reward of toil and virtue.", "RICHES", kind="entry"),
    Block("J.P. Morgan", "RICHES", kind="entry"),
    Block("The savings of many in the hands of one.", "RICHES", kind="entry"),
    Block("Eugene Debs", "RICHES", kind="entry"),
    Block(
        "To these excellent definitions the inspired lexicographer feels that he can add "
        "nothing of value.",
        "RICHES",
        kind="entry",
    ),
]


def passages_of(blocks: list[Block]) -> list[str]:
    d = Document(
        "devils-dictionary.txt", DocumentMeta("The Devil's Dictionary"), with_offsets(blocks)
    )
    return [p.text for p in chunk_document(d, count_words, ChunkParams(max_tokens=200))]


def passage_with(texts: list[str], words: str) -> str:
    return next(t for t in texts if words in t)


def test_a_signature_line_stays_with_the_quotation_it_signs() -> None:
    texts = passages_of(RICHES)
    assert "John D. Rockefeller" in passage_with(texts, "in whom I am well pleased")
    assert "J.P. Morgan" in passage_with(texts, "The reward of toil and virtue.")
    assert "Eugene Debs" in passage_with(texts, "The savings of many")


def test_no_quotation_is_shown_under_the_name_of_the_one_before_it() -> None:
    texts = passages_of(RICHES)
    reward = passage_with(texts, "The reward of toil and virtue.")
    assert not reward.startswith("John D. Rockefeller")
    # ... nor is that name part of the sentence a card would highlight.
    best = [reward[s:e] for s, e in scored_sentences(reward)]
    assert all("Rockefeller" not in sentence for sentence in best)


PIE = [
    Block(
        "PIE, n.  An advance agent of the reaper whose name is Indigestion.", "PIE", kind="entry"
    ),
    Block("Cold pie was highly esteemed by the remains.", "PIE"),
    Block("Rev. Dr. Mucker", "PIE"),
    Block("(in a funeral sermon over a British nobleman)", "PIE"),
    Block(
        "Cold pie is a detestable\nAmerican comestible.\nThat's why I'm done--or undone--\n"
        "So far from that dear London.",
        "PIE",
    ),
    Block("(from the headstone of a British nobleman in Kalamazoo)", "PIE"),
]


def test_a_line_in_brackets_that_says_where_a_quotation_is_from_stays_with_it() -> None:
    # Alone, "(in a funeral sermon over a British nobleman)" was a passage, and a result.
    texts = passages_of(PIE)
    assert "(in a funeral sermon" in passage_with(texts, "highly esteemed by the remains")
    assert "(from the headstone" in passage_with(texts, "Cold pie is a detestable")
    assert not any(t.startswith("(") for t in texts)
