"""Context keeps a poem's lines as the quote showed them; a citation's section ending in its
own question mark takes no full stop after it."""

from __future__ import annotations

from bot.cards import context_card
from bot.commands.cite import reference
from bot.commands.results import Quote
from bot.discord import render


def bierce(n: int, text: str) -> Quote:
    return Quote(
        passage_id=n, text=text, author="Ambrose Bierce", title="The Devil's Dictionary",
        section="YESTERDAY", date="", url="", source="devils-dictionary.txt",
    )  # fmt: skip


def test_context_shows_a_stanza_line_by_line_as_the_quote_did() -> None:
    # The quote card and Explain show the stanza line by line; Context ran it into prose.
    entry = "YESTERDAY, n.  The infancy of youth, the youth of manhood, the entire past of age."
    stanza = (
        "But yesterday I should have thought me blest\n"
        "    To stand high-pinnacled upon the peak\n"
        "    Of middle life and look adown the bleak\n"
        "And unfamiliar foreslope to the West,"
    )
    after = "It is said that in his last illness the poet Arnegriff was attended by doctors."
    card = context_card([bierce(1, entry), bierce(2, stanza), bierce(3, after)], 2)
    text = render.embed(card).description or ""
    assert "thought me blest\nTo stand high-pinnacled upon the peak\nOf middle life" in text


def test_a_section_that_ends_with_a_question_mark_is_not_followed_by_a_full_stop() -> None:
    q = Quote(
        passage_id=1, text="What Lenin helped to launch was a Marxist political center.",
        author="Hal Draper", title="Anatomy of the Micro-Sect", section="6. What Then?",
        date="1973", url="https://www.marxists.org/archive/draper/1973/xx/microsect.htm",
        source="draper.md",
    )  # fmt: skip
    assert reference(q) == (
        "Hal Draper, “Anatomy of the Micro-Sect” (1973), 6. What Then? "
        "https://www.marxists.org/archive/draper/1973/xx/microsect.htm"
    )
