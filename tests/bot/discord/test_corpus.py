"""/corpus add, remove and restore: admins change texts from Discord, safely, each in
the right place.

A server admin's upload lands in that server's own collection (under the data folder),
under a safe name, with its metadata in a sidecar, and an incremental reindex follows; it
is quoted in that server at once. It is refused, before anything is written, when it is
not text, too big, badly named, or would overwrite a file without `replace: True` (the old
version then goes to the trash). Removal moves a work's files to the collection's trash
and reindexes; /corpus restore brings them back. The shared base corpus is changed only by
the bot's owners, with `base: True`: a server admin trying to is refused and nothing
changes. Every change is logged with who did it; only admins may make one.
"""

from __future__ import annotations

import logging
import threading
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import discord
import pytest

import bot.live
from bot.app import App
from bot.commands.corpus import BASE_ONLY_OWNERS, REPLACE_HINT
from bot.commands.sidecar import UNREADABLE_DATE
from bot.discord.cogs.admin import BUSY
from bot.discord.cogs.corpus import NO_WORK
from bot.file_lock import locked
from tests.bot.discord.conftest import WAIT, Gate, RunningBot, all_embed_text, answered
from tests.bot.discord.test_admin import private_app
from tests.bot.discord.test_tenancy import text_of
from tests.embeddings.test_corpus_boundary import OUTSIDE_LINKS, plant_links
from tests.fake_discord import FakeDiscord, InteractionRecord, Upload

ESSAY = b"""On Small Circles

A small circle that quarrels over every comma of its programme splits in two, and then in
two again, until each fragment is certain that it alone carries the torch.

The cure is not a purer programme but a wider movement, where disagreement is ordinary.
"""
MARKDOWN = b"""# On Small Circles

A *small circle* that quarrels over every comma of its programme splits in two, and then
in two again, until each fragment is certain that it alone carries the torch.
"""
HTML = b"""<!doctype html><html><head><title>On Small Circles</title></head><body>
<h1>On Small Circles</h1><p>A small circle that quarrels over every comma of its programme
splits in two, and then in two again, until each fragment is certain that it alone carries
the torch.</p></body></html>"""
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 4
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" + bytes(200)
ZIP = b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(range(256)) * 2
NOISE = bytes((i * 7919) % 256 for i in range(4096))
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><text>hi</text></svg>'

BASE_WORK = "Anatomy of the Micro-Sect"
BASE_FILE = "draper-anatomy-of-the-micro-sect.md"
IN_THE_BASE = (
    f"“{BASE_WORK}” is in the shared base corpus, which only the bot's owners can change. "
    "/corpus hide hides it in this server."
)


def added(record: InteractionRecord) -> bool:
    embed = record.embed or {}
    return embed.get("title", "").startswith(("Added", "Removed", "Restored", "Sorry"))


def files_in(root: Path) -> set[str]:
    """Everything in a folder, as paths relative to it (nothing when it does not exist)."""
    return {str(p.relative_to(root)) for p in root.rglob("*")} if root.is_dir() else set()


def own(app: App, fake: FakeDiscord) -> Path:
    """The fake server's own texts."""
    return app.collections.folder(fake.guild_id) / "corpus"


def base(app: App) -> Path:
    return Path(app.settings.corpus)


def corpus_files(app: App, fake: FakeDiscord) -> tuple[set[str], set[str]]:
    """The texts of the base and of the server's collection."""
    return files_in(base(app)), files_in(own(app, fake))


def give_the_server(app: App, fake: FakeDiscord, name: str = "small-circles.txt") -> Path:
    """The server's collection with one indexed work of its own, as after a /corpus add."""
    folder = own(app, fake)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(ESSAY)
    (folder / f"{name}.meta.toml").write_text('title = "On Small Circles"\n')
    app.collections.of(fake.guild_id).reindex()
    return folder


