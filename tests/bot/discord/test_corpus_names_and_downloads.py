"""/corpus add, remove and restore through Discord: file names that differ only in case,
a download the CDN cuts off, an owner naming a base work in a server."""

from __future__ import annotations

import logging

import pytest
from aiohttp import web

from bot.app import App
from bot.commands.corpus import REPLACE_HINT
from bot.discord.cogs.corpus import DOWNLOAD_FAILED
from tests.bot.discord.conftest import WAIT, RunningBot, answered
from tests.bot.discord.test_corpus import (
    BASE_WORK,
    ESSAY,
    MARKDOWN,
    add,
    added,
    files_in,
    give_the_server,
    own,
    remove,
)
from tests.fake_discord import FakeDiscord


async def test_an_upload_named_like_a_stored_file_but_for_case_replaces_that_file(
    fake_discord: FakeDiscord, app: App, running_bot: RunningBot
) -> None:
    """Remove and restore take "Small-Circles.txt" to name small-circles.txt; add took it
    for another file: `replace: True` left the old version in place, nothing in the trash,
    and the work indexed twice."""
    corpus = give_the_server(app, fake_discord, "small-circles.txt")
    async with running_bot(app):
        refused = await add(fake_discord, "Small-Circles.txt", MARKDOWN)
        replaced = await add(fake_discord, "Small-Circles.txt", MARKDOWN, replace=True)
    assert refused.embed is not None
    assert refused.embed["description"] == (
        f"small-circles.txt is already in this server's texts; {REPLACE_HINT}."
    )
    assert replaced.embed is not None
    assert any(f["name"] == "Replaced" for f in replaced.embed["fields"])
    texts = {f for f in files_in(corpus) if not f.endswith(".meta.toml")}
    assert len(texts) == 1 and (corpus / texts.pop()).read_bytes() == MARKDOWN
    (trashed,) = app.collections.of(fake_discord.guild_id).trash.entries()
    assert trashed.reason == "replaced" and (trashed.folder / "small-circles.txt").exists()


async def test_two_works_whose_file_names_differ_only_in_case_can_each_be_removed(
    fake_discord: FakeDiscord, app: App, running_bot: RunningBot
) -> None:
    """Same title, two authors, files notes.txt and Notes.txt (stored by the host, or by
    /corpus add, which takes both): "name one by file" was the advice, and naming either
    file got the same refusal again; neither could be removed from Discord."""
    folder = own(app, fake_discord)
    folder.mkdir(parents=True, exist_ok=True)
    for name, data, author in (("notes.txt", ESSAY, "A"), ("Notes.txt", MARKDOWN, "B")):
        (folder / name).write_bytes(data)
        (folder / f"{name}.meta.toml").write_text(f'title = "Notes"\nauthor = "{author}"\n')
    app.collections.of(fake_discord.guild_id).reindex()
    async with running_bot(app):
        ambiguous = await remove(fake_discord, "Notes")
        by_file = await remove(fake_discord, "Notes.txt")
    assert ambiguous.embed is not None and "name one by file" in ambiguous.embed["description"]
    assert by_file.embed is not None and by_file.embed["title"] == "Removed “Notes”", by_file.embed
    assert files_in(folder) == {"notes.txt", "notes.txt.meta.toml"}


async def test_restore_brings_back_the_version_picked_not_one_titled_alike_but_for_case(
    fake_discord: FakeDiscord, app: App, running_bot: RunningBot
) -> None:
    """/corpus restore offered “NOTES” and “Notes” (two works in the trash); picking “NOTES”
    restored “Notes”, and “NOTES” could not be brought back by the name offered."""
    async with running_bot(app):
        await add(fake_discord, "a.txt", ESSAY, title="NOTES", author="A")
        await add(fake_discord, "b.txt", MARKDOWN, title="Notes", author="B")
        await remove(fake_discord, "a.txt")
        await remove(fake_discord, "b.txt")  # the newest in the trash
        offered = await answered(
            fake_discord.send_autocomplete(
                "corpus restore", {"work": "notes"}, focused="work", user="mod"
            )
        )
        picked = next(c["value"] for c in offered.choices if c["name"].startswith("NOTES"))
        restored = await fake_discord.send_slash("corpus restore", {"work": picked}, user="mod")
        await restored.wait_for(added, WAIT)
    assert restored.embed is not None and restored.embed["title"] == "Restored “NOTES”"
    assert files_in(own(app, fake_discord)) == {"a.txt", "a.txt.meta.toml"}


async def test_a_download_cut_off_by_the_cdn_is_told_as_such_not_as_a_bug(
    fake_discord: FakeDiscord,
    app: App,
    running_bot: RunningBot,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A connection reset (or aiohttp's 5-minute timeout) is no `discord.HTTPException`:
    the admin read "Something went wrong on my side" and the log an unexpected error."""

    def cut_off(request: web.Request) -> web.StreamResponse:
        # The CDN drops the connection: no status a fault could give.
        assert request.transport is not None
        request.transport.close()
        return web.Response(status=200)

    monkeypatch.setattr(fake_discord, "_serve_attachment", cut_off)
    async with running_bot(app):
        rec = await add(fake_discord, "circles.txt", ESSAY)
        later = await add(fake_discord, "circles.txt", ESSAY)  # the slot is free again
    assert rec.ephemeral and rec.embed is not None
    assert rec.embed["description"] == DOWNLOAD_FAILED, rec.embed
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert later.embed is not None and later.embed["description"] == DOWNLOAD_FAILED
    assert files_in(own(app, fake_discord)) == set()


async def test_a_download_the_cdn_refuses_is_told_as_such(
    fake_discord: FakeDiscord, app: App, running_bot: RunningBot
) -> None:
    # The CDN answers 503: the fake's faults reach attachment downloads too.
    fault = fake_discord.fail_next("GET /attachments/*", 503)
    async with running_bot(app):
        rec = await add(fake_discord, "circles.txt", ESSAY)
    assert fault.fired, "the download never met the fault"
    assert rec.ephemeral and rec.embed is not None
    assert rec.embed["description"] == DOWNLOAD_FAILED, rec.embed
    assert files_in(own(app, fake_discord)) == set()


async def test_an_owner_naming_a_base_work_in_a_server_is_told_to_add_base_true(
    fake_discord: FakeDiscord, app: App, running_bot: RunningBot
) -> None:
    """The bot's owner was told the base "only the bot's owners can change", and logged as
    refused in the server's audit log, which its admins read."""
    async with running_bot(app):
        rec = await remove(fake_discord, BASE_WORK, user="owner")
    assert rec.ephemeral and rec.embed is not None
    said = rec.embed["description"]
    assert "base: True" in said and "only the bot's owners can change" not in said, said
    server_log = app.collections.of(fake_discord.guild_id).log.tail(20)
    assert [e for e in server_log if e.action == "refused"] == []
