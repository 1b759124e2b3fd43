"""Many servers, one bot, through Discord: three servers and two bot owners.

Each server reads the shared base corpus (less what it hid) plus its own texts; a server's
admins change only their own server's texts; only the bot's owners change the base. The
first test is the report that opened this work: an admin of another server removing a
base work.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Container, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, NamedTuple
from unittest.mock import patch

import pytest

import bot.discord.client as client
import bot.discord.warm as warm
from bot.app import App
from bot.live import IndexService, Live
from tests.bot.discord.conftest import (
    WAIT,
    Ask,
    Gate,
    RunningBot,
    all_embed_text,
    answered,
    app_like,
)
from tests.bot.discord.test_admin import send_crafted
from tests.bot.discord.waiting import eventually
from tests.bot.test_servers import GARDEN, GARDEN_QUERY
from tests.fake_discord import FakeDiscord, InteractionRecord, Upload

DRAPER = "draper-anatomy-of-the-micro-sect.md"
ALMANAC = "The Beekeeper's Almanac"
ACK_SECONDS = 3.0  # Discord's: an interaction not acknowledged by then is dropped


@pytest.fixture
def app(fresh_app: App, tmp_path: Path) -> App:
    return App(
        replace(fresh_app.settings, cooldown_seconds=0, server_limit=0, data=tmp_path / "data"),
        fresh_app.encoder,
    )


class Servers(NamedTuple):
    """The three servers' ids: a test names the one it uses (`servers.b`)."""

    a: int
    b: int
    c: int


@pytest.fixture
def servers(fake_discord: FakeDiscord) -> Servers:
    """Server A (the fake's default), B where "bea" is an admin, C where "cy" is; "keeper"
    is a second bot owner (configured by id), besides the application's owner "owner"."""
    b = fake_discord.add_guild("Reading Circle", members={"bea": ["Admin"], "alice": []})
    c = fake_discord.add_guild("Bible Study", members={"cy": ["Moderator"], "alice": []})
    fake_discord.add_member("keeper")
    return Servers(fake_discord.guild_id, b, c)


def with_keeper(app: App, fake: FakeDiscord) -> App:
    settings = replace(app.settings, admin_ids=frozenset({fake.user_ids["keeper"]}))
    return App(settings, app.encoder)


async def done(rec: InteractionRecord) -> InteractionRecord:
    # Done, and past any progress card ("Adding almanac.txt…"): the final answer.
    await rec.wait_for(
        lambda r: r.done and not (r.embed or {}).get("title", "").endswith("…"), WAIT
    )
    return rec


def text_of(rec: InteractionRecord) -> str:
    return "\n".join(all_embed_text(e) for e in rec.embeds) if rec.embeds else ""


@pytest.fixture
def slash(fake_discord: FakeDiscord) -> Ask:
    """`await slash("corpus add", {...}, user=..., guild=...)`: a slash command sent (as
    `send_slash` takes it), its record once done."""

    async def send(
        name: str, options: Mapping[str, Any] | None = None, **how: Any
    ) -> InteractionRecord:
        return await done(await fake_discord.send_slash(name, options, **how))

    return send


async def add_almanac(slash: Ask, guild: int, user: str) -> InteractionRecord:
    upload = {"file": Upload("almanac.txt", GARDEN), "title": ALMANAC}
    return await slash("corpus add", upload, user=user, guild=guild)


async def test_an_admin_of_another_server_cannot_remove_a_base_work(
    app: App, running_bot: RunningBot, servers: Servers, slash: Ask
) -> None:
    b = servers.b
    draper = Path(app.settings.corpus) / DRAPER
    async with running_bot(app):
        rec = await slash(
            "corpus remove", {"work": "Anatomy of the Micro-Sect"}, user="bea", guild=b
        )
        base = await slash(
            "corpus remove",
            {"work": "Anatomy of the Micro-Sect", "base": True},
            user="bea",
            guild=b,
        )
        # A name that is no work is refused as not hers to change too: it was answered
        # "No work called …" before her permission was looked at.
        none = await slash("corpus remove", {"work": "zzz", "base": True}, user="bea", guild=b)
    assert rec.ephemeral and "shared base corpus" in text_of(rec)
    assert base.ephemeral and "only be changed by the bot's owners" in text_of(base)
    assert none.ephemeral and "only be changed by the bot's owners" in text_of(none)
    assert draper.exists()
    assert app.collections.base.log.tail()[-1].action == "refused"
    assert app.collections.base.log.tail()[-1].server == b


