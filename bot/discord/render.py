"""Cards -> Discord embeds.

Corpus text is shown literally: it cannot format, link or mention anything. The cards are
already sized for Discord (bot/cards.py); every limit is enforced again here, after
escaping, as the last line of defence, because an embed over a limit is refused outright.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import discord
from discord.utils import escape_mentions

from bot.cards import (
    DESCRIPTION_MAX,
    ELLIPSIS,
    EMBED_TOTAL_MAX,
    FIELD_NAME_MAX,
    FIELD_VALUE_MAX,
    FIELDS_MAX,
    FOOTER_MAX,
    TITLE_MAX,
    Card,
    Field,
    Segment,
    whole_cut,
)
from embeddings.ingest.values import web_address

COLOURS = {
    "quote": discord.Colour.blurple(),
    "notice": discord.Colour.gold(),
    "error": discord.Colour.red(),
    "info": discord.Colour.dark_teal(),
}
URL_MAX = 2048  # Discord refuses longer embed URLs
EMPTY = "—"  # field names and values may not be empty

# Discord autolinks "scheme://..." only when the "://" is unbroken.
_SCHEME = re.compile(r"(?<=[A-Za-z])://")
# Characters that format wherever they stand: bold, italics, underline, strikethrough,
# spoilers, code, and the backslash that could undo an escape.
_MARKER = re.compile(r"[\\*_~|`]")
# The "[" of each masked link ("[text](url)"); a bracket that opens none stays as it is.
_MASKED_LINK = re.compile(r"\[(?=[^\]]*\]\()")
# At the start of a line: a quote (">"), a heading ("#"), a list item or subtext ("-").
_LINE_MARKER = re.compile(r"^([ \t]*)([>#-])", re.MULTILINE)
# "1. text" at the start of a line becomes a numbered list.
_ORDERED = re.compile(r"^(\s*\d+)\.(?=\s)", re.MULTILINE)


# Embeddings, overrides and isolates: invisible, and one left open turns the rest of the
# message around (the citation after a quote, the next quote). Marks (LRM, RLM) stay.
_DIRECTION_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def escape(text: str) -> str:
    """Text shown exactly as written: no Markdown, no links, no mentions, no pings, and no
    control of the direction of what follows."""
    text = _DIRECTION_CONTROLS.sub("", text)
    # Every marker, one by one: discord.py's escape_markdown escapes only the first
    # character of what its pattern for a masked link spans ("[a](b) **c** [d](e)" up to
    # the last ")"), which left the bold and the second link live. URLs are escaped too
    # (their underscores could format).
    text = _MARKER.sub(r"\\\g<0>", text)
    text = _MASKED_LINK.sub(r"\\[", text)
    text = _LINE_MARKER.sub(r"\1\\\2", text)
    # Every <...> construct: user, role and channel mentions, timestamps, emoji, <url>.
    text = text.replace("<", "\\<")
    text = _SCHEME.sub(r"\\://", text)
    text = _ORDERED.sub(r"\1\\.", text)
    return escape_mentions(text)


def plain(text: str) -> str:
    """For places Discord shows without Markdown (footer, author): only mentions defused,
    and direction controls left out."""
    return escape_mentions(_DIRECTION_CONTROLS.sub("", text))


def fit(raw: str, limit: int, transform: Callable[[str], str] = escape) -> str:
    """`transform(raw)` within `limit` characters: the raw text is cut (never the escaped
    text, which could leave half an escape) and ends with an ellipsis."""
    if len(raw) <= limit:  # else it cannot fit: escaping never shortens text
        out = transform(raw)
        if len(out) <= limit:
            return out
    if limit < len(ELLIPSIS):
        return ""
    lo, hi = 0, min(len(raw), limit)
    while lo < hi:  # the longest prefix that fits once transformed
        mid = (lo + hi + 1) // 2
        if len(transform(raw[:mid].rstrip()) + ELLIPSIS) <= limit:
            lo = mid
        else:
            hi = mid - 1
    return transform(raw[: whole_cut(raw, lo)].rstrip()) + ELLIPSIS


def _strong(text: str, limit: int) -> str:
    """Bold, with the surrounding whitespace outside the markers (Discord ignores
    `** text**`)."""
    core = text.strip()
    if not core:
        return text if len(text) <= limit else ""
    lead = text[: len(text) - len(text.lstrip())]
    trail = text[len(text.rstrip()) :]
    room = limit - len(lead) - len(trail) - 4
    inner = fit(core, room) if room > len(ELLIPSIS) else ""
    return f"{lead}**{inner}**{trail}" if inner else ""


def _segment(seg: Segment, limit: int) -> str:
    if seg.link and web_address(seg.text):
        return seg.text if len(seg.text) <= limit else ""  # a link is whole or not at all
    return _strong(seg.text, limit) if seg.strong else fit(seg.text, limit)


def description(body: tuple[Segment, ...], limit: int = DESCRIPTION_MAX) -> str:
    """The segments escaped, the strong ones in bold, cut to `limit` within a segment."""
    parts: list[str] = []
    used = 0
    for seg in body:
        whole = _segment(seg, EMBED_TOTAL_MAX * 4)
        if used + len(whole) <= limit:
            parts.append(whole)
            used += len(whole)
            continue
        parts.append(_segment(seg, limit - used).rstrip())
        break  # the text was cut here: what follows would read as if nothing was left out
    return "".join(parts)


def _field_value(value: str) -> str:
    # A value that is one whole URL is the work's link from its metadata: keep it live,
    # whole or not at all (cut, it would be a live link to another address).
    if value.startswith(("http://", "https://")) and " " not in value:
        return value if web_address(value) and len(value) <= FIELD_VALUE_MAX else EMPTY
    return fit(value, FIELD_VALUE_MAX) or EMPTY


def _fields(fields: tuple[Field, ...]) -> list[tuple[str, str, bool]]:
    return [
        (
            fit(f.name, FIELD_NAME_MAX) or EMPTY,
            _field_value(f.value) if f.value else EMPTY,
            f.inline,
        )
        for f in fields[:FIELDS_MAX]
    ]


def embed(card: Card) -> discord.Embed:
    """The card as an embed within every Discord limit."""
    title = fit(card.title, TITLE_MAX) or EMPTY
    footer = fit(card.footer, FOOTER_MAX, plain)
    fields = _fields(card.fields)

    def others() -> int:
        return len(title) + len(footer) + sum(len(n) + len(v) for n, v, _ in fields)

    # Whatever is left of the 6000 total goes to the description; fields go first if not.
    while fields and others() > EMBED_TOTAL_MAX - 500:
        fields.pop()
    text = description(card.body, min(DESCRIPTION_MAX, EMBED_TOTAL_MAX - others()))

    url = card.url if web_address(card.url or "") and len(card.url) <= URL_MAX else None
    out = discord.Embed(
        title=title,
        description=text or None,
        url=url,
        colour=COLOURS.get(card.tone, COLOURS["info"]),
    )
    for name, value, inline in fields:
        out.add_field(name=name, value=value, inline=inline)
    if footer:
        out.set_footer(text=footer)
    return out


def embeds(cards: list[Card]) -> list[discord.Embed]:
    """One embed per card, as many as fit in one message (10, 6000 characters in all)."""
    out: list[discord.Embed] = []
    total = 0
    for card in cards[:10]:
        e = embed(card)
        if out and total + len(e) > EMBED_TOTAL_MAX:
            break
        out.append(e)
        total += len(e)
    return out
