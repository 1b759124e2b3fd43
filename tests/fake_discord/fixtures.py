"""pytest plugin for the fake Discord server.

Load it from a conftest or a test module::

    pytest_plugins = ["tests.fake_discord.fixtures"]

Fixtures:
    fake_discord  a started :class:`FakeDiscord`, with discord.py pointed at it (undone after the
                  test); at teardown the test fails if a Discord rule was violated, unless the test
                  declared it with ``fake_discord.expect_violations("rule.glob", ...)`` or the
                  marker ``@pytest.mark.discord_violations_ok`` (optionally with rule globs).

Helpers (importable from here or from ``tests.fake_discord``):
    run_client(bot, fake)  async context manager: start the bot, wait until ready, close it.
"""

from __future__ import annotations

import fnmatch
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from .runner import FAKE_TOKEN, point_discord_at, register_tree, run_client
from .server import FakeDiscord

__all__ = ["FAKE_TOKEN", "fake_discord", "point_discord_at", "register_tree", "run_client"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "discord_violations_ok(*rules): the fake Discord does not fail the test on violations "
        "of these rule globs (all rules when none are given)",
    )


@pytest_asyncio.fixture
async def fake_discord(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[FakeDiscord]:
    """A running fake Discord on 127.0.0.1 with discord.py's REST base and gateway aimed at it."""
    fake = FakeDiscord()
    await fake.start()
    point_discord_at(fake, monkeypatch)
    try:
        yield fake
    finally:
        await fake.stop()
    marker = request.node.get_closest_marker("discord_violations_ok")
    unexpected = fake.unexpected_violations()
    if marker is not None:
        patterns = [str(p) for p in marker.args] or ["*"]
        unexpected = [
            v for v in unexpected if not any(fnmatch.fnmatchcase(v.rule, p) for p in patterns)
        ]
    if unexpected:
        lines = "\n".join(f"  - {v}" for v in unexpected)
        pytest.fail(
            "fake Discord: the bot broke Discord's rules (declare intended ones with "
            f"fake_discord.expect_violations(...)):\n{lines}",
            pytrace=False,
        )
