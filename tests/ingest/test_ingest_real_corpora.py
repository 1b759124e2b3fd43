"""Whole files from the shared corpora beside the repository (skipped when absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from embeddings.documents import Document
from embeddings.ingest import discover, read_document
from tests.ingest.ingest_helpers import SHARED_CORPORA, corpus_file, shared_file


def read_shared(relative: str) -> Document:
    path = shared_file(relative)
    root = path.parents[len(Path(relative).parts) - 1]
    return read_document(corpus_file(root, relative), root)


def test_mim_page() -> None:
    doc = read_shared("seeds/mim-definition-of-sectarianism.txt")
    assert doc.meta.title == (
        "Definition of sectarianism: What is sectarianism? What are you doing about it?"
    )
    assert doc.meta.date == "2002-01-26"
    assert "[About]" not in doc.text and "This is an archive" not in doc.text


def test_draper_essay() -> None:
    doc = read_shared("seeds/draper-anatomy-of-the-micro-sect.md")
    assert (doc.meta.title, doc.meta.author, doc.meta.date) == (
        "Anatomy of the Micro-Sect",
        "Hal Draper",
        "1973",
    )
    intro = [b for b in doc.blocks if b.section == "Introduction"]
    assert intro[0].text.startswith("There is a terminological problem.")
    assert "A sect presents itself as the embodiment of the socialist movement," in intro[0].text
    assert doc.footnotes["2*"].anchor.endswith("The sect-socialist")
    assert set(doc.footnotes) == {"1", "1*", "2*", "3*", "4*"}
    for debris in ("Top of the page", "Last updated", "MIA >", "http"):
        assert debris not in doc.text
    assert doc.links


def test_manifesto() -> None:
    doc = read_shared("gutenberg/communist-manifesto.txt")
    assert doc.meta.title == "The Communist Manifesto"
    assert "Project Gutenberg" not in doc.text
    assert "I. BOURGEOIS AND PROLETARIANS" in doc.sections
    assert doc.blocks[-1].text == "WORKING MEN OF ALL COUNTRIES, UNITE!"


def test_news_from_nowhere_chapters() -> None:
    doc = read_shared("gutenberg/news-from-nowhere.txt")
    chapters = [s for s in doc.sections if s.startswith("CHAPTER ")]
    assert len(chapters) == 32
    assert chapters[0] == "CHAPTER I: DISCUSSION AND BED"
    assert set(doc.footnotes) == {"1", "2", "3"}


def test_kjv_genesis_and_psalms_verse_counts() -> None:
    genesis = read_shared("gutenberg/kjv/book01.htm")
    assert genesis.meta.title == "Genesis"
    assert sum(1 for b in genesis.blocks if b.kind == "verse") == 1533
    assert len(genesis.blocks) == 1533
    psalms = read_shared("gutenberg/kjv/book19.htm")
    assert psalms.meta.title == "Psalms"
    assert sum(1 for b in psalms.blocks if b.kind == "verse") == 2461
    assert psalms.blocks[-1].locator == "150:6"


@pytest.mark.skipif(not (SHARED_CORPORA / "gutenberg" / "kjv").is_dir(), reason="no KJV")
def test_whole_kjv_has_31102_verses() -> None:
    root = SHARED_CORPORA / "gutenberg" / "kjv"
    files, warnings = discover(root)
    assert len(files) == 66 and warnings == []
    verses = sum(sum(1 for b in read_document(f, root).blocks if b.kind == "verse") for f in files)
    assert verses == 31102
