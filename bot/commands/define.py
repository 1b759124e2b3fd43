"""/define: what the corpus says a term means (plain ranking; see embeddings/define.py)."""

from __future__ import annotations

from bot.app import App
from bot.commands.quote import clamp_count
from bot.commands.results import Answer, quote_from


def define(app: App, term: str, count: int = 0) -> Answer:
    searcher = app.index.searcher
    k = clamp_count(app, count)
    result = searcher.search(term, k=k)
    if result.no_good_match:
        return Answer(result.query, [], notice=f"Nothing in the corpus defines “{result.query}”.")
    hits = searcher.highlight(result.query, result.hits)
    return Answer(result.query, [quote_from(searcher, h, "usage") for h in hits])


def complete(app: App, prefix: str, limit: int = 25) -> list[str]:
    return []
