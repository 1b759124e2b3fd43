"""Results -> neutral cards, the one shape both Discord and the terminal render.

Cards hold raw corpus text split into segments (the best sentence marked `strong`);
each renderer escapes and formats it for its medium. The lengths here keep a card within
Discord's embed limits even after Markdown escaping, which can double a text's length.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from bot.commands.cite import citation, quoted, reference
from bot.commands.compare import Comparison
from bot.commands.explain import Explanation
from bot.commands.results import Answer, Quote
from bot.commands.source import Work
from bot.messages import counted
from embeddings.ingest.dictionary import is_bare_headword
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
CONTEXT_BUDGET = 300  # of each neighbour in Context, beside a whole QUOTE_BUDGET
ELLIPSIS = "…"


@dataclass(frozen=True)
class Segment:
    text: str
    strong: bool = False
    link: bool = False  # a work's web address from its metadata: shown live when it is one


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


_ZWJ = "\u200d"


def _continues(ch: str) -> bool:
    """A character that belongs to the one before it: a combining mark, a joiner, a
    variation selector, a skin tone or an emoji tag."""
    code = ord(ch)
    return (
        unicodedata.category(ch) in ("Mn", "Mc", "Me")
        or ch == _ZWJ
        or 0xFE00 <= code <= 0xFE0F
        or 0x1F3FB <= code <= 0x1F3FF
        or 0xE0020 <= code <= 0xE007F
        or 0xE0100 <= code <= 0xE01EF
    )


def _regional(ch: str) -> bool:
    return 0x1F1E6 <= ord(ch) <= 0x1F1FF  # the letters that make flags, two by two


def _splits(text: str, at: int) -> bool:
    """Whether cutting `text` at `at` splits what a reader sees as one character: a letter
    from its accents, an emoji at a joiner, a flag's two letters (after an odd run)."""
    if not 0 < at < len(text):
        return False
    if _continues(text[at]) or text[at - 1] == _ZWJ:
        return True
    run = 0
    while _regional(text[at]) and run < at and _regional(text[at - 1 - run]):
        run += 1
    return run % 2 == 1


def whole_cut(text: str, end: int) -> int:
    """`end`, or less, so that `text[:end]` ends on a whole character as readers see it:
    never a letter without its accents, half a flag, or an emoji family cut at a joiner."""
    end = max(0, min(end, len(text)))
    while _splits(text, end):
        end -= 1
    return end


def whole_start(text: str, start: int) -> int:
    """`start`, or more, so that `text[start:]` begins on a whole character."""
    start = max(0, min(start, len(text)))
    while _splits(text, start):
        start += 1
    return start


def clip(text: str, limit: int) -> str:
    """Shorten to `limit` characters at a word boundary, with an ellipsis."""
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text[: whole_cut(text, limit - 1)]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,;:") + ELLIPSIS


