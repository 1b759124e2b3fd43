"""Results -> neutral cards, the one shape both Discord and the terminal render.

Cards hold raw corpus text split into segments (the best sentence marked `strong`);
each renderer escapes and formats it for its medium. The lengths here keep a card within
Discord's embed limits even after Markdown escaping, which can double a text's length.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.commands.cite import citation, reference
from bot.commands.results import Answer, Quote
from bot.commands.source import Work
from embeddings.sentences import split_sentences

# Discord's limits (characters).
TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
EMBED_TOTAL_MAX = 6000
FIELDS_MAX = 25

# Our budgets for raw text: escaping may double it and still fit.
QUOTE_BUDGET = 1400
CONTEXT_BUDGET = 600
ELLIPSIS = "…"


@dataclass(frozen=True)
class Segment:
    text: str
    strong: bool = False


@dataclass(frozen=True)
class Field:
    name: str
    value: str
    inline: bool = True


@dataclass(frozen=True)
class Card:
    title: str
    body: tuple[Segment, ...] = ()
    fields: tuple[Field, ...] = ()
    footer: str = ""
    url: str = ""
    tone: str = "quote"  # quote | notice | error | info

    @property
    def plain_body(self) -> str:
        return "".join(s.text for s in self.body)


def clip(text: str, limit: int) -> str:
    """Shorten to `limit` characters at a word boundary, with an ellipsis."""
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,;:") + ELLIPSIS


def excerpt(text: str, highlight: tuple[int, int] | None, budget: int) -> tuple[Segment, ...]:
    """The passage within `budget` characters, cut at sentence boundaries with "…",
    keeping the highlighted sentence in view."""
    if len(text) <= budget:
        if highlight is None:
            return (Segment(text),)
        s, e = highlight
        return tuple(
            seg
            for seg in (Segment(text[:s]), Segment(text[s:e], True), Segment(text[e:]))
            if seg.text
        )
    spans = split_sentences(text) or [(0, len(text))]
    focus = 0
    if highlight is not None:
        focus = next((i for i, (s, e) in enumerate(spans) if s <= highlight[0] < e), 0)
    lo = hi = focus
    used = spans[focus][1] - spans[focus][0]
    # Grow around the focus sentence, forwards first (readers read on), while it fits.
    while True:
        grew = False
        if hi + 1 < len(spans) and used + spans[hi + 1][1] - spans[hi][1] <= budget:
            used += spans[hi + 1][1] - spans[hi][1]
            hi += 1
            grew = True
        if lo > 0 and used + spans[lo][0] - spans[lo - 1][0] <= budget:
            used += spans[lo][0] - spans[lo - 1][0]
            lo -= 1
            grew = True
        if not grew:
            break
    start, end = spans[lo][0], spans[hi][1]
    segments: list[Segment] = []
    if start > 0:
        segments.append(Segment(ELLIPSIS + " "))
    if highlight is not None and start <= highlight[0] and highlight[1] <= end:
        s, e = highlight
        segments += [Segment(text[start:s]), Segment(text[s:e], True), Segment(text[e:end])]
    else:
        segments.append(Segment(clip(text[start:end], budget)))
    if end < len(text.rstrip()):
        segments.append(Segment(" " + ELLIPSIS))
    return tuple(s for s in segments if s.text)


def _source_fields(q: Quote, score: bool = True) -> tuple[Field, ...]:
    fields = [Field("Author", clip(q.author or "Unknown", FIELD_VALUE_MAX))]
    if q.section:
        fields.append(Field("Section", clip(q.section, 200)))
    if q.date:
        fields.append(Field("Date", q.date))
    if q.url:
        fields.append(Field("Link", q.url[:FIELD_VALUE_MAX], inline=False))
    if q.label:
        fields.append(Field("Kind", q.label))
    if score and q.score:
        fields.append(Field("Score", f"{q.score:.3f} (cosine {q.cosine:.2f})"))
    return tuple(fields)


def quote_card(q: Quote, position: int, total: int, note: str = "") -> Card:
    footer = f"Result {position} of {total} · {q.source}"
    return Card(
        title=clip(q.title or q.source, TITLE_MAX),
        body=excerpt(q.text, q.highlight, QUOTE_BUDGET),
        fields=_source_fields(q),
        footer=clip(f"{note} · {footer}" if note else footer, FOOTER_MAX),
        url=q.url,
    )


def answer_cards(answer: Answer) -> list[Card]:
    """One card per quote, or a notice card when there is no good match. A notice that
    comes with quotes (/define: "nothing defines X; passages that use it") is in each
    card's footer, so cards stay one per quote for the pager."""
    if answer.quotes:
        n = len(answer.quotes)
        return [quote_card(q, i + 1, n, answer.notice) for i, q in enumerate(answer.quotes)]
    return [notice_card(answer)]


