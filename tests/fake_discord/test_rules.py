"""Every rule the fake Discord enforces, broken on purpose: the fake must see it.

The fake is what makes the bot's tests strict; a rule it stopped enforcing would let the bot
break Discord's limits unnoticed. So each rule in rules.py, and each the server checks
itself, has a case here that breaks exactly that rule and no other, sent the way a client
would send it (raw HTTP, or a raw gateway session: no bot, so nothing else can go wrong),
and a last test checks that no rule lacks a case. The late and double acknowledgement, the
follow-up before acknowledging and the expired token are in test_fake_discord.py.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from tests.fake_discord import FakeDiscord, InteractionRecord
from tests.fake_discord.rules import check_message

HERE = Path(__file__).parent
V2 = 1 << 15  # IS_COMPONENTS_V2

# Already broken on purpose in test_fake_discord.py, and (an IDENTIFY with a shard that
# cannot be) in test_fake_shards.py.
ELSEWHERE = {
    "ack.late",
    "ack.duplicate",
    "followup.before_ack",
    "followup.replaces_placeholder",
    "token.expired",
    "gateway.shard_invalid",
    "callback.no_message",  # test_fake_discord.py: a modal opened by a command
}
# A bug in the fake itself, not a Discord rule.
NOT_A_RULE = {"fake.internal_error"}


def button(custom_id: str = "b", **extra: Any) -> dict[str, Any]:
    return {"type": 2, "style": 1, "label": "Go", "custom_id": custom_id, **extra}


def row(*components: dict[str, Any]) -> dict[str, Any]:
    return {"type": 1, "components": list(components)}


def select(**extra: Any) -> dict[str, Any]:
    options = [{"label": "A", "value": "a"}]
    return {"type": 3, "custom_id": "s", "options": options, **extra}


def embed(**fields: Any) -> dict[str, Any]:
    return {"embeds": [{"title": "t", **fields}]}


def text_display(content: str) -> dict[str, Any]:
    return {"type": 10, "content": content}


FIELD = {"name": "n", "value": "v"}

# A message body that breaks exactly one rule (sent where a bot sends messages).
MESSAGES: dict[str, dict[str, Any]] = {
    "content.length": {"content": "x" * 2001},
    "message.empty": {"content": ""},
    "embeds.count": {"embeds": [{"title": "t"}] * 11},
    "embed.title.length": embed(title="t" * 257),
    "embed.url.format": embed(url="http://[oops"),  # Discord: "Not a well formed URL."
    "embed.url.length": embed(url="https://example.org/" + "a" * 2030),
    "embed.description.length": embed(description="d" * 4097),
    "embed.fields.count": embed(fields=[FIELD] * 26),
    "embed.field.name.required": embed(fields=[{"name": "", "value": "v"}]),
    "embed.field.value.required": embed(fields=[{"name": "n", "value": ""}]),
    "embed.field.name.length": embed(fields=[{"name": "n" * 257, "value": "v"}]),
    "embed.field.value.length": embed(fields=[{"name": "n", "value": "v" * 1025}]),
    "embed.footer.text.length": embed(footer={"text": "f" * 2049}),
    "embed.footer.text.required": embed(footer={"text": "  "}),  # trimmed: empty
    "embed.author.name.length": embed(author={"name": "a" * 257}),
    "embed.author.name.required": embed(author={"name": "\n"}),
    "embeds.total_length": embed(description="d" * 4000, footer={"text": "f" * 2000}),
    "components.rows": {"components": [row(button(f"b{i}")) for i in range(6)]},
    "components.row.type": {"components": [button()]},
    "components.row.empty": {"components": [row()]},
    "components.row.buttons": {"components": [row(*(button(f"b{i}") for i in range(6)))]},
    "components.row.width": {"components": [row(select(), button())]},
    "component.custom_id.required": {"components": [row(button(custom_id=""))]},
    "component.custom_id.length": {"components": [row(button("c" * 101))]},
    "component.custom_id.duplicate": {"components": [row(button("same"), button("same"))]},
    "component.label.length": {"components": [row(button(label="l" * 81))]},
    "component.label.required": {"components": [row(button(label=""))]},
    "component.url.required": {
        "components": [row({"type": 2, "style": 5, "label": "Open"})],
    },
    "component.link.custom_id": {
        "components": [
            row({"type": 2, "style": 5, "label": "Open", "url": "https://x.org", "custom_id": "l"})
        ],
    },
    # Discord: a link button's "url" holds at most 512 characters.
    "component.url.length": {
        "components": [
            row({"type": 2, "style": 5, "label": "Open", "url": "https://x.org/" + "a" * 499})
        ],
    },
    "component.placeholder.length": {"components": [row(select(placeholder="p" * 151))]},
    "component.select.options.empty": {"components": [row(select(options=[]))]},
    "component.select.options.count": {
        "components": [row(select(options=[{"label": f"{i}", "value": f"{i}"} for i in range(26)]))]
    },
    "component.select.option.label.length": {
        "components": [row(select(options=[{"label": "l" * 101, "value": "a"}]))]
    },
    "component.select.option.value.length": {
        "components": [row(select(options=[{"label": "A", "value": "v" * 101}]))]
    },
    "component.select.option.description.length": {
        "components": [
            row(select(options=[{"label": "A", "value": "a", "description": "d" * 101}]))
        ]
    },
    "components.total": {"flags": V2, "components": [text_display("x")] * 41},
    "components.text_length": {"flags": V2, "components": [text_display("x" * 4001)]},
    "components.v2.content": {"flags": V2, "content": "hi", "components": [text_display("x")]},
}

# Autocomplete answers (callback type 8) that break exactly one rule.
CHOICE = {"name": "n", "value": "v"}
CHOICES: dict[str, dict[str, Any]] = {
    "autocomplete.choices.required": {},
    "autocomplete.choices.count": {"choices": [CHOICE] * 26},
    "autocomplete.choice.name.required": {"choices": [{"name": "", "value": "v"}]},
    "autocomplete.choice.name.length": {"choices": [{"name": "n" * 101, "value": "v"}]},
    "autocomplete.choice.value.length": {"choices": [{"name": "n", "value": "v" * 101}]},
}


def modal(
    title: str = "Feedback",
    custom_id: str = "m",
    inputs: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    rows = [row(text_input()) for _ in range(1)] if inputs is None else [row(i) for i in inputs]
    return {"title": title, "custom_id": custom_id, "components": rows}


def text_input(**extra: Any) -> dict[str, Any]:
    return {"type": 4, "custom_id": "t", "style": 1, "label": "Your text", **extra}


# Modals (callback type 9) that break exactly one rule.
MODALS: dict[str, dict[str, Any]] = {
    "modal.title.required": modal(title=""),
    "modal.title.length": modal(title="t" * 46),
    "modal.custom_id.required": modal(custom_id=""),
    "modal.custom_id.length": modal(custom_id="c" * 101),
    "modal.components.empty": modal(inputs=[]),
    "modal.components.count": modal(
        inputs=[text_input(custom_id=f"t{i}") for i in range(6)],
    ),
    "modal.text_input.label.length": modal(inputs=[text_input(label="l" * 46)]),
    "modal.text_input.value.length": modal(inputs=[text_input(value="v" * 4001)]),
}


def command(name: str = "ping", **extra: Any) -> dict[str, Any]:
    return {"type": 1, "name": name, "description": "Answer", **extra}


def option(name: str = "term", **extra: Any) -> dict[str, Any]:
    return {"type": 3, "name": name, "description": "A term", **extra}


def choices(count: int, text: int = 1) -> list[dict[str, str]]:
    return [
        {"name": f"{i}".ljust(text, "n"), "value": f"{i}".ljust(text, "v")} for i in range(count)
    ]


# Command syncs (bulk overwrite) that break exactly one rule.
SYNCS: dict[str, Any] = {
    "command.body": {"name": "ping"},
    "command.name": [command("Ping Pong")],
    "command.duplicate": [command("ping"), command("ping")],
    "command.description": [command(description="")],
    "command.count": [command(f"c{i}") for i in range(101)],
    "command.options.count": [command(options=[option(f"o{i}") for i in range(26)])],
    "command.option.name": [command(options=[option("Bad Name")])],
    "command.option.duplicate": [command(options=[option("t"), option("t")])],
    "command.option.description": [command(options=[option(description="")])],
    "command.option.choices.count": [command(options=[option(choices=choices(26))])],
    "command.option.choice.name.length": [
        command(options=[option(choices=[{"name": "n" * 101, "value": "v"}])])
    ],
    "command.option.choice.value.length": [
        command(options=[option(choices=[{"name": "n", "value": "v" * 101}])])
    ],
    "command.option.required_order": [command(options=[option("a"), option("b", required=True)])],
    "command.contexts": [command(contexts=[0, 1, 3])],  # GUILD, BOT_DM, PRIVATE_CHANNEL only
    "command.integration_types": [command(integration_types=[0, 2])],  # GUILD_, USER_INSTALL
}
CONTEXT_MENUS = [{"type": 3, "name": f"Menu {i}"} for i in range(16)]  # 15 allowed


# -- sending things the way a client would -----------------------------------------------------


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    """A fake whose violations these tests read themselves (no fixture fails them)."""
    async with FakeDiscord(attachment_size_limit=1024) as started:
        yield started


async def post(
    fake: FakeDiscord, method: str, path: str, body: Any = None, *, auth: bool = True
) -> int:
    headers = {"Authorization": "Bot t"} if auth else {}
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, f"{fake.api_base}{path}", json=body, headers=headers) as resp,
    ):
        return resp.status


@contextlib.asynccontextmanager
async def gateway_session(fake: FakeDiscord) -> AsyncIterator[aiohttp.ClientWebSocketResponse]:
    """A gateway session by hand (HELLO, IDENTIFY, READY), so interactions are dispatched."""
    async with aiohttp.ClientSession() as http, http.ws_connect(fake.gateway_url) as ws:
        hello = await ws.receive_json()
        assert hello["op"] == 10
        await ws.send_json({"op": 2, "d": {"token": "t", "intents": 0, "properties": {}}})
        while (await ws.receive_json()).get("t") != "GUILD_CREATE":
            pass
        reader = asyncio.create_task(drain(ws))
        try:
            yield ws
        finally:
            reader.cancel()


@pytest_asyncio.fixture
async def session(fake: FakeDiscord) -> AsyncIterator[aiohttp.ClientWebSocketResponse]:
    async with gateway_session(fake) as ws:
        yield ws


async def drain(ws: aiohttp.ClientWebSocketResponse) -> None:
    async for _ in ws:
        pass


def register(fake: FakeDiscord) -> None:
    term = option(autocomplete=True)
    fake.register_commands([command("ping"), command("pick", options=[term])])


async def callback(fake: FakeDiscord, record: InteractionRecord, body: dict[str, Any]) -> int:
    path = f"/interactions/{record.id}/{record.token}/callback?with_response=1"
    return await post(fake, "POST", path, body, auth=False)


def seen(fake: FakeDiscord) -> set[str]:
    return {v.rule for v in fake.violations}


# -- the rules of rules.py ----------------------------------------------------------------------


@pytest.mark.parametrize(("rule", "body"), MESSAGES.items(), ids=list(MESSAGES))
async def test_a_message_breaking_a_rule_is_refused_and_recorded(
    fake: FakeDiscord, rule: str, body: dict[str, Any]
) -> None:
    status = await post(fake, "POST", f"/channels/{fake.channel_id}/messages", body)
    assert (status, seen(fake)) == (400, {rule})
    assert fake.channel_messages() == []


def test_embed_texts_are_measured_as_discord_trims_them() -> None:
    # "Leading and trailing whitespace characters are not included (they are trimmed
    # automatically)": blank is empty, and padding does not count towards a limit.
    blank = embed(fields=[{"name": " ", "value": "\n\t"}])
    assert [e.rule for e in check_message(blank, creating=True)] == [
        "embed.field.name.required",
        "embed.field.value.required",
    ]
    padded = embed(description="d" * 4096 + "   ", footer={"text": "\n" + "f" * 1900})
    assert check_message(padded, creating=True) == []


def test_content_of_white_space_alone_is_an_empty_message() -> None:
    assert [e.rule for e in check_message({"content": " \n\t "}, creating=True)] == [
        "message.empty"
    ]
    assert check_message({"content": " x "}, creating=True) == []


def test_a_message_body_that_is_not_an_object_breaks_a_rule() -> None:
    # The routes read any non-object body as an empty one (message.empty); the check itself
    # names it.
    assert [e.rule for e in check_message(["not", "an", "object"], creating=True)] == [
        "message.body"
    ]


@pytest.mark.parametrize("route", ["callback", "followup", "edit-original", "edit-channel-message"])
async def test_the_25_field_cap_holds_wherever_a_bot_writes_a_message(
    fake: FakeDiscord, session: aiohttp.ClientWebSocketResponse, route: str
) -> None:
    register(fake)
    record = await fake.send_slash("ping")
    await record.wait_for(lambda r: r.dispatched)
    too_many = embed(fields=[FIELD] * 26)
    webhook = f"/webhooks/{fake.application_id}/{record.token}"
    if route == "callback":
        status = await callback(fake, record, {"type": 4, "data": too_many})
        assert await callback(fake, record, {"type": 4, "data": {"content": "ok"}}) == 200
    else:
        assert await callback(fake, record, {"type": 4, "data": {"content": "ok"}}) == 200
        if route == "followup":
            status = await post(fake, "POST", webhook, too_many, auth=False)
        elif route == "edit-original":
            status = await post(fake, "PATCH", f"{webhook}/messages/@original", too_many)
        else:
            message = fake.channel_messages()[-1]
            path = f"/channels/{fake.channel_id}/messages/{message.id}"
            status = await post(fake, "PATCH", path, too_many)
    assert (status, seen(fake)) == (400, {"embed.fields.count"})


@pytest.mark.parametrize(("rule", "data"), CHOICES.items(), ids=list(CHOICES))
async def test_an_autocomplete_answer_breaking_a_rule_is_refused_and_recorded(
    fake: FakeDiscord, session: aiohttp.ClientWebSocketResponse, rule: str, data: dict[str, Any]
) -> None:
    register(fake)
    record = await fake.send_autocomplete("pick", {"term": "gr"}, focused="term")
    await record.wait_for(lambda r: r.dispatched)
    assert await callback(fake, record, {"type": 8, "data": data}) == 400
    assert seen(fake) == {rule} and not record.acknowledged
    assert await callback(fake, record, {"type": 8, "data": {"choices": [CHOICE] * 25}}) == 200


@pytest.mark.parametrize(("rule", "data"), MODALS.items(), ids=list(MODALS))
async def test_a_modal_breaking_a_rule_is_refused_and_recorded(
    fake: FakeDiscord, session: aiohttp.ClientWebSocketResponse, rule: str, data: dict[str, Any]
) -> None:
    register(fake)
    record = await fake.send_slash("ping")
    await record.wait_for(lambda r: r.dispatched)
    assert await callback(fake, record, {"type": 9, "data": data}) == 400
    assert seen(fake) == {rule} and not record.acknowledged
    assert await callback(fake, record, {"type": 9, "data": modal()}) == 200


@pytest.mark.parametrize(("rule", "commands"), SYNCS.items(), ids=list(SYNCS))
async def test_a_command_sync_breaking_a_rule_is_refused_and_recorded(
    fake: FakeDiscord, rule: str, commands: Any
) -> None:
    status = await post(fake, "PUT", f"/applications/{fake.application_id}/commands", commands)
    assert (status, seen(fake)) == (400, {rule})
    assert fake.syncs == []


async def test_more_than_15_context_menus_of_a_kind_break_the_command_count(
    fake: FakeDiscord,
) -> None:
    path = f"/applications/{fake.application_id}/commands"
    assert await post(fake, "PUT", path, CONTEXT_MENUS[:15]) == 200
    assert await post(fake, "PUT", path, CONTEXT_MENUS) == 400
    assert [v.rule for v in fake.violations] == ["command.count"]


# -- the rules the server checks itself ---------------------------------------------------------


async def test_an_interaction_never_answered_is_flagged_when_the_fake_stops() -> None:
    fake = await FakeDiscord().start()
    register(fake)
    async with gateway_session(fake):
        answered = await fake.send_slash("ping")
        ignored = await fake.send_slash("ping")
        await ignored.wait_for(lambda r: r.dispatched)
        assert await callback(fake, answered, {"type": 4, "data": {"content": "ok"}}) == 200
        await fake.stop()
    assert [(v.rule, v.interaction_id) for v in fake.violations] == [("ack.missing", ignored.id)]


async def test_a_command_is_delivered_only_where_discord_offers_it(
    fake: FakeDiscord, session: aiohttp.ClientWebSocketResponse
) -> None:
    fake.register_commands(
        [
            command("anywhere"),  # no contexts: Discord's default, servers and the bot's DMs
            command("servers", contexts=[0]),
            command("dms", contexts=[1], integration_types=[0]),
            command("legacy", dm_permission=False),  # contexts' deprecated forerunner
            command("users", contexts=[0, 1, 2], integration_types=[1]),  # a user install's
            {"type": 3, "name": "Menu", "contexts": [0]},
        ]
    )
    delivered = [("anywhere", True), ("anywhere", False), ("servers", True), ("dms", False)]
    refused = [("servers", False), ("legacy", False), ("dms", True)]
    refused += [("users", True), ("users", False)]
    for name, guild in delivered:
        await fake.send_slash(name, guild=guild)
    for name, guild in refused:
        with pytest.raises(ValueError, match=f"command '{name}' is not"):
            await fake.send_slash(name, guild=guild)
    with pytest.raises(ValueError, match="not available in a DM"):
        await fake.send_message_command("Menu", "hello", guild=False)
    # Nothing refused was dispatched, nor any message posted for the menu to act on.
    assert [(r.name, r.guild_id is not None) for r in fake.records] == delivered
    assert fake.messages == {}


async def test_a_callback_type_the_interaction_does_not_allow_is_refused(
    fake: FakeDiscord, session: aiohttp.ClientWebSocketResponse
) -> None:
    register(fake)
    record = await fake.send_slash("ping")
    await record.wait_for(lambda r: r.dispatched)
    autocomplete_answer = {"type": 8, "data": {"choices": []}}  # only for autocomplete
    assert await callback(fake, record, autocomplete_answer) == 400
    assert seen(fake) == {"callback.type_invalid"}
    assert await callback(fake, record, {"type": 4, "data": {"content": "ok"}}) == 200


@pytest.mark.parametrize(
    ("rule", "files", "status"),
    [("attachment.size", [b"x" * 1025], 413), ("attachment.count", [b"x"] * 11, 400)],
    ids=["too-big", "too-many"],
)
async def test_attachments_over_the_limits_are_refused(
    fake: FakeDiscord, rule: str, files: list[bytes], status: int
) -> None:
    form = aiohttp.FormData()
    form.add_field("payload_json", json.dumps({"content": "files"}))
    for i, data in enumerate(files):
        form.add_field(f"files[{i}]", data, filename=f"f{i}.txt", content_type="text/plain")
    url = f"{fake.api_base}/channels/{fake.channel_id}/messages"
    async with (
        aiohttp.ClientSession() as http,
        http.post(url, data=form, headers={"Authorization": "Bot t"}) as resp,
    ):
        assert resp.status == status
    assert seen(fake) == {rule}


async def test_the_gateway_address_is_given_as_discord_gives_it(fake: FakeDiscord) -> None:
    """GET /gateway and /gateway/bot name the gateway without a trailing slash (Discord's
    "wss://gateway.discord.gg"), and a client connects to that address as given."""
    want = f"ws://127.0.0.1:{fake.port}/gateway"
    async with aiohttp.ClientSession(headers={"Authorization": "Bot t"}) as http:
        for path in ("/gateway", "/gateway/bot"):
            async with http.get(f"{fake.api_base}{path}") as resp:
                assert resp.status == 200
                assert (await resp.json())["url"] == want
        async with http.ws_connect(f"{want}?v=10&encoding=json") as ws:
            assert (await ws.receive_json())["op"] == 10  # HELLO
    assert not fake.violations


async def test_unknown_interactions_webhooks_and_routes_are_flagged(fake: FakeDiscord) -> None:
    assert await post(fake, "POST", "/interactions/1/nope/callback", {"type": 4}, auth=False) == 404
    assert seen(fake) == {"interaction.unknown"}
    webhook = f"/webhooks/{fake.application_id}/no-such-token"
    assert await post(fake, "POST", webhook, {"content": "hi"}, auth=False) == 404
    assert seen(fake) == {"interaction.unknown", "webhook.unknown"}
    assert await post(fake, "GET", "/no/such/route") == 404
    assert seen(fake) == {"interaction.unknown", "webhook.unknown", "route.unknown"}


async def test_an_unknown_gateway_opcode_is_flagged_and_closes_the_session(
    fake: FakeDiscord,
) -> None:
    async with aiohttp.ClientSession() as http, http.ws_connect(fake.gateway_url) as ws:
        await ws.receive_json()
        await ws.send_json({"op": 99, "d": None})
        closing = await ws.receive()
    assert closing.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    assert ws.close_code == 4001
    assert seen(fake) == {"gateway.unknown_op"}


# -- no rule without a case ---------------------------------------------------------------------


# Where each rule-raising call takes the rule's name.
RULE_ARGUMENT = {
    "_violate": 0,
    "RuleError": 0,
    "_too_long": 1,
    "_too_many": 1,
    "_required": 1,
    "_not_empty": 1,
}


def rules_the_fake_knows() -> set[str]:
    """Every rule name rules.py and the server's modules can raise, read from their code."""
    names: set[str] = set()
    for source in (HERE / "rules.py", *sorted((HERE / "server").glob("*.py"))):
        tree = ast.parse(source.read_text())
        # Loop values, for names built in a loop: f"component.select.option.{key}.length".
        loops = {
            node.target.id: [e.value for e in node.iter.elts if isinstance(e, ast.Constant)]
            for node in ast.walk(tree)
            if isinstance(node, ast.For)
            and isinstance(node.target, ast.Name)
            and isinstance(node.iter, ast.Tuple)
        }
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func.attr if isinstance(node.func, ast.Attribute) else None
            func = node.func.id if isinstance(node.func, ast.Name) else func
            if func not in RULE_ARGUMENT or len(node.args) <= RULE_ARGUMENT[func]:
                continue
            arg = node.args[RULE_ARGUMENT[func]]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                names.add(arg.value)
            elif isinstance(arg, ast.JoinedStr):
                [loop_var] = [
                    v.value.id
                    for v in arg.values
                    if isinstance(v, ast.FormattedValue) and isinstance(v.value, ast.Name)
                ]
                template = "".join(
                    str(v.value) if isinstance(v, ast.Constant) else "{}" for v in arg.values
                )
                names |= {template.format(value) for value in loops[loop_var]}
    return names


def test_every_rule_the_fake_enforces_is_broken_on_purpose_somewhere() -> None:
    covered = (
        set(MESSAGES)
        | set(CHOICES)
        | set(MODALS)
        | set(SYNCS)
        | {"message.body", "ack.missing", "callback.type_invalid"}
        | {"attachment.size", "attachment.count", "interaction.unknown", "webhook.unknown"}
        | {"route.unknown", "gateway.unknown_op"}
        | ELSEWHERE
    )
    assert rules_the_fake_knows() - covered - NOT_A_RULE == set()