@pytest.fixture
def app(fresh_app: App) -> App:
    """A private corpus and index, without rate limits."""
    return private_app(fresh_app, cooldown_seconds=0, server_limit=0)


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The attachments the bot downloaded (a refusal must come before any download)."""
    seen: list[str] = []
    original = discord.Attachment.read

    async def read(self: discord.Attachment, **kwargs: Any) -> bytes:
        seen.append(self.filename)
        return await original(self, **kwargs)

    monkeypatch.setattr(discord.Attachment, "read", read)
    yield seen


async def add(
    fake: FakeDiscord, name: str, data: bytes, *, user: str = "mod", **options: Any
) -> InteractionRecord:
    rec = await fake.send_slash("corpus add", {"file": Upload(name, data), **options}, user=user)
    await rec.wait_for(added, WAIT)
    return rec


async def remove(
    fake: FakeDiscord, work: str, *, user: str = "mod", **options: Any
) -> InteractionRecord:
    rec = await fake.send_slash("corpus remove", {"work": work, **options}, user=user)
    await rec.wait_for(added, WAIT)
    return rec


async def add_claiming(fake: FakeDiscord, claimed_name: str, data: bytes) -> InteractionRecord:
    """An upload whose attachment claims `claimed_name` (Discord's own CDN would never serve
    such a name; a crafted interaction can still say it)."""
    stored = fake.add_attachment("upload.txt", data, "text/plain")
    attachment = {**stored.to_attachment(), "filename": claimed_name}
    raw = [{"type": 11, "name": "file", "value": str(stored.id)}]
    rec = await fake.send_slash(
        "corpus add", raw, user="mod", resolved={"attachments": {str(stored.id): attachment}}
    )
    await rec.wait_for(added, WAIT)
    return rec


# -- adding ---------------------------------------------------------------------------------


async def test_a_server_admin_adds_a_work_to_the_server_and_it_is_quoted_there_at_once(
    fake_discord: FakeDiscord, app: App, running_bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot")
    base_before = files_in(base(app))
    async with running_bot(app):
        rec = await add(
            fake_discord,
            "small-circles.txt",
            ESSAY,
            title="On Small Circles",
            author="A. N. Organiser",
            date="1921",
            url="https://example.org/circles",
        )
        found = await answered(
            fake_discord.send_slash("quote", {"query": "a circle that splits in two"})
        )
        elsewhere = await answered(
            fake_discord.send_slash("quote", {"query": "a circle that splits in two"}, guild=False)
        )

    assert rec.ephemeral and rec.embed is not None
    assert rec.embed["title"] == "Added “On Small Circles”"
    assert "1 added" in rec.embed["description"]
    fields = {f["name"]: f["value"] for f in rec.embed["fields"]}
    assert fields["Files"] == "small-circles.txt"
    assert fields["Author"] == "A. N. Organiser" and fields["Date"] == "1921"
    corpus = own(app, fake_discord)
    assert (corpus / "small-circles.txt").read_bytes() == ESSAY
    sidecar = tomllib.loads((corpus / "small-circles.txt.meta.toml").read_text())
    assert sidecar == {
        "title": "On Small Circles",
        "author": "A. N. Organiser",
        "date": "1921",
        "url": "https://example.org/circles",
    }
    assert files_in(base(app)) == base_before  # the shared base is untouched
    assert found.embed is not None and found.embed["title"] == "On Small Circles — A. N. Organiser"
    # A direct message reads the base only: the server's own work is not quoted there.
    assert elsewhere.embed is not None and elsewhere.embed["title"] != "On Small Circles"
    # Logged with who did it: user id and name, server id and name.
    mod = fake_discord.user_ids["mod"]
    line = next(r.getMessage() for r in caplog.records if "corpus add" in r.getMessage())
    assert "small-circles.txt" in line and f"user {mod} (mod)" in line
    assert f"server {fake_discord.guild_id} ({fake_discord.guild_name})" in line


@pytest.mark.parametrize("who", ["owner", "configured"], ids=["app-owner", "configured-id"])
async def test_an_owner_adds_to_the_shared_base_with_base_true(
    fake_discord: FakeDiscord, fresh_app: App, who: str, running_bot: RunningBot
) -> None:
    user = "owner" if who == "owner" else "alice"
    admin_ids = frozenset({fake_discord.user_ids["alice"]}) if who == "configured" else frozenset()
    app = private_app(fresh_app, cooldown_seconds=0, server_limit=0, admin_ids=admin_ids)
    async with running_bot(app):
        rec = await add(
            fake_discord, "small-circles.txt", ESSAY, user=user, base=True, title="On Small Circles"
        )
        in_a_dm = await answered(
            fake_discord.send_slash("quote", {"query": "a circle that splits in two"}, guild=False)
        )
    assert rec.embed is not None and rec.embed["title"] == "Added “On Small Circles”"
    assert (base(app) / "small-circles.txt").read_bytes() == ESSAY
    assert files_in(own(app, fake_discord)) == set()
    # The base is read everywhere, direct messages included.
    # (no author given: the title line is the work alone)
    assert in_a_dm.embed is not None and in_a_dm.embed["title"] == "On Small Circles"


@pytest.mark.parametrize(
    ("name", "data"),
    [("circles.md", MARKDOWN), ("circles.html", HTML), ("circles.txt", HTML)],
    ids=["markdown", "html", "html-named-txt"],
)
async def test_markdown_and_html_are_read_as_what_they_are(
    fake_discord: FakeDiscord, app: App, running_bot: RunningBot, name: str, data: bytes
) -> None:
    async with running_bot(app):
        rec = await add(fake_discord, name, data)
    assert rec.embed is not None and rec.embed["title"] == f"Added “{name}”"
    fields = {f["name"]: f["value"] for f in rec.embed["fields"]}
    assert fields["Title"] == "On Small Circles"  # from the heading or <title>, not the name
    passages = app.collections.of(fake_discord.guild_id).service.searcher.index.passages
    text = " ".join(p.text for p in passages)
    assert "carries the torch" in text and "<p>" not in text and "*small circle*" not in text


@pytest.mark.parametrize(
    ("name", "data", "says"),
    [
        ("holiday.txt", PNG, "a PNG image, not text"),
        ("photo.md", JPEG, "a JPEG image, not text"),
        ("paper.txt", PDF, "a PDF document, not text"),
        ("book.html", ZIP, "a ZIP archive"),
        ("logo.txt", SVG, "an SVG image, not text"),
        ("noise.txt", NOISE, "cannot be indexed: binary file"),
        ("blank.txt", b" \n\t\n", "That file is empty."),
        ("tags.html", b"<html><body><script>x()</script></body></html>", "no text left"),
    ],
    ids=["png", "jpeg", "pdf", "zip", "svg", "random-bytes", "blank", "markup-only"],
)
async def test_a_file_that_is_not_text_is_refused_whatever_its_name(
    fake_discord: FakeDiscord, app: App, running_bot: RunningBot, name: str, data: bytes, says: str
) -> None:
    before = corpus_files(app, fake_discord)
    build = app.collections.base.service.searcher.build
    async with running_bot(app):
        rec = await add(fake_discord, name, data)
    assert rec.ephemeral and rec.embed is not None and rec.embed["title"] == "Sorry"
    assert says in rec.embed["description"]
    # Nothing written, not even a temporary file, and no reindex of either index.
    assert corpus_files(app, fake_discord) == before
    assert app.collections.of(fake_discord.guild_id).live() is None
    assert app.collections.base.service.searcher.build == build


async def test_a_file_over_the_size_cap_is_refused_before_it_is_downloaded(
    fake_discord: FakeDiscord, fresh_app: App, downloads: list[str], running_bot: RunningBot
) -> None:
    app = private_app(fresh_app, cooldown_seconds=0, server_limit=0, upload_max_bytes=1000)
    async with running_bot(app):
        big = await add(fake_discord, "big.txt", ESSAY * 10)
        small = await add(fake_discord, "small.txt", ESSAY)
    assert big.ephemeral and big.embed is not None
    assert big.embed["description"].startswith("That file is 3 KB; the largest file I accept")
    assert "is 1000 bytes" in big.embed["description"]
    assert big.response_type == "message"  # refused at once, not after a "thinking…"
    assert downloads == ["small.txt"]
    assert small.embed is not None and small.embed["title"] == "Added “small.txt”"
    assert files_in(own(app, fake_discord)) == {"small.txt"}


@pytest.mark.parametrize(
    ("upload_name", "stored"),
    [
        ("../../../etc/cron.d/evil.txt", "evil.txt"),
        ("..\\..\\Windows\\evil.md", "evil.md"),
        ("/absolute/path/notes.txt", "notes.txt"),
        (".hidden.md", "hidden.md"),
        ("my essay (final) v2.TXT", "my-essay-final-v2.txt"),
        ("  spaced\u200b\u202e.txt", "spaced.txt"),
        ("émigré—notes.md", "émigré-notes.md"),
    ],
    ids=["dot-dot-slash", "dot-dot-backslash", "absolute", "hidden", "odd", "invisible", "accents"],
)
async def test_the_file_name_is_made_safe_and_stays_in_the_servers_folder(
    fake_discord: FakeDiscord, app: App, running_bot: RunningBot, upload_name: str, stored: str
) -> None:
    everything = base(app).parent  # the base corpus, its index and the data folder
    before = files_in(everything)
    folder = app.collections.folder(fake_discord.guild_id)
    async with running_bot(app):
        rec = await add_claiming(fake_discord, upload_name, ESSAY)
    assert rec.embed is not None and rec.embed["title"] == f"Added “{stored}”", rec.embed
    assert files_in(own(app, fake_discord)) == {stored}
    # No file was written anywhere else but the collection's own index and audit log.
    new = {everything / p for p in files_in(everything) - before}
    written = {p for p in new if p.is_file() and not p.is_relative_to(folder / "index")}
    assert written - {folder / "audit.jsonl"} == {own(app, fake_discord) / stored}


@pytest.mark.parametrize(
    ("upload_name", "says"),
    [
        ("tool.exe", "I only add .txt, .md or .html files"),
        ("README", "I only add .txt, .md or .html files"),
        ("notes.txt.meta.toml", "I only add .txt, .md or .html files"),
        ("....txt", "no letters or digits"),
    ],
    ids=["exe", "no-suffix", "sidecar-name", "only-dots"],
)
async def test_a_name_that_cannot_be_a_document_is_refused(
    fake_discord: FakeDiscord,
    app: App,
    running_bot: RunningBot,
    downloads: list[str],
    upload_name: str,
    says: str,
) -> None:
    before = corpus_files(app, fake_discord)
    async with running_bot(app):
        rec = await add_claiming(fake_discord, upload_name, ESSAY)
    assert rec.embed is not None and says in rec.embed["description"]
    assert downloads == []
    assert corpus_files(app, fake_discord) == before


async def test_a_servers_file_is_replaced_only_when_asked_and_the_old_one_is_kept(
    fake_discord: FakeDiscord, app: App, running_bot: RunningBot, downloads: list[str]
) -> None:
    existing = "small-circles.txt"
    corpus = give_the_server(app, fake_discord, existing)
    original = (corpus / existing).read_bytes()
    async with running_bot(app):
        refused = await add(fake_discord, existing, MARKDOWN)
        assert (corpus / existing).read_bytes() == original
        replaced = await add(fake_discord, existing, MARKDOWN, replace=True)
    assert refused.embed is not None
    said = f"{existing} is already in this server's texts; {REPLACE_HINT}."
    assert refused.embed["description"] == said
    assert downloads == [existing]  # the refusal came before downloading
    assert (corpus / existing).read_bytes() == MARKDOWN
    assert replaced.embed is not None and "1 changed" in replaced.embed["description"]
    assert any(f["name"] == "Replaced" for f in replaced.embed["fields"])
    # The previous version is in the server's trash, not deleted.
    (trashed,) = app.collections.of(fake_discord.guild_id).trash.entries()
    assert trashed.reason == "replaced" and existing in trashed.files
    assert (trashed.folder / existing).read_bytes() == original


async def test_an_owner_replaces_a_base_file_only_when_asked(
    fake_discord: FakeDiscord, app: App, running_bot: RunningBot, downloads: list[str]
) -> None:
    existing = "mim-definition-of-sectarianism.txt"
    original = (base(app) / existing).read_bytes()
    async with running_bot(app):
        refused = await add(fake_discord, existing, ESSAY, user="owner", base=True)
        assert (base(app) / existing).read_bytes() == original
        replaced = await add(fake_discord, existing, ESSAY, user="owner", base=True, replace=True)
    assert refused.embed is not None
    said = f"{existing} is already in the base corpus; {REPLACE_HINT}."
    assert refused.embed["description"] == said
    assert downloads == [existing]
    assert (base(app) / existing).read_bytes() == ESSAY
    assert replaced.embed is not None and "1 changed" in replaced.embed["description"]
    (trashed,) = app.collections.base.trash.entries()
    assert (trashed.folder / existing).read_bytes() == original


@pytest.mark.parametrize("where", ["server", "base"])
async def test_a_link_in_the_corpus_is_never_written_through(
    fake_discord: FakeDiscord, app: App, running_bot: RunningBot, tmp_path: Path, where: str
) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("Not the corpus's to change.\n")
    folder = own(app, fake_discord) if where == "server" else base(app)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "linked.txt").symlink_to(outside)
    options: dict[str, Any] = {"base": True, "user": "owner"} if where == "base" else {}
    async with running_bot(app):
        rec = await add(fake_discord, "linked.txt", ESSAY, replace=True, **options)
    assert rec.embed is not None and "is a link or a folder" in rec.embed["description"]
    assert outside.read_text() == "Not the corpus's to change.\n"
    assert (folder / "linked.txt").is_symlink()


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ({"url": "javascript:alert(1)"}, "The url must be a web address"),
        ({"url": "https://example.org/a b"}, "The url must be a web address"),
        ({"title": "t" * 6000}, "The title is 6,000 characters long; at most 200"),
        ({"date": "the year " * 10}, "The date is 89 characters long; at most 40"),
        ({"date": "next Tuesday"}, UNREADABLE_DATE),
    ],
    ids=["javascript-url", "url-with-space", "huge-title", "long-date", "unreadable-date"],
)
async def test_bad_metadata_is_refused_before_downloading(
    fake_discord: FakeDiscord,
    app: App,
    running_bot: RunningBot,
    downloads: list[str],
    options: dict[str, str],
    says: str,
) -> None:
    before = corpus_files(app, fake_discord)
    async with running_bot(app):
        rec = await add(fake_discord, "circles.txt", ESSAY, **options)
    assert rec.embed is not None and says in rec.embed["description"]
    assert downloads == [] and corpus_files(app, fake_discord) == before


async def test_metadata_cannot_inject_toml_and_reads_back_as_typed(
    fake_discord: FakeDiscord, app: App, running_bot: RunningBot
) -> None:
    title = 'The "Real" Title\\n"""\nauthor = "Injected"\n[evil]'
    author = "@everyone <@&123456789012345678> [link](https://evil.example) \u202eoR"
    async with running_bot(app):
        rec = await add(fake_discord, "circles.txt", ESSAY, title=title, author=author)
    sidecar = own(app, fake_discord) / "circles.txt.meta.toml"
    meta = tomllib.loads(sidecar.read_text())
    # Line breaks and invisible controls become spaces or go; everything else is kept.
    assert meta == {
        "title": 'The "Real" Title\\n""" author = "Injected" [evil]',
        "author": "@everyone <@&123456789012345678> [link](https://evil.example) oR",
    }
    assert rec.embed is not None and not rec.pinged and fake_discord.pings == []
    shown = all_embed_text(rec.embed)
    assert "@everyone" not in shown and "](https://evil" not in shown


