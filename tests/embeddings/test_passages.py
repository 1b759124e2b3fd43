"""Chunking: passages follow paragraphs, long ones are cut at sentences, fragments join."""

from __future__ import annotations

from collections.abc import Sequence

from embeddings.documents import Block, Document, DocumentMeta, with_offsets
from embeddings.passages import ChunkParams, CountMemo, chunk_document, locator_ends


def count_words(texts: Sequence[str]) -> list[int]:
    """A stand-in tokenizer: one token per word (real word pieces add up the same way)."""
    return [len(t.split()) for t in texts]


def doc(*blocks: Block) -> Document:
    return Document("essay.md", DocumentMeta("Essay"), with_offsets(list(blocks)))


def test_each_paragraph_is_a_passage_with_its_section_and_offsets() -> None:
    d = doc(
        Block("A sect presents itself as the embodiment of the movement.", "Introduction"),
        Block("There are socialists in America but no socialist movement.", "The Road"),
    )
    passages = chunk_document(d, count_words, ChunkParams(max_tokens=50))
    assert [p.section for p in passages] == ["Introduction", "The Road"]
    for p in passages:
        assert d.text[p.start : p.end] == p.text


def test_a_paragraph_longer_than_the_model_limit_is_cut_at_sentences_and_nothing_is_lost() -> None:
    sentences = [f"Sentence number {i} says something about sects." for i in range(30)]
    d = doc(Block(" ".join(sentences), "Long"))
    passages = chunk_document(d, count_words, ChunkParams(max_tokens=40))
    assert len(passages) > 1
    assert all(count_words([p.text])[0] <= 40 for p in passages)
    assert all(p.text.endswith(".") for p in passages)  # cut between sentences
    assert " ".join(p.text for p in passages) == d.blocks[0].text
    assert {p.block for p in passages} == {0}  # windows of one paragraph share it


def test_a_single_sentence_longer_than_the_limit_is_cut_at_clauses() -> None:
    clause = "and the workers moved, "
    d = doc(Block("It began " + clause * 40 + "and so it ended."))
    passages = chunk_document(d, count_words, ChunkParams(max_tokens=30))
    assert all(count_words([p.text])[0] <= 30 for p in passages)
    assert " ".join(p.text for p in passages).split() == d.blocks[0].text.split()


def test_fragments_too_short_to_quote_join_the_next_passage() -> None:
    d = doc(
        Block("Item.", "Notes"),
        Block("The sect is not an unfortunate necessity: it is their movement.", "Notes"),
    )
    [passage] = chunk_document(d, count_words, ChunkParams(max_tokens=50))
    assert passage.text.startswith("Item.") and passage.text.endswith("movement.")


def test_a_trailing_fragment_joins_the_previous_passage() -> None:
    d = doc(
        Block("The only thing we are sure of is that the road of the sect is a dead end.", "End"),
        Block("October 1973", "End"),
    )
    [passage] = chunk_document(d, count_words, ChunkParams(max_tokens=50))
    assert passage.text.endswith("October 1973")


def test_footnotes_never_merge_with_body_text() -> None:
    d = doc(
        Block("The sect-socialist [2*] has always felt a difficulty.", "Body", notes=("2*",)),
        Block("Ibid.", "Footnotes", kind="footnote", note_id="3*"),
    )
    passages = chunk_document(d, count_words, ChunkParams(max_tokens=50))
    assert [p.kind for p in passages] == ["text", "footnote"]
    assert passages[0].notes == ("2*",)


def test_verses_joined_by_a_short_one_keep_a_range_locator() -> None:
    d = doc(
        Block("Jesus wept.", "John", kind="verse", locator="11:35"),
        Block(
            "Then said the Jews, Behold how he loved him!", "John", kind="verse", locator="11:36"
        ),
    )
    [passage] = chunk_document(d, count_words, ChunkParams(max_tokens=50))
    assert passage.locator == "11:35–36"  # as a reader writes a range
    assert locator_ends(passage.locator) == ("11:35", "11:36")
    assert locator_ends("6:34–7:1") == ("6:34", "7:1") and locator_ends("1:1") == ("1:1", "1:1")


def test_passages_cover_the_document_in_order() -> None:
    d = doc(*(Block(f"Paragraph {i} has a few words in it.", "S") for i in range(10)))
    passages = chunk_document(d, count_words, ChunkParams(max_tokens=12))
    assert [p.start for p in passages] == sorted(p.start for p in passages)
    covered = "".join(d.text[p.start : p.end] for p in passages)
    assert covered.replace("\n", "") == d.text.replace("\n", "")


def test_a_count_memo_counts_each_distinct_text_once_until_it_forgets() -> None:
    asked: list[list[str]] = []

    def counting(texts: Sequence[str]) -> list[int]:
        asked.append(list(texts))
        return count_words(texts)

    memo = CountMemo(counting)
    assert memo(["one two", "three", "one two"]) == [2, 1, 2]
    assert memo(["three", "four five six"]) == [1, 3]
    assert asked == [["one two", "three"], ["four five six"]]
    memo.forget()
    assert memo(["three"]) == [1]
    assert asked[-1] == ["three"]
