"""/corpus add and /corpus remove: admins change the corpus from Discord, safely.

An upload lands in the corpus folder under a safe name, with its metadata in a sidecar,
and an incremental reindex follows; it is refused, before anything is written, when it is
not text, too big, badly named, or would overwrite a file without `replace: True`. Removal
takes a work's files out and reindexes. Both are logged with who did it; only admins may.
"""

from __future__ import annotations

import logging
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import discord
import pytest

import bot.app
from bot.app import App
from bot.commands.corpus import REPLACE_HINT
from bot.discord.client import QuoteBot
from bot.discord.cogs.admin import BUSY
from tests.bot.discord.conftest import WAIT, all_embed_text, app_like
from tests.bot.discord.test_admin import Gate
from tests.embeddings.test_corpus_boundary import OUTSIDE_LINKS, plant_links
from tests.fake_discord import FakeDiscord, InteractionRecord, Upload, run_client

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


def added(record: InteractionRecord) -> bool:
    embed = record.embed or {}
    return embed.get("title", "").startswith(("Added", "Removed", "Sorry"))


def corpus_files(app: App) -> set[str]:
    root = Path(app.settings.corpus)
    return {str(p.relative_to(root)) for p in root.rglob("*")}


@pytest.fixture
def app(fresh_app: App) -> App:
    """A private corpus and index, without rate limits."""
    return app_like(fresh_app, cooldown_seconds=0, server_limit=0)


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


async def test_an_admin_adds_a_work_with_its_metadata_and_it_is_quoted_at_once(
    fake_discord: FakeDiscord, app: App, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot")
    async with run_client(QuoteBot(app), fake_discord):
        rec = await add(
            fake_discord,
            "small-circles.txt",
            ESSAY,
            title="On Small Circles",
            author="A. N. Organiser",
            date="1921",
            url="https://example.org/circles",
        )
        found = await fake_discord.send_slash("quote", {"query": "a circle that splits in two"})
        await found.wait_done(WAIT)

    assert rec.ephemeral and rec.embed is not None
    assert rec.embed["title"] == "Added “On Small Circles”"
    assert "1 added" in rec.embed["description"]
    fields = {f["name"]: f["value"] for f in rec.embed["fields"]}
    assert fields["Files"] == "small-circles.txt"
    assert fields["Author"] == "A. N. Organiser" and fields["Date"] == "1921"
    corpus = Path(app.settings.corpus)
    assert (corpus / "small-circles.txt").read_bytes() == ESSAY
    sidecar = tomllib.loads((corpus / "small-circles.txt.meta.toml").read_text())
    assert sidecar == {
        "title": "On Small Circles",
        "author": "A. N. Organiser",
        "date": "1921",
        "url": "https://example.org/circles",
    }
    assert found.embed is not None and found.embed["title"] == "On Small Circles"
    # Logged with who did it: user id and name, server id and name.
    mod = fake_discord.user_ids["mod"]
    line = next(r.getMessage() for r in caplog.records if "corpus add" in r.getMessage())
    assert "small-circles.txt" in line and f"user {mod} (mod)" in line
    assert f"server {fake_discord.guild_id} ({fake_discord.guild_name})" in line


@pytest.mark.parametrize(
    ("name", "data"),
    [("circles.md", MARKDOWN), ("circles.html", HTML), ("circles.txt", HTML)],
    ids=["markdown", "html", "html-named-txt"],
)
async def test_markdown_and_html_are_read_as_what_they_are(
    fake_discord: FakeDiscord, app: App, name: str, data: bytes
) -> None:
    async with run_client(QuoteBot(app), fake_discord):
        rec = await add(fake_discord, name, data)
    assert rec.embed is not None and rec.embed["title"] == f"Added “{name}”"
    fields = {f["name"]: f["value"] for f in rec.embed["fields"]}
    assert fields["Title"] == "On Small Circles"  # from the heading or <title>, not the name
    passages = app.index.searcher.index.passages
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
    fake_discord: FakeDiscord, app: App, name: str, data: bytes, says: str
) -> None:
    before = corpus_files(app)
    build = app.index.searcher.build
    async with run_client(QuoteBot(app), fake_discord):
        rec = await add(fake_discord, name, data)
    assert rec.ephemeral and rec.embed is not None and rec.embed["title"] == "Sorry"
    assert says in rec.embed["description"]
    assert corpus_files(app) == before  # nothing written, not even a temporary file
    assert app.index.searcher.build == build  # and no reindex


