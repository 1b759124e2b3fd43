"""/source end to end: the list of works, one work, and title autocomplete."""

from __future__ import annotations

from bot.app import App
from bot.commands.source import works
from tests.bot.discord.conftest import Ask, RunningBot, answered
from tests.fake_discord import FakeDiscord

DRAPER = "Anatomy of the Micro-Sect"


async def test_source_lists_the_works_with_their_passage_counts(ask: Ask, app: App) -> None:
    rec = await ask("source")
    assert rec.response_type == "message" and rec.ephemeral
    embed = rec.embed
    assert embed is not None and embed["title"] == f"{len(works(app))} works in the corpus"
    for work in works(app):
        assert f"{work.passages:,} passages" in embed["description"]
    assert "Anatomy of the Micro-Sect — Hal Draper (1973)" in embed["description"]


async def test_source_with_a_title_shows_that_works_details(ask: Ask, app: App) -> None:
    draper = next(w for w in works(app) if w.title == DRAPER)
    rec = await ask("source", {"name": DRAPER})
    embed = rec.embed
    assert embed is not None and embed["title"] == DRAPER
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Author"] == "Hal Draper"
    assert fields["Date"] == draper.date
    assert fields["Passages"] == str(draper.passages)
    assert fields["Link"] == draper.url
    assert embed["description"].startswith("Sections: ")


async def test_source_with_an_unknown_name_says_so_privately(ask: Ask) -> None:
    rec = await ask("source", {"name": "The Necronomicon"})
    assert rec.ephemeral and rec.embed is not None
    assert rec.embed["title"] == "Sorry"
    said = rec.embed["description"]
    assert "No work matching “The Necronomicon” is in this server's corpus" in said


async def test_source_autocomplete_suggests_work_titles(
    fake_discord: FakeDiscord, app: App, running_bot: RunningBot
) -> None:
    async with running_bot(app):
        rec = await answered(
            fake_discord.send_autocomplete("source", {"name": "anat"}, focused="name")
        )
        everything = await answered(
            fake_discord.send_autocomplete("source", {"name": ""}, focused="name")
        )
    assert rec.choices == [{"name": DRAPER, "value": DRAPER}]
    assert everything.choices is not None
    assert len(everything.choices) == min(25, len(works(app)))


async def test_quote_source_option_autocompletes_titles_too(ask: Ask) -> None:
    rec = await ask("quote", {"query": "sect", "source": "micro"}, focused="source")
    assert rec.choices == [{"name": DRAPER, "value": DRAPER}]
