"""Many servers, one bot: the base corpus, each server's own collection, and who may change
what. The rules as the command layer keeps them, whatever the front end (Discord, console,
CLI) checked before; tests/bot/discord/test_tenancy.py walks the same rules through Discord.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import threading
import time
import tomllib
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from string import ascii_lowercase
from typing import Any

import pytest

from bot import trash as trash_module
from bot.app import App
from bot.commands import corpus as texts
from bot.commands import define as definitions
from bot.commands import source as sources
from bot.commands.compare import CompareRequest, compare
from bot.commands.corpus import Actor, NotPermitted
from bot.commands.quote import QuoteRequest, context, more_from_source, quote
from bot.commands.scoped import NothingToRead
from bot.commands.sidecar import WorkMeta
from bot.commands.upload import UploadRefused, safe_name
from bot.file_lock import locked
from bot.live import BuildGate, Live
from bot.messages import describe
from bot.servers import Collections, State
from bot.trash import DAY, Trash, TrashError, TrashGone
from embeddings import store
from embeddings.errors import NotFoundError, NotInTrash, PassageGone
from embeddings.search import Filters
from embeddings.store import COLLECTION_PREFIX
from embeddings.tokens import terms
from tests.wording import raises_saying

SERVER_A = 111_111_111_111_111_111
SERVER_B = 222_222_222_222_222_222

# A text no seed work could answer: quoting it proves where answers come from.
GARDEN = b"""The Beekeeper's Almanac

