"""Fixtures for the ingestion tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ingest.ingest_helpers import Corpus


@pytest.fixture
def corpus(tmp_path: Path) -> Corpus:
    """An empty corpus folder to write documents into."""
    root = tmp_path / "corpus"
    root.mkdir()
    return Corpus(root)