async def test_a_servers_texts_are_quoted_there_and_invisible_elsewhere(
    fake_discord: FakeDiscord, app: App, running_bot: RunningBot, servers: Servers, slash: Ask
) -> None:
    a, b, c = servers
    async with running_bot(app):
        added = await add_almanac(slash, b, "bea")
        answers = {g: await slash("quote", {"query": GARDEN_QUERY}, guild=g) for g in (a, b, c)}
        dm = await slash("quote", {"query": GARDEN_QUERY}, guild=False)
        listings = {g: await slash("source", guild=g) for g in (a, b, c)}
        sources_a = await fake_discord.send_autocomplete(
            "quote", {"query": "x", "source": "The Bee"}, focused="source", guild=a
        )
        terms_c = await fake_discord.send_autocomplete(
            "define", {"term": "swar"}, focused="term", guild=c
        )
        terms_b = await fake_discord.send_autocomplete(
            "define", {"term": "swar"}, focused="term", guild=b
        )
        filtered_a = await slash("quote", {"query": GARDEN_QUERY, "source": "Almanac"}, guild=a)
        for rec in (sources_a, terms_b, terms_c):
            await rec.wait_done(WAIT)
    assert "Added" in text_of(added)
    assert ALMANAC in text_of(answers[b]).split("\n")[0] or ALMANAC in text_of(answers[b])
    for rec in (answers[a], answers[c], dm, listings[a], listings[c]):
        assert "Beekeeper" not in text_of(rec) and "almanac" not in text_of(rec).casefold()
    assert ALMANAC in text_of(listings[b])
    assert sources_a.choices == []
    assert terms_c.choices is not None and not any("swarm" in c["name"] for c in terms_c.choices)
    assert terms_b.choices and any("swarm" in c["name"] for c in terms_b.choices)
    # A filter naming B's work, in A: not found, and only the asker's own word echoed.
    assert filtered_a.ephemeral and "“Almanac”" in text_of(filtered_a)
    assert "Beekeeper" not in text_of(filtered_a)
    assert (app.collections.folder(b) / "corpus" / "almanac.txt").read_bytes() == GARDEN


@contextmanager
def loads_after(before: Callable[[], object]) -> Iterator[None]:
    """Every index load, for the block, calls `before` first (in the loading thread)."""
    load = IndexService.load

    def patched(service: IndexService) -> Live:
        before()
        return load(service)

    with patch.object(IndexService, "load", patched):
        yield


async def test_a_servers_texts_read_again_from_disk_are_read_off_the_event_loop(
    fake_discord: FakeDiscord, app: App, running_bot: RunningBot, servers: Servers, slash: Ask
) -> None:
    # A server's index is read from disk at its first question after a start, and again
    # once it was let go (servers_in_memory). Read on the event loop, every other
    # server's answers would wait for it.
    b = servers.b
    on_the_loop: list[bool] = []

    def recorded() -> None:
        on_the_loop.append(threading.current_thread() is threading.main_thread())

    async with running_bot(app):
        await add_almanac(slash, b, "bea")
        with loads_after(recorded):
            app.collections.unload(b)
            answer = await slash("quote", {"query": GARDEN_QUERY}, guild=b)
            app.collections.unload(b)
            offered = await fake_discord.send_autocomplete(
                "quote", {"query": "x", "source": "The Bee"}, focused="source", guild=b
            )
            await offered.wait_done(WAIT)
    assert ALMANAC in text_of(answer)
    assert offered.choices and ALMANAC in offered.choices[0]["name"]
    assert len(on_the_loop) >= 2 and not any(on_the_loop)  # read twice, never on the loop