async def test_a_file_over_the_size_cap_is_refused_before_it_is_downloaded(
    fake_discord: FakeDiscord, fresh_app: App, downloads: list[str]
) -> None:
    app = app_like(fresh_app, cooldown_seconds=0, server_limit=0, upload_max_bytes=1000)
    async with run_client(QuoteBot(app), fake_discord):
        big = await add(fake_discord, "big.txt", ESSAY * 10)
        small = await add(fake_discord, "small.txt", ESSAY)
    assert big.ephemeral and big.embed is not None
    assert big.embed["description"].startswith("That file is 3 KB; the largest file I accept")
    assert "is 1000 bytes" in big.embed["description"]
    assert big.response_type == "message"  # refused at once, not after a "thinking…"
    assert downloads == ["small.txt"]
    assert small.embed is not None and small.embed["title"] == "Added “small.txt”"


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
async def test_the_file_name_is_made_safe_and_stays_in_the_corpus_folder(
    fake_discord: FakeDiscord, app: App, upload_name: str, stored: str
) -> None:
    before = corpus_files(app)
    outside = Path(app.settings.corpus).parent
    outside_before = {p.name for p in outside.iterdir()}
    async with run_client(QuoteBot(app), fake_discord):
        rec = await add_claiming(fake_discord, upload_name, ESSAY)
    assert rec.embed is not None and rec.embed["title"] == f"Added “{stored}”", rec.embed
    assert corpus_files(app) == before | {stored}
    assert {p.name for p in outside.iterdir()} == outside_before


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
    fake_discord: FakeDiscord, app: App, downloads: list[str], upload_name: str, says: str
) -> None:
    async with run_client(QuoteBot(app), fake_discord):
        rec = await add_claiming(fake_discord, upload_name, ESSAY)
    assert rec.embed is not None and says in rec.embed["description"]
    assert downloads == []


async def test_an_existing_file_is_replaced_only_when_asked(
    fake_discord: FakeDiscord, app: App, downloads: list[str]
) -> None:
    corpus = Path(app.settings.corpus)
    existing = "mim-definition-of-sectarianism.txt"
    original = (corpus / existing).read_bytes()
    async with run_client(QuoteBot(app), fake_discord):
        refused = await add(fake_discord, existing, ESSAY)
        assert (corpus / existing).read_bytes() == original
        replaced = await add(fake_discord, existing, ESSAY, replace=True)
    assert refused.embed is not None
    assert refused.embed["description"] == f"{existing} is already in the corpus; {REPLACE_HINT}."
    assert downloads == [existing]  # the refusal came before downloading
    assert (corpus / existing).read_bytes() == ESSAY
    assert replaced.embed is not None and "1 changed" in replaced.embed["description"]
    assert any(f["name"] == "Replaced" for f in replaced.embed["fields"])


