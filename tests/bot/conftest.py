"""What the tests of bot/ share."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bot.app import App


@pytest.fixture
def app(fresh_app: App, tmp_path: Path) -> App:
    """The seed corpus as the base (a private copy), servers' data in a private folder."""
    return App(replace(fresh_app.settings, data=tmp_path / "data"), fresh_app.encoder)