async def test_a_server_whose_texts_fail_to_load_ahead_still_gets_its_answer(
    app: App, running_bot: RunningBot, servers: Servers, slash: Ask
) -> None:
    # A read ahead that raised escaped the command tree's check: discord.py reports only
    # its own errors, so the question was never answered nor its error told.
    b = servers.b
    failures: list[OSError] = []

    def fails_once() -> None:
        if not failures:
            failures.append(OSError("the disk was busy a moment"))
            raise failures[0]

    async with running_bot(app):
        await add_almanac(slash, b, "bea")
        with loads_after(fails_once):
            app.collections.unload(b)
            answer = await slash("quote", {"query": GARDEN_QUERY}, guild=b)
    assert failures and ALMANAC in text_of(answer)


@contextmanager
def held_reading() -> Iterator[threading.Event]:
    """Every index load, for the block, waits until the event is set (a large collection
    of a server's own, read from a slow disk); set on leaving the block in any case."""
    release = threading.Event()
    with loads_after(lambda: release.wait(WAIT)):
        try:
            yield release
        finally:
            release.set()


@pytest.mark.parametrize(
    ("command", "private"), [("quote", False), ("compare", False), ("source", True)]
)
async def test_a_command_whose_server_is_slow_to_read_is_acknowledged_in_time(
    fake_discord: FakeDiscord,
    app: App,
    running_bot: RunningBot,
    servers: Servers,
    slash: Ask,
    command: str,
    private: bool,
) -> None:
    # Discord drops an interaction not acknowledged within 3 s ("The application did not
    # respond"). A server's texts read ahead of its command took as long as the disk did,
    # before anything was sent. Now a slow read shows "thinking…" first, as the command
    # would (public for /quote and /compare, private for /source), and the answer follows.
    b = servers.b
    options = {} if command == "source" else {"query": GARDEN_QUERY}
    async with running_bot(app):
        await add_almanac(slash, b, "bea")
        with held_reading() as release:
            app.collections.unload(b)
            rec = await fake_discord.send_slash(command, options, guild=b)
            await rec.wait_for(lambda r: r.acknowledged, ACK_SECONDS)
            release.set()
            await done(rec)
    assert rec.response_type == "deferred" and rec.ephemeral is private
    assert ALMANAC in text_of(rec)
    assert not rec.violations


async def test_a_mistake_after_a_slow_read_is_told_to_the_asker_alone(
    fake_discord: FakeDiscord, app: App, running_bot: RunningBot, servers: Servers, slash: Ask
) -> None:
    # /quote's "thinking…", shown publicly while its server was read, was then replaced by
    # its answer: a mistake (a source that names no work) told to the whole channel, which
    # every mistake is not. Now the public placeholder goes and the mistake is private.
    b = servers.b
    typed = {"query": GARDEN_QUERY, "source": "No Such Almanac"}
    async with running_bot(app):
        await add_almanac(slash, b, "bea")
        with held_reading() as release:
            app.collections.unload(b)
            rec = await fake_discord.send_slash("quote", typed, guild=b)
            await rec.wait_for(lambda r: r.acknowledged, ACK_SECONDS)
            release.set()
            await done(rec)
    assert rec.response_type == "deferred" and "No Such Almanac" in text_of(rec)
    assert rec.messages and all(m.ephemeral for m in rec.messages)
    assert not rec.violations


TYPED_SOURCE = {"query": "x", "source": "The Bee"}  # /quote's source, being typed


@pytest.fixture
def quick_autocomplete(monkeypatch: pytest.MonkeyPatch) -> None:
    """An autocomplete waits 0.2 s for its server's read before offering nothing (2 s in
    the bot), so that a test of it takes less than Discord's 3 s."""
    monkeypatch.setattr(warm, "AUTOCOMPLETE_WAIT", 0.2, raising=False)


