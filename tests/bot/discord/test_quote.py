"""/quote end to end: the embed, the pager's buttons, who may use them, and when they expire."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from bot.app import App
from bot.commands.quote import QuoteRequest, quote
from bot.commands.results import Quote
from bot.discord import render
from bot.discord.client import QuoteBot
from bot.discord.views import NOT_YOURS
from bot.settings import SettingsError, load_settings
from tests.bot.discord.conftest import WAIT, app_like
from tests.bot.discord.waiting import eventually
from tests.fake_discord import FakeDiscord, run_client

# A question whose best passage has a link and neighbours on both sides (Draper).
QUERY = "what is a sect in socialist politics?"


async def test_quote_shows_the_best_passage_with_its_sentence_in_bold_and_its_citation(
    fake_discord: FakeDiscord, app: App
) -> None:
    expected = quote(app, QuoteRequest(QUERY)).quotes
    best = expected[0]
    async with run_client(QuoteBot(app), fake_discord):
        rec = await fake_discord.send_slash("quote", {"query": QUERY})
        await rec.wait_done(WAIT)

    # Answered at once, or "thinking…" first when the search is slow: public either way.
    assert rec.response_type in ("message", "deferred") and not rec.ephemeral
    embed = rec.embed
    assert embed is not None
    assert embed["title"] == best.title
    assert embed["url"] == best.url
    assert f"**{render.escape(best.highlighted.strip())}**" in embed["description"]
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Author"] == best.author
    assert fields.get("Section", "") == render.escape(best.section)  # absent when unknown
    assert fields["Date"] == best.date
    assert fields["Link"] == best.url
    assert "Score" in fields
    assert embed["footer"]["text"] == f"Result 1 of {len(expected)} · {best.source}"
    assert [b["label"] for b in rec.buttons] == [
        "Previous",
        "Next",
        "Context",
        "Cite",
        "More from this source",
    ]
    assert rec.buttons[0]["disabled"] and not rec.buttons[1]["disabled"]


async def test_next_and_previous_turn_the_page_in_place(
    fake_discord: FakeDiscord, app: App
) -> None:
    async with run_client(QuoteBot(app), fake_discord):
        rec = await fake_discord.send_slash("quote", {"query": QUERY, "count": 3})
        await rec.wait_done(WAIT)
        first = rec.embed

        for _ in range(2):
            click = await fake_discord.click(rec, "pager:next")
            await click.wait_done(WAIT)
            assert click.response_type == "update_message"
        assert rec.embed is not None and rec.embed["footer"]["text"].startswith("Result 3 of 3")
        assert {b["label"]: b["disabled"] for b in rec.buttons}["Next"]  # the last page

        back = await fake_discord.click(rec, "pager:previous")
        await back.wait_done(WAIT)
        assert rec.embed is not None and rec.embed["footer"]["text"].startswith("Result 2 of 3")
        back = await fake_discord.click(rec, "pager:previous")
        await back.wait_done(WAIT)
    assert rec.embed == first


async def test_context_shows_the_passages_around_the_quote_privately(
    fake_discord: FakeDiscord, app: App
) -> None:
    best = quote(app, QuoteRequest(QUERY)).quotes[0]
    async with run_client(QuoteBot(app), fake_discord):
        rec = await fake_discord.send_slash("quote", {"query": QUERY})
        await rec.wait_done(WAIT)
        click = await fake_discord.click(rec, "pager:context")
        await click.wait_done(WAIT)

    assert click.ephemeral
    embed = click.embed
    assert embed is not None and embed["title"] == f"Context: {best.title}"
    # The passage itself in bold, between its neighbours.
    before, bold, after = embed["description"].split("**")
    assert before.strip() and after.strip()
    assert bold.startswith(render.escape(" ".join(best.text.split()))[:40])


async def test_cite_gives_a_ready_to_paste_citation_privately(
    fake_discord: FakeDiscord, app: App
) -> None:
    best = quote(app, QuoteRequest(QUERY)).quotes[0]
    async with run_client(QuoteBot(app), fake_discord):
        rec = await fake_discord.send_slash("quote", {"query": QUERY})
        await rec.wait_done(WAIT)
        click = await fake_discord.click(rec, "pager:cite")
        await click.wait_done(WAIT)

    assert click.response_type == "message" and click.ephemeral
    embed = click.embed
    assert embed is not None and embed["title"] == "Citation"
    assert f"— {best.author}, “{best.title}” ({best.date})" in embed["description"]
    assert embed["description"].startswith("“" + render.escape(best.text[:30]))


async def test_more_from_this_source_pages_other_passages_of_the_same_work(
    fake_discord: FakeDiscord, app: App
) -> None:
    best = quote(app, QuoteRequest(QUERY)).quotes[0]
    async with run_client(QuoteBot(app), fake_discord):
        rec = await fake_discord.send_slash("quote", {"query": QUERY})
        await rec.wait_done(WAIT)
        more = await fake_discord.click(rec, "pager:more")
        await more.wait_done(WAIT)
        assert more.ephemeral
        assert more.embed is not None
        assert more.embed["footer"]["text"].endswith(f"· {best.source}")
        assert render.escape(best.text[:40]) not in more.embed["description"]

        # The new results have their own pager.
        turn = await fake_discord.click(more, "pager:next")
        await turn.wait_done(WAIT)
    assert more.embed is not None and more.embed["footer"]["text"].startswith("Result 2 of")
    assert more.embed["footer"]["text"].endswith(f"· {best.source}")


async def test_only_the_person_who_asked_can_use_the_buttons(
    fake_discord: FakeDiscord, app: App
) -> None:
    async with run_client(QuoteBot(app), fake_discord):
        rec = await fake_discord.send_slash("quote", {"query": QUERY}, user="alice")
        await rec.wait_done(WAIT)
        before = rec.embed
        for button in ("pager:next", "pager:cite", "pager:more"):
            other = await fake_discord.click(rec, button, user="bob")
            await other.wait_done(WAIT)
            assert other.ephemeral and other.content == NOT_YOURS
    assert rec.embed == before  # the page did not turn


async def test_buttons_are_disabled_when_the_view_times_out(
    fake_discord: FakeDiscord, seed_app: App
) -> None:
    app = app_like(seed_app, cooldown_seconds=0, server_limit=0, view_timeout_seconds=0.5)
    async with run_client(QuoteBot(app), fake_discord):
        rec = await fake_discord.send_slash("quote", {"query": QUERY})
        await rec.wait_done(WAIT)
        assert not all(b.get("disabled") for b in rec.buttons)
        await rec.wait_for(lambda r: all(b.get("disabled") for b in r.buttons), WAIT)
        assert rec.embed is not None  # the quote stays; only the buttons are gone
        with pytest.raises(ValueError):
            await fake_discord.click(rec, "pager:next")


async def test_count_is_bounded_by_the_max_results_setting(
    fake_discord: FakeDiscord, seed_app: App
) -> None:
    app = app_like(seed_app, cooldown_seconds=0, server_limit=0, max_results=3)
    async with run_client(QuoteBot(app), fake_discord):
        options = {o["name"]: o for o in fake_discord.find_command("quote")["options"]}
        assert (options["count"]["min_value"], options["count"]["max_value"]) == (1, 3)
        with pytest.raises(ValueError):  # Discord's client would not send it
            await fake_discord.send_slash("quote", {"query": QUERY, "count": 4})
        rec = await fake_discord.send_slash("quote", {"query": QUERY, "count": 3})
        await rec.wait_done(WAIT)
    assert rec.embed is not None and rec.embed["footer"]["text"].startswith("Result 1 of 3")


async def test_searching_runs_in_a_worker_thread(
    fake_discord: FakeDiscord, app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.discord.cogs.quote as cog

    threads: list[threading.Thread] = []

    def spy(app: App, request: QuoteRequest):  # type: ignore[no-untyped-def]
        threads.append(threading.current_thread())
        return quote(app, request)

    monkeypatch.setattr(cog, "search_quotes", spy)
    async with run_client(QuoteBot(app), fake_discord):
        rec = await fake_discord.send_slash("quote", {"query": QUERY})
        await rec.wait_done(WAIT)
    assert threads and threads[0] is not threading.main_thread()
    # Acknowledged after at most defer_after_seconds (0.5) and a round trip.
    assert rec.response_time is not None and rec.response_time < 2.0


async def test_a_quick_answer_is_the_reply_itself_without_a_thinking_placeholder(
    fake_discord: FakeDiscord, seed_app: App
) -> None:
    app = app_like(seed_app, cooldown_seconds=0, server_limit=0, defer_after_seconds=2.0)
    quote(app, QuoteRequest(QUERY, settle_now=1))  # asked before: the answer is cached
    async with run_client(QuoteBot(app), fake_discord):
        rec = await fake_discord.send_slash("quote", {"query": QUERY})
        await rec.wait_done(WAIT)
    assert rec.response_type == "message" and not rec.ephemeral
    assert rec.embed is not None and rec.embed["footer"]["text"].startswith("Result 1 of")
    assert "pager:next" in [b["custom_id"] for b in rec.buttons]


async def test_a_search_slower_than_defer_after_shows_thinking_first(
    fake_discord: FakeDiscord, seed_app: App
) -> None:
    app = app_like(seed_app, cooldown_seconds=0, server_limit=0, defer_after_seconds=0.0)
    app.index.live.answers.clear()  # a cached answer is shown without searching
    async with run_client(QuoteBot(app), fake_discord):
        rec = await fake_discord.send_slash("quote", {"query": QUERY})
        await rec.wait_done(WAIT)
    assert rec.response_type == "deferred" and not rec.ephemeral
    assert rec.embed is not None and rec.embed["footer"]["text"].startswith("Result 1 of")


@pytest.mark.parametrize("value", ["-1", "3", '"soon"'])
def test_defer_after_must_leave_time_before_discords_deadline(tmp_path: Path, value: str) -> None:
    path = tmp_path / "settings.toml"
    path.write_text(f"[bot]\ndefer_after_seconds = {value}\n")
    with pytest.raises(SettingsError, match="defer_after_seconds"):
        load_settings(env={"QUOTEBOT_CONFIG": str(path)})


# A question whose words do not decide the best sentence of its first passage.
UNDECIDED = "Why would a Mao-inspired group distribute a rival radical's history that mocks them?"


async def test_the_model_settles_the_best_sentence_after_the_answer_is_out(
    fake_discord: FakeDiscord, fresh_app: App
) -> None:
    app = app_like(fresh_app, cooldown_seconds=0, server_limit=0)
    # Sentence vectors in the index would settle it at once; without them, the model does.
    app.index.searcher.index.sentences = None
    guess = quote(app, QuoteRequest(UNDECIDED, settle_now=0)).quotes[0]
    assert not guess.settled  # the premise: words alone cannot pick its sentence

    def bold(q: Quote) -> str:
        return f"**{render.escape(q.highlighted.strip())}**"

    async with run_client(QuoteBot(app), fake_discord):
        rec = await fake_discord.send_slash("quote", {"query": UNDECIDED})
        await rec.wait_done(WAIT)
        await eventually(
            lambda: bold(guess) not in (rec.embed or {}).get("description", ""),
            WAIT,
            "the guess replaced",
        )
    settled = quote(app, QuoteRequest(UNDECIDED)).quotes[0]  # what the model picks
    assert settled.highlight != guess.highlight and rec.embed is not None
    assert bold(settled) in rec.embed["description"]
    message = rec.final_message
    assert message is not None
    versions = [v for v in [*message.history, message.payload] if v.get("embeds")]
    assert bold(guess) in versions[0]["embeds"][0]["description"]  # the answer came first
    assert [b["custom_id"] for b in rec.buttons][:2] == ["pager:previous", "pager:next"]


async def test_a_page_turned_before_the_model_settles_is_not_overwritten(
    fake_discord: FakeDiscord, app: App
) -> None:
    async with run_client(QuoteBot(app), fake_discord):
        rec = await fake_discord.send_slash("quote", {"query": UNDECIDED, "count": 3})
        await rec.wait_done(WAIT)
        turn = await fake_discord.click(rec, "pager:next")
        await turn.wait_done(WAIT)
        await asyncio.sleep(1.0)  # time for a late refinement of page 1 to (wrongly) land
    assert rec.embed is not None and rec.embed["footer"]["text"].startswith("Result 2 of 3")
