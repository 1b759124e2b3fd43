"""Explain and /compare through Discord: the Explain button on every quote (anyone may press
it, the answer is private), after a restart, on a passage that changed, within Discord's
limits for the longest cases, and each server seeing only the base and its own texts."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bot.app import App
from bot.commands import corpus as texts
from bot.commands.sidecar import WorkMeta
from bot.messages import PASSAGE_GONE as GONE
from tests.bot.discord.conftest import WAIT, RunningBot, all_embed_text, answered, app_like
from tests.bot.test_quote_command import CREATION
from tests.bot.test_servers import admin_of
from tests.fake_discord import FakeDiscord, InteractionRecord

QUERY = "the sect-socialist and the trade-union movement"
NOTE_2 = "We use this awkward term instead of"

# A paragraph with a dozen long footnotes full of characters that escaping doubles.
NOTES = 12
NOTE_TEXT = "*emphasis* _under_ `code` ~~strike~~ |bars| " * 20  # ~900 characters
LONG = (
    "The Marginalia\n\n"
    + "A reader who follows every gloss "
    + " ".join(f"marker [{n}] and then another clause about glosses" for n in range(1, NOTES + 1))
    + ".\n\n"
    + "\n\n".join(f"[{n}] Note {n}: {NOTE_TEXT}" for n in range(1, NOTES + 1))
    + "\n"
).encode()


@pytest.fixture
def app(fresh_app: App, tmp_path: Path) -> App:
    return App(
        replace(fresh_app.settings, cooldown_seconds=0, server_limit=0, data=tmp_path / "data"),
        fresh_app.encoder,
    )


def explain_id(rec: InteractionRecord) -> str:
    return next(b["custom_id"] for b in rec.buttons if b["label"] == "Explain")


def text_of(rec: InteractionRecord) -> str:
    return "\n".join(all_embed_text(e) for e in rec.embeds)


async def quote_in(fake: FakeDiscord, query: str, **where: Any) -> InteractionRecord:
    rec = await fake.send_slash("quote", {"query": query}, **where)
    return await rec.wait_done(WAIT)


async def test_anyone_may_explain_a_quote_and_only_they_see_it(
    fake_discord: FakeDiscord, app: App, running_bot: RunningBot
) -> None:
    fake_discord.add_member("bob")
    async with running_bot(app):
        rec = await quote_in(fake_discord, QUERY)
        assert rec.embed is not None and rec.embed["title"].startswith("Anatomy of the Micro-Sect")
        mine = await (await fake_discord.click(rec, explain_id(rec))).wait_done(WAIT)
        theirs = await answered(fake_discord.click(rec, explain_id(rec), user="bob"))
    for click in (mine, theirs):
        assert click.ephemeral and click.embed is not None
        shown = text_of(click)
        assert click.embed["title"].startswith("Explain: Anatomy of the Micro-Sect")
        assert "4. Sects and Trade Unions" in shown  # where it sits
        assert "[2\\*]" in shown and NOTE_2 in shown  # its footnote, verbatim
        assert "sect-socialist" in [f["name"] for f in click.embed["fields"]]  # a defined term


async def test_an_explain_button_from_before_a_restart_still_answers(
    fake_discord: FakeDiscord, app: App, running_bot: RunningBot
) -> None:
    async with running_bot(app):
        rec = await quote_in(fake_discord, QUERY)
    async with running_bot(App(app.settings, app.encoder)):
        click = await (await fake_discord.click(rec, explain_id(rec))).wait_done(WAIT)
    assert click.ephemeral and NOTE_2 in text_of(click)


async def test_explaining_a_passage_changed_since_says_so_in_one_private_line(
    fake_discord: FakeDiscord, app: App, running_bot: RunningBot
) -> None:
    async with running_bot(app):
        rec = await quote_in(fake_discord, QUERY)
        draper = next(Path(app.settings.corpus).glob("draper-*.md"))
        text = draper.read_text(encoding="utf-8")
        draper.write_text(text.replace("soul-torn difficulty", "soul-torn trouble"), "utf-8")
        app.index.reindex()
        click = await (await fake_discord.click(rec, explain_id(rec))).wait_done(WAIT)
    assert click.ephemeral and click.embed is not None
    assert click.embed["description"] == GONE


async def test_the_longest_explanation_fits_discord(
    fake_discord: FakeDiscord, app: App, running_bot: RunningBot
) -> None:
    guild = fake_discord.guild_id
    meta = WorkMeta(title="The Marginalia " + "of a very long title " * 12, author="A. Glossator")
    collection = app.collections.of(guild)
    texts.add_work(app, collection, "marginalia.txt", LONG, meta, actor=admin_of(guild))
    async with running_bot(app):
        rec = await quote_in(fake_discord, "a reader who follows every gloss")
        click = await (await fake_discord.click(rec, explain_id(rec))).wait_done(WAIT)
    # The fake refuses any embed over Discord's limits: an answer at all means it fitted.
    assert click.ephemeral and click.embed is not None and not click.errors
    shown = text_of(click)
    assert "Note 1:" in shown and "Footnotes" in shown
    assert len(explain_id(rec)) <= 100


DEFINITION = "Definition of sectarianism: What is sectarianism? What are you doing about it?"


async def test_compare_answers_side_by_side_and_refuses_privately(
    fake_discord: FakeDiscord, app: App, running_bot: RunningBot
) -> None:
    async with running_bot(app):
        both = await answered(fake_discord.send_slash("compare", {"query": "what is a sect?"}))
        one = await answered(
            fake_discord.send_slash(
                "compare", {"query": "what is a sect?", "works": "Anatomy of the Micro-Sect"}
            )
        )
        unknown = await answered(
            fake_discord.send_slash("compare", {"query": "sect", "works": "Anatomy; Leviathan"})
        )
        typed = await answered(
            fake_discord.send_autocomplete(
                "compare", {"query": "sect", "works": "Anatomy of the Micro-Sect; Defin"}, "works"
            )
        )
        # Works listed already are not offered again; an author finds the work too.
        again = await answered(
            fake_discord.send_autocomplete(
                "compare", {"query": "sect", "works": "Anatomy of the Micro-Sect; "}, "works"
            )
        )
        # ... nor one named by a word of its title alone ("Anatomy; " offered Anatomy again).
        by_a_word = await answered(
            fake_discord.send_autocomplete(
                "compare", {"query": "sect", "works": "Anatomy; "}, "works"
            )
        )
        by_author = await answered(
            fake_discord.send_autocomplete("source", {"name": "Draper"}, focused="name")
        )
        # A choice holds 100 characters: cut inside the title offered, it still names it;
        # cut inside the works typed, it would drop them, so none is offered and what is
        # typed is sent as it is.
        cut = await answered(
            fake_discord.send_autocomplete(
                "compare", {"query": "sect", "works": f"{DEFINITION}; Anat"}, "works"
            )
        )
        long = await answered(
            fake_discord.send_autocomplete(
                "compare",
                {"query": "sect", "works": f"{DEFINITION}; The Longest Essays of All; Anat"},
                "works",
            )
        )
    assert not both.ephemeral and both.embed is not None
    names = [f["name"] for f in both.embed["fields"]]
    assert len(names) == 2 and all(n.endswith(" match") for n in names)
    assert one.ephemeral and "at least two works" in text_of(one)
    assert unknown.ephemeral and "Leviathan" in text_of(unknown)
    assert typed.choices[0]["value"].startswith("Anatomy of the Micro-Sect; Defin")
    assert [c["value"] for c in again.choices] == [
        "Anatomy of the Micro-Sect; Definition of sectarianism: What is sectarianism? What are "
        "you doing about it?"[:100]
    ]
    assert [c["value"] for c in by_a_word.choices] == [
        "Anatomy; Definition of sectarianism: What is sectarianism? What are you doing about it?"
    ]
    assert [c["value"] for c in by_author.choices] == ["Anatomy of the Micro-Sect"]
    assert [c["value"] for c in cut.choices] == [f"{DEFINITION}; Anatomy of the Micro"]
    assert long.choices == []


async def test_compare_takes_and_offers_books_of_a_bible_as_works(
    fake_discord: FakeDiscord, two_books_app: App, running_bot: RunningBot
) -> None:
    # As /quote's source does: "Genesis; Exodus" named no work, and no book was offered.
    app = app_like(two_books_app, cooldown_seconds=0, server_limit=0)
    async with running_bot(app):
        offered = await answered(
            fake_discord.send_autocomplete(
                "compare", {"query": CREATION, "works": "Genesis; Exo"}, "works"
            )
        )
        compared = await answered(
            fake_discord.send_slash("compare", {"query": CREATION, "works": "Genesis; Exodus"})
        )
    assert [c["value"] for c in offered.choices] == ["Genesis; Exodus"]
    assert not compared.ephemeral and compared.embed is not None
    sections = [f["value"].rpartition(" (")[2] for f in compared.embed["fields"]]
    assert sorted(s.split()[0] for s in sections) == ["Exodus", "Genesis"]


async def test_each_server_explains_and_compares_only_the_base_and_its_own_texts(
    fake_discord: FakeDiscord, app: App, running_bot: RunningBot
) -> None:
    a = fake_discord.guild_id
    b = fake_discord.add_guild("Reading Circle", members={"bea": []})
    collection = app.collections.of(a)
    meta = WorkMeta(title="The Marginalia", author="A. Glossator")
    texts.add_work(app, collection, "marginalia.txt", LONG, meta, actor=admin_of(a))
    async with running_bot(app):
        rec = await quote_in(fake_discord, "a reader who follows every gloss", guild=a)
        there = await (await fake_discord.click(rec, explain_id(rec))).wait_done(WAIT)
        elsewhere = await quote_in(fake_discord, "a reader who follows every gloss", guild=b)
        compared = await answered(
            fake_discord.send_slash(
                "compare",
                {"query": "glosses", "works": "The Marginalia; Anatomy of the Micro-Sect"},
                guild=b,
                user="bea",
            )
        )
    assert there.ephemeral and "Note 1:" in text_of(there)  # server A reads its own text
    assert "Marginalia" not in text_of(elsewhere)
    assert compared.ephemeral and "No work matching “The Marginalia”" in text_of(compared)
