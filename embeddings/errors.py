"""Typed errors of the project: what went wrong, as fields. No sentences for users here:
the front ends word them, all in one place (`bot/messages.py`).

Every expected error is a `QuotebotError`; anything else is a bug and goes to the log.
`str(error)` is for logs: the class and its fields. An error raised with a finished
sentence instead of fields (a front end's own refusal) keeps that sentence as its `str`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Literal, dataclass_transform


class QuotebotError(Exception):
    """The root of every expected error."""

    def __str__(self) -> str:
        if not hasattr(self, "__dataclass_fields__"):
            return super().__str__()
        given = [(f.name, getattr(self, f.name)) for f in fields(self)]  # type: ignore[arg-type]
        shown = ", ".join(
            f"{name}={value!r}" for name, value in given if value not in ("", None, ())
        )
        return f"{type(self).__name__}({shown})"


@dataclass_transform(eq_default=False)
@dataclass(eq=False)
class _Fields(QuotebotError):
    """Base of the errors that are dataclasses. A subclass is made one as it is declared
    (`@dataclass(eq=False)`, so each error is its annotated fields and a docstring, with
    no decorator to forget), and its fields are also `args`, so they pickle and compare in
    logs as other exceptions do."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        dataclass(eq=False)(cls)

    def __post_init__(self) -> None:
        Exception.__init__(self, *(getattr(self, f.name) for f in fields(self)))


# -- queries ----------------------------------------------------------------------------------


class QueryError(QuotebotError):
    """The query cannot be searched (empty, too long, only common words)."""


class EmptyQuery(_Fields, QueryError):
    """Nothing left to search for once spaces and invisible characters are gone."""


class QueryTooLong(_Fields, QueryError):
    length: int  # characters
    limit: int
    what: Literal["query", "term"] = "query"


class NoWords(_Fields, QueryError):
    """The query (or /define's term) holds no word at all (only punctuation or symbols)."""

    what: Literal["query", "term"] = "query"


class OnlyCommonWords(_Fields, QueryError):
    """Every word of the query (or /define's term) is a stop word."""

    what: Literal["query", "term"] = "query"


class CountOutOfRange(_Fields, QueryError):
    """More results (or fewer than one) than a search may return."""

    limit: int


class EmptyTerm(_Fields, QueryError):
    """/define was given nothing to define."""


class TermTooLong(_Fields, QueryError):
    """A term of more words than a definition can name."""

    limit: int  # words


class NameTooLong(_Fields, QueryError):
    """A name option (author, source, work) far too long to be a name."""

    option: str
    length: int
    limit: int


class NotAReference(_Fields, QueryError):
    """Text that is not a passage reference (FILE#OFFSET:HASH)."""

    text: str


class BadComparison(_Fields, QueryError):
    """A comparison that cannot be made: by neither work nor author, one work, too many."""

    problem: Literal["by", "one_work", "too_many"]
    limit: int = 0  # "too_many": the most works at once


# -- what a request names ---------------------------------------------------------------------


class NotFoundError(QuotebotError):
    """A named work, author, passage or term is not in the corpus."""


class PassageGone(_Fields, NotFoundError):
    """A passage (a reference, a button's quote) no longer in the corpus."""


class NoSuchVerse(_Fields, NotFoundError):
    """A verse reference to a book of the corpus that lacks that chapter or verse."""

    named: str  # the reference as the corpus writes it: "Jude 1:30"
    book: str
    chapter: int
    chapters: int  # the book's chapters
    verses: int  # the chapter's verses (0: no such chapter)
    # A range of chapters the book lacks may mean a verse it has: "Ruth 3-9", Ruth 3:9.
    meant: str = ""


class WorkGone(_Fields, NotFoundError):
    """A work a result came from is no longer in the corpus."""

    source: str


class NoWorkMatching(_Fields, NotFoundError):
    """Filters that no work meets: an author, a title and/or a book (all "" never happens)."""

    author: str = ""
    title: str = ""
    where: Literal["corpus", "server"] = "corpus"  # the whole corpus, or the server's view
    book: str = ""  # a book of verses (`Filters.book`)


class NoMatch(_Fields, NotFoundError):
    """A work or author named for /source or a comparison that nothing matches."""

    name: str
    kind: Literal["work", "author"] = "work"
    where: Literal["corpus", "server"] = "corpus"  # the whole corpus, or the server's view


class NoWorkCalled(_Fields, NotFoundError):
    """A corpus change names a work the collection does not have (names never guess)."""

    name: str
    where: str = ""  # where it was looked for ("the base corpus"); "": the collection


class NotInTrash(_Fields, NotFoundError):
    name: str


# -- the index --------------------------------------------------------------------------------


class IndexMissingError(_Fields, QuotebotError):
    """There is no index yet."""

    folder: str


