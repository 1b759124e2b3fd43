"""Helpers for the ingestion tests: a scratch corpus folder, fixtures, the shared corpora."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from embeddings.documents import Document
from embeddings.ingest import CorpusFile, read_document

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED_CORPORA = REPO / ".." / "shared" / "corpora"


def corpus_file(root: Path, source: str) -> CorpusFile:
    path = root / source
    stat = path.stat()
    return CorpusFile(path=path, source=source, size=stat.st_size, mtime_ns=stat.st_mtime_ns)


@dataclass
class Corpus:
    """A corpus folder in tmp_path: write files into it, read them back as documents."""

    root: Path

    def write(self, source: str, content: str | bytes) -> Path:
        path = self.root / source
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            path.write_bytes(content)
        return path

    def copy_fixture(self, name: str, source: str | None = None) -> Path:
        return self.write(source or name, (FIXTURES / name).read_bytes())

    def read(self, source: str) -> Document:
        return read_document(corpus_file(self.root, source), self.root)

    def document(self, source: str, content: str | bytes) -> Document:
        """Write a file, then read it back as the corpus would."""
        self.write(source, content)
        return self.read(source)


def shared_file(relative: str) -> Path:
    """A file of the shared corpora beside the repository; skips the test if absent."""
    path = SHARED_CORPORA / relative
    if not path.is_file():
        pytest.skip(f"shared corpus file {relative} is not available")
    return path