Bees swarm in late spring when the old queen leaves the hive with half of the workers;
a beekeeper who sees the queen cells capped can split the colony before the swarm goes.
"""
GARDEN_QUERY = "when do honey bees swarm from the hive"

OWNER = Actor(1, "owner", owner=True)
MICRO_SECT = "Anatomy of the Micro-Sect"  # a base work


def admin_of(guild: int, user: int = 7) -> Actor:
    return Actor(user, f"admin-{user}", guild, f"server {guild}", admin=True)


def restarted(app: App) -> App:
    return App(app.settings, app.encoder)


def add_garden(app: App, guild: int) -> texts.Change:
    collection = app.collections.of(guild)
    meta = WorkMeta(title="The Beekeeper's Almanac", author="A. Keeper")
    return texts.add_work(app, collection, "almanac.txt", GARDEN, meta, actor=admin_of(guild))


def titles(app: App, guild: int | None) -> set[str]:
    return {w.title for w in sources.works(app, guild=guild)}


def quoted_titles(app: App, query: str, guild: int | None) -> list[str]:
    return [q.title for q in quote(app, QuoteRequest(query, guild=guild)).quotes]


# -- a server's share of the disk -----------------------------------------------------------------


def test_a_server_stores_texts_and_trash_up_to_its_share_and_is_told_when_full(
    app: App,
) -> None:
    # Any server's admins can upload, and each replaced copy stays in the trash: without a
    # bound, re-sending one file would fill the disk every server and the base share.
    share = len(GARDEN) * 3 + 500  # room for three copies and their sidecars
    app = App(replace(app.settings, server_max_bytes=share), app.encoder)
    a = app.collections.of(SERVER_A)
    add_garden(app, SERVER_A)
    for _ in range(2):  # each replace moves the old copy to the trash
        texts.add_work(
            app, a, "almanac.txt", GARDEN, WorkMeta(), actor=admin_of(SERVER_A), replace=True
        )
    with pytest.raises(UploadRefused) as full:
        texts.add_work(
            app, a, "almanac.txt", GARDEN, WorkMeta(), actor=admin_of(SERVER_A), replace=True
        )
    said = describe(full.value)
    assert "texts and trash hold" in said and "server_max_bytes" in said
    # Removing frees nothing at once (it said "Remove works you no longer need"): when
    # the trash gives room back is said.
    oldest = min(e.trashed_at for e in a.trash.entries())
    day = time.strftime("%Y-%m-%d", time.gmtime(oldest + app.settings.trash_days * 86400))
    assert f"stays in the trash, and counts, for 30 days: the oldest leaves it on {day}" in said
    assert len(a.trash.entries()) == 2  # refused before anything moved
    assert (a.corpus / "almanac.txt").read_bytes() == GARDEN
    # Another server has a share of its own, and the base is the owners' to fill.
    add_garden(app, SERVER_B)
    base = app.collections.base
    texts.add_work(app, base, "almanac.txt", GARDEN * 4, WorkMeta(), actor=OWNER)


def test_expired_trash_gives_its_room_back_without_a_restart(app: App) -> None:
    share = len(GARDEN) * 2 + 500
    app = App(replace(app.settings, server_max_bytes=share, trash_days=0.0), app.encoder)
    a = app.collections.of(SERVER_A)
    add_garden(app, SERVER_A)
    for _ in range(3):  # trash_days 0: each trashed copy has expired by the next upload
        texts.add_work(
            app, a, "almanac.txt", GARDEN, WorkMeta(), actor=admin_of(SERVER_A), replace=True
        )
    assert len(a.trash.entries()) <= 1


# -- what a server reads ------------------------------------------------------------------------


def test_a_servers_own_text_is_searched_there_and_nowhere_else(app: App) -> None:
    change = add_garden(app, SERVER_A)
    assert change.report is not None and not change.index_error
    folder = app.collections.folder(SERVER_A)
    assert (folder / "corpus" / "almanac.txt").read_bytes() == GARDEN
    assert not (Path(app.settings.corpus) / "almanac.txt").exists()  # the base is untouched

    assert quoted_titles(app, GARDEN_QUERY, SERVER_A)[0] == "The Beekeeper's Almanac"
    assert "The Beekeeper's Almanac" not in quoted_titles(app, GARDEN_QUERY, SERVER_B)
    assert "The Beekeeper's Almanac" not in quoted_titles(app, GARDEN_QUERY, None)  # a DM
    assert titles(app, SERVER_A) == titles(app, None) | {"The Beekeeper's Almanac"}
    assert titles(app, SERVER_B) == titles(app, None)
    # The base still answers in the server that has its own texts.
    assert quoted_titles(app, "what is sectarianism", SERVER_A)


def test_every_surface_of_another_server_is_blind_to_a_collection(app: App) -> None:
    add_garden(app, SERVER_A)
    assert sources.find(app, "Beekeeper", guild=SERVER_A)
    with pytest.raises(NotFoundError) as refused:
        sources.find(app, "Beekeeper", guild=SERVER_B)
    assert "Beekeeper" in describe(refused.value)  # echoes the query, names nothing of A's
    assert "Almanac" not in describe(refused.value)
    assert sources.complete(app, "The Bee", guild=SERVER_B) == []
    assert sources.complete(app, "The Bee", guild=SERVER_A) == ["The Beekeeper's Almanac"]
    # A word of A's text (its title line is a heading, which completions do not offer).
    assert any("swarm" in t for t in definitions.complete(app, "swar", guild=SERVER_A))
    assert not any("swarm" in t for t in definitions.complete(app, "swar", guild=SERVER_B))
    answer_b = definitions.define(app, "beekeeper", guild=SERVER_B)
    assert answer_b.quotes == [] and "does not occur" in answer_b.notice
    answer_a = definitions.define(app, "beekeeper", guild=SERVER_A)
    assert answer_a.quotes and answer_a.quotes[0].title == "The Beekeeper's Almanac"
    with pytest.raises(NotFoundError):  # a filter naming A's work, asked in B
        quote(app, QuoteRequest(GARDEN_QUERY, title="Almanac", guild=SERVER_B))


@pytest.mark.parametrize(
    "ask",
    [
        lambda app, guild: sources.find(app, "Leviathan", guild=guild),
        lambda app, guild: quote(
            app, QuoteRequest("what is a sect", title="Leviathan", guild=guild)
        ),
        lambda app, guild: quote(app, QuoteRequest("what is a sect", author="Hobbes", guild=guild)),
        lambda app, guild: compare(
            app, CompareRequest("what is a sect", ("Draper", "Leviathan"), guild=guild)
        ),
        lambda app, guild: compare(
            app, CompareRequest("what is a sect", ("Draper", "Hobbes"), by="author", guild=guild)
        ),
    ],
    ids=["source", "quote-title", "quote-author", "compare", "compare-by-author"],
)
def test_a_name_not_found_is_missing_from_this_servers_corpus_only_in_a_server(
    app: App, ask: Callable[[App, int | None], object]
) -> None:
    with pytest.raises(NotFoundError) as in_server:
        ask(app, SERVER_A)
    assert "is in this server's corpus;" in describe(in_server.value)
    with pytest.raises(NotFoundError) as outside:  # the console and the CLI: no server
        ask(app, None)
    assert "is in the corpus;" in describe(outside.value)


def test_a_question_in_a_server_with_nothing_of_its_own_reads_no_state_from_disk(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Most servers have no folder, so no state file: their questions (every one reads
    # the server's view) looked for it, twice, and raised and caught its absence.
    read: list[int] = []

    def reading(self: Collections, guild: int) -> State:
        read.append(guild)
        return State()

    monkeypatch.setattr(Collections, "_read_state", reading)
    assert app.live_for(SERVER_A) is app.index.live  # the base, as everyone reads it
    assert read == []


def test_collection_files_are_named_apart_from_base_files(app: App) -> None:
    add_garden(app, SERVER_A)
    [work] = [w for w in sources.works(app, guild=SERVER_A) if w.title.startswith("The Bee")]
    assert work.files == (COLLECTION_PREFIX + "almanac.txt",)


def test_a_passage_ranks_the_same_in_the_base_or_in_a_collection(app: App, tmp_path: Path) -> None:
    """Same model, same fusion, same floor: moving a work from the base into a server's
    collection does not change which of its passages answers first, nor their cosines."""
    query = "a sect is a group that sets itself apart from the movement"
    before = quote(app, QuoteRequest(query, title="Micro-Sect", count=3)).quotes
    draper = Path(app.settings.corpus) / "draper-anatomy-of-the-micro-sect.md"
    collection = app.collections.of(SERVER_A)
    collection.corpus.mkdir(parents=True)
    for path in (draper, Path(f"{draper}.meta.toml")):
        shutil.move(path, collection.corpus / path.name)
    app.index.reindex()
    collection.reindex()
    after = quote(app, QuoteRequest(query, title="Micro-Sect", count=3, guild=SERVER_A)).quotes
    assert [q.text for q in after] == [q.text for q in before]
    assert [round(q.cosine, 5) for q in after] == [round(q.cosine, 5) for q in before]


def test_a_server_can_hide_base_works_and_show_them_again(app: App) -> None:
    mim = next(w for w in sources.works(app) if w.title.startswith("Definition"))
    texts.hide_work(app, SERVER_A, mim.title, actor=admin_of(SERVER_A))
    assert mim.title not in titles(app, SERVER_A)
    assert mim.title in titles(app, SERVER_B) and mim.title in titles(app, None)
    for q in quote(app, QuoteRequest("what is sectarianism", count=10, guild=SERVER_A)).quotes:
        assert q.title != mim.title
    answer = definitions.define(app, "sectarianism", guild=SERVER_A)
    assert all(q.title != mim.title for q in answer.quotes)
    assert texts.hidden_names(app, SERVER_A, "", hidden=True) == [mim.title]
    with pytest.raises(UploadRefused):  # not every base work: a server needs something
        texts.hide_work(app, SERVER_A, "Anatomy of the Micro-Sect", actor=admin_of(SERVER_A))

    texts.hide_work(app, SERVER_A, mim.title, actor=admin_of(SERVER_A), hide=False)
    assert mim.title in titles(app, SERVER_A)
    # The choice is kept on disk: a restart remembers it.
    texts.hide_work(app, SERVER_A, mim.title, actor=admin_of(SERVER_A))
    state = json.loads((app.collections.folder(SERVER_A) / "state.json").read_text())
    assert state["hidden"] == list(mim.files)


def test_a_long_name_stored_before_names_were_tagged_is_replaced_not_doubled(app: App) -> None:
    # The same upload's tagged name was new: replace added a second copy beside the first.
    long = (
        "A very long title for an almanac of the bees and of the seasons of the hive, volume 1.txt"
    )
    collection = app.collections.of(SERVER_A)
    meta = WorkMeta(title="The Long Almanac")
    texts.add_work(app, collection, long, GARDEN, meta, actor=admin_of(SERVER_A))
    stored = sorted(p.name for p in collection.corpus.iterdir() if p.suffix == ".txt")
    [old] = stored
    (collection.corpus / old).rename(collection.corpus / safe_name(long, tagged=False))
    collection.reindex()
    texts.add_work(
        app, collection, long, GARDEN + b"More.\n", meta, actor=admin_of(SERVER_A), replace=True
    )
    assert sorted(p.name for p in collection.corpus.iterdir() if p.suffix == ".txt") == [
        safe_name(long, tagged=False)
    ]


def test_two_texts_that_only_share_a_title_and_an_author_are_two_works(app: App) -> None:
    # An upload titled like another work became part of it: removing either by its title
    # took both files to the trash.
    add_garden(app, SERVER_A)
    collection = app.collections.of(SERVER_A)
    meta = WorkMeta(title="The Beekeeper's Almanac", author="A. Keeper")
    other = b"A second almanac, about winter hives and their honey.\n"
    texts.add_work(app, collection, "winter.txt", other, meta, actor=admin_of(SERVER_A))
    almanacs = [w for w in sources.works(app, guild=SERVER_A) if w.title == meta.title]
    assert sorted(w.files for w in almanacs) == [("server/almanac.txt",), ("server/winter.txt",)]
    with pytest.raises(UploadRefused, match="2 works have that title; name one by file"):
        texts.remove_work(app, collection, meta.title, actor=admin_of(SERVER_A))
    texts.remove_work(app, collection, "winter.txt", actor=admin_of(SERVER_A))
    assert (collection.corpus / "almanac.txt").exists()


def test_a_server_defines_as_the_base_alone_does_related_words_included(app: App) -> None:
    # Draper defines "sectarian", a word of the stem of "sectarianism": in a server's view
    # it was sorted with the passages that only use the term.
    add_garden(app, SERVER_A)  # a view of two indexes: the base and the server's own
    alone = definitions.define(app, "sectarianism", 5)
    seen = definitions.define(app, "sectarianism", 5, guild=SERVER_A)
    assert [q.label for q in seen.quotes] == [q.label for q in alone.quotes]
    assert "related word" in [q.label for q in alone.quotes]


def test_a_server_left_with_nothing_to_read_is_told_why_and_what_to_do(app: App) -> None:
    # It hid every base work but one; the owners then removed that one. Every question
    # was "no good match", and /source listed "0 works".
    mim = next(w for w in sources.works(app) if w.title.startswith("Definition"))
    texts.hide_work(app, SERVER_A, mim.title, actor=admin_of(SERVER_A))
    texts.remove_work(app, app.collections.base, "Anatomy of the Micro-Sect", actor=OWNER)
    for ask in (
        lambda: quote(app, QuoteRequest("what is a sect", guild=SERVER_A)),
        lambda: definitions.define(app, "sect", guild=SERVER_A),
        lambda: sources.find(app, "", guild=SERVER_A),
        lambda: sources.works(app, guild=SERVER_A),  # /source with no name
        lambda: compare(app, CompareRequest("sect", guild=SERVER_A)),
    ):
        with pytest.raises(NothingToRead) as told:
            ask()
        assert "/corpus unhide" in describe(told.value)
    assert sources.complete(app, "", guild=SERVER_A) == []  # autocomplete offers nothing
    assert quote(app, QuoteRequest("what is a sect", guild=SERVER_B)).quotes  # others read on
    texts.hide_work(app, SERVER_A, mim.title, actor=admin_of(SERVER_A), hide=False)
    assert quote(app, QuoteRequest("what is a sect", guild=SERVER_A)).quotes


# -- who may change what ------------------------------------------------------------------------


def test_a_server_admin_cannot_remove_a_base_work_and_it_stays(app: App) -> None:
    draper = Path(app.settings.corpus) / "draper-anatomy-of-the-micro-sect.md"
    collection = app.collections.of(SERVER_B)
    with pytest.raises(NotPermitted) as refused:
        texts.remove_work(app, collection, "Anatomy of the Micro-Sect", actor=admin_of(SERVER_B))
    assert "shared base corpus" in str(refused.value) and "/corpus hide" in str(refused.value)
    assert draper.exists()
    with pytest.raises(NotPermitted):  # nor by naming the base itself
        texts.remove_work(
            app, app.collections.base, "Anatomy of the Micro-Sect", actor=admin_of(SERVER_B)
        )
    assert draper.exists()
    assert "Anatomy of the Micro-Sect" in titles(app, SERVER_A)
    entries = app.collections.base.log.tail() + collection.log.tail()
    assert [e.action for e in entries] == ["refused", "refused"]
    assert all(e.user_id == 7 and e.server == SERVER_B for e in entries)


def test_refusals_cannot_flood_the_log_of_a_collection_that_is_not_theirs(app: App) -> None:
    # Any server's admin may ask to change the base, and each refusal is logged there: kept
    # short, and counted once per member within REFUSALS_APART, so the owners' own
    # changes stay in view.
    base = app.collections.base
    base.log.append(server=None, user_id=1, user_name="owner", action="add", work="Real")
    for i in range(25):
        with pytest.raises(NotPermitted):
            texts.check_upload(app, base, "x" * 1000 + f"{i}.txt", 10, actor=admin_of(SERVER_B))
    with pytest.raises(NotPermitted):  # another member is logged too
        texts.check_upload(app, base, "y.txt", 10, actor=admin_of(SERVER_B, user=8))
    entries = base.log.tail()
    assert [(e.action, e.user_id) for e in entries] == [("add", 1), ("refused", 7), ("refused", 8)]
    assert len(entries[1].work) <= 100


def test_members_taking_turns_are_each_logged_once_within_the_interval(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Only the log's last line was compared: two members alternating were logged every time.
    base = app.collections.base
    for _ in range(5):
        for user in (7, 8):
            with pytest.raises(NotPermitted):
                texts.check_upload(app, base, "x.txt", 10, actor=admin_of(SERVER_B, user=user))
    assert [e.user_id for e in base.log.tail()] == [7, 8]
    later = time.monotonic() + texts.REFUSALS_APART
    monkeypatch.setattr(texts.time, "monotonic", lambda: later)
    with pytest.raises(NotPermitted):
        texts.check_upload(app, base, "x.txt", 10, actor=admin_of(SERVER_B, user=7))
    assert [e.user_id for e in base.log.tail()] == [7, 8, 7]


def test_a_server_admin_cannot_add_to_the_base_or_another_servers_collection(app: App) -> None:
    with pytest.raises(NotPermitted):
        texts.add_work(
            app, app.collections.base, "x.txt", GARDEN, WorkMeta(), actor=admin_of(SERVER_B)
        )
    add_garden(app, SERVER_A)
    other = app.collections.of(SERVER_A)
    for action in (
        lambda: texts.add_work(app, other, "y.txt", GARDEN, WorkMeta(), actor=admin_of(SERVER_B)),
        lambda: texts.remove_work(app, other, "almanac.txt", actor=admin_of(SERVER_B)),
        lambda: texts.restore_work(other, "almanac.txt", actor=admin_of(SERVER_B)),
        lambda: texts.permit(other, admin_of(SERVER_B), "reindex"),
    ):
        with pytest.raises(NotPermitted):
            action()
    assert not (Path(app.settings.corpus) / "x.txt").exists()
    assert sorted(p.name for p in other.corpus.iterdir()) == [
        "almanac.txt",
        "almanac.txt.meta.toml",
    ]
    # A member without Manage Server is no admin of their own server either.
    member = Actor(9, "member", SERVER_A, "server A")
    with pytest.raises(NotPermitted):
        texts.add_work(app, other, "z.txt", GARDEN, WorkMeta(), actor=member)


def test_an_owner_changes_the_base(app: App) -> None:
    meta = WorkMeta(title="The Beekeeper's Almanac")
    texts.add_work(app, app.collections.base, "almanac.txt", GARDEN, meta, actor=OWNER)
    assert (Path(app.settings.corpus) / "almanac.txt").exists()
    assert "The Beekeeper's Almanac" in titles(app, SERVER_A)
    assert "The Beekeeper's Almanac" in titles(app, None)
    [entry] = app.collections.base.log.tail()
    assert (entry.action, entry.work, entry.user_name) == (
        "add",
        "The Beekeeper's Almanac",
        "owner",
    )


# -- nothing is lost by a mistake ---------------------------------------------------------------


def test_a_removed_work_goes_to_the_trash_and_comes_back(app: App) -> None:
    add_garden(app, SERVER_A)
    collection = app.collections.of(SERVER_A)
    change = texts.remove_work(app, collection, "The Beekeeper's Almanac", actor=admin_of(SERVER_A))
    assert change.trashed is not None and change.trashed.work == "The Beekeeper's Almanac"
    assert not (collection.corpus / "almanac.txt").exists()
    assert "The Beekeeper's Almanac" not in titles(app, SERVER_A)  # its last work: no index
    assert texts.trash_names(collection, "beek") == ["The Beekeeper's Almanac"]

    texts.restore_work(collection, "The Beekeeper's Almanac", actor=admin_of(SERVER_A))
    assert (collection.corpus / "almanac.txt").read_bytes() == GARDEN
    assert (collection.corpus / "almanac.txt.meta.toml").exists()  # its metadata too
    assert quoted_titles(app, GARDEN_QUERY, SERVER_A)[0] == "The Beekeeper's Almanac"
    assert texts.trash_names(collection, "") == []
    assert [e.action for e in collection.log.tail()] == ["add", "remove", "restore"]


def test_a_restore_another_process_did_first_is_told_gone_and_moves_nothing(
    app: App, tmp_path: Path
) -> None:
    # Two shards restoring one entry, or a restore racing a purge: each found the entry,
    # then one moved or deleted files under the other (a FileNotFoundError, half moved).
    corpus, twin = tmp_path / "essays", tmp_path / "twin"
    corpus.mkdir()
    (corpus / "essay.txt").write_text("An essay.\n")
    (corpus / "essay.txt.meta.toml").write_text('title = "Essay"\n')
    here, there = Trash(tmp_path / "bin"), Trash(tmp_path / "bin")  # two processes
    entry = here.put(corpus, ["essay.txt", "essay.txt.meta.toml"], "Essay", "removed")
    assert there.restore(entry, corpus) == ("essay.txt", "essay.txt.meta.toml")
    twin.mkdir()
    with pytest.raises(TrashGone):
        here.restore(entry, twin)
    assert list(twin.iterdir()) == []
    assert (corpus / "essay.txt").read_text() == "An essay.\n"
    # Through the command: "not in the trash", never a traceback.
    add_garden(app, SERVER_A)
    collection = app.collections.of(SERVER_A)
    texts.remove_work(app, collection, "The Beekeeper's Almanac", actor=admin_of(SERVER_A))
    stale = collection.trash.find("The Beekeeper's Almanac")
    assert stale is not None
    collection.trash.purge(0, now=time.time() + 1)  # another process empties the trash
    collection.trash.find = lambda name: stale  # type: ignore[method-assign]
    with pytest.raises(NotInTrash):
        texts.restore_work(collection, "The Beekeeper's Almanac", actor=admin_of(SERVER_A))


def test_a_purge_never_waits_for_a_restore_under_way(tmp_path: Path) -> None:
    # An upload's check purges, on the event loop: waiting there for another process's
    # restore stalled every server. It leaves the purge to the next upload or start.
    corpus = tmp_path / "essays"
    corpus.mkdir()
    (corpus / "old.txt").write_text("An old essay.\n")
    trash = Trash(tmp_path / "bin")
    trash.put(corpus, ["old.txt"], "Old", "removed")
    later = time.time() + 10 * DAY
    with locked(tmp_path / ".trash.lock"):  # another process restoring
        assert trash.purge(1, now=later)[0] == 0
        assert len(trash.entries()) == 1
    assert trash.purge(1, now=later)[0] == 1


def test_a_collection_emptied_stays_empty_even_when_its_old_builds_cannot_be_deleted(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Builds beside no CURRENT are a damaged index, which its newest build answers for: a
    # delete that failed must not leave the removed work's build there to answer.
    add_garden(app, SERVER_A)
    a = app.collections.of(SERVER_A)
    monkeypatch.setattr(shutil, "rmtree", lambda *args, **kwargs: None)  # deletes nothing
    texts.remove_work(app, a, "The Beekeeper's Almanac", actor=admin_of(SERVER_A))
    assert "The Beekeeper's Almanac" not in titles(app, SERVER_A)
    assert "The Beekeeper's Almanac" not in titles(restarted(app), SERVER_A)


def test_a_works_companion_goes_to_the_trash_with_it_and_comes_back_with_it(app: App) -> None:
    add_garden(app, SERVER_A)
    collection = app.collections.of(SERVER_A)
    companion = collection.corpus / "almanac.txt.companion.tsv"
    companion.write_text("1\tA plain rendering of the almanac's first part\n")
    texts.remove_work(app, collection, "The Beekeeper's Almanac", actor=admin_of(SERVER_A))
    assert not companion.exists()
    texts.restore_work(collection, "The Beekeeper's Almanac", actor=admin_of(SERVER_A))
    assert companion.read_text().startswith("1\tA plain rendering")
    # Replaced by a new upload, the old text's companion goes to the trash with it.
    meta = WorkMeta(title="The Beekeeper's Almanac")
    texts.add_work(
        app, collection, "almanac.txt", GARDEN, meta, actor=admin_of(SERVER_A), replace=True
    )
    assert not companion.exists()


def test_a_replaced_file_keeps_its_old_version_in_the_trash(app: App) -> None:
    add_garden(app, SERVER_A)
    collection = app.collections.of(SERVER_A)
    newer = GARDEN.replace(b"late spring", b"early summer")
    change = texts.add_work(
        app, collection, "almanac.txt", newer, WorkMeta(), actor=admin_of(SERVER_A), replace=True
    )
    assert change.replaced and change.trashed is not None
    assert (collection.corpus / "almanac.txt").read_bytes() == newer
    [entry] = collection.trash.entries()
    assert (entry.folder / "almanac.txt").read_bytes() == GARDEN
    assert entry.reason == "replaced"


def test_a_replace_keeps_the_works_metadata_and_restoring_undoes_it(app: App) -> None:
    add_garden(app, SERVER_A)  # with a title and an author
    a = app.collections.of(SERVER_A)
    newer = GARDEN.replace(b"late spring", b"early summer")
    admin = admin_of(SERVER_A)
    replaced = texts.add_work(app, a, "almanac.txt", newer, WorkMeta(), actor=admin, replace=True)
    assert replaced.work == "The Beekeeper's Almanac"  # what the admin is told it replaced
    assert titles(app, SERVER_A) >= {"The Beekeeper's Almanac"}  # not "almanac"
    # The undo the command prints: the replaced version back, the newer one to the trash.
    change = texts.restore_work(a, "almanac.txt", actor=admin)
    assert change.report is not None and not change.index_error
    assert (a.corpus / "almanac.txt").read_bytes() == GARDEN
    [newest, *_] = a.trash.entries()
    assert (newest.folder / "almanac.txt").read_bytes() == newer and newest.reason == "replaced"
    # ... and again: the newer version back. Nothing is lost either way.
    texts.restore_work(a, "almanac.txt", actor=admin)
    assert (a.corpus / "almanac.txt").read_bytes() == newer
    assert len(a.trash.entries()) == 1
    assert titles(app, SERVER_A) >= {"The Beekeeper's Almanac"}


def test_a_replace_that_brings_some_metadata_keeps_the_rest_of_the_old(app: App) -> None:
    # A new url alone used to wipe the old title, author and date.
    add_garden(app, SERVER_A)  # with a title and an author
    a = app.collections.of(SERVER_A)
    url = "https://example.org/almanac"
    change = texts.add_work(
        app, a, "almanac.txt", GARDEN, WorkMeta(url=url), actor=admin_of(SERVER_A), replace=True
    )
    assert change.work == "The Beekeeper's Almanac"
    sidecar = tomllib.loads((a.corpus / "almanac.txt.meta.toml").read_text())
    assert sidecar["url"] == url and sidecar["title"] == "The Beekeeper's Almanac"
    assert sidecar["author"] == "A. Keeper"
    renamed = texts.add_work(
        app,
        a,
        "almanac.txt",
        GARDEN,
        WorkMeta(title="The Almanac"),
        actor=admin_of(SERVER_A),
        replace=True,
    )
    assert renamed.work == "The Almanac"
    assert tomllib.loads((a.corpus / "almanac.txt.meta.toml").read_text())["url"] == url


def test_every_version_of_a_work_replaced_twice_can_be_brought_back(app: App) -> None:
    # By title, restore only ever swapped the two newest versions: the first one stayed
    # in the trash with no name that reached it.
    add_garden(app, SERVER_A)
    a = app.collections.of(SERVER_A)
    admin = admin_of(SERVER_A)
    second = GARDEN.replace(b"late spring", b"early summer")
    third = GARDEN.replace(b"late spring", b"high summer")
    for version in (second, third):
        texts.add_work(app, a, "almanac.txt", version, WorkMeta(), actor=admin, replace=True)
    offered = texts.trash_names(a, "")
    assert offered[0] == "The Beekeeper's Almanac"  # its newest version, by title
    first_label = a.trash.entries()[-1].label
    assert first_label.startswith("The Beekeeper's Almanac · replaced ")
    assert offered[1:] == [first_label]  # the older version, by its own name
    change = texts.restore_work(a, first_label, actor=admin)
    assert (a.corpus / "almanac.txt").read_bytes() == GARDEN
    # What it replaced is in the trash, and the change says so: the undo.
    assert change.trashed is not None and change.replaced
    assert (change.trashed.folder / "almanac.txt").read_bytes() == third
    assert sorted((e.folder / "almanac.txt").read_bytes() for e in a.trash.entries()) == sorted(
        [second, third]
    )


def test_a_version_of_a_long_title_is_named_within_a_choices_hundred_characters(
    app: App,
) -> None:
    a = app.collections.of(SERVER_A)
    admin = admin_of(SERVER_A)
    long_title = "On the Keeping of Bees in Country Gardens, with Notes on Swarms and Hives" * 2
    meta = WorkMeta(title=long_title)
    texts.add_work(app, a, "almanac.txt", GARDEN, meta, actor=admin)
    for season in (b"early summer", b"high summer"):
        newer = GARDEN.replace(b"late spring", season)
        texts.add_work(app, a, "almanac.txt", newer, WorkMeta(), actor=admin, replace=True)
    oldest = a.trash.entries()[-1]
    assert len(oldest.label) <= 100 and oldest.label.endswith(oldest.folder.name[-8:])
    assert a.trash.find(oldest.label) == oldest  # the version asked for, not the newest


def test_restoring_over_a_file_of_the_same_name_is_refused(app: App) -> None:
    add_garden(app, SERVER_A)
    collection = app.collections.of(SERVER_A)
    texts.remove_work(app, collection, "almanac.txt", actor=admin_of(SERVER_A))
    add_garden(app, SERVER_A)  # a new file under the old name
    with pytest.raises(UploadRefused, match="exists again"):
        texts.restore_work(collection, "almanac.txt", actor=admin_of(SERVER_A))
    assert len(collection.trash.entries()) == 1  # still there to restore later


def test_old_trash_is_purged_at_start_up_and_recent_trash_kept(app: App) -> None:
    add_garden(app, SERVER_A)
    collection = app.collections.of(SERVER_A)
    texts.remove_work(app, collection, "almanac.txt", actor=admin_of(SERVER_A))
    now = time.time()
    assert app.collections.housekeeping(now=now + 29 * 86400) == []
    assert len(collection.trash.entries()) == 1
    done = app.collections.housekeeping(now=now + 31 * 86400)
    assert done == [f"{SERVER_A}: 1 trashed work(s) purged"]
    assert collection.trash.entries() == []


def test_an_upload_left_unfinished_by_a_killed_process_is_swept_an_hour_later(
    app: App,
) -> None:
    # Hidden from the indexer, but counted against the server's room, for good.
    add_garden(app, SERVER_A)
    corpus = app.collections.of(SERVER_A).corpus
    left = corpus / ".upload-0123456789ab.tmp"
    left.write_bytes(b"half an upload")
    now = left.stat().st_mtime
    assert app.collections.housekeeping(now=now + 60) == [] and left.exists()
    assert app.collections.housekeeping(now=now + 3601) == [
        f"{SERVER_A}: an unfinished write removed (.upload-0123456789ab.tmp)"
    ]
    assert not left.exists() and (corpus / "almanac.txt").exists()
    # A copy on its way from the trash, and an emptied collection's builds renamed away.
    moving = corpus / ".almanac.txt.0badc0de.moving"
    moving.write_bytes(b"half a copy")
    os.utime(moving, (now - 7200, now - 7200))
    dropped = app.collections.of(SERVER_A).service.settings.index / ".cleared-1-2"
    (dropped / "builds").mkdir(parents=True)
    assert sorted(app.collections.housekeeping(now=now)) == [
        f"{SERVER_A}: a dropped index removed (.cleared-1-2)",
        f"{SERVER_A}: an unfinished write removed (.almanac.txt.0badc0de.moving)",
    ]
    assert not moving.exists() and not dropped.exists()
    # And before an upload's room is counted, without waiting for a restart.
    left.write_bytes(b"half an upload")
    os.utime(left, (now - 7200, now - 7200))
    texts.check_upload(app, app.collections.of(SERVER_A), "more.txt", 10, actor=admin_of(SERVER_A))
    assert not left.exists()


def test_a_server_whose_state_cannot_be_written_leaves_the_others_judged(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    for guild in (SERVER_A, SERVER_B):
        add_garden(app, guild)
    update = app.collections._update_state

    def read_only_a(guild_id: int, change: Callable[..., Any]) -> None:
        if guild_id == SERVER_A:
            raise OSError(30, "Read-only file system")
        update(guild_id, change)

    monkeypatch.setattr(app.collections, "_update_state", read_only_a)
    assert app.collections.servers_seen(set(), everywhere, now=100.0) == []
    assert app.collections.state(SERVER_B).left_at == 100.0


def everywhere(guild_id: int) -> bool:
    """One connection, which serves every server."""
    return True


def test_a_collection_is_kept_when_the_bot_leaves_unless_told_otherwise(app: App) -> None:
    add_garden(app, SERVER_A)
    app.collections.left(SERVER_A, now=0.0)
    assert app.collections.servers_seen(set(), everywhere, now=10**9) == []  # "keep"
    assert app.collections.folder(SERVER_A).is_dir()
    app.collections.rejoined(SERVER_A)
    assert quoted_titles(app, GARDEN_QUERY, SERVER_A)[0] == "The Beekeeper's Almanac"

    deleting = type(app.collections)(
        replace(app.settings, on_leave="delete", delete_after_days=30), app.index
    )
    deleting.left(SERVER_A, now=0.0)
    assert deleting.servers_seen(set(), everywhere, now=29 * 86400) == []
    assert deleting.servers_seen(set(), everywhere, now=31 * 86400) == [
        f"server {SERVER_A}: collection deleted (the bot left)"
    ]
    assert not deleting.folder(SERVER_A).exists()


def test_a_server_the_bot_left_holds_nothing_in_memory_and_reads_its_texts_on_return(
    app: App,
) -> None:
    # Its loaded index, its view of the base and that view's answers stayed in memory until
    # a restart: a bot removed from server after server grew by each.
    add_garden(app, SERVER_A)
    texts.hide_work(app, SERVER_A, MICRO_SECT, actor=admin_of(SERVER_A))
    assert quoted_titles(app, GARDEN_QUERY, SERVER_A)[0] == "The Beekeeper's Almanac"
    assert SERVER_A in app.collections.held()
    app.collections.left(SERVER_A)
    assert SERVER_A not in app.collections.held()
    app.collections.rejoined(SERVER_A)
    assert quoted_titles(app, GARDEN_QUERY, SERVER_A)[0] == "The Beekeeper's Almanac"
    assert MICRO_SECT not in titles(app, SERVER_A)  # still hidden


def test_only_the_servers_read_most_lately_are_held_in_memory(app: App) -> None:
    # Every server's loaded index, view of the base (with up to ANSWER_CACHE answers) and
    # state stayed in memory for good: weeks in thousands of servers grew without bound.
    kept = 2
    app = App(replace(app.settings, servers_in_memory=kept), app.encoder)
    servers = [SERVER_A, SERVER_B, SERVER_A + 1, SERVER_A + 2]
    for guild in servers:
        add_garden(app, guild)
    for guild in servers:
        assert quoted_titles(app, GARDEN_QUERY, guild)[0] == "The Beekeeper's Almanac"
    for guild in range(SERVER_A + 10, SERVER_A + 60):  # 50 that read the base alone
        assert quoted_titles(app, "what is sectarianism", guild)
    assert app.collections.held() == set(servers[-kept:])
    # One let go reads its own texts again, and takes the place of the least recent.
    assert quoted_titles(app, GARDEN_QUERY, SERVER_A)[0] == "The Beekeeper's Almanac"
    assert app.collections.held() == {servers[-1], SERVER_A}


def test_servers_judged_once_connected_are_held_only_as_servers_asked_are(app: App) -> None:
    # Each connection reads the state of every server with a folder (did it remove the bot
    # meanwhile?): every state file read was kept for good, and looked at every second.
    servers = [SERVER_A, SERVER_B, SERVER_A + 1]
    for guild in servers:
        texts.hide_work(app, guild, MICRO_SECT, actor=admin_of(guild))
    connected = App(replace(app.settings, servers_in_memory=1), app.encoder)
    connected.collections.servers_seen(set(servers), lambda _: True)
    assert len(connected.collections.held()) <= 1
    assert MICRO_SECT not in titles(connected, SERVER_B)  # read from its file when asked
    assert connected.collections.held() == {SERVER_B}


def test_a_server_let_go_while_its_texts_load_is_held_no_more_than_its_cap(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two questions at once: while one server's index loaded, another's question let the
    # first go, and the load then kept it, past servers_in_memory and out of its reach.
    for guild in (SERVER_A, SERVER_B):
        add_garden(app, guild)
    busy = App(replace(app.settings, servers_in_memory=1), app.encoder)
    service = busy.collections.of(SERVER_A).service
    load = service.load

    def load_while_b_is_asked() -> Live:
        assert quoted_titles(busy, GARDEN_QUERY, SERVER_B)[0] == "The Beekeeper's Almanac"
        return load()

    monkeypatch.setattr(service, "load", load_while_b_is_asked)
    assert quoted_titles(busy, GARDEN_QUERY, SERVER_A)[0] == "The Beekeeper's Almanac"
    assert busy.collections.held() == {SERVER_A}


def test_what_happened_while_the_bot_was_down_is_seen_once_it_connects(app: App) -> None:
    # A server re-invited the bot while it was down: no join event came, and the start-up
    # after delete_after_days deleted its texts. Another removed it meanwhile: it was never
    # counted as left.
    for guild in (SERVER_A, SERVER_B):
        add_garden(app, guild)
    collections = type(app.collections)(
        replace(app.settings, on_leave="delete", delete_after_days=30), app.index
    )
    collections.left(SERVER_A, now=0.0)
    assert collections.housekeeping(now=31 * 86400) == []  # before connecting: nothing
    assert collections.servers_seen({SERVER_A}, everywhere, now=31 * 86400) == []
    assert collections.state(SERVER_A).left_at is None
    assert collections.state(SERVER_B).left_at == 31 * 86400  # left from now on
    assert collections.folder(SERVER_A).is_dir() and collections.folder(SERVER_B).is_dir()


def test_a_process_judges_only_the_servers_its_shards_serve(app: App) -> None:
    add_garden(app, SERVER_A)
    collections = type(app.collections)(
        replace(app.settings, on_leave="delete", delete_after_days=30), app.index
    )
    collections.left(SERVER_A, now=0.0)
    assert collections.servers_seen(set(), lambda g: g != SERVER_A, now=31 * 86400) == []
    assert collections.folder(SERVER_A).is_dir()


# -- faults -------------------------------------------------------------------------------------


def test_a_damaged_collection_leaves_its_server_with_the_base_and_others_untouched(
    app: App,
) -> None:
    add_garden(app, SERVER_A)
    add_garden(app, SERVER_B)
    index = app.collections.folder(SERVER_A) / "index"
    for build in (index / "builds").iterdir():  # every build of A's damaged
        (build / "passages.jsonl").write_text("not json\n")
    fresh = restarted(app)
    assert "The Beekeeper's Almanac" not in quoted_titles(fresh, GARDEN_QUERY, SERVER_A)
    assert quoted_titles(fresh, "what is sectarianism", SERVER_A)  # the base answers
    assert fresh.collections.of(SERVER_A).broken
    assert quoted_titles(fresh, GARDEN_QUERY, SERVER_B)[0] == "The Beekeeper's Almanac"


def test_a_damaged_collection_is_not_loaded_again_for_every_question(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each question would read and check the whole damaged build again.
    add_garden(app, SERVER_A)
    for build in (app.collections.folder(SERVER_A) / "index" / "builds").iterdir():
        (build / "passages.jsonl").write_text("not json\n")
    fresh = restarted(app)
    loads: list[Path] = []
    load_last_good = store.load_last_good

    def counted(index_dir: Path, **options: Any) -> Any:
        loads.append(index_dir)
        return load_last_good(index_dir, **options)

    monkeypatch.setattr(store, "load_last_good", counted)
    for _ in range(3):
        assert quoted_titles(fresh, "what is sectarianism", SERVER_A)  # the base answers
    collection = fresh.collections.folder(SERVER_A)
    assert fresh.collections.of(SERVER_A).broken
    assert len([d for d in loads if d.is_relative_to(collection)]) == 1


@pytest.mark.parametrize("guild", [0, -5, True, "123", "../../etc"])
def test_collection_folders_come_from_server_ids_only(app: App, guild: object) -> None:
    with pytest.raises(ValueError):
        app.collections.folder(guild)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "name",
    ["../draper-anatomy-of-the-micro-sect.md", "/etc/passwd", "..", "server/../../corpus"],
)
def test_no_text_option_reaches_the_file_system_unchecked(app: App, name: str) -> None:
    add_garden(app, SERVER_A)
    collection = app.collections.of(SERVER_A)
    root = Path(app.settings.corpus).parent
    before = set(root.rglob("*"))
    for action in (
        lambda: texts.remove_work(app, collection, name, actor=admin_of(SERVER_A)),
        lambda: texts.restore_work(collection, name, actor=admin_of(SERVER_A)),
        lambda: texts.hide_work(app, SERVER_A, name, actor=admin_of(SERVER_A)),
    ):
        with pytest.raises((NotFoundError, NotPermitted, UploadRefused)):
            action()
    with contextlib.suppress(UploadRefused):  # a name is made safe (or refused), never followed
        texts.add_work(app, collection, name, GARDEN, WorkMeta(), actor=admin_of(SERVER_A))
    new = set(root.rglob("*")) - before
    server = app.collections.folder(SERVER_A)
    assert all(server in p.parents for p in new), sorted(new)


def test_a_build_over_the_cap_waits_its_turn_and_says_so() -> None:
    """Builds of different collections may be asked for at once; `max_builds` of them run,
    the others report "waiting" and start when one finishes."""
    gate = BuildGate(1)
    stages: list[str] = []
    first_in, second_done = threading.Event(), threading.Event()
    release = threading.Event()

    def first() -> None:
        with gate.turn(lambda stage, done, total: stages.append(f"first {stage}")):
            first_in.set()
            release.wait(5)

    def second() -> None:
        with gate.turn(lambda stage, done, total: stages.append(f"second {stage}")):
            stages.append("second builds")
        second_done.set()

    a = threading.Thread(target=first)
    a.start()
    assert first_in.wait(5)
    b = threading.Thread(target=second)
    b.start()
    deadline = time.monotonic() + 5
    while "second waiting" not in stages and time.monotonic() < deadline:
        time.sleep(0.01)
    assert stages == ["second waiting"] and not second_done.is_set()  # held back
    release.set()
    a.join(5)
    b.join(5)
    assert stages == ["second waiting", "second builds"]


def test_a_damaged_audit_line_is_skipped_whatever_json_it_holds(tmp_path: Path) -> None:
    from bot.audit import AuditLog

    log = AuditLog(tmp_path / "audit.jsonl")
    log.append(server=None, user_id=1, user_name="owner", action="add", work="First")
    with open(log.path, "a", encoding="utf-8") as f:
        f.write('not json\n[]\n"a string"\n42\n{"action": 3\n')
    log.append(server=None, user_id=1, user_name="owner", action="remove", work="First")
    assert [(e.action, e.work) for e in log.tail()] == [("add", "First"), ("remove", "First")]
    assert [e.action for e in log.tail(5, lambda e: e.action == "remove")] == ["remove"]


def test_the_log_is_read_from_its_end_line_by_whole_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot import audit

    log = audit.AuditLog(tmp_path / "audit.jsonl")
    for i in range(40):
        action = "refused" if i % 3 else "add"
        log.append(server=None, user_id=i, user_name="Zoë ✓ 𝔄", action=action, work=f"№{i}")
        if i == 20:
            with open(log.path, "a", encoding="utf-8") as f:
                f.write('{"damaged": \n\n')
    lines = log.path.read_text(encoding="utf-8").splitlines()
    everything = [e for e in map(audit._parsed, lines) if e is not None]
    for block in (1, 7, 64, 1 << 16):  # blocks that cut lines and characters anywhere
        monkeypatch.setattr(audit, "_BLOCK", block)
        assert log.tail(5) == everything[-5:]
        assert log.tail(100) == everything
        last = log.tails(lambda e: e.action, {"add": 3, "refused": 4, "remove": 2})
        assert last["add"] == [e for e in everything if e.action == "add"][-3:]
        assert last["refused"] == [e for e in everything if e.action == "refused"][-4:]
        assert last["remove"] == []


def test_the_trash_moves_files_across_file_systems_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Docker mounts the base corpus beside the data volume: a rename between them fails
    # with EXDEV, so the trash copies, syncs, renames into place, then removes the old.
    import errno
    import os

    from bot import trash as trash_module

    corpus, data = tmp_path / "corpus-mount", tmp_path / "data-volume"
    corpus.mkdir()
    (corpus / "almanac.txt").write_bytes(GARDEN)
    (corpus / "almanac.txt.meta.toml").write_text('title = "Almanac"\n')
    rename = os.replace

    def one_file_system_each(src: os.PathLike[str], dst: os.PathLike[str]) -> None:
        if Path(src).is_relative_to(corpus) != Path(dst).is_relative_to(corpus):
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        rename(src, dst)

    monkeypatch.setattr(trash_module.os, "replace", one_file_system_each)
    bin_ = trash_module.Trash(data / "trash")
    entry = bin_.put(corpus, ["almanac.txt", "almanac.txt.meta.toml"], "Almanac", "removed")
    assert sorted(p.name for p in corpus.iterdir()) == []
    assert (entry.folder / "almanac.txt").read_bytes() == GARDEN
    assert not any(p.name.endswith(".moving") for p in entry.folder.iterdir())
    assert bin_.restore(entry, corpus) == ("almanac.txt", "almanac.txt.meta.toml")
    assert (corpus / "almanac.txt").read_bytes() == GARDEN
    assert sorted(p.name for p in corpus.iterdir()) == ["almanac.txt", "almanac.txt.meta.toml"]


def test_removing_a_work_whose_files_are_gone_says_so_and_trashes_nothing(app: App) -> None:
    add_garden(app, SERVER_A)
    a = app.collections.of(SERVER_A)
    for f in list(a.corpus.iterdir()):  # deleted by hand, behind the bot's back
        f.unlink()
    with pytest.raises(UploadRefused) as refused:
        texts.remove_work(app, a, "almanac.txt", actor=admin_of(SERVER_A))
    assert "any more" in describe(refused.value) and "reindex" in describe(refused.value)
    assert a.trash.entries() == []


def test_a_change_made_while_another_process_builds_waits_and_is_indexed(app: App) -> None:
    # Another process (a terminal's reindex, another shard) holds the build lock: its build
    # read the corpus before this change, so the change waits for it and builds again.
    from embeddings import store

    add_garden(app, SERVER_A)
    a = app.collections.of(SERVER_A)
    held = threading.Event()

    def other_process() -> None:
        with store.build_lock(a.service.settings.index):
            held.set()
            time.sleep(1.5)

    builder = threading.Thread(target=other_process)
    builder.start()
    held.wait(5)
    second = GARDEN.replace(b"Beekeeper's Almanac", b"Second Almanac")
    change = texts.add_work(app, a, "second.txt", second, WorkMeta(), actor=admin_of(SERVER_A))
    builder.join()
    assert not change.index_error and change.report is not None
    assert "second.txt" in change.report.added


def test_refusals_from_other_servers_cannot_push_the_owners_changes_out_of_the_log(
    app: App,
) -> None:
    base = app.collections.base
    title = "The Beekeeper's Almanac"
    texts.add_work(app, base, "almanac.txt", GARDEN, WorkMeta(title=title), actor=OWNER)
    # Thirty admins of other servers (one member's repeats are logged once).
    for i in range(30):
        with pytest.raises(NotPermitted):
            texts.restore_work(base, f"entry {i}", actor=admin_of(SERVER_B, user=8 + i))
    view = texts.log_view(base)
    assert [(e.user_name, e.action, e.work) for e in view.changes] == [("owner", "add", title)]
    assert len(view.refused) == 5 and view.refused[-1].work == "entry 29"


def test_a_long_titled_work_is_suggested_by_names_its_commands_accept(app: App) -> None:
    # A suggestion holds 100 characters: a 131-character title cut to 100 named no work,
    # so remove and restore refused what their own autocomplete offered.
    a = app.collections.of(SERVER_A)
    title = "A Very Long Title " * 7 + "of a Very Long Work"
    admin = admin_of(SERVER_A)
    texts.add_work(app, a, "long.txt", GARDEN, WorkMeta(title=title[:200]), actor=admin)
    [offered] = texts.work_names(texts.own_works(a), "a very long")
    assert len(offered) <= 100
    texts.remove_work(app, a, offered, actor=admin)
    [back] = texts.trash_names(a, "a very long")
    assert len(back) <= 100
    change = texts.restore_work(a, back, actor=admin)
    assert change.work == title[:200] and (a.corpus / "long.txt").is_file()


def test_a_refused_removal_is_logged_whether_or_not_the_work_exists(app: App) -> None:
    # "No work called zzz is in the base corpus" came before the permission check, and
    # nothing was logged.
    base = app.collections.base
    with pytest.raises(NotPermitted):
        texts.remove_work(app, base, "zzz", actor=admin_of(SERVER_B))
    [refused] = texts.log_view(base).refused
    assert (refused.work, refused.result) == ("zzz", "remove: not permitted")


def test_a_file_the_index_does_not_show_yet_can_be_removed_by_its_name(app: App) -> None:
    # After a failed reindex, "/corpus remove bread.txt" said no such work, while adding
    # it again said it was there already.
    add_garden(app, SERVER_A)
    a = app.collections.of(SERVER_A)
    (a.corpus / "bread.txt").write_bytes(GARDEN)  # on disk, not in the index
    change = texts.remove_work(app, a, "bread.txt", actor=admin_of(SERVER_A))
    assert change.files == ("bread.txt",) and not (a.corpus / "bread.txt").exists()
    assert [e.files for e in a.trash.entries()] == [("bread.txt",)]
    with pytest.raises(NotFoundError):  # a name that is no file is still no work
        texts.remove_work(app, a, "rye.txt", actor=admin_of(SERVER_A))
    # A link is named as one: it was "none of its files is in the corpus any more".
    outside = a.corpus.parent / "outside.txt"
    outside.write_bytes(GARDEN)
    (a.corpus / "linked.txt").symlink_to(outside)
    with pytest.raises(UploadRefused, match="is a symbolic link"):
        texts.remove_work(app, a, "linked.txt", actor=admin_of(SERVER_A))
    assert (a.corpus / "linked.txt").is_symlink() and outside.exists()


# -- nothing is lost on the way to or from the trash ------------------------------------------


def test_a_replace_whose_write_fails_puts_the_old_version_back(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_garden(app, SERVER_A)
    a = app.collections.of(SERVER_A)

    def full_disk(target: Path, data: bytes, *, overwrite: bool) -> None:
        raise UploadRefused("I could not save almanac.txt (No space left on device).")

    monkeypatch.setattr(texts, "_write", full_disk)
    with pytest.raises(UploadRefused):
        texts.add_work(
            app, a, "almanac.txt", b"new", WorkMeta(), actor=admin_of(SERVER_A), replace=True
        )
    assert (a.corpus / "almanac.txt").read_bytes() == GARDEN
    assert a.trash.entries() == []


@pytest.mark.parametrize("replacing", [False, True])
def test_an_upload_whose_sidecar_cannot_be_written_leaves_the_corpus_as_it_was(
    app: App, monkeypatch: pytest.MonkeyPatch, replacing: bool
) -> None:
    # The text stayed, unlogged and without its title, under "the corpus is unchanged"; a
    # replaced version stayed in the trash, and a retry was refused as already there.
    a = app.collections.of(SERVER_A)
    if replacing:
        texts.add_work(
            app, a, "almanac.txt", GARDEN, WorkMeta(title="Old"), actor=admin_of(SERVER_A)
        )

    def corpus() -> dict[str, bytes]:
        return {p.name: p.read_bytes() for p in a.corpus.glob("*")}

    before = corpus()
    logged = a.log.tail(50)
    write = texts._write

    def disk_full_at_the_sidecar(target: Path, data: bytes, *, overwrite: bool) -> None:
        if target.name.endswith(".meta.toml"):
            raise UploadRefused(f"I could not save {target.name} (No space left on device).")
        write(target, data, overwrite=overwrite)

    monkeypatch.setattr(texts, "_write", disk_full_at_the_sidecar)
    with pytest.raises(UploadRefused, match="No space left"):
        texts.add_work(
            app,
            a,
            "almanac.txt",
            b"A new almanac: sow in autumn.\n",
            WorkMeta(title="New"),
            actor=admin_of(SERVER_A),
            replace=replacing,
        )
    assert corpus() == before
    assert a.trash.entries() == [] and a.log.tail(50) == logged


@pytest.fixture
def one_work(tmp_path: Path) -> tuple[Path, Trash]:
    """A corpus holding one work (a text and its sidecar), and an empty trash."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("one")
    (corpus / "a.txt.meta.toml").write_text('title = "A"\n')
    return corpus, Trash(tmp_path / "trash")


