"""/define end to end, with its term autocomplete."""

from __future__ import annotations

import shutil
import time

import pytest

from bot.app import App
from tests.bot.discord.conftest import Ask, RunningBot, answered
from tests.bot.test_define_command import DICTIONARY
from tests.fake_discord import FakeDiscord

# What the seed corpus says "sectarianism" means, checked by hand: MIM's paragraph on what
# Marxists mean by it comes first, with its defining sentence in bold.
DEFINING_SENTENCE = (
    'When Marxists speak of "sectarianism," they refer to a situation where an organization '
    "puts its own needs above those of the international proletariat."
)


async def test_define_pages_what_the_corpus_says_a_term_means(ask: Ask) -> None:
    rec = await ask("define", {"term": "sectarianism"})
    # Answered at once, or "thinking…" first when the search is slow: public either way.
    assert rec.response_type in ("message", "deferred") and not rec.ephemeral
    embed = rec.embed
    assert embed is not None
    assert embed["title"] == (  # the work and who wrote it
        "Definition of sectarianism: What is sectarianism? What are you doing about it? — "
        "Maoist Internationalist Movement (MIM)"
    )
    assert f"**{DEFINING_SENTENCE}**" in embed["description"]
    assert embed["description"].startswith("In discussions of communism and socialism, it is")
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Author"] == "Maoist Internationalist Movement (MIM)"
    assert fields["Date"] == "2002-01-26"
    assert fields["Kind"] == "definition"
    assert embed["footer"]["text"] == "Result 1 of 5 · mim-definition-of-sectarianism.txt"
    assert "pager:next" in [b["custom_id"] for b in rec.buttons]


async def test_term_autocomplete_suggests_terms_from_the_vocabulary(ask: Ask) -> None:
    rec = await ask("define", {"term": "sect"}, focused="term")
    assert rec.response_type == "autocomplete"
    assert rec.choices is not None and len(rec.choices) <= 25
    for choice in rec.choices:
        assert choice["name"] and len(choice["name"]) <= 100 and len(choice["value"]) <= 100


async def test_term_autocomplete_fits_discords_limits_however_many_terms_match(
    ask: Ask, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.discord.cogs.define as cog

    many = [f"term {i} " + "with a very long tail " * 8 for i in range(60)]
    monkeypatch.setattr(cog, "complete_terms", lambda app, prefix, guild=None: many)
    rec = await ask("define", {"term": "term"}, focused="term")
    assert rec.choices is not None and len(rec.choices) == 25
    assert all(len(c["name"]) <= 100 and len(c["value"]) <= 100 for c in rec.choices)
    assert rec.choices[0]["name"].endswith("…")


async def test_a_failing_autocomplete_offers_nothing_instead_of_breaking(
    ask: Ask, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.discord.cogs.define as cog

    def broken(app: App, prefix: str, guild: int | None = None) -> list[str]:
        raise RuntimeError("vocabulary unavailable")

    monkeypatch.setattr(cog, "complete_terms", broken)
    rec = await ask("define", {"term": "x"}, focused="term")
    assert rec.choices == []


async def test_a_slow_autocomplete_offers_nothing_within_discords_three_seconds(
    ask: Ask, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An autocomplete cannot be deferred: a lookup still running is given up in time to
    # answer Discord with no choices, never answered late (Discord would drop it).
    import bot.discord.cogs.define as cog

    def slow(app: App, prefix: str, guild: int | None = None) -> list[str]:
        time.sleep(4.0)
        return ["sectarianism"]

    monkeypatch.setattr(cog, "complete_terms", slow)
    rec = await ask("define", {"term": "sect"}, focused="term")
    assert rec.response_type == "autocomplete" and rec.choices == []
    assert rec.response_time is not None and rec.response_time < 3.0


async def test_a_headword_of_initials_is_answered_with_its_entry(
    fake_discord: FakeDiscord, fresh_app: App, running_bot: RunningBot
) -> None:
    # Checked before the answer is deferred, like every term: "R.I.P." has no word a
    # search reads, yet the dictionary defines it.
    shutil.copy(DICTIONARY, fresh_app.settings.corpus / DICTIONARY.name)
    fresh_app.index.reindex()
    async with running_bot(fresh_app):
        rec = await answered(fake_discord.send_slash("define", {"term": "R.I.P."}))
    assert rec.embed is not None and not rec.ephemeral, rec.summary()
    assert "R.I.P. A careless abbreviation" in rec.embed["description"]


async def test_a_slow_headword_check_never_keeps_discord_waiting(
    ask: Ask, monkeypatch: pytest.MonkeyPatch
) -> None:
    # "the" may be a dictionary's headword; finding out may load a server's index. That
    # check waits no longer than a search does before "thinking…": the answer is on time.
    import bot.discord.cogs.define as cog

    def slow(app: App, term: str, guild: int | None) -> None:
        time.sleep(4.0)

    monkeypatch.setattr(cog, "check_term_in", slow)
    rec = await ask("define", {"term": "the"})
    assert rec.response_time is not None and rec.response_time < 3.0
    assert rec.embed is not None and "very common words" in rec.embed["description"]
