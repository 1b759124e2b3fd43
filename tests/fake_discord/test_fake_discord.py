"""Tests of the fake Discord server itself, driven by a tiny discord.py bot defined here.

The bot is deliberately not quotebot: these tests pin down the fake's behaviour (what discord.py
sees, which rules it enforces) independently of the product.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import discord
import pytest
from discord import app_commands
from discord.ext import commands

from tests.fake_discord import FakeDiscord, InteractionRecord, Upload, run_client

pytest_plugins = ["tests.fake_discord.fixtures", "pytester"]

# Waiting is generous (a busy 2-core machine); the 3-second rule is measured by the fake itself.
WAIT = 15.0


class MenuView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=60)

    @discord.ui.button(label="Yes", custom_id="menu:yes", style=discord.ButtonStyle.success)
    async def yes(
        self, interaction: discord.Interaction, button: discord.ui.Button[MenuView]
    ) -> None:
        await interaction.response.edit_message(
            content=f"{interaction.user.name} chose yes", view=None
        )

    @discord.ui.button(label="No", custom_id="menu:no")
    async def no(
        self, interaction: discord.Interaction, button: discord.ui.Button[MenuView]
    ) -> None:
        await interaction.response.send_message("no it is", ephemeral=True)


class Feedback(discord.ui.Modal, title="Feedback"):
    text: discord.ui.TextInput[Feedback] = discord.ui.TextInput(
        label="Your text", custom_id="fb:text"
    )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        text = self.text.value
        if text == "edit":  # opened by a command: there is no message to update
            bot = interaction.client
            assert isinstance(bot, TinyBot)
            await bot.note_failure(
                "modal_edit_error", interaction.response.edit_message(content="x")
            )
        elif text == "defer":
            await interaction.response.defer()  # type 6: a silent acknowledgement
        else:
            await interaction.response.send_message(f"got {text}")


class Picker(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=60)

    @discord.ui.select(
        custom_id="pick:s",
        options=[
            discord.SelectOption(label="A", value="a"),
            discord.SelectOption(label="B", value="b"),
        ],
    )
    async def choose(
        self, interaction: discord.Interaction, select: discord.ui.Select[Picker]
    ) -> None:
        await (
            interaction.response.defer()
        )  # type 6 on a component: @original is the clicked message
        await interaction.edit_original_response(content=f"picked {select.values}")


class TinyBot(commands.Bot):
    """A minimal bot exercising each interaction kind the fake supports."""

    def __init__(self, *, sync: bool = True, intents: discord.Intents | None = None) -> None:
        super().__init__(
            command_prefix="!", intents=intents or discord.Intents.default(), help_command=None
        )
        self.sync_on_start = sync
        self.gate = asyncio.Event()
        self.seen: dict[str, Any] = {}
        self._add_commands()

    async def setup_hook(self) -> None:
        if self.sync_on_start:
            await self.tree.sync()

    async def note_failure(self, key: str, call: Awaitable[object]) -> None:
        """Await ``call``; Discord's refusal is kept in ``seen[key]`` as (status, code)."""
        try:
            await call
        except discord.HTTPException as exc:
            self.seen[key] = (exc.status, exc.code)

    def _add_commands(self) -> None:
        tree = self.tree

        @tree.command(description="Answer with an embed")
        async def ping(interaction: discord.Interaction) -> None:
            embed = discord.Embed(title="Pong", description="hello")
            embed.add_field(name="latency", value="0 ms")
            await interaction.response.send_message(embed=embed)

        @tree.command(description="Defer, then edit the original response")
        async def slow(interaction: discord.Interaction) -> None:
            await interaction.response.defer(thinking=True)
            await asyncio.sleep(0.2)
            await interaction.edit_original_response(
                content="done", embed=discord.Embed(title="Slow")
            )

        async def term_complete(
            interaction: discord.Interaction, current: str
        ) -> list[app_commands.Choice[str]]:
            words = ["grace", "gravity", "love", "logos"]
            return [app_commands.Choice(name=w, value=w) for w in words if w.startswith(current)]

        @tree.command(description="Pick a term")
        @app_commands.autocomplete(term=term_complete)
        async def pick(interaction: discord.Interaction, term: str, count: int = 1) -> None:
            await interaction.response.send_message(f"{term} x{count}")

        @tree.command(description="Show buttons")
        async def menu(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("Choose", view=MenuView())

        @tree.context_menu(name="Quote this")
        async def quote_this(interaction: discord.Interaction, message: discord.Message) -> None:
            await interaction.response.send_message(f"> {message.content}", ephemeral=True)

        corpus = app_commands.Group(name="corpus", description="Manage the corpus")

        @corpus.command(name="add", description="Upload a text")
        async def corpus_add(interaction: discord.Interaction, file: discord.Attachment) -> None:
            data = await file.read()
            await interaction.response.send_message(
                f"{file.filename}: {len(data)} bytes, {data[:5]!r}"
            )

        tree.add_command(corpus)

        @tree.command(description="An embed title over 256 characters")
        async def longtitle(interaction: discord.Interaction) -> None:
            await interaction.response.send_message(embed=discord.Embed(title="t" * 300))

        @tree.command(description="Never answers by itself")
        async def manual(interaction: discord.Interaction) -> None:
            return None

        @tree.command(description="Answers after 3.5 seconds")
        async def late(interaction: discord.Interaction) -> None:
            await asyncio.sleep(3.5)
            await self.note_failure("late_error", interaction.response.send_message("too late"))

        @tree.command(description="Defer, wait for the test, then follow up")
        async def later(interaction: discord.Interaction) -> None:
            await interaction.response.defer(ephemeral=True)
            await self.gate.wait()
            await self.note_failure("followup_error", interaction.followup.send("finally"))

        @tree.command(description="Answer with a modal")
        async def feedback(interaction: discord.Interaction) -> None:
            await interaction.response.send_modal(Feedback())

        @tree.command(description="A select menu, then one in a plain channel message")
        async def select(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("pick", view=Picker())
            assert interaction.channel is not None
            await interaction.channel.send("in channel", view=Picker())  # type: ignore[union-attr]

        @tree.command(description="Follow-ups with a file, an edit and a delete")
        async def files(interaction: discord.Interaction) -> None:
            await interaction.response.defer(thinking=True)
            await interaction.followup.send("first", file=discord.File(io.BytesIO(b"abc"), "a.txt"))
            second = await interaction.followup.send("second", ephemeral=True, wait=True)
            await second.edit(content="second edited")
            await interaction.delete_original_response()

        @tree.command(description="Deferred publicly, answered privately")
        async def withdraw(interaction: discord.Interaction) -> None:
            await interaction.response.defer(thinking=True)
            await interaction.delete_original_response()
            await interaction.followup.send("only you", ephemeral=True)

        @tree.command(description="Resolved user, role and channel options")
        async def who(
            interaction: discord.Interaction,
            user: discord.User,
            role: discord.Role | None = None,
            channel: discord.TextChannel | None = None,
        ) -> None:
            role_name = role.name if role else None
            channel_name = channel.name if channel else None
            perms = interaction.permissions.manage_guild
            where = "dm" if interaction.guild is None else "guild"
            await interaction.response.send_message(
                f"{where} {user.name} {role_name} {channel_name} {perms}"
            )

        @tree.context_menu(name="Whois")
        async def whois(interaction: discord.Interaction, member: discord.Member) -> None:
            await interaction.response.send_message(f"{member.name} {type(member).__name__}")

        @tree.command(description="Mention everyone, with or without allowed_mentions")
        async def shout(interaction: discord.Interaction, safe: bool) -> None:
            mentions = discord.AllowedMentions.none() if safe else discord.AllowedMentions.all()
            await interaction.response.send_message("@everyone look", allowed_mentions=mentions)


async def eventually(condition: Callable[[], bool], timeout: float = WAIT) -> None:
    """Poll a condition about the *bot's* state (the fake cannot see it) every 10 ms."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


async def _raw_callback(
    fake: FakeDiscord, record: InteractionRecord, body: dict[str, Any]
) -> tuple[int, Any]:
    """POST an interaction callback by hand, the way a buggy client might."""
    url = f"{fake.api_base}/interactions/{record.id}/{record.token}/callback?with_response=1"
    async with aiohttp.ClientSession() as session, session.post(url, json=body) as resp:
        assert resp.headers["Content-Type"] == "application/json"
        return resp.status, await resp.json()


async def test_login_ready_and_sync_recorded(fake_discord: FakeDiscord) -> None:
    async with run_client(TinyBot(), fake_discord) as bot:
        assert bot.user is not None and bot.user.id == fake_discord.bot_user_id
        guild = bot.get_guild(fake_discord.guild_id)
        assert guild is not None and guild.get_channel(fake_discord.channel_id) is not None
        assert guild.me is not None and guild.owner_id == fake_discord.owner_id

        assert fake_discord.identify_count == 1
        assert len(fake_discord.syncs) == 1
        sync = fake_discord.syncs[0]
        assert sync.guild_id is None
        names = {c["name"] for c in sync.commands}
        assert {"ping", "pick", "corpus", "Quote this"} <= names
        # Ids handed out by the PUT are those the client fetches back.
        fetched = {c.name: c.id for c in await bot.tree.fetch_commands()}
        assert fetched == {c["name"]: int(c["id"]) for c in sync.commands}
    assert fake_discord.unknown_routes == []
    started = [f"{r.method} {r.path}" for r in fake_discord.requests]
    assert started[:3] == [
        "GET /users/@me",
        "GET /oauth2/applications/@me",
        f"PUT /applications/{fake_discord.application_id}/commands",
    ]


async def test_slash_command_answered_with_embed(fake_discord: FakeDiscord) -> None:
    async with run_client(TinyBot(), fake_discord):
        record = await fake_discord.send_slash("ping")
        await record.wait_done(WAIT)
    assert record.response_type == "message"
    assert record.embed is not None and record.embed["title"] == "Pong"
    assert record.embed["fields"] == [{"name": "latency", "value": "0 ms", "inline": True}]
    assert not record.ephemeral and not record.pinged
    assert record.response_time is not None and record.response_time < fake_discord.ack_deadline
    assert record.payload["data"]["id"] == fake_discord.find_command("ping")["id"]


async def test_deferred_then_edit_original(fake_discord: FakeDiscord) -> None:
    async with run_client(TinyBot(), fake_discord):
        record = await fake_discord.send_slash("slow")
        await record.wait_done(WAIT)
    assert record.response_type == "deferred"
    assert [e.kind for e in record.events] == ["callback", "edit"]
    final = record.final_message
    assert final is not None and not final.loading
    assert final.content == "done" and final.embeds[0]["title"] == "Slow"
    assert (
        len(final.history) == 1 and final.history[0]["flags"] & 128
    )  # was the "thinking" placeholder


async def test_autocomplete_returns_choices(fake_discord: FakeDiscord) -> None:
    async with run_client(TinyBot(), fake_discord):
        record = await fake_discord.send_autocomplete("pick", {"term": "gr"}, focused="term")
        await record.wait_done(WAIT)
        assert record.choices == [
            {"name": "grace", "value": "grace"},
            {"name": "gravity", "value": "gravity"},
        ]
        run = await fake_discord.send_slash("pick", {"term": "grace", "count": 3})
        await run.wait_done(WAIT)
    assert run.content == "grace x3"
    with pytest.raises(ValueError, match="missing required"):
        await fake_discord.send_slash("pick", {"count": 3})


async def test_button_click_handled_by_view(fake_discord: FakeDiscord) -> None:
    async with run_client(TinyBot(), fake_discord):
        menu = await fake_discord.send_slash("menu")
        await menu.wait_done(WAIT)
        assert [b["custom_id"] for b in menu.buttons] == ["menu:yes", "menu:no"]

        no = await fake_discord.click(menu, "menu:no", user="bob")
        await no.wait_done(WAIT)
        assert no.content == "no it is" and no.ephemeral

        yes = await fake_discord.click(menu, "menu:yes", user="bob")
        await yes.wait_done(WAIT)
    assert yes.response_type == "update_message"
    # The clicked message itself changed: same id, new content, buttons gone.
    assert yes.final_message is menu.final_message
    assert menu.content == "bob chose yes" and menu.components == []


async def test_message_context_menu(fake_discord: FakeDiscord) -> None:
    async with run_client(TinyBot(), fake_discord):
        record = await fake_discord.send_message_command("Quote this", "to be or not to be")
        await record.wait_done(WAIT)
    assert record.content == "> to be or not to be"
    assert record.ephemeral


async def test_subcommand_with_attachment_downloaded_from_fake(fake_discord: FakeDiscord) -> None:
    async with run_client(TinyBot(), fake_discord):
        record = await fake_discord.send_slash(
            "corpus add", {"file": Upload("notes.txt", b"hello world")}
        )
        await record.wait_done(WAIT)
    assert record.content == "notes.txt: 11 bytes, b'hello'"
    assert fake_discord.requests_to("GET /attachments/*") == []  # served outside the API base


async def test_too_long_embed_title_is_a_violation(fake_discord: FakeDiscord) -> None:
    fake_discord.expect_violations("embed.title.length")
    async with run_client(TinyBot(), fake_discord):
        record = await fake_discord.send_slash("longtitle")
        await record.wait_done(WAIT)
    assert [v.rule for v in fake_discord.violations] == ["embed.title.length"]
    assert record.errors[0].status == 400 and record.errors[0].error_code == 50035
    assert not record.acknowledged


async def test_raw_too_long_description_rejected_then_valid_answer(
    fake_discord: FakeDiscord,
) -> None:
    fake_discord.expect_violations("embed.description.length", "embeds.total_length")
    async with run_client(TinyBot(), fake_discord):
        record = await fake_discord.send_slash("manual")
        await record.wait_for(lambda r: r.dispatched, WAIT)
        status, body = await _raw_callback(
            fake_discord, record, {"type": 4, "data": {"embeds": [{"description": "d" * 7000}]}}
        )
        assert status == 400 and body["code"] == 50035
        assert (
            body["errors"]["data"]["embeds"]["0"]["description"]["_errors"][0]["code"]
            == "BASE_TYPE_MAX_LENGTH"
        )
        status, body = await _raw_callback(
            fake_discord, record, {"type": 4, "data": {"content": "ok"}}
        )
        assert status == 200 and body["resource"]["message"]["content"] == "ok"
    assert {v.rule for v in fake_discord.violations} == {
        "embed.description.length",
        "embeds.total_length",
    }
    assert record.content == "ok"


async def test_a_deferrals_callback_response_names_no_message(fake_discord: FakeDiscord) -> None:
    # Discord: the resource's message is "only present if type is either
    # CHANNEL_MESSAGE_WITH_SOURCE or UPDATE_MESSAGE"; a deferral's placeholder is not given.
    async with run_client(TinyBot(), fake_discord):
        record = await fake_discord.send_slash("manual")
        await record.wait_for(lambda r: r.dispatched, WAIT)
        status, body = await _raw_callback(fake_discord, record, {"type": 5, "data": {}})
    assert status == 200 and body["resource"] == {"type": 5}
    assert body["interaction"]["response_message_loading"] is True


async def test_late_response_is_flagged(fake_discord: FakeDiscord) -> None:
    fake_discord.expect_violations("ack.late")
    async with run_client(TinyBot(), fake_discord) as bot:
        record = await fake_discord.send_slash("late")
        await record.wait_done(WAIT)
        await eventually(lambda: "late_error" in bot.seen)
    assert [v.rule for v in record.violations] == ["ack.late"]
    assert record.errors[-1].status == 404 and record.errors[-1].error_code == 10062
    assert bot.seen["late_error"] == (404, 10062)


async def test_double_acknowledgement_is_flagged(fake_discord: FakeDiscord) -> None:
    fake_discord.expect_violations("ack.duplicate")
    async with run_client(TinyBot(), fake_discord):
        record = await fake_discord.send_slash("ping")
        await record.wait_done(WAIT)
        status, body = await _raw_callback(
            fake_discord, record, {"type": 4, "data": {"content": "again"}}
        )
    assert status == 400 and body == {
        "message": "Interaction has already been acknowledged.",
        "code": 40060,
    }
    assert [v.rule for v in fake_discord.violations] == ["ack.duplicate"]
    assert record.embed is not None and record.embed["title"] == "Pong"  # the first answer stands


async def test_rate_limited_callback_is_retried(fake_discord: FakeDiscord) -> None:
    async with run_client(TinyBot(), fake_discord):
        fake_discord.fail_next("POST /interactions/*/callback", status=429, retry_after=0.3)
        record = await fake_discord.send_slash("ping")
        await record.wait_done(WAIT)
    assert [(e.kind, e.status) for e in record.events] == [("callback", 429), ("callback", 200)]
    assert len(fake_discord.faults_fired) == 1
    assert record.response_time is not None and record.response_time >= 0.3
    assert record.embed is not None and record.embed["title"] == "Pong"


async def test_dropped_gateway_is_resumed(fake_discord: FakeDiscord) -> None:
    async with run_client(TinyBot(), fake_discord):
        await fake_discord.drop_gateway()
        await fake_discord.wait_for_resume(WAIT)
        record = await fake_discord.send_slash("ping")
        await record.wait_done(WAIT)

        # Events sent while the client is away are replayed after RESUME.
        await fake_discord.drop_gateway(hold=True)
        missed = await fake_discord.send_slash("ping")
        assert not missed.dispatched
        fake_discord.release_gateway()
        await fake_discord.wait_for_resume(WAIT)
        await missed.wait_done(WAIT)
    assert fake_discord.identify_count == 1 and fake_discord.resume_count == 2
    assert [c.kind for c in fake_discord.gateway_connections] == ["identify", "resume", "resume"]
    assert all(c.path.startswith("/resume-gateway") for c in fake_discord.gateway_connections[1:])
    assert record.embed is not None and missed.embed is not None


async def test_expired_token_makes_followup_fail(fake_discord: FakeDiscord) -> None:
    fake_discord.expect_violations("token.expired")
    async with run_client(TinyBot(), fake_discord) as bot:
        record = await fake_discord.send_slash("later")
        await record.wait_for(lambda r: r.acknowledged, WAIT)
        assert record.ephemeral
        fake_discord.expire_token(record)
        bot.gate.set()
        await eventually(lambda: "followup_error" in bot.seen)
    assert bot.seen["followup_error"] == (401, 50027)
    assert [v.rule for v in fake_discord.violations] == ["token.expired"]


async def test_mentions_are_recorded(fake_discord: FakeDiscord) -> None:
    async with run_client(TinyBot(), fake_discord):
        loud = await fake_discord.send_slash("shout", {"safe": False})
        quiet = await fake_discord.send_slash("shout", {"safe": True})
        await loud.wait_done(WAIT)
        await quiet.wait_done(WAIT)
    assert loud.pinged and loud.pings[0].everyone
    assert not quiet.pinged


async def test_unsynced_bot_gets_commands_registered(fake_discord: FakeDiscord) -> None:
    async with run_client(TinyBot(sync=False), fake_discord):
        assert fake_discord.syncs == []
        record = await fake_discord.send_slash("ping")
        await record.wait_done(WAIT)
    assert record.embed is not None


async def test_followup_before_acknowledgement_is_flagged(fake_discord: FakeDiscord) -> None:
    fake_discord.expect_violations("followup.before_ack")
    async with run_client(TinyBot(), fake_discord):
        record = await fake_discord.send_slash("manual")
        await record.wait_for(lambda r: r.dispatched, WAIT)
        url = (
            f"{fake_discord.api_base}/webhooks/{fake_discord.application_id}/{record.token}?wait=1"
        )
        async with (
            aiohttp.ClientSession() as session,
            session.post(url, json={"content": "hi"}) as resp,
        ):
            assert resp.status == 404
            assert await resp.json() == {"message": "Unknown Webhook", "code": 10015}
        status, _ = await _raw_callback(
            fake_discord, record, {"type": 4, "data": {"content": "ok"}}
        )
        assert status == 200
    assert [v.rule for v in fake_discord.violations] == ["followup.before_ack"]


async def test_a_modal_opened_by_a_command_has_no_message_to_update(
    fake_discord: FakeDiscord,
) -> None:
    fake_discord.expect_violations("callback.no_message")
    bot = TinyBot()
    async with run_client(bot, fake_discord):
        asked = await fake_discord.send_slash("feedback")
        await asked.wait_done(WAIT)
        await fake_discord.submit_modal(asked, {"fb:text": "edit"})
        await eventually(lambda: "modal_edit_error" in bot.seen)
        asked = await fake_discord.send_slash("feedback")
        await asked.wait_done(WAIT)
        deferred = await fake_discord.submit_modal(asked, {"fb:text": "defer"})
        await deferred.wait_for(lambda r: r.acknowledged, WAIT)
    assert bot.seen["modal_edit_error"] == (404, 10008)  # Unknown Message
    assert deferred.response_type == "deferred_update"
    assert [v.rule for v in fake_discord.violations] == ["callback.no_message"]


async def test_modal_select_files_and_channel_messages(fake_discord: FakeDiscord) -> None:
    async with run_client(TinyBot(), fake_discord):
        asked = await fake_discord.send_slash("feedback")
        await asked.wait_done(WAIT)
        assert asked.modal is not None and asked.modal["title"] == "Feedback"
        submitted = await fake_discord.submit_modal(asked, {"fb:text": "hi"})
        await submitted.wait_done(WAIT)
        assert submitted.content == "got hi"

        menu = await fake_discord.send_slash("select")
        await menu.wait_done(WAIT)
        chosen = await fake_discord.select(menu, "pick:s", ["b"])
        await chosen.wait_done(WAIT)
        assert chosen.response_type == "deferred_update" and menu.content == "picked ['b']"
        await fake_discord.wait_for(
            lambda f: f.channel_messages()[-1].content == "in channel", WAIT
        )
        posted = fake_discord.channel_messages()[-1]
        assert posted.interaction_id is None and posted.payload["author"]["bot"]
        chosen = await fake_discord.select(posted, "pick:s", ["a"])
        await chosen.wait_done(WAIT)
        assert posted.content == "picked ['a']"

        # Discord still lets a follow-up replace the placeholder, deprecated: flagged.
        fake_discord.expect_violations("followup.replaces_placeholder")
        record = await fake_discord.send_slash("files")
        await record.wait_for(lambda r: r.original_deleted, WAIT)
    # The first follow-up after a "thinking" deferral replaced the placeholder (then deleted).
    assert [v.rule for v in record.violations] == ["followup.replaces_placeholder"]
    assert [e.kind for e in record.events] == ["callback", "followup", "followup", "edit", "delete"]
    assert record.final_message is None
    assert fake_discord.messages[record.original_id or 0].files[0].data == b"abc"
    assert [(m.content, m.ephemeral) for m in record.followups] == [("second edited", True)]


async def test_a_follow_up_after_the_placeholder_was_deleted_is_a_message_of_its_own(
    fake_discord: FakeDiscord,
) -> None:
    # Discord: only a follow-up that resolves a "thinking…" placeholder replaces it; once
    # deleted, there is none to replace, and the follow-up is new, with its own flags.
    async with run_client(TinyBot(), fake_discord):
        record = await fake_discord.send_slash("withdraw")
        await record.wait_for(lambda r: bool(r.followups), WAIT)
    assert record.original_deleted and not record.violations
    assert [(m.content, m.ephemeral) for m in record.messages] == [("only you", True)]


async def test_options_user_command_dm_and_members_intent(fake_discord: FakeDiscord) -> None:
    intents = discord.Intents.default()
    intents.members = True  # chunking at start-up: the fake answers REQUEST_GUILD_MEMBERS
    bot = TinyBot(intents=intents)
    async with run_client(bot, fake_discord):
        guild = bot.get_guild(fake_discord.guild_id)
        assert guild is not None and guild.chunked
        assert guild.get_member(fake_discord.user_ids["alice"]) is not None

        record = await fake_discord.send_slash(
            "who", {"user": "alice", "role": "Moderator", "channel": "quotes"}, user="mod"
        )
        await record.wait_done(WAIT)
        assert record.content == "guild alice Moderator quotes True"
        in_dm = await fake_discord.send_slash("who", {"user": "bob"}, guild=False)
        await in_dm.wait_done(WAIT)
        assert in_dm.content == "dm bob None None False"

        whois = await fake_discord.send_user_command("Whois", "bob")
        await whois.wait_done(WAIT)
        assert whois.content == "bob Member"

        fake_discord.fail_next("POST /interactions/*/callback", status=500)
        retried = await fake_discord.send_slash("ping")
        await retried.wait_done(WAIT)
        assert [e.status for e in retried.events] == [500, 200]


def test_fixture_fails_the_test_on_undeclared_violations(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_inner="""
        import aiohttp
        import pytest

        pytest_plugins = ["tests.fake_discord.fixtures"]

        async def post_long_message(fake):
            url = f"{fake.api_base}/channels/{fake.channel_id}/messages"
            headers = {"Authorization": "Bot t"}
            async with aiohttp.ClientSession() as s:
                async with s.post(url, json={"content": "x" * 2001}, headers=headers) as r:
                    assert r.status == 400

        async def test_undeclared(fake_discord):
            await post_long_message(fake_discord)

        async def test_declared(fake_discord):
            fake_discord.expect_violations("content.*")
            await post_long_message(fake_discord)

        @pytest.mark.discord_violations_ok
        async def test_marker(fake_discord):
            await post_long_message(fake_discord)
        """
    )
    # Plugins the inner run does not need are off: importing hypothesis alone costs seconds.
    result = pytester.runpytest_inprocess(
        "-p",
        "no:cacheprovider",
        "-p",
        "no:hypothesispytest",
        "-p",
        "no:anyio",
        "-o",
        "asyncio_mode=auto",
        "-o",
        "asyncio_default_fixture_loop_scope=function",
    )
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(["*content.length*2000 or fewer*"])


async def test_a_wait_on_what_the_fake_is_never_told_of_fails_at_its_deadline_by_name(
    fake_discord: FakeDiscord,
) -> None:
    # The fake re-checks a wait after each change it sees. A condition that comes true
    # elsewhere (the bot's own state) was seen only at the deadline, and passed: five
    # tests waited out 15 s each without anyone noticing.
    came_true: list[bool] = []
    asyncio.get_running_loop().call_later(0.05, came_true.append, True)
    with pytest.raises(AssertionError, match="no change of the fake told"):
        await fake_discord.wait_for(lambda _: bool(came_true), 0.3)