def moving_fails_at_the_sidecar(monkeypatch: pytest.MonkeyPatch, error: BaseException) -> None:
    move = trash_module._move

    def fails(source: Path, target: Path) -> None:
        if source.name.endswith(".toml"):
            raise error
        move(source, target)

    monkeypatch.setattr(trash_module, "_move", fails)


def test_a_move_to_the_trash_is_all_or_nothing(
    monkeypatch: pytest.MonkeyPatch, one_work: tuple[Path, Trash]
) -> None:
    corpus, trash = one_work
    moving_fails_at_the_sidecar(monkeypatch, OSError(28, "No space left on device"))
    with pytest.raises(TrashError):
        trash.put(corpus, ["a.txt", "a.txt.meta.toml"], "A", "removed")
    assert (corpus / "a.txt").read_text() == "one" and (corpus / "a.txt.meta.toml").exists()
    assert trash.entries() == [] and not any(trash.folder.iterdir())


def test_a_move_to_the_trash_cut_short_by_a_kill_can_still_be_undone(
    monkeypatch: pytest.MonkeyPatch, one_work: tuple[Path, Trash]
) -> None:
    # entry.json was written after the moves: a process killed between two of them left
    # the text in a trash folder nothing listed, restored or purged.
    corpus, trash = one_work
    with monkeypatch.context() as killed:
        moving_fails_at_the_sidecar(killed, SystemExit("killed"))  # no OSError: kept as is
        with pytest.raises(SystemExit):
            trash.put(corpus, ["a.txt", "a.txt.meta.toml"], "A", "removed")
    [entry] = trash.entries()
    assert entry.work == "A" and not (corpus / "a.txt").exists()
    trash.restore(entry, corpus)
    assert (corpus / "a.txt").read_text() == "one" and (corpus / "a.txt.meta.toml").exists()
    assert trash.entries() == []


