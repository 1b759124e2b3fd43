"""/define's answer: the passages that define a term, grouped by work (the best definition
of each work first, then further definitions, then passages that only use the term)."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from embeddings.define.lookup import DefinitionIndex, definition_index
from embeddings.define.shapes import combine, recognise
from embeddings.define.terms import Term, parse_term
from embeddings.distinct import Distinct
from embeddings.sentences import split_sentences
from embeddings.tokens import terms as index_terms

if TYPE_CHECKING:
    from embeddings.store import IndexData

DEFINITION, USAGE = "definition", "usage"
# A passage that defines a word of the term's stem only ("opportunity" for "opportunism"):
# shown with the definitions, never said to define the term.
RELATED = "related word"
EXACT_USE = 0.2  # usage: the term's own forms before words that only share its stem
RELEVANCE_WEIGHT = 0.5  # breaks ties between equally strong definitions, and ranks usage


@dataclass(frozen=True)
class Finding:
    passage_id: int
    label: str  # "definition" | "related word" | "usage"
    strength: float  # 0 for usage
    how: str  # the shape that made it a definition ("" for usage)
    highlight: tuple[int, int] | None  # what defines (or the first use), passage offsets
    relevance: float  # 0..1: closeness to the term (cosine and BM25)
    cosine: float = 0.0
    bm25: float = 0.0
    note: str = ""  # a footnote's marker, when the footnote defines
    anchor: str = ""  # ... and the words it is attached to

    @property
    def score(self) -> float:
        return self.strength + RELEVANCE_WEIGHT * self.relevance


@dataclass(frozen=True)
class Definitions:
    term: Term
    findings: list[Finding]  # grouped and cut to the limit
    mentioned: bool  # the corpus uses the term at all
    defined_in: int = 0  # works that define it

    @property
    def defined(self) -> bool:
        return any(f.label == DEFINITION for f in self.findings)


def find_definitions(
    index: IndexData,
    term: Term | str,
    *,
    qvec: np.ndarray | None = None,
    limit: int = 10,
    hidden: frozenset[str] = frozenset(),
) -> Definitions:
    """The passages that define `term`, best per work first, then those that use it;
    none of the documents `hidden` (a server's view), which then neither take the places
    `limit` allows nor make the term one the index mentions."""
    term = term if isinstance(term, Term) else parse_term(term)
    lookup = definition_index(index)
    mentions = lookup.mentions(term)
    entries = lookup.entry_signals(term)
    notes = lookup.note_signals(term)
    candidates = sorted(set(mentions) | set(entries) | set(notes))
    if hidden and candidates:
        shown = index.shown(hidden)
        candidates = [pid for pid in candidates if shown[pid]]
    if not candidates:
        return Definitions(term, [], mentioned=False)
    ids = np.array(candidates, dtype=np.int64)
    cosine, bm25 = _closeness(index, term, ids, qvec)
    top = float(bm25.max()) if len(bm25) else 0.0
    lexical = bm25 / top if top > 0 else bm25
    relevance = 0.5 * cosine + 0.5 * lexical if qvec is not None else lexical

    definitions: list[Finding] = []
    usage: list[Finding] = []
    for n, pid in enumerate(candidates):
        rel, cos, lex = float(relevance[n]), float(cosine[n]), float(bm25[n])
        text = index.passages[pid].text
        found = mentions.get(pid, [])
        signals = recognise(term, text, found, pid in lookup.stipulating)
        if pid in entries:
            signals.append(entries[pid])
        note_signal, note = notes.get(pid, (None, None))
        if note_signal is not None:
            signals.append(note_signal)
        best = combine(signals)
        if best is not None:
            definitions.append(
                Finding(
                    pid,
                    DEFINITION if best.exact else RELATED,
                    best.strength,
                    best.how,
                    best.span,
                    rel,
                    cos,
                    lex,
                    note.marker if note and best.how == "footnote" else "",
                    note.anchor if note and best.how == "footnote" else "",
                )
            )
        else:
            first = next((m for m in found if m.exact), found[0] if found else None)
            usage.append(
                Finding(
                    pid,
                    USAGE,
                    0.0,
                    "",
                    (first.start, first.end) if first else None,  # its sentence, later
                    rel + (EXACT_USE if first is not None and first.exact else 0.0),
                    cos,
                    lex,
                )
            )
    kept = _group(lookup, definitions, usage, limit)
    # Only the passages shown need their sentences found.
    kept = [
        replace(f, highlight=_sentence_of(index.passages[f.passage_id].text, f.highlight))
        if f.label == USAGE and f.highlight
        else f
        for f in kept
    ]
    works = {int(lookup.work[f.passage_id]) for f in definitions if f.label == DEFINITION}
    return Definitions(term, kept, mentioned=True, defined_in=len(works))


def _closeness(
    index: IndexData, term: Term, ids: np.ndarray, qvec: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Each candidate's cosine to the term's vector (0 without one) and BM25 score."""
    bm25 = index.sparse.scores(index_terms(term.text))[ids].astype(np.float64)
    if qvec is None:
        return np.zeros(len(ids)), bm25
    cosine = np.clip(index.vectors[ids] @ qvec, 0.0, 1.0).astype(np.float64)
    return cosine, bm25


def _sentence_of(text: str, span: tuple[int, int]) -> tuple[int, int]:
    for s, e in split_sentences(text):
        if s <= span[0] < e:
            return s, e
    return span


def _group(
    lookup: DefinitionIndex, definitions: list[Finding], usage: list[Finding], limit: int
) -> list[Finding]:
    """Best definition of each work (strongest first), further definitions, then usage;
    one passage per paragraph (the windows of a long one) and per identical text."""
    definitions = sorted(definitions, key=lambda f: (-f.score, f.passage_id))
    usage = sorted(usage, key=lambda f: (-f.score, f.passage_id))
    grouped, _ = best_of_each_work(definitions, lambda pid: int(lookup.work[pid]))
    distinct = Distinct(lookup.index)
    out: list[Finding] = []
    for f in [*grouped, *usage]:
        if len(out) >= limit:
            break
        if distinct.new(f.passage_id):
            distinct.keep(f.passage_id)
            out.append(f)
    return out


def best_of_each_work(
    definitions: Iterable[Finding], work_of: Callable[[int], Hashable]
) -> tuple[list[Finding], int]:
    """`definitions` (best first) with the first of each work moved to the front, and the
    number of works."""
    firsts: list[Finding] = []
    rest: list[Finding] = []
    works: set[Hashable] = set()
    for f in definitions:
        work = work_of(f.passage_id)
        (rest if work in works else firsts).append(f)
        works.add(work)
    return firsts + rest, len(works)