CorruptProblem = Literal[
    "no_manifest",  # where: the build
    "bad_manifest",  # where: the build; detail: the parser's message
    "build_missing",  # where: the build the index names
    "no_current",  # where: the CURRENT file, missing or empty beside finished builds
    "file_missing",  # where: the file, relative to its build
    "file_damaged",  # where: the file; its checksum does not match
    "unreadable",  # where: the build; detail: what failed
    "disagree",  # the files disagree with the manifest
]


class IndexCorruptError(_Fields, QuotebotError):
    """An index file does not match its checksum or cannot be read."""

    problem: CorruptProblem
    where: str = ""
    detail: str = ""


class IndexIncompatibleError(_Fields, QuotebotError):
    """The index was built by another format version or with another model."""

    problem: Literal["format", "model"]
    found: str  # the index's format version, or the model it was built with
    expected: str  # what this quotebot reads, or the model it is set to use
    # The index's model is the configured one, which could not be loaded: `expected` is
    # the bundled model answering instead, not what the settings name.
    unloadable: bool = False


class IndexWriteError(_Fields, QuotebotError, OSError):
    """A new index build could not be written (disk full, read-only, no permission).

    Still an OSError, so code that handles I/O failures keeps handling it; the previous
    index stays in use.
    """

    reason: str  # the system's reason ("No space left on device")


class DataFolderUnusable(_Fields, QuotebotError):
    """The data folder (a collection's trash or audit log) cannot be written: a corpus
    change is refused before anything is written."""

    folder: str
    reason: str


class ReindexBusyError(_Fields, QuotebotError):
    """A reindex is already running."""


# -- the corpus and the model -----------------------------------------------------------------


class CorpusError(_Fields, QuotebotError):
    """The corpus folder is missing, is not a folder, or holds nothing that can be indexed."""

    problem: Literal["missing", "not_folder", "empty"]
    folder: str
    skipped: tuple[str, ...] = ()  # "empty": the first files skipped, with their reasons


ModelProblem = Literal[
    "not_installed",  # the bundled model package is missing
    "unknown_backend",  # detail: the backend asked for
    "cannot_load",  # model: its name; detail: why
    "not_plain_bert",  # model: its folder; detail: why not
    "onnx_missing",  # the ONNX extra is not installed
    "onnx_needs_folder",  # model: not a local sentence-transformers folder
    "onnx_modules",  # detail: the folder's module kinds
    "onnx_pooling",  # a pooling other than mean
    "onnx_export",  # model: the folder; detail: why
    "onnx_quantise",  # model: the export; detail: why
]


class ModelError(_Fields, QuotebotError):
    """The embedding model cannot be loaded."""

    problem: ModelProblem
    model: str = ""
    detail: str = ""
    choices: tuple[str, ...] = ()  # "unknown_backend": the backends there are


class BuildRefused(_Fields, QuotebotError):
    """A build asked for while the configured model cannot be loaded: the bundled model
    answers meanwhile, and an index built with it would not be the one the settings name."""

    cause: ModelError


TuneProblem = Literal[
    "out_exists",  # folder: the output folder, which must be new
    "out_not_folder",  # folder; detail: its parent, which is not a folder
    "out_not_writable",  # folder; detail: its parent, or the system's reason
    "nothing_to_train",  # folder: the corpus
]


class TuneError(_Fields, QuotebotError):
    """`quotebot tune` cannot start or finish."""

    problem: TuneProblem
    folder: str
    detail: str = ""


# -- settings ---------------------------------------------------------------------------------

SettingsProblem = Literal[
    "no_file",  # source: the settings file that does not exist
    "unreadable",  # source; detail: why (a folder, no permission, not UTF-8)
    "not_toml",  # source; detail: the parser's message
    "unknown",  # key: a section or section.key the file may not hold; suggestion
    "not_table",  # key: a section given a value instead of a table of settings
    "type",  # key, value; kind: what it must be ("int", "float", "bool", "text", "ids")
    "choice",  # key, value, choices
    "range",  # key, value, low and/or high
    "shard_count",  # value: a negative number of shards
    "shard_id",  # value: an item of the shard ids that is not a whole number
    "shard_ids_alone",  # shard ids without a shard count
    "shard_outside",  # value: the first id >= count; count
    "shard_twice",  # value: an id given twice
]


class SettingsError(_Fields, QuotebotError):
    """A setting is missing or malformed: which one, where it was set, and what it must be."""

    problem: SettingsProblem
    key: str = ""  # "section.key" ("shards": a flag's)
    value: object = None
    source: str = ""  # the settings file it was read from ...
    variable: str = ""  # ... or the environment variable
    kind: str = ""
    choices: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None
    count: int = 0
    suggestion: str = ""
    detail: str = ""
