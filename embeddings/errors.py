"""Typed errors of the retrieval core. Each carries a message fit to show a user as is.

Front ends map these to friendly replies; anything else is a bug and goes to the log.
"""

from __future__ import annotations


class QuotebotError(Exception):
    """Base class: `str(exc)` is a short message for the user."""


class QueryError(QuotebotError):
    """The query cannot be searched (empty, too long, only common words)."""


class IndexMissingError(QuotebotError):
    """There is no index yet."""


class IndexIncompatibleError(QuotebotError):
    """The index was built with another model or format."""


class IndexCorruptError(QuotebotError):
    """An index file does not match its checksum or cannot be read."""


class ReindexBusyError(QuotebotError):
    """A reindex is already running."""


class CorpusError(QuotebotError):
    """The corpus folder is missing or holds nothing that can be indexed."""


class ModelError(QuotebotError):
    """The embedding model cannot be loaded."""


class NotFoundError(QuotebotError):
    """A named work, author or term is not in the corpus."""


class IndexWriteError(QuotebotError, OSError):
    """A new index build could not be written (disk full, read-only, no permission).

    Still an OSError, so code that handles I/O failures keeps handling it; the message
    names the problem and says the previous index stays in use.
    """