def clip_start(text: str, limit: int) -> str:
    """`clip` from the other end: the last `limit` characters, from a word on, after "…"."""
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text[whole_start(text, len(text) - limit + 1) :]
    if " " in cut[: limit // 2]:
        cut = cut[cut.find(" ") + 1 :]
    return ELLIPSIS + cut.lstrip(" ,;:")


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


# Match strength in words: readers compare "strong" and "weak", not 0.412 and 0.377.
# The cosine of a quote and what it answers: "good" starts at the lowest cosine the
# relevance floor lets through (min_cosine_lexical, 0.28, for a passage BM25 also finds
# strongly); "strong" is where answers on the labelled queries are nearly always right.
STRONG_COSINE = 0.55
GOOD_COSINE = 0.28
UNRANKED = ("definition", "related word", "usage", "context", "cites this note")


def match_word(q: Quote) -> str:
    """ "strong", "good" or "weak" for a ranked quote; "" where no match was ranked."""
    if q.label in UNRANKED or not (q.score or q.cosine):
        return ""
    if q.label == "weak match" or q.cosine < GOOD_COSINE:
        return "weak"
    return "strong" if q.cosine >= STRONG_COSINE else "good"


_WEAKEST_FIRST = ("weak", "good", "strong")


def match_words(quotes: Sequence[Quote]) -> list[str]:
    """Each quote's word for a list ranked best first, never stronger than the word above
    it. The ranking weighs more than the cosine the word reads, so a "strong" under a
    "good" would say the order is wrong when it is the words that know less."""
    words: list[str] = []
    cap = "strong"
    for q in quotes:
        word = match_word(q)
        if word:
            word = cap = min(word, cap, key=_WEAKEST_FIRST.index)
        words.append(word)
    return words


def title_line(q: Quote) -> str:
    """The work, and who wrote it: "Anatomy of the Micro-Sect — Hal Draper"."""
    work = q.title or q.source
    return f"{work} — {q.author}" if q.author else work


def _source_fields(q: Quote, word: str = "") -> tuple[Field, ...]:
    fields = [Field("Author", clip(q.author or "Unknown", FIELD_VALUE_MAX))]
    if q.section:
        fields.append(Field("Section", clip(q.section, 200)))
    if q.date:
        fields.append(Field("Date", q.date))
    if q.url:
        fields.append(Field("Link", q.url, inline=False))  # whole: a cut link leads elsewhere
    if q.label:
        fields.append(Field("Kind", q.label))
    if word:
        fields.append(Field("Match", word))
    return tuple(fields)


def _shown_highlight(q: Quote) -> tuple[int, int] | None:
    """The best sentence to mark: never an entry's bare headword ("REGALIA, n."), but the
    sentence that follows it."""
    if q.highlight is None or not is_bare_headword(q.highlighted):
        return q.highlight
    after = [(s, e) for s, e in split_sentences(q.text) if s >= q.highlight[1]]
    return after[0] if after else q.highlight


def quote_card(q: Quote, position: int, total: int, note: str = "", word: str = "") -> Card:
    """Result `position` of `total`; `word`, how well it matches (`match_words`)."""
    footer = f"Result {position} of {total} · {q.source}"
    return Card(
        title=clip(title_line(q), TITLE_MAX),
        body=excerpt(q.text, _shown_highlight(q), QUOTE_BUDGET),
        fields=_source_fields(q, word),
        footer=clip(f"{note} · {footer}" if note else footer, FOOTER_MAX),
        url=q.url,
    )


def answer_cards(answer: Answer) -> list[Card]:
    """One card per quote, or a notice card when there is no good match. A notice that
    comes with quotes (/define: "nothing defines X; passages that use it") is in each
    card's footer, so cards stay one per quote for the pager."""
    if answer.quotes:
        n = len(answer.quotes)
        words = match_words(answer.quotes)
        return [
            quote_card(q, i + 1, n, answer.notice, word)
            for i, (q, word) in enumerate(zip(answer.quotes, words, strict=True))
        ]
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
        # "No good match" over weak passages; with nothing to show, "Not found" (it was
        # "No good match" for one unknown term and "Not found" for another, by spelling).
        title="No good match" if answer.weak else "Not found",
        body=(Segment(clip("\n".join(lines), 3000)),),
        tone="notice",
    )


def context_card(quotes: list[Quote], focus_id: int) -> Card:
    """The passage whole (as its quote showed it; cut at half of that, it stopped
    mid-sentence) between the end of the one before and the start of the one after."""
    segments: list[Segment] = []
    focus = next((q for q in quotes if q.passage_id == focus_id), quotes[0])
    for q in quotes:
        text = _lines_kept(q.text)  # a stanza line by line, as its quote showed it
        if q.passage_id == focus.passage_id:
            segments.append(Segment(clip(text, QUOTE_BUDGET), strong=True))
        elif q.passage_id < focus.passage_id:
            segments.append(Segment(clip_start(text, CONTEXT_BUDGET)))
        else:
            segments.append(Segment(clip(text, CONTEXT_BUDGET)))
        segments.append(Segment("\n\n"))
    return Card(
        title=clip(f"Context: {focus.title or focus.source}", TITLE_MAX),
        body=tuple(segments[:-1]),
        fields=_source_fields(focus),
        footer="The passage in bold, with the passages just before and after it.",
        url=focus.url,
        tone="info",
    )