async def test_a_link_in_the_corpus_is_never_written_through(
    fake_discord: FakeDiscord, app: App, tmp_path: Path
) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("Not the corpus's to change.\n")
    (Path(app.settings.corpus) / "linked.txt").symlink_to(outside)
    async with run_client(QuoteBot(app), fake_discord):
        rec = await add(fake_discord, "linked.txt", ESSAY, replace=True)
    assert rec.embed is not None and "is a link or a folder" in rec.embed["description"]
    assert outside.read_text() == "Not the corpus's to change.\n"


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ({"url": "javascript:alert(1)"}, "The url must be a web address"),
        ({"url": "https://example.org/a b"}, "The url must be a web address"),
        ({"title": "t" * 6000}, "The title is 6,000 characters long; at most 200"),
        ({"date": "the year " * 10}, "The date is 89 characters long; at most 40"),
    ],
    ids=["javascript-url", "url-with-space", "huge-title", "long-date"],
)
async def test_bad_metadata_is_refused_before_downloading(
    fake_discord: FakeDiscord,
    app: App,
    downloads: list[str],
    options: dict[str, str],
    says: str,
) -> None:
    async with run_client(QuoteBot(app), fake_discord):
        rec = await add(fake_discord, "circles.txt", ESSAY, **options)
    assert rec.embed is not None and says in rec.embed["description"]
    assert downloads == []


async def test_metadata_cannot_inject_toml_and_reads_back_as_typed(
    fake_discord: FakeDiscord, app: App
) -> None:
    title = 'The "Real" Title\\n"""\nauthor = "Injected"\n[evil]'
    author = "@everyone <@&123456789012345678> [link](https://evil.example) \u202eoR"
    async with run_client(QuoteBot(app), fake_discord):
        rec = await add(fake_discord, "circles.txt", ESSAY, title=title, author=author)
    sidecar = Path(app.settings.corpus) / "circles.txt.meta.toml"
    meta = tomllib.loads(sidecar.read_text())
    # Line breaks and invisible controls become spaces or go; everything else is kept.
    assert meta == {
        "title": 'The "Real" Title\\n""" author = "Injected" [evil]',
        "author": "@everyone <@&123456789012345678> [link](https://evil.example) oR",
    }
    assert rec.embed is not None and not rec.pinged and fake_discord.pings == []
    shown = all_embed_text(rec.embed)
    assert "@everyone" not in shown and "](https://evil" not in shown