async def suggested_while_read(
    app: App, fake_discord: FakeDiscord, guild: int, count: int
) -> list[InteractionRecord]:
    """/quote's source suggestions asked `count` times while the server's own texts are
    read from a slow disk, each once answered; the read ends after."""
    with held_reading() as release:
        app.collections.unload(guild)
        asked = [
            await fake_discord.send_autocomplete(
                "quote", TYPED_SOURCE, focused="source", guild=guild
            )
            for _ in range(count)
        ]
        for rec in asked:
            await rec.wait_for(lambda r: r.acknowledged, ACK_SECONDS)
        release.set()
    return asked


@pytest.mark.usefixtures("quick_autocomplete")
async def test_an_autocomplete_whose_server_is_slow_to_read_answers_in_time(
    fake_discord: FakeDiscord, app: App, running_bot: RunningBot, servers: Servers, slash: Ask
) -> None:
    # An autocomplete cannot be deferred: it is answered within 3 s or never. While its
    # server is still being read it offers nothing; the next keystroke finds it read.
    b = servers.b
    async with running_bot(app):
        await add_almanac(slash, b, "bea")
        (early,) = await suggested_while_read(app, fake_discord, b, 1)
        later = await answered(
            fake_discord.send_autocomplete("quote", TYPED_SOURCE, focused="source", guild=b)
        )
    assert early.response_type == "autocomplete" and early.choices == []
    assert ALMANAC in later.choices[0]["name"]
    assert not early.violations


@pytest.mark.usefixtures("quick_autocomplete")
async def test_interactions_during_a_slow_read_share_it(
    fake_discord: FakeDiscord, app: App, running_bot: RunningBot, servers: Servers, slash: Ask
) -> None:
    # Each interaction arriving while its server was read started a read of its own in
    # the worker threads, each waiting for the first: a busy server's keystrokes and
    # questions could take every thread that searches use.
    b = servers.b
    reading: list[str] = []
    live_for = app.live_for

    def counted(guild_id: int | None) -> Any:
        if threading.current_thread() is not threading.main_thread():
            reading.append(threading.current_thread().name)
        return live_for(guild_id)

    async with running_bot(app):
        await add_almanac(slash, b, "bea")
        with patch.object(app, "live_for", counted):
            await suggested_while_read(app, fake_discord, b, 3)
    assert len(reading) == 1


async def test_a_refused_command_reads_nothing_of_its_server(
    app: App, running_bot: RunningBot, servers: Servers, slash: Ask
) -> None:
    # Read ahead before the command's own checks, a command refused (not an admin, over
    # its limits) still read its server's texts from disk: anyone could make the bot load
    # a server it had let go, as often as they liked.
    b = servers.b
    reads: list[None] = []
    async with running_bot(app):
        await add_almanac(slash, b, "bea")
        with loads_after(lambda: reads.append(None)):
            app.collections.unload(b)
            refused = await slash("corpus log", user="alice", guild=b)
    assert "Manage Server" in text_of(refused)
    assert reads == [] and app.collections.needs_loading(b)


async def test_a_keystroke_over_its_limit_reads_nothing_of_its_server(
    fake_discord: FakeDiscord, app: App, running_bot: RunningBot, servers: Servers, slash: Ask
) -> None:
    # The autocomplete's limit is applied when its suggestions are asked for, after the
    # read ahead: a keystroke offered nothing for being over it still read its server.
    b = servers.b
    app = App(replace(app.settings, autocomplete_limit=1), app.encoder)
    reads: list[None] = []
    async with running_bot(app):
        await add_almanac(slash, b, "bea")
        first = await answered(
            fake_discord.send_autocomplete("quote", TYPED_SOURCE, focused="source", guild=b)
        )
        with loads_after(lambda: reads.append(None)):
            app.collections.unload(b)
            over = await answered(
                fake_discord.send_autocomplete("quote", TYPED_SOURCE, focused="source", guild=b)
            )
    assert ALMANAC in first.choices[0]["name"] and over.choices == []
    assert reads == [] and app.collections.needs_loading(b)


