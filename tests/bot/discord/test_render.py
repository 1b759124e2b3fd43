"""Cards -> embeds: text shown literally, the best sentence in bold, every limit kept."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import pytest

from bot.cards import (
    Card,
    Field,
    Segment,
    answer_cards,
    citation_card,
    clip,
    clip_start,
    compare_card,
    context_card,
    explain_card,
    whole_cut,
    works_card,
)
from bot.commands.compare import Comparison, Row
from bot.commands.explain import DefinedTerm, Explanation
from bot.commands.results import Answer, Quote
from bot.commands.source import Work
from bot.discord import render
from bot.discord.autocomplete import choices
from embeddings.explain import Location, Note
from tests.bot.discord.conftest import ACTIVE_MASKED_LINK


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("**bold** _it_ ~~s~~ `c` ||x||", r"\*\*bold\*\* \_it\_ \~\~s\~\~ \`c\` \|\|x\|\|"),
        ("[x](https://evil)", r"\[x](https\://evil)"),
        ("see https://a.b/c_d", r"see https\://a.b/c\_d"),
        ("@everyone @here", "@\u200beveryone @\u200bhere"),
        ("<@123456789012345678> <#1> <t:1:R>", "\\<@\u200b123456789012345678> \\<#1> \\<t:1:R>"),
        ("# title\n> quote\n- item\n1. first", "\\# title\n\\> quote\n\\- item\n1\\. first"),
        (r"\*not bold*", r"\\\*not bold\*"),  # a backslash in the text cannot undo an escape
        # Every marker after a masked link too: discord.py's escape left them live.
        (
            "[a](https://a.e) **b** ||c|| [d](https://e.e)",
            r"\[a](https\://a.e) \*\*b\*\* \|\|c\|\| \[d](https\://e.e)",
        ),
        ("  - item\n-# small\n>>> all", "  \\- item\n\\-# small\n\\>>> all"),
    ],
)
def test_corpus_text_is_escaped_so_it_shows_literally(raw: str, shown: str) -> None:
    assert render.escape(raw) == shown


def test_the_strong_segment_is_bold_with_its_spaces_outside_the_markers() -> None:
    card = Card(
        "T", body=(Segment("Before. "), Segment(" The *best* one. ", True), Segment("After."))
    )
    assert render.embed(card).description == r"Before.  **The \*best\* one.** After."


def test_a_url_field_stays_a_link_and_other_fields_are_escaped() -> None:
    card = Card(
        "T",
        fields=(Field("Link", "https://example.org/a_b"), Field("Section", "[x](https://e)")),
        url="javascript:alert(1)",
    )
    embed = render.embed(card)
    assert [f.value for f in embed.fields] == ["https://example.org/a_b", r"\[x](https\://e)"]
    assert embed.url is None  # only http(s) URLs become the title's link


def test_no_passage_turns_the_rest_of_a_message_around() -> None:
    # A right-to-left override in a corpus text (HTML's &#x202E;) reversed what followed.
    card = Card("T \u202e", body=(Segment("abc \u202edef\u2066 ghi"),), footer="f\u202e")
    embed = render.embed(card)
    shown = f"{embed.title} {embed.description} {embed.footer.text}"
    assert not set(shown) & {"\u202e", "\u2066"}
    assert embed.description == "abc def ghi"


def test_a_link_discord_would_refuse_is_left_out_never_sent_or_cut() -> None:
    # An index built before links were checked may hold one: Discord would refuse the whole
    # message ("Not a well formed URL"), and a link cut to fit would lead elsewhere.
    long = "https://example.org/" + "a" * 1100
    card = Card(
        "T", fields=(Field("Link", "http://[oops"), Field("Link", long)), url="http://[oops"
    )
    embed = render.embed(card)
    assert embed.url is None
    assert [f.value for f in embed.fields] == [render.EMPTY, render.EMPTY]


def test_a_long_list_of_works_says_how_many_more_there_are() -> None:
    works = [
        Work(
            f"Essay number {n} on the long patience of archives",
            "A. Keeper",
            "1901",
            "",
            40,
            (f"essay-{n}.md",),
            (),
        )
        for n in range(200)
    ]
    card = works_card(works)
    lines = card.body[0].text.splitlines()
    shown = [line for line in lines if line.startswith("• ")]
    assert 0 < len(shown) < 200 and all(line.endswith(": 40 passages") for line in shown)
    assert lines[-1] == f"…and {200 - len(shown)} more works: /source with a name finds any of them"
    assert card.title == "200 works in the corpus"
    assert len(render.embed(card).description or "") <= 4096


FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # one emoji of three, joined
FLAGS = "\U0001f1eb\U0001f1f7\U0001f1e9\U0001f1ea"  # two flags of two letters each
STACKED = "e\u0301\u0302"  # a letter with two accents


@pytest.mark.parametrize("text", [FAMILY * 3, FLAGS * 3, STACKED * 5, "a\ufe0f" * 6])
def test_a_cut_never_splits_what_a_reader_sees_as_one_character(text: str) -> None:
    for end in range(len(text) + 1):
        kept = text[: whole_cut(text, end)]
        assert text.startswith(kept) and kept == kept[: whole_cut(kept, len(kept))]
        rest = text[len(kept) :]
        assert not rest or whole_cut(text, len(kept)) == len(kept)
    for limit in range(2, len(text)):
        shown = clip(text, limit).removesuffix("…")
        assert text.startswith(shown) and whole_cut(text, len(shown)) == len(shown)
        tail = clip_start(text, limit).removeprefix("…")
        assert text.endswith(tail) and len(tail) <= limit
        assert not tail or tail[0] not in "\u200d\u0301\u0302\ufe0f"
        fitted = render.fit(text, limit).removesuffix("…")
        assert text.startswith(fitted) and whole_cut(text, len(fitted)) == len(fitted)


def adversarial(n: int) -> str:
    """Text that doubles in length when escaped."""
    return "*_" * (n // 2)


@pytest.mark.parametrize("size", [10, 1000, 5000, 20000])
def test_every_discord_limit_holds_whatever_the_card_holds(size: int) -> None:
    card = Card(
        title=adversarial(size),
        body=(Segment(adversarial(size)), Segment(adversarial(size), True), Segment("end")),
        fields=tuple(Field(adversarial(size), adversarial(size)) for _ in range(30)),
        footer="@everyone " * size,
    )
    embed = render.embed(card)
    assert len(embed.title or "") <= 256
    assert len(embed.description or "") <= 4096
    assert len(embed.fields) <= 25
    assert all(len(f.name or "") <= 256 and 0 < len(f.value or "") <= 1024 for f in embed.fields)
    assert len(embed.footer.text or "") <= 2048
    assert len(embed) <= 6000
    # A cut never leaves half an escape or an unclosed bold marker behind.
    for text in [
        embed.title or "",
        embed.description or "",
        *(f.value or "" for f in embed.fields),
    ]:
        assert len(re.findall(r"(?<!\\)\*\*", text)) % 2 == 0
        end = text.removesuffix("**").removesuffix("…")
        assert (len(end) - len(end.rstrip("\\"))) % 2 == 0


def test_a_long_description_is_cut_with_an_ellipsis_and_keeps_the_bold_closed() -> None:
    card = Card("T", body=(Segment("a " * 1000), Segment("b " * 3000, True), Segment("c")))
    text = render.embed(card).description or ""
    assert len(text) <= 4096 and text.endswith("…**") and text.count("**") == 2


def test_several_cards_in_one_message_stay_within_6000_characters() -> None:
    cards = [Card("T", body=(Segment("x" * 4000),)) for _ in range(3)]
    embeds = render.embeds(cards)
    assert len(embeds) == 1 and sum(len(e) for e in embeds) <= 6000


def test_masked_link_detector_used_by_the_tests() -> None:
    assert ACTIVE_MASKED_LINK.search("[x](https://e)")
    assert not ACTIVE_MASKED_LINK.search(r"\[x](https\://e)")


def test_autocomplete_choices_fit_discords_limits() -> None:
    values = ["short", "short", "  spaced\nout  ", "x" * 150, *(f"term {i}" for i in range(40))]
    out = choices(values)
    assert len(out) == 25
    assert [c.value for c in out[:3]] == ["short", "spaced out", "x" * 100]
    assert out[2].name == "x" * 99 + "…"  # one long word: cut where it must be
    assert all(len(c.name) <= 100 and len(c.value) <= 100 for c in out)
    # A name is cut between words: "…; Anatomy of the…", never "…; Anatomy of the Micr…".
    title = "Definition of sectarianism: What is sectarianism? What are you doing about it?"
    [long] = choices([f"{title}; Anatomy of the Micro-Sect"])
    assert long.name == f"{title}; Anatomy of the…"
    assert long.value == f"{title}; Anatomy of the Micro-Sect"[:100]


def _long_quote(n: int, label: str = "") -> Quote:
    return Quote(
        passage_id=n,
        text=adversarial(3000),
        author=adversarial(300),
        title=adversarial(300),
        section=adversarial(300),
        date="1999",
        url="",
        source=f"server/{'x' * 200}.txt",
        score=0.6,
        cosine=0.6,
        label=label,
        ref=f"server/{'x' * 200}.txt#1:abcdef0123",
    )


def test_the_longest_explanation_keeps_every_term_and_other_work_within_the_limits() -> None:
    explanation = Explanation(
        quote=_long_quote(0),
        where=Location(adversarial(300), adversarial(300), "", 3, 9, ""),
        notes=[Note(str(n), adversarial(2000)) for n in range(30)],
        note_markers=[],
        cited_by=[],
        terms=[DefinedTerm(adversarial(200), _long_quote(n, "definition")) for n in range(3)],
        others=[_long_quote(n, "other work") for n in range(3)],
    )
    embed = render.embed(explain_card(explanation))
    assert len(embed) <= 6000 and len(embed.description or "") <= 4096
    assert len(embed.fields) == 6  # three terms, three other works: none dropped to fit


def test_the_longest_comparison_keeps_all_six_works_within_the_limits() -> None:
    rows = [Row(adversarial(300), _long_quote(n)) for n in range(5)] + [Row(adversarial(300), None)]
    embed = render.embed(compare_card(Comparison(adversarial(1000), "work", rows)))
    assert len(embed) <= 6000
    assert len(embed.fields) == 6 and "No good match in" in (embed.fields[-1].value or "")


def bierce(n: int, text: str, section: str, **more: Any) -> Quote:
    """A passage of the Devil's Dictionary as a result shows it."""
    return Quote(
        passage_id=n, text=text, author="Ambrose Bierce", title="The Devil's Dictionary",
        section=section, date="1911", url="", source="devils-dictionary.txt", score=0.5,
        **{"cosine": 0.5, **more},
    )  # fmt: skip


