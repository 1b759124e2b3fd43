"""Indexing never reads outside the corpus folder, end to end through a reindex.

Symbolic links to files and folders elsewhere, links that climb out with `..`, metadata
files linked in from outside: none of it is indexed or shown, and the reindex report names
each one skipped, so an admin sees what was left out and why.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import App
from bot.commands.quote import QuoteRequest, quote
from bot.commands.source import works

SECRET = "The vault combination is seven seven three, whispered only to the treasurer."
OUTSIDE_LINKS = ("leak.txt", "leak-dir", "sub/up.txt")


def plant_links(corpus: Path, outside: Path) -> None:
    """Everything a corpus folder could hold to pull in text from `outside`."""
    outside.mkdir()
    (outside / "secret.txt").write_text(f"Secret\n\n{SECRET}\n")
    (outside / "secret-dir").mkdir()
    (outside / "secret-dir" / "notes.md").write_text(f"# Notes\n\n{SECRET}\n")
    (outside / "meta.toml").write_text('title = "Stolen Title"\nauthor = "Someone Else"\n')

    (corpus / "leak.txt").symlink_to(outside / "secret.txt")  # a file elsewhere
    (corpus / "leak-dir").symlink_to(outside / "secret-dir", target_is_directory=True)
    sub = corpus / "sub"
    sub.mkdir()
    relative = Path("..") / ".." / outside.name / "secret.txt"
    (sub / "up.txt").symlink_to(relative)  # climbs out with ..
    (sub / "loop").symlink_to(Path(".."), target_is_directory=True)  # back to the root
    (sub / "real.txt").write_text("A real note inside a subfolder, on patient organising.\n")
    (sub / "_collection.meta.toml").symlink_to(outside / "meta.toml")
    sidecar = corpus / "mim-definition-of-sectarianism.txt.meta.toml"
    sidecar.unlink(missing_ok=True)
    sidecar.symlink_to(outside / "meta.toml")  # metadata from outside, instead of its own
    (corpus / "..hidden.txt").write_text(f"{SECRET}\n")  # a name starting with dots: hidden
    (corpus / "a..b.txt").write_text("Dots inside a name are only dots: this one is indexed.\n")


@pytest.fixture
def planted(fresh_app: App, tmp_path: Path) -> App:
    plant_links(Path(fresh_app.settings.corpus), tmp_path / "outside")
    return fresh_app


def test_nothing_outside_the_corpus_is_indexed_and_each_link_is_named(planted: App) -> None:
    report = planted.index.reindex()

    for link in OUTSIDE_LINKS:
        assert f"{link}: skipped, it points outside the corpus folder" in report.skipped
    assert "sub/loop: skipped, folder already visited through another path" in report.skipped
    index = planted.index.searcher.index
    assert all("vault combination" not in p.text for p in index.passages)
    sources = {d.source for d in index.documents}
    assert sources == {
        "a..b.txt",
        "draper-anatomy-of-the-micro-sect.md",
        "mim-definition-of-sectarianism.txt",
        "sub/real.txt",
    }
    assert report.added == ["a..b.txt", "sub/real.txt"]


def test_metadata_linked_from_outside_is_ignored(planted: App) -> None:
    planted.index.reindex()
    shown = {(w.title, w.author) for w in works(planted)}
    assert not any("Stolen" in title or "Someone Else" in author for title, author in shown)


def test_the_outside_text_cannot_be_found_by_a_search(planted: App) -> None:
    planted.index.reindex()
    answer = quote(planted, QuoteRequest("vault combination whispered to the treasurer"))
    found = [*answer.quotes, *answer.weak]
    assert all("vault" not in q.text for q in found)
