"""Explain a passage with the corpus's own words: where it sits, its footnotes (and, for a
footnote, the passages that cite it), the terms it uses that the corpus defines elsewhere,
and the closest passages of other works. Also /compare: one question, the best passage of
each work (or author), side by side.

Everything works on a `Reader` (one index or a server's scope), so a server only ever
sees the base and its own texts. Passages are named by a `PassageRef` that survives
restarts and reindexes as long as the passage's text is unchanged.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from embeddings import dense as dense_index
from embeddings import scope_define, verse_refs
from embeddings.define import DEFINITION, RELATED, Finding, parse_term
from embeddings.define.shapes import COPULA_WEAK
from embeddings.documents import Footnote
from embeddings.errors import (
    BadComparison,
    NoMatch,
    NotAReference,
    NotFoundError,
    PassageGone,
    QueryError,
)
from embeddings.ingest.dictionary import parts_of_speech, without_parts_of_speech
from embeddings.passages import Passage, heading_path, text_hash
from embeddings.scope import Reader, ScopeSearcher
from embeddings.search import Filters, Hit, Searcher, title_filters
from embeddings.stopwords import function_words
from embeddings.store import DocumentRecord
from embeddings.tokens import COMPOUND_WITH_DIGITS, key_of

HASH_CHARS = 10  # of the passage's text hash in a reference: enough to tell texts apart


# -- stable passage references ------------------------------------------------------------------


@dataclass(frozen=True)
class PassageRef:
    """`source#start:hash`: the file, where the passage starts in the document's text, and
    a hash of its text. A rebuilt index resolves it to the same text or to nothing."""

    source: str
    start: int
    digest: str

    def __str__(self) -> str:
        return f"{self.source}#{self.start}:{self.digest}"

    @classmethod
    def of(cls, passage: Passage) -> PassageRef:
        return cls(passage.source, passage.start, text_hash(passage.text)[:HASH_CHARS])

    @classmethod
    def parse(cls, text: str) -> PassageRef:
        source, sep, rest = text.strip().rpartition("#")
        start, colon, digest = rest.partition(":")
        if not (sep and colon and start.isdigit() and _HEX.fullmatch(digest)):
            raise NotAReference(text)
        return cls(source, int(start), digest.lower())


_HEX = re.compile(r"[0-9a-fA-F]{6,32}")


def passage_ref(passage: Passage) -> str:
    return str(PassageRef.of(passage))


def resolve(reader: Reader, ref: PassageRef | str) -> int:
    """The passage id a reference names in this reader, or PassageGone when
    the passage was removed or changed, or is not in what this reader shows. A verse
    reference ("Genesis 1:1", "Jude 25") names its first verse, as /quote finds it."""
    if isinstance(ref, str) and "#" not in ref:
        found = verse_refs.lookup(reader.index, ref)
        if found is not None:
            if not found.ids:
                raise found.missing()
            return found.ids[0]
    ref = ref if isinstance(ref, PassageRef) else PassageRef.parse(ref)
    if not ref.source:
        return _resolve_anywhere(reader, ref)
    doc = reader.index.by_source.get(ref.source)
    if doc is None:
        raise PassageGone()
    passages = reader.index.passages
    ids = range(doc.first, doc.first + doc.count)
    # Where it was first; anywhere in its document next (text before it changed).
    same_place = [i for i in ids if passages[i].start == ref.start]
    for pid in [*same_place, *ids]:
        if text_hash(passages[pid].text).startswith(ref.digest):
            return pid
    raise PassageGone()


def _resolve_anywhere(reader: Reader, ref: PassageRef) -> int:
    """A reference without its file name (cut to fit a button): by offset and hash."""
    index = reader.index
    for doc in index.documents:  # the documents this reader shows
        for pid in range(doc.first, doc.first + doc.count):
            p = index.passages[pid]
            if p.start == ref.start and text_hash(p.text).startswith(ref.digest):
                return pid
    raise PassageGone()


# -- where it sits ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Location:
    title: str
    section: str
    locator: str  # "Genesis 1:3" for a verse, else ""
    paragraph: int  # n of `paragraphs` within its section (or work), 1-based
    paragraphs: int
    url: str


def location(reader: Reader, pid: int) -> Location:
    index = reader.index
    doc = index.document_of(pid)
    p = index.passages[pid]
    blocks: list[int] = []
    for i in range(doc.first, doc.first + doc.count):
        q = index.passages[i]
        # Footnotes are counted apart from the text; an entry's headword line and its
        # verses are one entry ("paragraph 2 of 5" under FREEDOM is its first stanza).
        notes = (q.kind == "footnote") == (p.kind == "footnote")
        same = q.section == p.section and q.part == p.part
        if same and notes and (not blocks or blocks[-1] != q.block):
            blocks.append(q.block)
    n = blocks.index(p.block) + 1 if p.block in blocks else 1
    locator = ""
    if p.locator:
        book = p.section if p.kind == "verse" else ""
        locator = f"{book} {p.locator}".strip()
    section = heading_path(p)
    return Location(doc.meta.title or doc.source, section, locator, n, len(blocks), doc.meta.url)


# -- footnotes ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Note:
    marker: str
    text: str
    anchor: str = ""


def footnotes(reader: Reader, pid: int) -> list[Note]:
    """Every footnote whose marker occurs in the passage, verbatim, in marker order."""
    p = reader.index.passages[pid]
    notes = reader.index.document_of(pid).footnotes
    return [_note(notes[m]) for m in p.notes if m in notes]


def _note(f: Footnote) -> Note:
    return Note(f.marker, f.text, f.anchor)


def notes_in(reader: Reader, pid: int) -> list[str]:
    """The markers of the footnotes a footnote passage holds (one, or several joined)."""
    p = reader.index.passages[pid]
    if p.kind != "footnote":
        return []
    doc = reader.index.document_of(pid)
    found = [p.note_id] if p.note_id in doc.footnotes else []
    for marker, note in doc.footnotes.items():
        probe = note.text.strip()[:60]
        if marker not in found and probe and probe in p.text:
            found.append(marker)
    return found


def citing(reader: Reader, pid: int) -> list[int]:
    """For a footnote passage: the passages of its work whose text carries its marker."""
    markers = set(notes_in(reader, pid))
    if not markers:
        return []
    doc = reader.index.document_of(pid)
    passages = reader.index.passages
    return [
        i
        for i in range(doc.first, doc.first + doc.count)
        if i != pid and markers & set(passages[i].notes)
    ]


# -- terms defined by the corpus ------------------------------------------------------------------


@dataclass(frozen=True)
class ExplainParams:
    terms: int = 3  # defined terms shown
    terms_tried: int = 5  # candidate terms whose definitions are looked up (dev: 5 > 8, 12)
    max_term_count: int = 2_000  # terms more common than this explain nothing
    compare: int = 3  # other works shown
    compare_candidates: int = 200  # nearest passages read to find them
    # Passage-to-passage cosine below which nothing is close: chosen on the dev half of
    # bench/explain_set.jsonl (bench/RESULTS.md, "Explain and /compare").
    compare_floor: float = 0.5


_KIND_ORDER = {"defined": 0, "headword": 1, "phrase": 2}
# The weakest definition Explain shows as what a term means: "X is a ..." and stronger.
# /define lists looser shapes too ("All things are lawful", "my thoughts are not your
# thoughts"), labelled; beside a passage, as its term's meaning, they would mislead.
EXPLAINS = COPULA_WEAK
# Nor does a dictionary's entry for a word that qualifies or stands in for another: beside
# "the old cynic", OLD, adj. glosses a quality said in passing, and a dictionary of common
# words has entries for the commonest ("GOOD, adj.", "GREAT, adj.", "ENOUGH, pro."), which
# filled Explain's terms on the Devil's Dictionary. Verbs stay: RUIN, v. explains "ruin"
# (dev: bench/RESULTS.md, "Explain's terms on the Devil's Dictionary").
QUALIFIERS = ("adj.", "adv.", "pro.", "pron.")


@dataclass(frozen=True)
class Term:
    text: str
    definition: Finding  # in the reader's ids


def candidate_terms(reader: Reader, pid: int, params: ExplainParams) -> list[str]:
    """Terms of the passage that the corpus's vocabulary knows, the likeliest to be
    defined first: terms the corpus is known to define, then dictionary headwords, then
    other terms; within each, the rarer first (a rare word needs explaining, "man" not)."""
    # An entry's part of speech ("GOOD, adj.") is no word of its text: "adj" took one of
    # the lookups (`terms_tried`) of many entries of the Devil's Dictionary.
    text = without_parts_of_speech(reader.index.passages[pid].text)
    tokens = [m.group() for m in COMPOUND_WITH_DIGITS.finditer(text)]
    stop = function_words()
    found: dict[str, tuple[int, int, str]] = {}
    for vocabulary, hidden in scope_define.vocabularies(reader):
        for size in (3, 2, 1):
            for i in range(len(tokens) - size + 1):
                words = tokens[i : i + size]
                if key_of(words[0]) in stop or key_of(words[-1]) in stop:
                    continue
                for form in _forms(" ".join(words)):
                    term = vocabulary.lookup(form)
                    if term is None or term.count > params.max_term_count:
                        continue
                    if not vocabulary.shows(form, hidden):
                        continue
                    key = key_of(term.text)
                    rank = (_KIND_ORDER.get(term.kind, 3), term.count, term.text)
                    if len(key) > 2 and (key not in found or rank < found[key]):
                        found[key] = rank
                    break
    ordered = sorted(found.values())
    return [text for _, _, text in ordered]


def _forms(words: str) -> Iterator[str]:
    yield words
    if words.endswith("s") and not words.endswith("ss"):
        yield words[:-1]  # "sects" -> "sect"


def defined_terms(
    reader: Reader, pid: int, params: ExplainParams | None = None, shown: Collection[int] = ()
) -> list[Term]:
    """Up to `params.terms` terms of the passage with their best definition elsewhere in
    the corpus: never this passage itself, nor another window of its paragraph, nor a
    passage shown already (`shown`, or for another of its terms)."""
    params = params or ExplainParams()
    here = reader.index.passages[pid]
    out: list[Term] = []
    covered: list[str] = []
    used: set[int] = set(shown)
    for text in candidate_terms(reader, pid, params)[: params.terms_tried]:
        key = key_of(text)
        if any(key in c.split() or c in key for c in covered):
            continue  # "sect" after "micro-sect": one explanation per idea
        try:
            term = parse_term(text)
        except QueryError:
            continue
        found = scope_define.definitions(reader, term, limit=6)
        best = next(
            (
                f
                for f in found.findings
                # A related word's definition ("sectarian" for "sectarianism") glosses
                # the term beside a passage as well as its own would.
                if f.label in (DEFINITION, RELATED)
                and f.strength >= EXPLAINS
                and f.passage_id not in used
                and not _same_paragraph(reader.index.passages[f.passage_id], here)
            ),
            None,
        )
        if best is None or _qualifier_entry(reader.index.passages[best.passage_id], best):
            # A word its own entry calls a qualifier is one in this passage too: glossed by
            # its next definition, "great" got "Great is the LORD" (a psalm).
            continue
        out.append(Term(text, best))
        covered.append(key)
        used.add(best.passage_id)
        if len(out) >= params.terms:
            break
    return out


def _same_paragraph(a: Passage, b: Passage) -> bool:
    return a.source == b.source and a.block == b.block


def _qualifier_entry(passage: Passage, finding: Finding) -> bool:
    """Whether what `finding` highlights is under the opening of an entry for one of
    `QUALIFIERS` (the last entry opened on a line before it: GREAT's verse under "GREAT,
    adj.")."""
    at = finding.highlight[0] if finding.highlight else 0
    text = passage.text
    opened = [pos for start, _, pos in parts_of_speech(text) if text.rfind("\n", 0, start) < at]
    return bool(opened) and opened[-1].startswith(QUALIFIERS)


# -- other works on the same idea -------------------------------------------------------------


def work_key(doc: DocumentRecord) -> tuple[str, str]:
    """Grouping by work (`DocumentRecord.work`), beside `author_key`."""
    return doc.work


def author_key(doc: DocumentRecord) -> tuple[str, str]:
    return (doc.meta.author.casefold() or doc.meta.title.casefold() or doc.source, "")


def compare_passage(reader: Reader, pid: int, params: ExplainParams | None = None) -> list[Hit]:
    """The closest passage of each other work (best first, at most `params.compare`),
    by the passages' own vectors; none closer than `params.compare_floor`."""
    params = params or ExplainParams()
    index = reader.index
    own = work_key(index.document_of(pid))
    vector = _vector(reader, pid)
    out: list[Hit] = []
    seen = {own}
    for hit in _nearest(reader, vector, params.compare_candidates):
        if hit.cosine < params.compare_floor:
            break
        work = work_key(index.document_of(hit.passage_id))
        if work in seen:
            continue
        seen.add(work)
        out.append(hit)
        if len(out) >= params.compare:
            break
    return out


def _parts(reader: Reader) -> Sequence[tuple[Searcher, int, frozenset[str]]]:
    if isinstance(reader, ScopeSearcher):
        return [(p.searcher, p.offset, p.hidden) for p in reader.parts]
    return [(reader, 0, frozenset())]


def _vector(reader: Reader, pid: int) -> np.ndarray:
    for searcher, offset, _ in _parts(reader):
        local = pid - offset
        if 0 <= local < len(searcher.index.passages):
            return np.asarray(searcher.index.vectors[local], dtype=np.float32)
    raise IndexError(pid)


def _nearest(reader: Reader, vector: np.ndarray, k: int) -> list[Hit]:
    """The `k` nearest passages of every part, in the reader's ids, best first (hidden
    works left out)."""
    hits: list[Hit] = []
    for searcher, offset, hidden in _parts(reader):
        index = searcher.index
        if not len(index.passages):
            continue
        _, ids = dense_index.search(index.dense, vector[None, :], k)
        local = ids[0][ids[0] >= 0]
        cosines = index.vectors[local] @ vector
        for i, c in zip(local, cosines, strict=True):
            if hidden and index.document_of(int(i)).source in hidden:
                continue
            hits.append(Hit(int(i) + offset, float(c), float(c), 0.0))
    return sorted(hits, key=lambda h: -h.score)


# -- /compare -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Side:
    """One work's (or author's) answer: its best passage, or None for no good match."""

    name: str  # the work's title, or the author
    hit: Hit | None


@dataclass(frozen=True)
class Comparison:
    query: str
    sides: list[Side] = field(default_factory=list)


MAX_SIDES = 6


def compare(
    reader: Reader,
    query: str,
    works: Sequence[str] = (),
    *,
    by: str = "work",
    limit: int = MAX_SIDES,
) -> Comparison:
    """The single best passage of each work (or author), best first, at most `limit`.
    With `works`, exactly those (each a title, author or file name as /quote's source
    filter reads it), a work with nothing above the floor as a Side without a hit."""
    if by not in ("work", "author"):
        raise BadComparison("by")
    key = work_key if by == "work" else author_key
    names = [w for w in dict.fromkeys(" ".join(w.split()) for w in works) if w]
    if len(names) == 1:
        raise BadComparison("one_work")
    if len(names) > limit:
        raise BadComparison("too_many", limit)
    prepared = reader.prepare(query)
    if not names:
        result = reader.search(prepared, k=200)
        sides: dict[tuple[str, str], Side] = {}
        for hit in result.hits:
            doc = reader.index.document_of(hit.passage_id)
            sides.setdefault(key(doc), Side(_name(doc, by), hit))
            if len(sides) >= limit:
                break
        return Comparison(prepared, list(sides.values()))
    out: list[Side] = []
    shown: set[tuple[str, ...]] = set()
    for name in names:
        filters = side_filters(reader.index, name, by)
        # A filter naming nothing in this reader: NotFoundError, the work's name in it.
        try:
            result = reader.search(prepared, k=1, filters=filters)
        except NotFoundError:
            raise NoMatch(name, "work") from None
        best = result.hits[0] if result.hits else None
        if best is None:
            # Named as the work (or author) it found, when one: "micro-sect" is "Anatomy of
            # the Micro-Sect" on the card, whether or not it has a good passage; a book, as
            # the corpus writes it.
            found = {key(d): d for d in reader.index.documents if filters.matches(d)}
            only = next(iter(found.values())) if len(found) == 1 else None
            named = name if only is None else _name(only, by)
            out.append(Side(filters.book or named, None))
            continue
        record = reader.index.document_of(best.passage_id)
        side = (*key(record), filters.book)  # a book is a side apart from its Bible's others
        if side in shown:
            continue  # two names for one work ("News from Nowhere", "Utopian Romance")
        shown.add(side)
        out.append(Side(filters.book or _name(record, by), best))
    out.sort(key=lambda s: -(s.hit.score if s.hit else -math.inf))
    return Comparison(prepared, out)


def side_filters(index: verse_refs.Readable, name: str, by: str) -> Filters:
    """What one name of a comparison keeps to: an author, or a title as /quote's source
    reads it (a book of a Bible, "Matthew", is a work here too)."""
    return Filters(author=name) if by == "author" else title_filters(index, name)


def _name(doc: DocumentRecord, by: str) -> str:
    if by == "author":
        return doc.meta.author or doc.meta.title or doc.source
    return doc.meta.title or doc.source