async def test_an_upload_is_refused_while_a_reindex_runs_and_nothing_is_written(
    fake_discord: FakeDiscord, app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = Gate("read")
    monkeypatch.setattr(bot.app, "reindex", gate.wrap(bot.app.reindex))
    (Path(app.settings.corpus) / "new.txt").write_text(ESSAY.decode())
    try:
        async with run_client(QuoteBot(app), fake_discord):
            running = await fake_discord.send_slash("reindex", user="mod")
            await gate.wait_reached()
            rec = await add(fake_discord, "circles.txt", ESSAY)
            gate.opened.set()
            await running.wait_for(lambda r: (r.embed or {}).get("title") == "Reindex finished")
    finally:
        gate.opened.set()
    assert rec.embed is not None and rec.embed["description"] == BUSY
    assert not (Path(app.settings.corpus) / "circles.txt").exists()


# -- removing -------------------------------------------------------------------------------


async def test_an_admin_removes_a_work_and_it_is_no_longer_quoted(
    fake_discord: FakeDiscord, app: App, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot")
    corpus = Path(app.settings.corpus)
    (corpus / "mim-definition-of-sectarianism.txt.meta.toml").write_text('title = "MIM"\n')
    app.index.reindex()
    async with run_client(QuoteBot(app), fake_discord):
        suggestions = await fake_discord.send_autocomplete(
            "corpus remove", {"work": "mim"}, focused="work", user="mod"
        )
        await suggestions.wait_done(WAIT)
        rec = await fake_discord.send_slash("corpus remove", {"work": "MIM"}, user="mod")
        await rec.wait_for(added, WAIT)
        listing = await fake_discord.send_slash("source")
        await listing.wait_done(WAIT)
    assert suggestions.choices == [{"name": "MIM", "value": "MIM"}]
    assert rec.ephemeral and rec.embed is not None
    assert rec.embed["title"] == "Removed “MIM”" and "1 removed" in rec.embed["description"]
    assert not (corpus / "mim-definition-of-sectarianism.txt").exists()
    assert not (corpus / "mim-definition-of-sectarianism.txt.meta.toml").exists()
    assert listing.embed is not None and listing.embed["title"] == "1 works in the corpus"
    line = next(r.getMessage() for r in caplog.records if "corpus remove" in r.getMessage())
    assert f"user {fake_discord.user_ids['mod']} (mod)" in line
    assert "mim-definition-of-sectarianism.txt" in line


@pytest.mark.parametrize(
    ("work", "says"),
    [
        ("Necronomicon", "No work called “Necronomicon” is in the corpus"),
        ("sect", "No work called “sect”"),  # a removal never guesses from part of a title
        ("\u200b\u200b", "Name the work to remove"),
        ("w" * 6000, "The work option is 6,000 characters long"),
    ],
    ids=["unknown", "partial-title", "invisible", "huge"],
)
async def test_removing_needs_the_exact_title_or_file_name(
    fake_discord: FakeDiscord, app: App, work: str, says: str
) -> None:
    before = corpus_files(app)
    async with run_client(QuoteBot(app), fake_discord):
        rec = await fake_discord.send_slash("corpus remove", {"work": work}, user="mod")
        await rec.wait_done(WAIT)
    assert rec.response_type == "message" and rec.ephemeral and rec.embed is not None
    assert says in rec.embed["description"]
    assert corpus_files(app) == before


async def test_the_last_work_cannot_be_removed(fake_discord: FakeDiscord, app: App) -> None:
    async with run_client(QuoteBot(app), fake_discord):
        first = await fake_discord.send_slash(
            "corpus remove", {"work": "mim-definition-of-sectarianism.txt"}, user="mod"
        )
        await first.wait_for(added, WAIT)
        last = await fake_discord.send_slash(
            "corpus remove", {"work": "Anatomy of the Micro-Sect"}, user="mod"
        )
        await last.wait_for(added, WAIT)
    assert first.embed is not None and first.embed["title"].startswith("Removed")
    assert last.embed is not None and "only work in the corpus" in last.embed["description"]
    assert (Path(app.settings.corpus) / "draper-anatomy-of-the-micro-sect.md").exists()


# -- who may ----------------------------------------------------------------------------------

MANAGE_GUILD = 1 << 5
REFUSED = "Only the bot's admins and members with Manage Server can use /corpus {}."


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
    downloads: list[str],
    user: str,
    crafted: dict[str, Any],
) -> None:
    before = corpus_files(app)
    async with run_client(QuoteBot(app), fake_discord):
        adding = await fake_discord.send_slash(
            "corpus add", {"file": Upload("x.txt", ESSAY)}, user=user, **crafted
        )
        removing = await fake_discord.send_slash(
            "corpus remove", {"work": "Anatomy of the Micro-Sect"}, user=user, **crafted
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
    assert downloads == [] and corpus_files(app) == before


# -- never outside the corpus folder ----------------------------------------------------------


async def test_reindex_tells_the_admin_which_links_pointing_outside_were_left_out(
    fake_discord: FakeDiscord, app: App, tmp_path: Path
) -> None:
    plant_links(Path(app.settings.corpus), tmp_path / "outside")
    async with run_client(QuoteBot(app), fake_discord):
        rec = await fake_discord.send_slash("reindex", user="mod")
        await rec.wait_for(lambda r: (r.embed or {}).get("title") == "Reindex finished", WAIT)
        search = await fake_discord.send_slash("quote", {"query": "the vault combination"})
        await search.wait_done(WAIT)
    assert rec.embed is not None
    skipped = next(f["value"] for f in rec.embed["fields"] if f["name"].startswith("Skipped"))
    for link in OUTSIDE_LINKS:
        assert f"{link}: skipped, it points outside the corpus folder" in skipped
    assert "treasurer" not in str(search.embeds)  # the secret's text is nowhere