async def test_an_upload_is_refused_while_the_servers_reindex_runs_and_nothing_is_written(
    fake_discord: FakeDiscord, app: App, running_bot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = Gate("read")
    monkeypatch.setattr(bot.live, "reindex", gate.wrap(bot.live.reindex))
    corpus = own(app, fake_discord)
    corpus.mkdir(parents=True)
    (corpus / "new.txt").write_text(ESSAY.decode())
    try:
        async with running_bot(app):
            running = await fake_discord.send_slash("reindex", user="mod")
            await gate.wait_reached()
            rec = await add(fake_discord, "circles.txt", ESSAY, user="admin")
            gate.opened.set()
            await running.wait_for(lambda r: (r.embed or {}).get("title") == "Reindex finished")
    finally:
        gate.opened.set()
    assert rec.embed is not None and rec.embed["description"] == BUSY
    assert files_in(corpus) == {"new.txt"}


# -- removing and restoring -------------------------------------------------------------------


async def test_a_server_admin_removes_its_work_to_the_trash_and_restores_it(
    fake_discord: FakeDiscord, app: App, running_bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot")
    corpus = give_the_server(app, fake_discord)
    query = {"query": "a circle that splits in two"}
    async with running_bot(app):
        suggestions = await answered(
            fake_discord.send_autocomplete(
                "corpus remove", {"work": ""}, focused="work", user="mod"
            )
        )
        rec = await remove(fake_discord, "On Small Circles")
        gone = await answered(fake_discord.send_slash("quote", query))
        trash = await answered(
            fake_discord.send_autocomplete(
                "corpus restore", {"work": "circ"}, focused="work", user="mod"
            )
        )
        restored = await fake_discord.send_slash(
            "corpus restore", {"work": "On Small Circles"}, user="mod"
        )
        await restored.wait_for(added, WAIT)
        back = await answered(fake_discord.send_slash("quote", query))
    # Only the server's own works are offered for removal, never the base's.
    assert suggestions.choices == [{"name": "On Small Circles", "value": "On Small Circles"}]
    assert rec.ephemeral and rec.embed is not None
    assert rec.embed["title"] == "Removed “On Small Circles”"
    assert "1 removed" in rec.embed["description"]
    undo = next(f["value"] for f in rec.embed["fields"] if f["name"] == "Undo")
    # The version itself, by its label: a title may name another version by then.
    assert undo.startswith("/corpus restore work: On Small Circles · removed ")
    assert gone.embed is not None and gone.embed["title"] != "On Small Circles"
    line = next(r.getMessage() for r in caplog.records if "corpus remove" in r.getMessage())
    assert f"user {fake_discord.user_ids['mod']} (mod)" in line and "small-circles.txt" in line
    assert trash.choices == [{"name": "On Small Circles", "value": "On Small Circles"}]
    assert restored.embed is not None and restored.embed["title"] == "Restored “On Small Circles”"
    assert files_in(corpus) == {"small-circles.txt", "small-circles.txt.meta.toml"}
    assert back.embed is not None and back.embed["title"] == "On Small Circles"


async def test_an_owner_removes_a_base_work_with_base_true(
    fake_discord: FakeDiscord, app: App, running_bot: RunningBot
) -> None:
    corpus = base(app)
    (corpus / "mim-definition-of-sectarianism.txt.meta.toml").write_text('title = "MIM"\n')
    app.collections.base.reindex()
    async with running_bot(app):
        suggestions = await answered(
            fake_discord.send_autocomplete(
                "corpus remove", {"work": "mim", "base": True}, focused="work", user="owner"
            )
        )
        rec = await remove(fake_discord, "MIM", user="owner", base=True)
        listing = await answered(fake_discord.send_slash("source"))
    assert suggestions.choices == [{"name": "MIM", "value": "MIM"}]
    assert rec.ephemeral and rec.embed is not None
    assert rec.embed["title"] == "Removed “MIM”" and "1 removed" in rec.embed["description"]
    assert not (corpus / "mim-definition-of-sectarianism.txt").exists()
    assert not (corpus / "mim-definition-of-sectarianism.txt.meta.toml").exists()
    (trashed,) = app.collections.base.trash.entries()
    assert set(trashed.files) == {
        "mim-definition-of-sectarianism.txt",
        "mim-definition-of-sectarianism.txt.meta.toml",
    }
    assert listing.embed is not None and listing.embed["title"] == "1 work in the corpus"


@pytest.mark.parametrize(
    ("work", "says"),
    [
        ("Necronomicon", "No work called “Necronomicon” is in"),
        ("PARTIAL", "No work called “PARTIAL”"),  # a removal never guesses from part of a title
        ("\u200b\u200b", NO_WORK),
        ("w" * 6000, "The work option is 6,000 characters long"),
    ],
    ids=["unknown", "partial-title", "invisible", "huge"],
)
@pytest.mark.parametrize("where", ["server", "base"])
async def test_removing_needs_the_exact_title_or_file_name(
    fake_discord: FakeDiscord, app: App, running_bot: RunningBot, work: str, says: str, where: str
) -> None:
    give_the_server(app, fake_discord)
    partial = "Small Circles" if where == "server" else "sect"
    work, says = work.replace("PARTIAL", partial), says.replace("PARTIAL", partial)
    options: dict[str, Any] = {"base": True, "user": "owner"} if where == "base" else {}
    before = corpus_files(app, fake_discord)
    async with running_bot(app):
        rec = await remove(fake_discord, work, **options)
    assert rec.response_type == "message" and rec.ephemeral and rec.embed is not None
    assert says in rec.embed["description"]
    assert corpus_files(app, fake_discord) == before


async def test_the_last_base_work_cannot_be_removed(
    fake_discord: FakeDiscord, app: App, running_bot: RunningBot
) -> None:
    async with running_bot(app):
        first = await remove(
            fake_discord, "mim-definition-of-sectarianism.txt", user="owner", base=True
        )
        last = await remove(fake_discord, BASE_WORK, user="owner", base=True)
    assert first.embed is not None and first.embed["title"].startswith("Removed")
    assert last.embed is not None and "only work in the corpus" in last.embed["description"]
    assert (base(app) / BASE_FILE).exists()


async def test_a_servers_last_own_work_can_be_removed_and_the_base_still_answers(
    fake_discord: FakeDiscord, app: App, running_bot: RunningBot
) -> None:
    give_the_server(app, fake_discord)
    async with running_bot(app):
        rec = await remove(fake_discord, "On Small Circles")
        found = await answered(fake_discord.send_slash("quote", {"query": "sectarianism"}))
    assert rec.embed is not None and rec.embed["title"] == "Removed “On Small Circles”"
    assert files_in(own(app, fake_discord)) == set()
    assert found.embed is not None  # a base work answers
    assert found.embed["footer"]["text"].endswith(("mim-definition-of-sectarianism.txt", BASE_FILE))


# -- who may ----------------------------------------------------------------------------------

MANAGE_GUILD = 1 << 5
REFUSED = "Only the bot's owners and members with Manage Server can use /corpus {}."


@pytest.mark.parametrize(
    ("user", "crafted"),
    [
        ("alice", {}),
        ("mod", {"member_permissions": 0}),  # Manage Server through a role, not in this channel
        ("bob", {"member_permissions": ~MANAGE_GUILD & 0xFFFFFFFF}),  # everything but it
    ],
    ids=["member", "moderator-without-it-here", "every-other-permission"],
)
async def test_non_admins_are_refused_even_when_discord_shows_them_the_commands(
    fake_discord: FakeDiscord,
    app: App,
    running_bot: RunningBot,
    downloads: list[str],
    user: str,
    crafted: dict[str, Any],
) -> None:
    give_the_server(app, fake_discord)
    before = corpus_files(app, fake_discord)
    async with running_bot(app):
        adding = await fake_discord.send_slash(
            "corpus add", {"file": Upload("x.txt", ESSAY)}, user=user, **crafted
        )
        removing = await fake_discord.send_slash(
            "corpus remove", {"work": "On Small Circles"}, user=user, **crafted
        )
        suggestions = await fake_discord.send_autocomplete(
            "corpus remove", {"work": ""}, focused="work", user=user
        )
        for rec in (adding, removing, suggestions):
            await rec.wait_done(WAIT)
    assert adding.embed is not None and adding.embed["description"] == REFUSED.format("add")
    assert removing.embed is not None and removing.embed["description"] == REFUSED.format("remove")
    assert adding.ephemeral and removing.ephemeral
    if not crafted:  # autocomplete carries the member's real permissions
        assert suggestions.choices == []
    assert downloads == [] and corpus_files(app, fake_discord) == before


async def test_a_server_admin_cannot_change_the_shared_base(
    fake_discord: FakeDiscord, app: App, running_bot: RunningBot, downloads: list[str]
) -> None:
    """The defect of issue 11: Manage Server in one server removed a work for every server."""
    before = corpus_files(app, fake_discord)
    build = app.collections.base.service.searcher.build
    async with running_bot(app):
        removing = await remove(fake_discord, BASE_WORK)  # the exact scenario
        removing_base = await remove(fake_discord, BASE_WORK, base=True)
        adding = await add(fake_discord, "x.txt", ESSAY, base=True)
        suggestions = await answered(
            fake_discord.send_autocomplete(
                "corpus remove", {"work": "", "base": True}, focused="work", user="mod"
            )
        )
    assert removing.ephemeral and removing.embed is not None
    assert removing.embed["description"] == IN_THE_BASE
    for refused in (removing_base, adding):
        assert refused.ephemeral and refused.embed is not None
        assert refused.embed["description"] == BASE_ONLY_OWNERS
    assert suggestions.choices == []
    assert downloads == []
    assert corpus_files(app, fake_discord) == before and (base(app) / BASE_FILE).exists()
    assert app.collections.base.service.searcher.build == build
    assert app.collections.base.trash.entries() == []
    # The refusals are in the audit logs, with who tried: the base's two (removing and
    # adding) once, as one member's repeats within REFUSALS_APART are, and the server's.
    mod = fake_discord.user_ids["mod"]
    in_base = app.collections.base.log.tail(20)
    in_server = app.collections.of(fake_discord.guild_id).log.tail(20)
    for log, count in ((in_base, 1), (in_server, 1)):
        assert len([e for e in log if e.action == "refused" and e.user_id == mod]) == count


# -- never outside the corpus folder ----------------------------------------------------------


@pytest.mark.parametrize("where", ["server", "base"])
async def test_reindex_tells_the_admin_which_links_pointing_outside_were_left_out(
    fake_discord: FakeDiscord, app: App, running_bot: RunningBot, where: str
) -> None:
    folder = own(app, fake_discord) if where == "server" else base(app)
    folder.mkdir(parents=True, exist_ok=True)
    plant_links(folder, folder.parent / "outside")  # where its ../.. link climbs to
    how: dict[str, Any] = {"user": "owner", "options": {"base": True}}
    if where == "server":
        how = {"user": "mod", "options": {}}
    async with running_bot(app):
        rec = await fake_discord.send_slash("reindex", how["options"], user=how["user"])
        await rec.wait_for(lambda r: (r.embed or {}).get("title") == "Reindex finished", WAIT)
        search = await answered(
            fake_discord.send_slash("quote", {"query": "the vault combination"})
        )
    assert rec.embed is not None
    skipped = next(f["value"] for f in rec.embed["fields"] if f["name"].startswith("Skipped"))
    for link in OUTSIDE_LINKS:
        assert f"{link}: skipped, it points outside the corpus folder" in skipped
    assert "treasurer" not in str(search.embeds)  # the secret's text is nowhere


async def test_a_hide_waiting_for_the_servers_lock_never_stalls_other_answers(
    fake_discord: FakeDiscord, app: App, running_bot: RunningBot
) -> None:
    # Another process (a shard, a terminal) holds the server's state lock: the hide waits
    # for it in a thread; it waited on the event loop, and every server's answers with it.
    folder = app.collections.folder(fake_discord.guild_id)
    folder.mkdir(parents=True, exist_ok=True)
    held, release = threading.Event(), threading.Event()

    def other_process() -> None:
        with locked(folder / ".state.lock"):
            held.set()
            release.wait(WAIT)

    holder = threading.Thread(target=other_process)
    holder.start()
    held.wait(WAIT)
    try:
        async with running_bot(app):
            hiding = await fake_discord.send_slash(
                "corpus hide", {"work": "Anatomy of the Micro-Sect"}, user="mod"
            )
            asked = await answered(fake_discord.send_slash("quote", {"query": "what is a sect?"}))
            waiting = "is hidden" not in text_of(hiding)
            release.set()
            await hiding.wait_for(lambda r: "is hidden" in text_of(r), WAIT)
    finally:
        release.set()
        holder.join()
    assert waiting and asked.embed is not None and asked.embed["title"]
