"""`quotebot tune`: training pairs from the corpus itself, and a model folder that loads."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bot.cli import main
from embeddings import backends, bert
from embeddings.documents import Block, Document, DocumentMeta, with_offsets
from embeddings.encoder import Encoder
from embeddings.errors import TuneError
from embeddings.tune import (
    RECORD_FILE,
    Pair,
    TuneParams,
    check_out,
    corpus_pairs,
    document_pairs,
    read_corpus,
    sample_pairs,
    tune,
)

ESSAY = """# On sects

A sect puts its own survival above the movement it claims to serve. Its members judge every \
question by what it does for the group. They read rival papers only to find fault.

Cooperation with other groups is treated as a danger to be managed. A joint meeting is \
judged by the recruits it brings. The work of others is never recommended to members.

A short line.
"""


def doc(*blocks: Block, source: str = "a.txt") -> Document:
    return Document(source, DocumentMeta("A"), with_offsets(list(blocks)))


def verse(text: str, locator: str) -> Block:
    return Block(text, section="Matthew", kind="verse", locator=locator)


def test_a_sentence_is_paired_with_the_rest_of_its_paragraph() -> None:
    para = Block(
        "The first sentence has enough words. The second one has enough words too. "
        "And a third sentence closes it."
    )
    pairs = document_pairs(doc(para))
    assert [p.query for p in pairs] == [
        "The first sentence has enough words.",
        "The second one has enough words too.",
        "And a third sentence closes it.",
    ]
    assert pairs[1].context == (
        "The first sentence has enough words. And a third sentence closes it."
    )
    assert all(p.kind == "sentence" and p.query not in p.context for p in pairs)


def test_a_sentence_too_short_to_mean_anything_is_no_query() -> None:
    para = Block(
        "Jesus wept. Then said the Jews, Behold how he loved him! And some of them said, "
        "Could not this man have caused that even this man should not have died?"
    )
    queries = [p.query for p in document_pairs(doc(para))]
    assert len(queries) == 2 and "Jesus wept." not in queries


def test_a_verse_is_paired_with_its_neighbours_in_the_same_chapter_only() -> None:
    blocks = (
        verse("Give us this day our daily bread, and forgive our debts.", "5:48"),
        verse("Take heed that ye do not your alms before men, to be seen of them.", "6:1"),
        verse("Therefore when thou doest thine alms, do not sound a trumpet before thee.", "6:2"),
        verse("But when thou doest alms, let not thy left hand know what thy right doeth.", "6:3"),
    )
    pairs = document_pairs(doc(*blocks))
    by_query = {p.query: p for p in pairs}
    first_of_chapter = by_query[blocks[1].text]
    assert first_of_chapter.kind == "neighbours"
    assert first_of_chapter.context == blocks[2].text  # not 5:48, another chapter
    middle = by_query[blocks[2].text]
    assert middle.context == f"{blocks[1].text} {blocks[3].text}"


def test_one_sentence_paragraphs_pair_with_neighbours_but_entries_do_not() -> None:
    blocks = (
        Block("He looked at the river for a long while.", section="Chapter I"),
        Block("Nobody on the bank said a word to him.", section="Chapter I"),
        Block("CYNIC, a blackguard whose faulty vision sees things as they are", kind="entry"),
        Block("CYNOSURE, something that everybody looks at with a kind of pity", kind="entry"),
    )
    pairs = document_pairs(doc(*blocks))
    assert [(p.query, p.context) for p in pairs] == [
        (blocks[0].text, blocks[1].text),
        (blocks[1].text, blocks[0].text),
    ]


def test_a_sentence_that_recurs_in_the_corpus_is_left_out() -> None:
    formula = "And the LORD spake unto Moses, saying,"
    one = doc(verse(formula, "1:1"), verse("Speak unto the children of Israel, and say.", "1:2"))
    two = doc(verse(formula, "2:1"), verse("Command them to bring oil.", "2:2"), source="b")
    queries = [p.query for p in corpus_pairs([one, two])]
    assert formula not in queries
    assert "Speak unto the children of Israel, and say." in queries


def test_sampling_is_capped_and_the_same_seed_gives_the_same_pairs() -> None:
    pairs = [Pair(f"query {i}", f"context {i}", "sentence", "a") for i in range(100)]
    first = sample_pairs(pairs, 10, seed=3)
    assert len(first) == 10 and len(set(first)) == 10
    assert sample_pairs(pairs, 10, seed=3) == first
    assert sample_pairs(pairs, 10, seed=4) != first
    assert sorted(sample_pairs(pairs, 500, seed=3), key=pairs.index) == pairs


def test_the_corpus_is_read_from_its_files(tmp_path: Path) -> None:
    (tmp_path / "essay.md").write_text(ESSAY)
    docs, skipped = read_corpus(tmp_path)
    pairs = corpus_pairs(docs)
    assert skipped == []
    assert {p.query for p in pairs} >= {
        "Its members judge every question by what it does for the group.",
        "The work of others is never recommended to members.",
    }


def test_bad_output_folders_are_refused_before_any_training(tmp_path: Path) -> None:
    taken = tmp_path / "model"
    taken.mkdir()
    with pytest.raises(TuneError) as exists:
        check_out(taken)
    assert (exists.value.problem, exists.value.folder) == ("out_exists", str(taken))
    (tmp_path / "file").write_text("")
    with pytest.raises(TuneError) as not_folder:
        check_out(tmp_path / "file" / "model")
    assert not_folder.value.problem == "out_not_folder"
    check_out(tmp_path / "new")  # a new folder in a writable one is fine


def test_a_corpus_with_nothing_to_train_on_is_refused(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    with pytest.raises(TuneError) as nothing:
        tune(corpus, tmp_path / "model", "all-MiniLM-L6-v2", TuneParams())
    assert (nothing.value.problem, nothing.value.folder) == ("nothing_to_train", str(corpus))
    assert not (tmp_path / "model").exists()


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("empty", "to train on"),
        ("exists", "already exists; choose a new one."),
        ("missing", "does not exist"),
    ],
)
def test_the_command_says_what_is_wrong_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], setup: str, message: str
) -> None:
    corpus, out = tmp_path / "corpus", tmp_path / "model"
    if setup != "missing":
        corpus.mkdir()
    if setup == "exists":
        (corpus / "essay.md").write_text(ESSAY)
        out.mkdir()
    code = main(["tune", "--corpus", str(corpus), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1 and message in err


def test_the_command_trains_the_configured_model_on_the_corpus_it_is_given(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import embeddings.tune

    calls: list[tuple[Path, Path, str, TuneParams]] = []

    def fake_tune(corpus: Path, out: Path, model: str, params: TuneParams, _: object) -> object:
        calls.append((corpus, out, model, params))
        return embeddings.tune.TuneReport(
            str(corpus), model, 3, 9, {"sentence": 3}, 1, 2.0, params, str(out), 1
        )

    monkeypatch.setattr(embeddings.tune, "tune", fake_tune)
    monkeypatch.setenv("QUOTEBOT_MODEL", "/models/base")
    argv = ["tune", "--corpus", str(tmp_path), "--out", "m", "--max-pairs", "3", "--seed", "5"]
    code = main([*argv, "--epochs", "2"])
    assert code == 0
    [(corpus, out, model, params)] = calls
    assert (corpus, out, model) == (tmp_path.resolve(), Path("m"), "/models/base")
    assert (params.max_pairs, params.epochs, params.seed) == (3, 2, 5)
    assert "Tuned /models/base on 3 pairs (3 sentence)" in capsys.readouterr().out


def test_the_command_refuses_a_negative_seed(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["tune", "--out", "x", "--seed", "-1"])
    assert exit_.value.code == 2
    assert "whole number" in capsys.readouterr().err


@pytest.mark.slow
def test_a_few_steps_of_tuning_give_a_model_folder_the_lean_encoder_loads(tmp_path: Path) -> None:
    from sentence_transformers import SentenceTransformer

    corpus, out = tmp_path / "corpus", tmp_path / "tuned"
    corpus.mkdir()
    (corpus / "essay.md").write_text(ESSAY)
    params = TuneParams(max_pairs=8, batch_size=4, seed=1, threads=1)
    report = tune(corpus, out, "all-MiniLM-L6-v2", params)

    record = json.loads((out / RECORD_FILE).read_text())
    assert record["pairs"] == report.pairs == 6  # every pair the essay has, under the cap
    assert record["steps"] == 2 and record["seed"] == 1
    assert record["batch_size"] == 4 and record["warmup"] == params.warmup  # every setting
    assert record["corpus"] == str(corpus) and record["base_model"] == "all-MiniLM-L6-v2"
    assert bert.unsupported_reason(out) is None  # the bot runs it without sentence-transformers
    encoder = Encoder(str(out))
    texts = ["what a sect puts first", "the work of rival groups"]
    vectors = encoder.encode(texts)
    assert backends.choose("torch", "passage", str(out)) == "torch-bert"
    assert encoder.max_tokens == 254  # MiniLM's limit, kept
    assert vectors.shape == (2, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    # sentence-transformers reads the folder the same way: the same limit, the same vectors.
    loaded = SentenceTransformer(str(out), device="cpu")
    assert loaded.max_seq_length == 256
    np.testing.assert_allclose(loaded.encode(texts, normalize_embeddings=True), vectors, atol=1e-5)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp-")]


@pytest.mark.slow
def test_the_same_seed_gives_the_same_weights(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "essay.md").write_text(ESSAY)
    params = TuneParams(max_pairs=4, batch_size=4, seed=7, threads=1)
    for name in ("one", "two"):
        tune(corpus, tmp_path / name, "all-MiniLM-L6-v2", params)
    weights = [(tmp_path / n / "model.safetensors").read_bytes() for n in ("one", "two")]
    assert weights[0] == weights[1]
    assert Encoder(str(tmp_path / "one")).encode(["a sect"]).tobytes() != (
        Encoder("all-MiniLM-L6-v2").encode(["a sect"]).tobytes()
    )  # and one step did change the model