@pytest.mark.parametrize("killed_at", ["almanac.txt", "almanac.txt.meta.toml"])
def test_a_replace_killed_on_its_way_to_the_trash_loses_nothing(
    app: App, monkeypatch: pytest.MonkeyPatch, killed_at: str
) -> None:
    # Restoring such an entry swapped the restored version's own sidecar (or its text)
    # out to the trash, leaving a text without its title, or nothing, "restored".
    add_garden(app, SERVER_A)
    a = app.collections.of(SERVER_A)
    before = {p.name: p.read_bytes() for p in a.corpus.iterdir()}
    move = trash_module._move

    def killed(source: Path, target: Path) -> None:
        if source.name == killed_at:
            raise SystemExit("killed")
        move(source, target)

    monkeypatch.setattr(trash_module, "_move", killed)
    with pytest.raises(SystemExit):
        texts.add_work(
            app, a, "almanac.txt", b"new", WorkMeta(), actor=admin_of(SERVER_A), replace=True
        )
    monkeypatch.setattr(trash_module, "_move", move)
    entries = a.trash.entries()
    if entries:  # what moved before the kill can be brought back
        texts.restore_work(a, entries[0].label, actor=admin_of(SERVER_A))
    assert {p.name: p.read_bytes() for p in a.corpus.iterdir()} == before
    assert a.trash.entries() == []