async def test_a_server_hides_base_works_it_does_not_want(
    fake_discord: FakeDiscord, app: App, running_bot: RunningBot, servers: Servers, slash: Ask
) -> None:
    a, _, c = servers
    async with running_bot(app):
        choices = await answered(
            fake_discord.send_autocomplete(
                "corpus hide", {"work": "Def"}, focused="work", user="cy", guild=c
            )
        )
        hid = await slash("corpus hide", {"work": choices.choices[0]["value"]}, user="cy", guild=c)
        listing_c = await slash("source", guild=c)
        listing_a = await slash("source", guild=a)
        member = await slash(
            "corpus hide", {"work": "Anatomy of the Micro-Sect"}, user="alice", guild=c
        )
    assert hid.ephemeral and "is hidden in this server" in text_of(hid)
    assert "Definition of sectarianism" not in text_of(listing_c)
    assert "Definition of sectarianism" in text_of(listing_a)
    assert member.ephemeral and "Manage Server" in text_of(member)
    assert "Anatomy of the Micro-Sect" in text_of(listing_c)


async def test_owners_change_the_base_for_every_server(
    fake_discord: FakeDiscord, app: App, running_bot: RunningBot, servers: Servers, slash: Ask
) -> None:
    a, b, c = servers
    app = with_keeper(app, fake_discord)
    async with running_bot(app):
        by_keeper = await slash(
            "corpus add",
            {"file": Upload("almanac.txt", GARDEN), "title": ALMANAC, "base": True},
            user="keeper",
            guild=b,
        )
        answers = [await slash("quote", {"query": GARDEN_QUERY}, guild=g) for g in (a, b, c)]
        removed = await slash(
            "corpus remove", {"work": ALMANAC, "base": True}, user="owner", guild=a
        )
        log = await slash("corpus log", {"base": True}, user="owner", guild=a)
        server_log = await slash("corpus log", {"base": True}, user="bea", guild=b)
    assert "Added" in text_of(by_keeper)
    assert all(ALMANAC in text_of(rec) for rec in answers)
    assert re.search(
        r"/corpus restore work: The Beekeeper's Almanac · removed .+ · \w{8} base: True",
        text_of(removed),
    )
    assert "keeper" in text_of(log) and "owner" in text_of(log) and log.ephemeral
    assert server_log.ephemeral and "bot's owners" in text_of(server_log)
    assert not (Path(app.settings.corpus) / "almanac.txt").exists()
    [trashed] = app.collections.base.trash.entries()
    assert (trashed.folder / "almanac.txt").read_bytes() == GARDEN


async def test_a_team_member_is_an_owner_and_a_read_only_one_or_an_invitee_is_not(
    fake_discord: FakeDiscord, app: App, running_bot: RunningBot, servers: Servers, slash: Ask
) -> None:
    b = servers.b
    fake_discord.set_team(
        ["dana", "eli", "fay", "gus"], roles={"fay": "read_only"}, invited=["gus"]
    )
    for name in ("eli", "fay", "gus"):
        fake_discord.add_member(name, guild=b)
    async with running_bot(app) as bot:
        asked = {
            name: await slash(
                "corpus log", {"base": True}, user=name, guild=b, member_permissions=0
            )
            for name in ("eli", "fay", "gus")
        }
    assert bot.owners == {fake_discord.user_ids["dana"], fake_discord.user_ids["eli"]}
    assert "Manage Server" in text_of(asked["fay"])
    assert "Manage Server" in text_of(asked["gus"])  # invited, not yet a member
    assert "No changes to the base corpus yet" in text_of(asked["eli"])


async def test_crafted_interactions_from_outside_are_refused(
    fake_discord: FakeDiscord, app: App, running_bot: RunningBot, servers: Servers, slash: Ask
) -> None:
    async with running_bot(app):
        forged = await slash(
            "corpus add",
            {"file": Upload("x.txt", GARDEN)},
            user="owner",
            forged_guild_id=999_999_999_999_999_999,
        )
        dm = await done(await send_crafted(fake_discord, "corpus log", user="owner", where="dm"))
    for rec in (forged, dm):
        assert rec.ephemeral and "only works in a server I am in" in text_of(rec)
    assert not (Path(app.settings.corpus) / "x.txt").exists()
    assert not (app.settings.data_dir / "collections" / "999999999999999999").exists()