def test_match_words_never_rise_down_a_ranked_list() -> None:
    # The ranking fuses more than the cosine the words read: a passage ranked second may
    # have the higher cosine. "strong" under "good" would say the order is wrong.
    cosines = (0.40, 0.70, 0.20, 0.60)
    quotes = [bierce(n, f"Passage {n}.", f"S{n}", cosine=c) for n, c in enumerate(cosines)]
    cards = answer_cards(Answer("q", quotes))
    shown = [dict((f.name, f.value) for f in c.fields)["Match"] for c in cards]
    assert shown == ["good", "good", "weak", "weak"]
    rows = [Row(f"Work {n}", q) for n, q in enumerate(quotes)]
    names = [f.name for f in compare_card(Comparison("q", "work", rows)).fields]
    assert [n.rsplit("· ", 1)[1] for n in names] == [
        "good match", "good match", "weak match", "weak match",
    ]  # fmt: skip


def test_a_citation_parts_a_poems_lines_and_keeps_the_works_address_a_link() -> None:
    verse = "Poor Isabella's Dead, whose abdication\n  Set all tongues wagging.\n\nG.J."
    poem = replace(bierce(1, verse, "ABDICATION"), url="https://www.gutenberg.org/ebooks/972")
    text = render.embed(citation_card(poem)).description
    assert text is not None
    assert text.startswith(
        "“Poor Isabella's Dead, whose abdication / Set all tongues wagging. / G.J.”"
    )
    assert text.endswith("ABDICATION. https://www.gutenberg.org/ebooks/972")


