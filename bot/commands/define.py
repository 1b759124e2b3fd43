"""/define: what the corpus says a term means, source by source (embeddings/define.py).

Definitions come first (the best of each work, then the others), then passages that only
use the term, labelled "usage". A term nothing defines gets a plain notice with its
usage; a term the corpus never mentions gets a not-found answer with "did you mean".
"""

from __future__ import annotations

from dataclasses import replace

from bot.app import App
from bot.commands.quote import clamp_count
from bot.commands.results import Answer, Quote, quote_from
from bot.commands.scoped import reading
from embeddings import scope_define
from embeddings.define import DEFINITION, RELATED, Finding, Term, parse_term, term_asked
from embeddings.errors import NoWords, OnlyCommonWords
from embeddings.passages import heading_path
from embeddings.query import clean, require_content
from embeddings.scope import Reader
from embeddings.search import Hit

MAX_TERM_CHARS = 200  # a term, not a paragraph
COMPLETION_LIMIT = 25  # Discord shows at most 25 autocomplete choices
ANCHOR_WORDS = 8  # how much of a footnote's anchor its card shows


def check_term(term: str, searcher: Reader | None = None) -> tuple[str, Term]:
    """The term as it is looked up ("what is a sect?" looks up "sect"), or the QueryError
    every front end words alike: nothing to define, too many words, or only words so
    common that every text uses them and none defines them ("the" used to get five
    verses labelled its definitions), unless a dictionary of `searcher`'s has an entry for
    it ("I", "R.I.P."). Without a searcher, such a term is refused."""
    text = term_asked(clean(term, max_chars=MAX_TERM_CHARS, what="term"))
    parsed = parse_term(text)
    try:
        require_content(text, "term")
    except (NoWords, OnlyCommonWords):
        if searcher is None or not scope_define.is_headword(searcher, text):
            raise
    return text, parsed


def check_term_in(app: App, term: str, guild: int | None) -> None:
    """`check_term` against what `guild` reads (it may load that index: not on the event
    loop)."""
    check_term(term, reading(app, guild).searcher)


def define(app: App, term: str, count: int = 0, *, guild: int | None = None) -> Answer:
    searcher = reading(app, guild).searcher
    k = clamp_count(app, count)
    text, parsed = check_term(term, searcher)
    # The term's vector only orders passages of equal definitional strength; the
    # recognisers decide what defines.
    qvec = searcher.embeddings.get(text)
    found = scope_define.definitions(searcher, parsed, qvec=qvec, limit=k)
    if not found.mentioned:
        return Answer(
            text,
            [],
            notice=f"“{text}” does not occur in the corpus.",
            suggestions=scope_define.suggest(searcher, text),
        )
    quotes = [finding_quote(searcher, f) for f in found.findings]
    if not found.defined:
        suggestions = _rare_term_suggestions(searcher, text)
        related = any(f.label == RELATED for f in found.findings)
        what = "define a related word or use it" if related else "use it"
        notice = f"Nothing in the corpus defines “{text}”; these passages {what}."
        if suggestions:
            notice += f" Did you mean: {', '.join(suggestions[:3])}?"
        return Answer(text, quotes, notice=notice, suggestions=suggestions)
    return Answer(text, quotes)


def _rare_term_suggestions(searcher: Reader, text: str) -> list[str]:
    """A word used but not known to the vocabulary may be a misspelling in the corpus."""
    return [] if scope_define.known(searcher, text) else scope_define.suggest(searcher, text)


def finding_quote(searcher: Reader, f: Finding) -> Quote:
    q = quote_from(searcher, Hit(f.passage_id, f.score, f.cosine, f.bm25, f.highlight), f.label)
    if f.label in (DEFINITION, RELATED) and f.note:
        # The footnote never repeats the term: say which words it is attached to.
        anchor = " ".join(f.anchor.split()[-ANCHOR_WORDS:])
        section = heading_path(searcher.index.passages[f.passage_id]) or "Notes"
        q = replace(q, section=f"{section}, note {f.note} on “{anchor}”")
    return q


def complete(
    app: App, prefix: str, limit: int = COMPLETION_LIMIT, *, guild: int | None = None
) -> list[str]:
    """Terms for autocomplete: prefix matches first, then close spellings (at most 25)."""
    reader = app.live_for(guild).searcher
    return scope_define.complete(reader, prefix.strip(), min(limit, COMPLETION_LIMIT))