async def test_a_server_keeps_its_texts_when_the_bot_leaves_and_comes_back(
    fake_discord: FakeDiscord, app: App, running_bot: RunningBot, servers: Servers, slash: Ask
) -> None:
    b = servers.b
    async with running_bot(app):
        await add_almanac(slash, b, "bea")
        await fake_discord.remove_guild(b)
        await eventually(lambda: app.collections.state(b).left_at is not None, WAIT, "left")
        await fake_discord.rejoin_guild(b)
        await eventually(lambda: app.collections.state(b).left_at is None, WAIT, "back")
        answer = await slash("quote", {"query": GARDEN_QUERY}, guild=b)
    assert ALMANAC in text_of(answer)


async def test_an_outage_and_a_new_session_keep_every_server_its_texts_and_sync_no_more(
    fake_discord: FakeDiscord,
    app: App,
    running_bot: RunningBot,
    servers: Servers,
    slash: Ask,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A server down for a while is not a server that removed the bot; a session Discord
    # ends is identified anew (READY lists every server again), and the commands, synced
    # once at start-up against a rate limit of Discord's, are not synced again.
    b = servers.b
    judged: list[Container[int]] = []  # the servers each session's on_ready said present
    seen = app.collections.servers_seen

    def judging(present: Container[int], *args: Any) -> list[str]:
        judged.append(present)
        return seen(present, *args)

    monkeypatch.setattr(app.collections, "servers_seen", judging)
    async with running_bot(app) as bot:
        await add_almanac(slash, b, "bea")
        await fake_discord.guild_outage(b)
        await eventually(lambda: getattr(bot.get_guild(b), "unavailable", False), WAIT, "out")
        during = await slash("quote", {"query": GARDEN_QUERY}, guild=b)
        await fake_discord.guild_restored(b)
        await fake_discord.invalidate_session()
        await eventually(lambda: len(judged) == 2, WAIT, "a second session ready")
        after = await slash("quote", {"query": GARDEN_QUERY}, guild=b)
    for answer in (during, after):
        assert ALMANAC in text_of(answer)
    assert fake_discord.identify_count == 2 and b in judged[-1]
    assert app.collections.state(b).left_at is None
    assert len(fake_discord.syncs) == 1


async def test_once_connected_a_server_that_reinvited_the_bot_meanwhile_keeps_its_texts(
    fake_discord: FakeDiscord, app: App, running_bot: RunningBot, servers: Servers, slash: Ask
) -> None:
    # Removed, then re-invited while the bot was down: no join event comes, and the first
    # start-up delete_after_days later deleted the server's texts.
    b = servers.b
    deleting = app_like(app, on_leave="delete", delete_after_days=30)
    async with running_bot(deleting):
        await add_almanac(slash, b, "bea")
    deleting.collections.left(b, now=0.0)  # long ago
    gone = deleting.collections.folder(999999999999999999)  # a server that really left
    gone.mkdir(parents=True)
    deleting.collections.left(999999999999999999, now=0.0)
    async with running_bot(deleting):
        await eventually(lambda: not gone.exists(), WAIT, "the left server deleted")
        answer = await slash("quote", {"query": GARDEN_QUERY}, guild=b)
    assert deleting.collections.state(b).left_at is None
    assert ALMANAC in text_of(answer)


async def test_servers_and_the_base_reindex_at_once_one_build_at_a_time(
    fake_discord: FakeDiscord, app: App, running_bot: RunningBot, servers: Servers, slash: Ask
) -> None:
    _, b, c = servers
    async with running_bot(app):
        await add_almanac(slash, b, "bea")
        await add_almanac(slash, c, "cy")
        recs = [
            await fake_discord.send_slash("reindex", {"force": True}, user="bea", guild=b),
            await fake_discord.send_slash("reindex", {"force": True}, user="cy", guild=c),
            await fake_discord.send_slash(
                "reindex", {"force": True, "base": True}, user="owner", guild=b
            ),
        ]
        for rec in recs:
            await rec.wait_for(
                lambda r: (r.embed or {}).get("title") in ("Reindex finished", "Sorry"), 4 * WAIT
            )
        answer = await slash("quote", {"query": GARDEN_QUERY}, guild=c)
    assert [r.embed["title"] for r in recs if r.embed] == ["Reindex finished"] * 3
    assert ALMANAC in text_of(answer)


async def test_builds_waiting_their_turn_hold_no_thread_that_answers_need(
    fake_discord: FakeDiscord,
    app: App,
    running_bot: RunningBot,
    gate: Gate,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Each build waiting for its turn held a thread of the pool that searches, autocomplete
    # and buttons share: the admins of enough servers, each adding a text, stalled every
    # server's answers (64 threads in the bot; 4 here, and 4 servers).
    monkeypatch.setattr(client, "WORKER_THREADS", 4)
    guilds = [
        fake_discord.add_guild(f"Circle {i}", members={f"adm{i}": ["Admin"]}) for i in range(4)
    ]
    async with running_bot(app):
        uploads = [
            await fake_discord.send_slash(
                "corpus add", {"file": Upload(f"t{i}.txt", GARDEN)}, user=f"adm{i}", guild=g
            )
            for i, g in enumerate(guilds)
        ]
        await gate.wait_reached()  # one build runs, held; three wait their turn

        def waiting(r: InteractionRecord) -> bool:
            return r.embed is not None and "Waiting for another" in all_embed_text(r.embed)

        await fake_discord.wait_for(lambda f: sum(map(waiting, uploads)) == 3, WAIT)
        # A member of another server, who has nothing to do with those builds.
        typed = await fake_discord.send_autocomplete("define", {"term": "sec"}, focused="term")
        defined = await fake_discord.send_slash("define", {"term": "sect"})
        await typed.wait_done(WAIT)
        await defined.wait_for(lambda r: r.done and r.embed is not None, WAIT)
        gate.opened.set()
        for rec in uploads:
            await rec.wait_for(
                lambda r: r.embed is not None and "Added" in all_embed_text(r.embed), 4 * WAIT
            )
    assert typed.choices and defined.embed is not None
    assert "sect" in all_embed_text(defined.embed).lower()


async def test_a_slow_read_of_the_log_says_thinking_privately_then_shows_it(
    fake_discord: FakeDiscord, app: App, running_bot: RunningBot, slash: Ask
) -> None:
    # It was read on the event loop, whatever its length, and answered without deferring.
    slow = app_like(app, defer_after_seconds=0.0)
    async with running_bot(slow):
        rec = await slash("corpus log", {"base": True}, user="owner")
    assert rec.response_type == "deferred" and rec.ephemeral
    assert rec.embed is not None and rec.embed["title"] == "No changes to the base corpus yet"


async def test_only_a_servers_admins_are_offered_the_base_works_to_hide_or_show(
    fake_discord: FakeDiscord, app: App, running_bot: RunningBot, servers: Servers, slash: Ask
) -> None:
    # Which works a server hides is its admins' business: a member typing /corpus hide or
    # unhide (Discord may show them the command) is offered nothing, as for the trash.
    c = servers.c
    offered: dict[tuple[str, str], InteractionRecord] = {}
    async with running_bot(app):
        choices = await answered(
            fake_discord.send_autocomplete(
                "corpus hide", {"work": "Def"}, focused="work", user="cy", guild=c
            )
        )
        await slash("corpus hide", {"work": choices.choices[0]["value"]}, user="cy", guild=c)
        for command in ("corpus hide", "corpus unhide"):
            for user in ("cy", "alice"):
                offered[command, user] = await answered(
                    fake_discord.send_autocomplete(
                        command, {"work": ""}, focused="work", user=user, guild=c
                    )
                )
    assert offered["corpus hide", "cy"].choices
    assert offered["corpus unhide", "cy"].choices
    assert offered["corpus hide", "alice"].choices == []
    assert offered["corpus unhide", "alice"].choices == []