def test_a_trash_folder_without_its_entry_goes_with_the_old_trash(tmp_path: Path) -> None:
    trash = Trash(tmp_path / "trash")
    made = time.time()
    orphan = trash.folder / (time.strftime("%Y%m%dT%H%M%S", time.gmtime(made)) + "-0badc0de")
    orphan.mkdir(parents=True)
    assert trash.purge(30, now=made + 29 * 86400) == (0, []) and orphan.exists()
    trash.purge(30, now=made + 31 * 86400)
    assert not orphan.exists()


def test_the_trash_never_moves_a_link_and_an_upload_never_overwrites(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    outside = tmp_path / "secret.txt"
    outside.write_text("not the corpus's")
    (corpus / "link.txt").symlink_to(outside)
    with pytest.raises(TrashError):  # nothing of the work's is a file of the corpus
        Trash(tmp_path / "trash").put(corpus, ["link.txt"], "Link", "removed")
    assert (corpus / "link.txt").is_symlink() and outside.read_text() == "not the corpus's"
    (corpus / "kept.txt").write_text("first")
    with pytest.raises(UploadRefused):  # without replace, a name taken meanwhile stays so
        texts._write(corpus / "kept.txt", b"second", overwrite=False)
    assert (corpus / "kept.txt").read_text() == "first"


def test_hiding_and_showing_a_base_work_are_in_the_servers_log(app: App) -> None:
    a = app.collections.of(SERVER_A)
    admin = admin_of(SERVER_A)
    texts.hide_work(app, SERVER_A, "Anatomy of the Micro-Sect", actor=admin)
    texts.hide_work(app, SERVER_A, "Anatomy of the Micro-Sect", actor=admin, hide=False)
    assert [(e.action, e.work) for e in texts.log_view(a).changes][-2:] == [
        ("hide", "Anatomy of the Micro-Sect"),
        ("unhide", "Anatomy of the Micro-Sect"),
    ]


def test_a_server_with_texts_of_its_own_may_hide_the_whole_base(app: App) -> None:
    # A server built around its own archive wants only its archive; one with nothing of its
    # own keeps a base work, or it would have nothing to search.
    add_garden(app, SERVER_A)
    for work in list(sources.works(app)):
        texts.hide_work(app, SERVER_A, work.title, actor=admin_of(SERVER_A))
    assert titles(app, SERVER_A) == {"The Beekeeper's Almanac"}
    assert set(quoted_titles(app, "what is a sect", SERVER_A)) <= {"The Beekeeper's Almanac"}
    assert quoted_titles(app, GARDEN_QUERY, SERVER_A)[0] == "The Beekeeper's Almanac"
    # Its last text of its own is not removed while that would leave it nothing.
    with pytest.raises(UploadRefused, match="unhide"):
        texts.remove_work(
            app, app.collections.of(SERVER_A), "The Beekeeper's Almanac", actor=admin_of(SERVER_A)
        )
    assert "The Beekeeper's Almanac" in titles(app, SERVER_A)
    first, last = sources.works(app)
    texts.hide_work(app, SERVER_B, first.title, actor=admin_of(SERVER_B))
    with pytest.raises(UploadRefused, match="no texts of its own"):
        texts.hide_work(app, SERVER_B, last.title, actor=admin_of(SERVER_B))


def test_restoring_a_replaced_version_trashes_the_newer_one_under_its_own_title(
    app: App,
) -> None:
    # The swapped-out version was labelled with the restored one's title: the trash listed
    # "AAA · replaced" for the file that held BBB, and the undo hint named AAA.
    a = app.collections.of(SERVER_A)
    admin = admin_of(SERVER_A)
    texts.add_work(app, a, "almanac.txt", GARDEN, WorkMeta(title="AAA"), actor=admin)
    newer = GARDEN.replace(b"late spring", b"early summer")
    texts.add_work(app, a, "almanac.txt", newer, WorkMeta(title="BBB"), actor=admin, replace=True)
    change = texts.restore_work(a, "AAA", actor=admin)
    assert change.trashed is not None and change.trashed.work == "BBB"
    assert texts.trash_names(a, "") == ["BBB"]
    # The log says both halves of the swap: the log had "restore AAA" alone.
    [entry] = a.log.tail(1)
    assert (entry.action, entry.work) == ("restore", "AAA")
    assert entry.result == "ok; “BBB”, which it replaced, to the trash"
    texts.restore_work(a, "BBB", actor=admin)
    assert (a.corpus / "almanac.txt").read_bytes() == newer
    assert texts.trash_names(a, "") == ["AAA"]


def test_showing_a_work_that_is_not_hidden_is_refused_and_logged_as_no_change(app: App) -> None:
    # It said "is shown in this server again" and wrote an "unhide" entry for nothing; a
    # second hide likewise.
    mim = next(w for w in sources.works(app) if w.title.startswith("Definition"))
    with raises_saying(UploadRefused, "is not hidden in this server"):
        texts.hide_work(app, SERVER_A, mim.title, actor=admin_of(SERVER_A), hide=False)
    texts.hide_work(app, SERVER_A, mim.title, actor=admin_of(SERVER_A))
    with raises_saying(UploadRefused, "is hidden in this server already"):
        texts.hide_work(app, SERVER_A, mim.title, actor=admin_of(SERVER_A))
    logged = [e.action for e in app.collections.of(SERVER_A).log.tail(10)]
    assert logged.count("hide") == 1 and "unhide" not in logged


def test_a_term_only_a_hidden_work_holds_is_never_offered_in_that_server(app: App) -> None:
    """/define's autocomplete (and its "did you mean") reads the server's scope: a term that
    occurs only in a base work the server hides is offered elsewhere, never there."""
    mim = next(w for w in sources.works(app) if w.title.startswith("Definition"))
    vocabulary = app.index.searcher.index.vocabulary
    only_there = [
        t.text
        for t in vocabulary.terms
        if len(t.text) >= 6
        and " " not in t.text
        and {vocabulary.sources[i] for i in t.sources} <= set(mim.files)
    ]
    term = next(t for t in only_there if t in definitions.complete(app, t, guild=SERVER_B))
    texts.hide_work(app, SERVER_A, mim.title, actor=admin_of(SERVER_A))
    assert term in definitions.complete(app, term, guild=SERVER_B)  # not hidden there
    assert term not in definitions.complete(app, term, guild=SERVER_A)
    assert term not in definitions.complete(app, term[:5], guild=SERVER_A)


def test_a_server_hiding_a_work_is_offered_as_many_terms_as_the_works_it_shows_hold(
    app: App,
) -> None:
    """However many terms only a hidden work holds would come first, /define's autocomplete
    fills the places asked for with the terms of the works the server shows."""
    vocabulary = app.index.searcher.index.vocabulary
    files = set(next(w for w in sources.works(app) if w.title == MICRO_SECT).files)

    def only_hidden(term: str) -> bool:
        return set(vocabulary.where(term)) <= files

    def hidden_first(prefix: str) -> int:
        offered = definitions.complete(app, prefix)
        return next((n for n, t in enumerate(offered) if not only_hidden(t)), 0)

    # The two letters whose completions start with the most terms of the work hidden next.
    prefix = max((a + b for a in ascii_lowercase for b in ascii_lowercase), key=hidden_first)
    limit = 2
    shown = [t for t in definitions.complete(app, prefix) if not only_hidden(t)][:limit]
    assert hidden_first(prefix) > limit and len(shown) == limit
    texts.hide_work(app, SERVER_A, MICRO_SECT, actor=admin_of(SERVER_A))
    assert definitions.complete(app, prefix, limit, guild=SERVER_A) == shown


def test_a_server_defines_as_the_base_does_less_the_works_it_hides(app: App) -> None:
    """/define in a server that hides a work answers from the works it shows, in the order
    the base gives them, however many passages of the hidden work come first there (they
    took the places asked of the base: "communist", which the shown work uses, was said not
    to occur in the corpus)."""
    mim = next(w for w in sources.works(app) if w.title.startswith("Definition"))
    term = "communist"
    everywhere = definitions.define(app, term, 10).quotes
    assert everywhere[0].title == mim.title  # the hidden work comes first in the base
    shown = [q.text for q in everywhere if q.title != mim.title]
    assert shown  # and the rest of the base uses the term too
    texts.hide_work(app, SERVER_A, mim.title, actor=admin_of(SERVER_A))
    for count in (1, 2):
        answer = definitions.define(app, term, count, guild=SERVER_A)
        assert [q.text for q in answer.quotes] == shown[:count], answer.notice


def test_a_quote_shown_before_its_work_was_hidden_reads_nothing_of_it_there(app: App) -> None:
    """A pager's buttons (Context, More from this source) on a quote shown before an admin
    hid its work: the work is gone from that server, as it is from its searches."""
    mim = next(w for w in sources.works(app) if w.title.startswith("Definition"))
    asked = QuoteRequest("what is sectarianism", title=mim.title, guild=SERVER_A)
    shown = quote(app, asked).quotes[0]
    assert context(app, shown, guild=SERVER_A)  # before the hide: its neighbours
    texts.hide_work(app, SERVER_A, mim.title, actor=admin_of(SERVER_A))
    with pytest.raises(PassageGone):
        context(app, shown, guild=SERVER_A)
    with pytest.raises(PassageGone):
        more_from_source(app, asked.query, shown, guild=SERVER_A)
    assert context(app, shown, guild=SERVER_B)  # another server still reads it


SPLITS = b"""On Splitterism

Splitterism is the habit of breaking away from every larger movement over a point of
doctrine, again and again, until nothing is left but a handful of the faithful.
"""


def add_splits(app: App, guild: int) -> texts.Change:
    collection = app.collections.of(guild)
    meta = WorkMeta(title="On Splitterism")
    return texts.add_work(app, collection, "splits.txt", SPLITS, meta, actor=admin_of(guild))


def test_a_word_only_a_servers_own_text_holds_anchors_the_base_there_too(app: App) -> None:
    """A server's view is floored as one corpus: a query word that only the server's own
    text holds anchors the base too, which then keeps its usual floor (not the higher
    floor of a query with no word of the corpus)."""
    query = "splitterism"
    base = app.index.searcher
    assert not base.anchored(base.prepare(query))  # the base alone has no such word
    alone = base.search(query, k=10).hits
    as_one = base.search(query, k=10, anchored=True).hits
    assert len(as_one) > len(alone)  # the floor makes a difference for this query
    add_splits(app, SERVER_A)
    answer = quote(app, QuoteRequest(query, count=10, guild=SERVER_A))
    assert answer.quotes and answer.quotes[0].title == "On Splitterism"
    from_base = [q for q in answer.quotes if q.title != "On Splitterism"]
    assert len(from_base) > len(alone)  # floored as the whole view, not as the base alone


def test_more_from_a_base_work_is_floored_as_the_servers_whole_view(app: App) -> None:
    """More from this source asks the question again within the quote's work: a word only
    the server's own text holds anchors it there as it anchored the answer (it was floored
    as the base alone, and found nothing more than the answer had shown)."""
    add_splits(app, SERVER_A)
    asked = QuoteRequest("splitterism", title="Micro-Sect", count=6, guild=SERVER_A)
    shown = quote(app, asked).quotes
    assert len(shown) > 1  # the answer found more than one passage of the work
    first = shown[0]
    more = more_from_source(app, asked.query, first, len(shown) - 1, guild=SERVER_A)
    assert [q.text for q in more.quotes] == [q.text for q in shown[1:]]


def test_a_word_only_a_hidden_work_holds_anchors_nothing_in_that_server(app: App) -> None:
    """A base work a server hides lends it none of its words: a question whose words only
    that work holds is floored there as one with no word of the corpus, in its answer and
    in More from this source (the base's own words, hidden works' included, anchored it)."""
    mim = next(w for w in sources.works(app) if w.title.startswith("Definition"))
    query = "Mao on the proletariat"
    base = app.index.searcher
    rest = [p for p in base.index.passages if p.source not in mim.files]
    assert all(set(terms(query)).isdisjoint(terms(p.text)) for p in rest)  # only it has them
    hides = Filters(hidden=frozenset(mim.files))
    floored = base.search(query, k=10, filters=hides, anchored=False).hits
    assert len(base.search(query, k=10, filters=hides, anchored=True).hits) > len(floored)
    texts.hide_work(app, SERVER_A, mim.title, actor=admin_of(SERVER_A))
    answer = quote(app, QuoteRequest(query, count=10, guild=SERVER_A)).quotes
    assert [q.passage_id for q in answer] == [h.passage_id for h in floored]
    first = answer[0]
    within = base.search_in(query, first.source, 10, anchored=False).hits
    more = more_from_source(app, query, first, 9, guild=SERVER_A)
    assert [q.passage_id for q in more.quotes] == [
        h.passage_id for h in within if h.passage_id != first.passage_id
    ]


def test_a_servers_own_view_follows_every_change_to_what_it_reads(app: App) -> None:
    """A server with texts of its own reads a view of its own (the base less what it hides,
    plus its texts): a hide, and a change the owners make to the base, reach it at once."""
    mim = next(w for w in sources.works(app) if w.title.startswith("Definition"))
    add_garden(app, SERVER_A)
    assert mim.title in titles(app, SERVER_A)
    texts.hide_work(app, SERVER_A, mim.title, actor=admin_of(SERVER_A))
    assert mim.title not in titles(app, SERVER_A)
    notes = b"Owners' Notes\n\nA note the owners added to the shared corpus for every server.\n"
    meta = WorkMeta(title="Owners' Notes")
    texts.add_work(app, app.collections.base, "notes.txt", notes, meta, actor=OWNER)
    assert "Owners' Notes" in titles(app, SERVER_A)
    assert "Owners' Notes" in titles(app, SERVER_B)


def test_an_upload_whose_name_is_a_symbolic_link_is_refused_whatever_it_points_to(
    app: App, tmp_path: Path
) -> None:
    """A symbolic link in a collection (an operator's, or a dangling one) is never written
    through nor replaced by an upload, with replace or without: it is refused as a link."""
    collection = app.collections.of(SERVER_A)
    add_garden(app, SERVER_A)
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"not the corpus's\n")
    (collection.corpus / "linked.txt").symlink_to(outside)
    (collection.corpus / "dangling.txt").symlink_to(tmp_path / "nothing-here.txt")
    for name in ("linked.txt", "dangling.txt"):
        for replacing in (False, True):
            with pytest.raises(UploadRefused, match="is a link or a folder"):
                texts.add_work(
                    app,
                    collection,
                    name,
                    GARDEN,
                    WorkMeta(),
                    actor=admin_of(SERVER_A),
                    replace=replacing,
                )
            assert (collection.corpus / name).is_symlink()
    assert outside.read_bytes() == b"not the corpus's\n"
    assert not (tmp_path / "nothing-here.txt").exists()


