"""What the tests of bot/ share."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from bot.app import App

# The first verses of the King James Bible's Genesis, as Gutenberg's file of the book.
GENESIS = Path(__file__).parents[1] / "ingest" / "fixtures" / "kjv-genesis-excerpt.htm"
# Excerpts of the King James Bible as Project Gutenberg's plain text (pg10.txt) lays it out.
PG10 = GENESIS.with_name("kjv-pg10-excerpt.txt")


@pytest.fixture
def app(fresh_app: App, tmp_path: Path) -> App:
    """The seed corpus as the base (a private copy), servers' data in a private folder."""
    return App(replace(fresh_app.settings, data=tmp_path / "data"), fresh_app.encoder)


@pytest.fixture
def bible_app(fresh_app: App, tmp_path: Path) -> App:
    """The seeds and the first chapters of the King James Bible's Genesis."""
    app = App(replace(fresh_app.settings, data=tmp_path / "data"), fresh_app.encoder)
    (app.settings.corpus / "kjv").mkdir()
    shutil.copy(GENESIS, app.settings.corpus / "kjv" / "book01.htm")
    (app.settings.corpus / "kjv" / "_collection.meta.toml").write_text(
        'title = "The King James Bible"\ndate = "1611"\n'
    )
    app.collections.base.reindex()
    return app


@pytest.fixture
def pg10_app(app: App) -> App:
    """The seeds and excerpts of the Bible in one plain-text file, as Gutenberg gives it."""
    shutil.copy(PG10, app.settings.corpus / "pg10.txt")
    app.collections.base.reindex()
    return app


@pytest.fixture
def two_books_app(bible_app: App) -> App:
    """`bible_app` with a second book, Exodus: Genesis's verses with "the Lord" for "God"."""
    kjv = bible_app.settings.corpus / "kjv"
    genesis = (kjv / "book01.htm").read_text(encoding="latin-1")
    (kjv / "book02.htm").write_text(
        genesis.replace("Genesis", "Exodus").replace("God", "the Lord"), encoding="latin-1"
    )
    bible_app.collections.base.reindex()
    return bible_app
