"""/define and its vocabulary over a server's scope: each part's definitions, merged.

A part's `find_definitions` groups its own findings (best definition of each work first,
then further definitions, then usage); across parts the same grouping is done again on
the merged findings, with works hidden by the server left out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from itertools import zip_longest

import numpy as np

from embeddings.define import DEFINITION, USAGE, Definitions, Finding, Term, find_definitions
from embeddings.define.ranking import best_of_each_work
from embeddings.scope import Reader, ScopeSearcher
from embeddings.vocabulary import HEADWORD, Vocabulary, vocabulary_of

_Ask = Callable[[Vocabulary, frozenset[str]], list[str]]


def definitions(
    reader: Reader, term: Term, *, qvec: np.ndarray | None = None, limit: int = 10
) -> Definitions:
    if not isinstance(reader, ScopeSearcher):
        return find_definitions(reader.index, term, qvec=qvec, limit=limit)
    findings: list[Finding] = []
    for part in reader.parts:
        index = part.searcher.index
        found = find_definitions(index, term, qvec=qvec, limit=limit, hidden=part.hidden)
        findings += [replace(f, passage_id=f.passage_id + part.offset) for f in found.findings]
    if not findings:
        return Definitions(term, [], mentioned=False)
    # Ordered as one index orders them: definitions and related words by strength, the
    # best of each work first, then usage; only definitions count the works defining it.
    defining = sorted((f for f in findings if f.label != USAGE), key=lambda f: -f.score)
    grouped, _ = best_of_each_work(defining, lambda pid: _work(reader, pid))
    works = len({_work(reader, f.passage_id) for f in findings if f.label == DEFINITION})
    usage = sorted((f for f in findings if f.label == USAGE), key=lambda f: -f.score)
    return Definitions(term, (grouped + usage)[:limit], mentioned=True, defined_in=works)


def _work(reader: Reader, passage_id: int) -> tuple[str, str]:
    return reader.index.document_of(passage_id).work


def vocabularies(reader: Reader) -> list[tuple[Vocabulary, frozenset[str]]]:
    """Each part's vocabulary with the sources the reader may not see."""
    if not isinstance(reader, ScopeSearcher):
        return [(vocabulary_of(reader.index), frozenset())]
    return [(vocabulary_of(p.searcher.index), p.hidden) for p in reader.parts]


def complete(reader: Reader, prefix: str, limit: int) -> list[str]:
    """Completions from every part, best of each first, none found only in hidden works."""
    return _merged(reader, lambda v, hidden: v.complete(prefix, limit, hidden=hidden), limit)


def suggest(reader: Reader, text: str, limit: int = 5) -> list[str]:
    return _merged(reader, lambda v, hidden: v.suggest(text, limit, hidden=hidden), limit)


def is_headword(reader: Reader, text: str) -> bool:
    """Whether some part's dictionary has an entry for the term (outside hidden works)."""
    return any(
        (found := v.lookup(text)) is not None and found.kind == HEADWORD and v.shows(text, hidden)
        for v, hidden in vocabularies(reader)
    )


def known(reader: Reader, text: str) -> bool:
    """Whether some part's vocabulary knows the term (outside hidden works)."""
    return any(
        v.lookup(text) is not None and v.shows(text, hidden) for v, hidden in vocabularies(reader)
    )


def _merged(reader: Reader, ask: _Ask, limit: int) -> list[str]:
    """Each part's answers (its hidden works' terms left out as it finds them), taken in
    turn."""
    lists = [ask(vocabulary, hidden) for vocabulary, hidden in vocabularies(reader)]
    out: list[str] = []
    for row in zip_longest(*lists):
        for term in row:
            if term is not None and term not in out:
                out.append(term)
    return out[:limit]
