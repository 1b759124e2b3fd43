"""bench.run's copy of the shared corpora: their texts, with the metadata the texts cannot
say of themselves, the seed essays' sidecars among it (the repository's corpus/ holds them,
the shared seeds/ do not)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bench.run import prepare_corpus
from embeddings.ingest.discovery import SIDECAR_SUFFIX, discover, is_sidecar
from embeddings.ingest.reader import read_document
from tests.conftest import SEED_CORPUS

MIM = "seeds/mim-definition-of-sectarianism.txt"  # its author is in its sidecar alone


@pytest.fixture
def shared(tmp_path: Path) -> Path:
    """Shared corpora as they are published: the seed essays without sidecars."""
    seeds = tmp_path / "shared" / "seeds"
    seeds.mkdir(parents=True)
    for path in SEED_CORPUS.iterdir():
        if not is_sidecar(path.name):
            shutil.copy2(path, seeds / path.name)
    return seeds.parent


def authors(corpus: Path, prefix: str = "") -> dict[str, str]:
    """Each document's author as the indexer reads it."""
    files, _ = discover(corpus)
    return {prefix + f.source: read_document(f, corpus).meta.author for f in files}


@pytest.mark.parametrize("only", [None, ["seeds"], [MIM]], ids=["all", "seeds", "one"])
def test_the_seed_essays_are_by_the_authors_the_repositorys_sidecars_name(
    shared: Path, tmp_path: Path, only: list[str] | None
) -> None:
    corpus = prepare_corpus(shared, tmp_path / "copy", only)
    named = authors(SEED_CORPUS, prefix="seeds/")
    assert all(named.values())  # the repository's corpus names every author
    copied = [MIM] if only == [MIM] else list(named)
    assert authors(corpus) == {source: named[source] for source in copied}


def test_a_sidecar_the_shared_seeds_have_of_their_own_is_kept(shared: Path, tmp_path: Path) -> None:
    (shared / (MIM + SIDECAR_SUFFIX)).write_text('author = "MIM (the shared seeds)"\n')
    corpus = prepare_corpus(shared, tmp_path / "copy")
    assert authors(corpus)[MIM] == "MIM (the shared seeds)"
