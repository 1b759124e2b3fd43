"""Ingestion: corpus files (Markdown, plain text, Project Gutenberg, HTML) to `Document`s.

files, warnings = discover(root)
for file in files:
    try:
        document = read_document(file, root)
    except IngestError as exc:
        log(exc)  # "notes.md: broken front matter (line 3: ...)"
"""

from __future__ import annotations

from embeddings.ingest.discovery import SUPPORTED_SUFFIXES, CorpusFile, discover
from embeddings.ingest.errors import IngestError
from embeddings.ingest.metadata import metadata_paths
from embeddings.ingest.reader import read_document

__all__ = [
    "SUPPORTED_SUFFIXES",
    "CorpusFile",
    "IngestError",
    "discover",
    "metadata_paths",
    "read_document",
]