def test_context_shows_the_passage_whole_between_the_nearest_words_of_its_neighbours() -> None:
    # Cut at 700 characters, a 1,300-character passage stopped mid-sentence in Context.
    def passage(n: int, text: str) -> Quote:
        return bierce(n, text, "S")

    before = "The start of the one before. " + "Filler words here. " * 60 + "Its last words."
    focus = "The passage itself. " + "Every word of it counts. " * 50 + "Its very end."
    after = "The start of the one after. " + "More filler. " * 60
    card = context_card([passage(1, before), passage(2, focus), passage(3, after)], 2)
    text = render.embed(card).description
    assert text is not None and len(text) <= 4096
    first, bold, last = text.split("**")
    assert bold == focus
    assert first.strip().endswith("Its last words.") and first.startswith("…")
    assert last.strip().startswith("The start of the one after.")


def test_a_definition_that_is_a_verse_shows_the_verse_not_its_bare_headword() -> None:
    # Explain showed "EXISTENCE, n." alone: the entry's highlight was its headword line.
    entry = "EXISTENCE, n.\n\n  A transient, horrible, fantastic dream,\n  Wherein is nothing."
    headword = (0, len("EXISTENCE, n."))
    definition = bierce(5, entry, "EXISTENCE", highlight=headword, label="definition")
    explanation = Explanation(
        quote=_long_quote(0),
        where=Location("T", "", "", 1, 1, ""),
        notes=[],
        note_markers=[],
        cited_by=[],
        terms=[DefinedTerm("existence", definition)],
        others=[],
    )
    [term] = [f for f in render.embed(explain_card(explanation)).fields if f.name == "existence"]
    assert term.value is not None and "A transient, horrible, fantastic dream" in term.value


def test_the_footer_and_author_line_defuse_mentions_too() -> None:
    # Discord shows no Markdown there, but a mention in them would still read as one.
    embed = render.embed(Card("t", body=(), footer="@everyone read this"))
    assert embed.footer.text is not None and "@everyone" not in embed.footer.text


def test_a_link_segment_is_live_only_when_it_is_a_web_address() -> None:
    # The render is the last line of defence: a citation's address that is no web address
    # (whatever let it through) is escaped as any corpus text, never shown raw.
    live = render.embed(Card("Citation", body=(Segment("https://a.example/w", link=True),)))
    assert live.description == "https://a.example/w"
    hostile = "[claim](https://evil.example/x) @everyone **now**"
    card = Card("Citation", body=(Segment("“A quote.” — "), Segment(hostile, link=True)))
    text = render.embed(card).description or ""
    assert not ACTIVE_MASKED_LINK.search(text) and "https://evil" not in text
    assert "@everyone" not in text and "**now**" not in text