def citation_card(q: Quote) -> Card:
    text = citation(q)
    if len(text) > 1800:
        text = f"“{clip(quoted(q.text), 1500)}”\n— {reference(q)}"
    # The address apart, so that it stays a link (escaped with the text, it was not one).
    body: tuple[Segment, ...] = (Segment(text),)
    if q.url and text.endswith(" " + q.url):
        body = (Segment(text[: -len(q.url)]), Segment(q.url, link=True))
    details = [f"Passage {q.ref}" if q.ref else ""]
    if q.score:
        details.append(f"score {q.score:.3f} (cosine {q.cosine:.2f})")
    footer = " · ".join(d for d in ["Ready to paste.", *details] if d)
    return Card(title="Citation", body=body, footer=clip(footer, FOOTER_MAX), tone="info")


def error_card(message: str) -> Card:
    return Card(title="Sorry", body=(Segment(clip(message, 1500)),), tone="error")


WORKS_LIST_CHARS = 3500


def works_card(works: list[Work]) -> Card:
    """The works, a line each, as many whole lines as fit; then how many more there are."""
    lines = []
    for w in works:
        who = f" — {w.author}" if w.author else ""
        when = f" ({w.date})" if w.date else ""
        lines.append(clip(f"• {w.title}{who}{when}: {counted(w.passages, 'passage')}", 300))
    shown: list[str] = []
    used = 0
    for n, line in enumerate(lines):
        left = len(lines) - n
        more = f"…and {counted(left, 'more work')}: /source with a name finds any of them"
        if used + len(line) + 1 > WORKS_LIST_CHARS - len(more):
            shown.append(more)
            break
        shown.append(line)
        used += len(line) + 1
    body = "\n".join(shown)
    total = sum(w.passages for w in works)
    return Card(
        title=f"{counted(len(works), 'work')} in the corpus",
        body=(Segment(body),),
        footer=f"{counted(total, 'passage')} in all · /source with a name for one work's details",
        tone="info",
    )


def work_card(w: Work) -> Card:
    fields = [Field("Author", clip(w.author or "Unknown", 200))]
    if w.date:
        fields.append(Field("Date", w.date))
    fields.append(Field("Passages", f"{w.passages:,}"))
    fields.append(Field("Files", clip(", ".join(w.files), 900), inline=False))
    if w.url:
        fields.append(Field("Link", w.url, inline=False))
    sections = clip(" · ".join(w.sections), 1500) if w.sections else "(no sections)"
    return Card(
        title=clip(w.title or w.files[0], TITLE_MAX),
        body=(Segment("Sections: " + sections),),
        fields=tuple(fields),
        url=w.url,
        tone="info",
    )


# -- explain and compare ------------------------------------------------------------------------

EXPLAIN_PASSAGE = 400  # the passage itself, as a reminder: the reader has just seen it
NOTES_BUDGET = 1400  # all footnotes together
NOTE_MIN = 200  # no footnote is cut shorter than this, however many there are
# Field budgets (raw characters) chosen so that every field survives even when escaping
# doubles every character: explain 6 × 380 and compare 6 × 420, doubled, plus a title and a
# footer, stay under the 5,500 the renderer keeps for fields (bot/discord/render.py).
TERM_NAME = 80
TERM_VALUE = 300
OTHER_NAME = 120
OTHER_VALUE = 260
COMPARE_VALUE = 300
SECTION_NOTE = 50
NO_TERMS = "No term of this passage is defined elsewhere in the corpus."
NO_OTHERS = "No other work discusses this closely."


def where_line(e: Explanation) -> str:
    """Work › section › paragraph n of m (the verse for a verse)."""
    w = e.where
    parts = [w.title]
    if w.section and w.section not in w.locator:
        parts.append(w.section)
    if w.locator:
        parts.append(w.locator)
    elif w.paragraphs > 1:
        parts.append(f"paragraph {w.paragraph} of {w.paragraphs}")
    return " › ".join(parts)


