"""The one error type readers raise for a file that cannot become a document."""

from __future__ import annotations

from embeddings.errors import QuotebotError


class IngestError(QuotebotError):
    """A corpus file that cannot be read as a document.

    The message is one line: the file's source path, then the reason
    (`"notes.md: broken front matter (line 3: mapping values are not allowed here)"`),
    so an indexing run can log it and carry on with the next file.
    """

    def __init__(self, source: str, reason: str) -> None:
        self.source = source
        # Parser messages (YAML, TOML) span lines; the log line must not.
        self.reason = " ".join(reason.split())
        super().__init__(f"{source}: {self.reason}")