def test_only_a_servers_admins_may_hide_or_show_a_base_work_there(app: App) -> None:
    """Decided by the command itself, whatever the front end checked: a member without
    Manage Server, or another server's admin, neither hides nor shows a work, and the
    refusal is in the server's log."""
    mim = next(w for w in sources.works(app) if w.title.startswith("Definition"))
    member = Actor(9, "member-9", SERVER_A, f"server {SERVER_A}")
    for actor in (member, admin_of(SERVER_B, user=8)):
        with pytest.raises(NotPermitted):
            texts.hide_work(app, SERVER_A, mim.title, actor=actor)
    assert mim.title in titles(app, SERVER_A)
    texts.hide_work(app, SERVER_A, mim.title, actor=admin_of(SERVER_A))
    with pytest.raises(NotPermitted):
        texts.hide_work(app, SERVER_A, mim.title, actor=member, hide=False)
    assert mim.title not in titles(app, SERVER_A)
    refused = [e for e in app.collections.of(SERVER_A).log.tail() if e.action == "refused"]
    assert {e.user_id for e in refused} == {8, 9}


def test_a_restore_never_puts_a_file_beside_one_that_differs_only_in_case(app: App) -> None:
    # Notes.txt removed, notes.txt added since: restoring Notes.txt put it beside the new
    # one, two files that /corpus remove and restore cannot tell apart.
    collection = app.collections.of(SERVER_A)
    admin = admin_of(SERVER_A)
    texts.add_work(app, collection, "Notes.txt", GARDEN, WorkMeta(title="Old notes"), actor=admin)
    texts.add_work(app, collection, "other.txt", GARDEN + b"Other.\n", WorkMeta(), actor=admin)
    texts.remove_work(app, collection, "Old notes", actor=admin)
    new = WorkMeta(title="New notes")
    texts.add_work(app, collection, "notes.txt", GARDEN + b"New.\n", new, actor=admin)
    with raises_saying(UploadRefused, "notes.txt"):
        texts.restore_work(collection, "Old notes", actor=admin)
    assert sorted(p.name for p in collection.corpus.glob("*.txt")) == ["notes.txt", "other.txt"]
    assert collection.trash.find("Old notes") is not None  # still there to restore later


