"""Explain: a passage's place in its work, its footnotes, the terms it uses that the
corpus defines, and how other works put the same idea (embeddings/explain.py).

A passage is named by its reference (`Quote.ref`, shown by Cite), so an Explain button or a
`quotebot explain REF` works after a restart or a reindex while the passage is unchanged,
and answers "no longer in the corpus" otherwise, never with another passage.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from bot.app import App
from bot.commands.define import finding_quote
from bot.commands.results import Quote, plain_quote, quote_from
from bot.commands.scoped import reading
from embeddings import explain as core
from embeddings.explain import ExplainParams, Location, Note
from embeddings.search import Hit

OTHER_WORK = "other work"  # the label of a compared passage


@dataclass(frozen=True)
class DefinedTerm:
    term: str
    definition: Quote  # its best definitional sentence highlighted

    def to_json(self) -> dict[str, Any]:
        return {"term": self.term, "definition": self.definition.to_json()}


@dataclass(frozen=True)
class Explanation:
    quote: Quote
    where: Location
    notes: list[Note]  # the footnotes whose markers occur in the passage
    note_markers: list[str]  # for a footnote: its own markers ...
    cited_by: list[Quote]  # ... and the passages that cite it
    terms: list[DefinedTerm]
    others: list[Quote]  # the closest passage of up to three other works

    def to_json(self) -> dict[str, Any]:
        w = self.where
        return {
            "ref": self.quote.ref,
            "passage": self.quote.to_json(),
            "where": {
                "work": w.title,
                "section": w.section,
                "locator": w.locator,
                "paragraph": w.paragraph,
                "paragraphs": w.paragraphs,
                "url": w.url,
            },
            "footnotes": [{"marker": n.marker, "text": n.text} for n in self.notes],
            **({"footnote_markers": self.note_markers} if self.note_markers else {}),
            "cited_by": [q.to_json() for q in self.cited_by],
            "terms": [t.to_json() for t in self.terms],
            "compare": [q.to_json() for q in self.others],
        }


def explain(
    app: App, ref: str, *, guild: int | None = None, params: ExplainParams | None = None
) -> Explanation:
    """Explain the passage `ref` names, as server `guild` reads the corpus."""
    reader = reading(app, guild).searcher
    pid = core.resolve(reader, ref)
    params = params or app.settings.explain
    quote = plain_quote(reader, pid)
    compared = core.compare_passage(reader, pid, params)
    others = [
        quote_from(reader, Hit(h.passage_id, h.score, h.cosine, 0.0), OTHER_WORK) for h in compared
    ]
    # A passage once: one that is both another work's closest and a term's definition
    # stays where it is the closest (a term then takes its next definition, or none).
    defined = core.defined_terms(reader, pid, params, {h.passage_id for h in compared})
    terms = [DefinedTerm(t.text, finding_quote(reader, t.definition)) for t in defined]
    return Explanation(
        quote=quote,
        where=core.location(reader, pid),
        notes=core.footnotes(reader, pid),
        note_markers=core.notes_in(reader, pid),
        cited_by=[plain_quote(reader, i, "cites this note") for i in core.citing(reader, pid)],
        terms=terms,
        others=[replace(q, highlight=None) for q in others],
    )


def explain_quote(app: App, quote: Quote, *, guild: int | None = None) -> Explanation:
    return explain(app, quote.ref, guild=guild)