def _sentence(q: Quote) -> str:
    text = q.highlighted if q.highlight else q.text
    if is_bare_headword(text):  # "EXISTENCE, n." over the verse that defines it
        text = q.text
    return " ".join(text.split())


def _who(q: Quote, *, where: bool = False) -> str:
    """Author and title (and, `where`, the verse, entry or chapter), then the date."""
    head = ", ".join(p for p in (q.author, q.title) if p) or q.source
    if where and q.section:
        head = f"{head}, {q.section}"
    return f"{head} ({q.date})" if q.date else head


def _named(head: str, word: str) -> str:
    """A field name: who and what (cut if long), and how well it matches (never cut)."""
    strength = f" · {word or 'good'} match"
    return clip(head, OTHER_NAME - len(strength)) + strength


def _lines_kept(text: str) -> str:
    """Spaces folded, line breaks kept: a verse or a stanza is read line by line, as
    /quote shows it."""
    lines = (" ".join(line.split()) for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def explain_card(e: Explanation) -> Card:
    q = e.quote
    body: list[Segment] = [
        Segment(where_line(e), strong=True),
        Segment("\n" + clip(_lines_kept(q.text), EXPLAIN_PASSAGE)),
    ]
    if e.notes:
        each = max(NOTE_MIN, NOTES_BUDGET // len(e.notes))
        body.append(Segment("\n\n"))
        body.append(Segment("Footnotes", strong=True))
        for n in e.notes:
            body.append(Segment(f"\n[{n.marker}] " + clip(" ".join(n.text.split()), each)))
    if e.cited_by:
        marks = ", ".join(e.note_markers)
        body.append(Segment("\n\n"))
        body.append(Segment(f"Note {marks} is cited by", strong=True))
        each = max(NOTE_MIN, NOTES_BUDGET // len(e.cited_by))
        for c in e.cited_by[:5]:
            body.append(Segment("\n• " + clip(" ".join(c.text.split()), each)))
    fields: list[Field] = []
    for t in e.terms:
        # A sentence quoted apart from its passage says where it is ("1 Corinthians 10:23").
        who = clip(_who(t.definition, where=True), TERM_VALUE // 3)
        sentence = clip(_sentence(t.definition), TERM_VALUE - len(who) - 5)
        fields.append(Field(clip(t.term, TERM_NAME), f"“{sentence}” — {who}", inline=False))
    if not e.terms:
        fields.append(Field("Terms", NO_TERMS, inline=False))
    for o, word in zip(e.others, match_words(e.others), strict=True):
        name = _named(_who(o), word)
        section = f" ({clip(o.section, SECTION_NOTE)})" if o.section else ""
        text = clip(" ".join(o.text.split()), OTHER_VALUE - len(section))
        fields.append(Field(name, text + section, inline=False))
    if not e.others:
        fields.append(Field("Other works", NO_OTHERS, inline=False))
    return Card(
        title=clip(f"Explain: {title_line(q)}", TITLE_MAX),
        body=tuple(body),
        fields=tuple(fields),
        footer=clip(f"Passage {q.ref}", FOOTER_MAX),
        url=e.where.url,
        tone="info",
    )


def compare_card(c: Comparison) -> Card:
    if not c.rows:
        return Card(title="No good match", body=(Segment(c.notice),), tone="notice")
    fields: list[Field] = []
    words = iter(match_words([r.quote for r in c.rows if r.quote is not None]))
    for row in c.rows:
        q = row.quote
        if q is None:
            name = clip(row.name, OTHER_NAME)
            fields.append(Field(name, f"No good match in {name}.", inline=False))
            continue
        head = row.name if c.by == "author" else _who(q)
        name = _named(head, next(words))
        section = f" ({clip(q.section, SECTION_NOTE)})" if q.section else ""
        text = clip(_sentence(q), COMPARE_VALUE - len(section))
        fields.append(Field(name, text + section, inline=False))
    what = "authors" if c.by == "author" else "works"
    return Card(
        title=clip(f"Compare: {c.query}", TITLE_MAX),
        fields=tuple(fields),
        footer=f"The best passage of each of {len(c.rows)} {what}, best first.",
        tone="quote",
    )