def test_a_work_partly_hidden_can_be_shown_again(app: App) -> None:
    # The owners added a file to a work the server hides: "not hidden" kept that file hidden.
    letters = app.settings.corpus / "letters"
    letters.mkdir()
    (letters / "_collection.meta.toml").write_text('title = "Letters on Bees"\n')
    (letters / "a.txt").write_bytes(GARDEN)
    (letters / "b.txt").write_bytes(GARDEN + b"A second letter on the hive.\n")
    app.index.reindex()
    work = next(w for w in sources.works(app) if w.title == "Letters on Bees")
    assert len(work.files) == 2
    app.collections.hide(SERVER_A, work.files[:1])
    texts.hide_work(app, SERVER_A, work.title, actor=admin_of(SERVER_A), hide=False)
    assert not set(work.files) & app.collections.fresh_state(SERVER_A).hidden


def test_a_long_titled_work_of_several_files_is_suggested_by_a_name_remove_accepts(
    app: App,
) -> None:
    # Its title was offered cut to 100 characters, which named no work.
    letters = app.settings.corpus / "letters"
    letters.mkdir()
    title = "Letters " * 15 + "on the Keeping of Bees"
    (letters / "_collection.meta.toml").write_text(f'title = "{title}"\n')
    (letters / "a.txt").write_bytes(GARDEN)
    (letters / "b.txt").write_bytes(GARDEN + b"A second letter on the hive.\n")
    app.index.reindex()
    base = app.collections.base
    [offered] = texts.work_names(texts.own_works(base), "letters letters")
    assert len(offered) <= 100
    texts.remove_work(app, base, offered, actor=OWNER)
    assert not (letters / "a.txt").exists() and not (letters / "b.txt").exists()