def notice_card(answer: Answer) -> Card:
    lines = [answer.notice or "Nothing found."]
    if answer.suggestions:
        lines.append("Did you mean: " + ", ".join(answer.suggestions[:5]) + "?")
    if answer.weak:
        lines.append("The closest passages, all weak matches:")
        for q in answer.weak[:3]:
            lines.append(f"• {clip(' '.join(q.text.split()), 200)} — {reference(q)}")
    return Card(
        title="No good match" if answer.weak or not answer.suggestions else "Not found",
        body=(Segment(clip("\n".join(lines), 3000)),),
        tone="notice",
    )


def context_card(quotes: list[Quote], focus_id: int) -> Card:
    segments: list[Segment] = []
    for q in quotes:
        text = " ".join(q.text.split())
        if q.passage_id == focus_id:
            segments.append(Segment(clip(text, QUOTE_BUDGET // 2), strong=True))
        else:
            segments.append(Segment(clip(text, CONTEXT_BUDGET)))
        segments.append(Segment("\n\n"))
    focus = next((q for q in quotes if q.passage_id == focus_id), quotes[0])
    return Card(
        title=clip(f"Context: {focus.title or focus.source}", TITLE_MAX),
        body=tuple(segments[:-1]),
        fields=_source_fields(focus, score=False),
        footer="The passage in bold, with the passages just before and after it.",
        url=focus.url,
        tone="info",
    )


def citation_card(q: Quote) -> Card:
    text = citation(q)
    if len(text) > 1800:
        text = f"“{clip(' '.join(q.text.split()), 1500)}”\n— {reference(q)}"
    return Card(title="Citation", body=(Segment(text),), footer="Ready to paste.", tone="info")


def error_card(message: str) -> Card:
    return Card(title="Sorry", body=(Segment(clip(message, 1500)),), tone="error")


def works_card(works: list[Work]) -> Card:
    lines = []
    for w in works:
        who = f" — {w.author}" if w.author else ""
        when = f" ({w.date})" if w.date else ""
        lines.append(f"• {w.title}{who}{when}: {w.passages:,} passages")
    body = clip("\n".join(lines), 3500)
    total = sum(w.passages for w in works)
    return Card(
        title=f"{len(works)} works in the corpus",
        body=(Segment(body),),
        footer=f"{total:,} passages in all · /source NAME for one work's details",
        tone="info",
    )


def work_card(w: Work) -> Card:
    fields = [Field("Author", clip(w.author or "Unknown", 200))]
    if w.date:
        fields.append(Field("Date", w.date))
    fields.append(Field("Passages", f"{w.passages:,}"))
    fields.append(Field("Files", clip(", ".join(w.files), 900), inline=False))
    if w.url:
        fields.append(Field("Link", w.url[:FIELD_VALUE_MAX], inline=False))
    sections = clip(" · ".join(w.sections), 1500) if w.sections else "(no sections)"
    return Card(
        title=clip(w.title or w.files[0], TITLE_MAX),
        body=(Segment("Sections: " + sections),),
        fields=tuple(fields),
        url=w.url,
        tone="info",
    )
