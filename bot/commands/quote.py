"""/quote: the passages that best match a question or a paraphrase."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, replace

from bot.app import App, Live
from bot.commands import source
from bot.commands.results import Answer, Quote, plain_quote, quote_from
from bot.commands.scoped import names_missing_from, reading, where
from bot.messages import no_such_verse
from embeddings import verse_refs
from embeddings.documents import folded
from embeddings.errors import CountOutOfRange, PassageGone
from embeddings.scope import Reader
from embeddings.search import Filters, Hit, title_filters


@dataclass(frozen=True)
class QuoteRequest:
    query: str
    author: str = ""
    title: str = ""
    count: int = 0  # 0: the configured default
    per_document: int = 0
    # How many quotes get their best sentence settled by the model now (None: all).
    # A pager showing one quote at a time settles the rest as they are shown (`settle`).
    settle_now: int | None = None
    guild: int | None = None  # the server it was asked in: its texts; None: the base only


def clamp_count(app: App, count: int) -> int:
    """The number of results to return, or a QueryError for an impossible request."""
    if count == 0:
        return app.settings.results
    if not 1 <= count <= app.settings.max_results:
        raise CountOutOfRange(app.settings.max_results)
    return count


def quote(app: App, request: QuoteRequest) -> Answer:
    live = reading(app, request.guild)  # one build for the whole answer, even during a swap
    searcher = live.searcher
    query, filters, k, key = _normalise(app, searcher, request)
    cached = _cached(live, query, key)
    if cached is not None:
        return cached
    answer = _verses(searcher, query, k, filters, request.guild) or _search(
        searcher, query, k, filters, request.settle_now, request.guild
    )
    live.answers.put(key, answer)
    return answer


def cached_quote(app: App, request: QuoteRequest) -> Answer | None:
    """The answer if it is cached (a dictionary lookup: fine on the event loop), else None.
    Raises what `quote` raises for a request that cannot be searched."""
    live = reading(app, request.guild)
    query, _, _, key = _normalise(app, live.searcher, request)
    return _cached(live, query, key)


def _normalise(
    app: App, searcher: Reader, request: QuoteRequest
) -> tuple[str, Filters, int, Hashable]:
    """The cleaned query, the filters, the count and the cache key of a request; the one
    place a request is checked (QueryError, or NotFoundError for a work no filter finds),
    so a front end asks `cached_quote` before it shows anything."""
    k = clamp_count(app, request.count)
    filters = _filters(searcher, request)
    query = searcher.prepare(request.query)
    with names_missing_from(request.guild):
        searcher.allowed(filters)
    # Search is case-insensitive throughout (vectors of casefolded queries are cached,
    # BM25 and filters lower-case), so the answer is too; only the echo of the query
    # keeps the asker's spelling.
    key = (
        query.casefold(),
        folded(filters.author),
        folded(filters.title),
        filters.book,
        filters.per_document,
        k,
        request.settle_now,
    )
    return query, filters, k, key


def _filters(searcher: Reader, request: QuoteRequest) -> Filters:
    """The request's filters: its title read as /compare reads a work (a book of a Bible
    keeps to that book)."""
    return title_filters(
        searcher.index, request.title, request.author.strip(), request.per_document
    )


def complete_source(
    app: App, prefix: str, limit: int = 25, *, guild: int | None = None
) -> list[str]:
    """The source option's suggestions: the works, then the books of verses whose name
    starts like `prefix` ("Mat": Matthew), which the option keeps to as well."""
    works = source.complete(app, prefix, limit, guild=guild)
    start = folded(prefix)
    index = app.live_for(guild).searcher.index
    books = [b for b in verse_refs.book_names(index) if folded(b).startswith(start)]
    return (works + [b for b in books if b not in works])[:limit]


def _cached(live: Live, query: str, key: Hashable) -> Answer | None:
    cached = live.answers.get(key)
    if cached is None:
        return None
    # Best sentences the model has settled since (for an earlier asker's pager).
    quotes = [_settled_if_known(live.searcher, query, q) for q in cached.quotes]
    return replace(cached, query=query, quotes=quotes)


def _settled_if_known(searcher: Reader, query: str, quote: Quote) -> Quote:
    if quote.settled:
        return quote
    known = searcher.known_best_sentence(query, quote.passage_id)
    return quote if known is None else replace(quote, highlight=known, settled=True)


def _names_a_work(searcher: Reader, query: str) -> str:
    """A pointer for a query that is an author's name or a title ("Bierce"): the search
    reads what works say, not who wrote them."""
    asked = folded(query)
    for doc in searcher.index.documents:
        if asked in (folded(doc.meta.title), folded(doc.meta.author)) or (
            len(asked) >= 4 and asked in folded(doc.meta.author).split()
        ):
            return (
                f" “{query}” names a work or its author: /source {query} gives its details; "
                "ask what it says, with the author or source option to keep to it."
            )
    return ""


def _searched(filters: Filters, guild: int | None) -> str:
    """Where a search looked, as its "no good match" says: the works its filters chose, or
    all the works its reader reads."""
    if filters.book:  # the book is the place; an author given too was one of its own
        return f"in {filters.book}"
    named = [f"with a title matching “{filters.title}”"] if filters.title else []
    named += [f"by an author matching “{filters.author}”"] if filters.author else []
    if named:
        return "in the works " + " and ".join(named)
    return "in this server's corpus" if where(guild) == "server" else "in the corpus"


def _verses(
    searcher: Reader, query: str, k: int, filters: Filters, guild: int | None = None
) -> Answer | None:
    """A query that names verses ("John 3:16", "Ps 23"): those verses, in order, looked up
    rather than searched; None for any other query."""
    if verse_refs.parse(query) is None:
        return None  # before the filters' passages are listed, for every other query
    found = verse_refs.lookup(searcher.index, query, searcher.allowed(filters))
    if found is None:
        return None
    if not found.ids:
        if found.exists:  # the filters left its book out
            return Answer(query, [], notice=f"{found.named} is not {_searched(filters, guild)}.")
        return Answer(query, [], notice=no_such_verse(found.missing()))
    quotes = [quote_from(searcher, Hit(i, 0.0, 0.0, 0.0)) for i in found.ids[:k]]
    notice = ""
    if len(found.ids) > k:
        # Counted in verses, not passages: short verses are joined into one passage.
        passages = searcher.index.passages
        shown = sum(verse_refs.verses_in(passages[i].locator) for i in found.ids[:k])
        total = sum(verse_refs.verses_in(passages[i].locator) for i in found.ids)
        notice = (
            f"The first {shown} of the {total} verses of {found.named}; name a verse or "
            "a range for the others."
        )
        ref = found.ref
        # "John 3-16" is chapters 3 to 16, and often meant as John 3:16; "Genesis 1-50"
        # cannot mean Genesis 1:50, which is no verse.
        if ref.through and ref.through <= found.verses:
            verse = f"{found.book} {ref.chapter}:{ref.through}"
            notice += f" These are chapters {ref.chapter} to {ref.through}; {verse} is a verse."
    return Answer(query, quotes, notice=notice)


def _search(
    searcher: Reader,
    query: str,
    k: int,
    filters: Filters,
    settle_now: int | None,
    guild: int | None = None,
) -> Answer:
    result = searcher.search(query, k=k, filters=filters)
    if result.no_good_match:
        weak = [quote_from(searcher, h, "weak match") for h in result.weak[:3]]
        notice = f"No good match for “{result.query}” {_searched(filters, guild)}."
        return Answer(
            result.query,
            [],
            notice=notice + _names_a_work(searcher, result.query),
            weak=weak,
        )
    hits = searcher.highlight(result.query, result.hits, dense_limit=settle_now)
    return Answer(result.query, [quote_from(searcher, h) for h in hits])


def settle(
    app: App, query: str, quote: Quote, *, urgent: bool = True, guild: int | None = None
) -> Quote:
    """The quote with its best sentence chosen by the model, if it was only a guess.
    Not `urgent` (a quote already on screen): after the queries waiting for the model."""
    if quote.settled:
        return quote
    searcher = app.live_for(guild).searcher
    passage_id = locate(app, quote, guild=guild)
    hit = Hit(passage_id, quote.score, quote.cosine, quote.bm25)
    [settled] = searcher.highlight(searcher.prepare(query), [hit], urgent=urgent)
    return replace(
        quote,
        passage_id=passage_id,
        build=searcher.build,
        highlight=settled.highlight,
        settled=True,
    )


def context(
    app: App, quote: Quote, before: int = 1, after: int = 1, *, guild: int | None = None
) -> list[Quote]:
    """The passage with its neighbours in the same document, in reading order."""
    searcher = app.live_for(guild).searcher
    passage_id = locate(app, quote, guild=guild)
    if quote.window is None:
        return [
            plain_quote(searcher, i, "" if i == passage_id else "context")
            for i in searcher.neighbours(passage_id, before, after)
        ]
    # A window (verses, an entry's headword with its definition) is the passage shown, and
    # its neighbours are those of its first and last passages, never one of its own.
    first = passage_id - (quote.passage_id - quote.window[0])
    last = passage_id + (quote.window[1] - quote.passage_id)
    shown = replace(quote, passage_id=passage_id, build=searcher.build, label="")
    return [
        *(plain_quote(searcher, i, "context") for i in searcher.neighbours(first, before, 0)[:-1]),
        shown,
        *(plain_quote(searcher, i, "context") for i in searcher.neighbours(last, 0, after)[1:]),
    ]


def more_from_source(
    app: App,
    query: str,
    quote: Quote,
    count: int = 0,
    *,
    shown: Sequence[Quote] = (),
    guild: int | None = None,
) -> Answer:
    """The same search within the file the passage comes from, leaving out the passage and
    the others `shown` with it; for verses looked up by reference, the verses that follow
    the last one shown (a search for "Genesis 1:1" inside Genesis finds nothing better)."""
    searcher = app.live_for(guild).searcher
    passage_id = locate(app, quote, guild=guild)
    doc = searcher.index.document_of(passage_id)
    k = clamp_count(app, count)
    seen = {passage_id} | {i for q in shown if (i := _located(app, q, guild)) is not None}
    here = range(doc.first, doc.first + doc.count)
    if verse_refs.lookup(searcher.index, query) is not None:  # looked up, not searched
        last = max(i for i in seen if i in here)
        after = [quote_from(searcher, Hit(i, 0.0, 0.0, 0.0)) for i in here if i > last][:k]
        notice = "" if after else f"{verse_refs.book_name(searcher.index, doc)} ends there."
        return Answer(query, after, notice=notice)
    result = searcher.search_in(query, doc.source, k + len(seen))
    hits = [h for h in result.hits if seen.isdisjoint(h.ids)][:k]
    if not hits:
        return Answer(result.query, [], notice=f"Nothing else in “{doc.meta.title}” matches.")
    hits = searcher.highlight(result.query, hits)
    return Answer(result.query, [quote_from(searcher, h) for h in hits])


def _located(app: App, quote: Quote, guild: int | None) -> int | None:
    try:
        return locate(app, quote, guild=guild)
    except PassageGone:
        return None


def locate(app: App, quote: Quote, *, guild: int | None = None) -> int:
    """The quote's passage in the index in use (it may have been rebuilt since)."""
    searcher = app.live_for(guild).searcher
    text = quote.passage_text or quote.text
    found = searcher.locate(quote.build, quote.passage_id, quote.source, text)
    if found is None:
        raise PassageGone()
    return found
