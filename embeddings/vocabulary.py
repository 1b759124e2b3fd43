"""The term vocabulary: what /define can complete and suggest, built once per index.

Three kinds of term, each with how often it occurs and in which works:

- headwords of dictionary and glossary entries ("CYNIC, n.  A blackguard ..."),
- terms the corpus defines ("by X we mean", "“X” is used to mean", a footnote that
  explains the words it is attached to, "A sect is a ..."),
- frequent key phrases: words and two- or three-word phrases that recur and neither
  start nor end with a function word ("working class", "division of labour").

Completion answers from sorted keys (a prefix is a range found by bisection), topped up
with fuzzy matches (rapidfuzz) when the prefix is misspelt, so it stays far within
Discord's 3-second autocomplete deadline on the whole corpus.
"""

from __future__ import annotations

import bisect
import math
import re
import threading
from array import array
from collections import Counter
from collections.abc import Collection, Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from embeddings.cache import Lru
from embeddings.define.discover import defined_terms, explained_by_footnote
from embeddings.define.entries import dictionary_entries, headword_forms
from embeddings.define.grammar import PASSAGE_BREAK
from embeddings.define.terms import MAX_RECORDED_TERM_WORDS
from embeddings.documents import Footnote
from embeddings.ingest.dictionary import without_parts_of_speech
from embeddings.passages import Passage
from embeddings.stopwords import content_word, function_words
from embeddings.tokens import WORDS_AND_BREAKS, key_of, stem

if TYPE_CHECKING:
    from embeddings.store import IndexData

# The layout of vocabulary.json: an older one is not read, the vocabulary is built from
# the passages at load instead. What it counts is passages.VOCABULARY_RULES.
VOCABULARY_VERSION = 1
HEADWORD, DEFINED, PHRASE = "headword", "defined", "phrase"
_KIND_BONUS = {HEADWORD: 3.0, DEFINED: 3.0, PHRASE: 0.0}

MIN_WORD_COUNT = 2  # a word seen once is as likely a typo as a term
MIN_PHRASE_COUNT = 3
MAX_PHRASES = 60_000  # the most frequent phrases; headwords and defined terms always stay
FUZZY_POOL = 20_000  # fuzzy completion looks at the most important terms only (speed)
FUZZY_MARGIN = 8.0  # fuzzy matches within this many points of the closest one
SHOWN_CACHE = 64  # which terms each of the sets of hidden works asked lately shows, kept

_JOINED = re.compile(r"[\-‐'’]")
_INNER_CAPITAL = re.compile(r"(?<=[a-z,;] )[A-Z][^\W\d_]*(?:[\-‐][^\W\d_]+)*")


@dataclass(frozen=True)
class VocabularyTerm:
    text: str  # as shown to a reader: "working-class party", "Marx"
    count: int  # occurrences in the corpus (for a headword: at least its entries)
    kind: str  # "headword" | "defined" | "phrase"
    sources: tuple[int, ...] = ()  # positions in `Vocabulary.sources`

    @property
    def weight(self) -> float:
        return math.log1p(self.count) + _KIND_BONUS.get(self.kind, 0.0)


@dataclass
class Vocabulary:
    """The terms of one index build. Immutable once built; search structures are lazy."""

    terms: list[VocabularyTerm] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    _completer: _Completer | None = field(default=None, init=False, repr=False, compare=False)
    _lock: threading.Lock = field(
        default_factory=threading.Lock, init=False, repr=False, compare=False
    )

    def __len__(self) -> int:
        return len(self.terms)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": VOCABULARY_VERSION,
            "sources": self.sources,
            # Tuples, JSON arrays all the same: the collector stops tracking a tuple of
            # plain values once it survives a collection, so the terms being saved do not
            # pile up for a full collection to walk while the bot answers.
            "terms": [(t.text, t.count, t.kind, t.sources) for t in self.terms],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Vocabulary:
        if data.get("version") != VOCABULARY_VERSION:
            return cls()  # an older layout: completion is rebuilt from the passages instead
        terms = [
            VocabularyTerm(str(text), int(count), str(kind), tuple(int(s) for s in sources))
            for text, count, kind, sources in data.get("terms", [])
        ]
        return cls(terms, [str(s) for s in data.get("sources", [])])

    def lookup(self, term: str) -> VocabularyTerm | None:
        return self._search().lookup(key_of(term))

    def where(self, term: str) -> list[str]:
        """The sources a term occurs in (empty when it is not in the vocabulary)."""
        found = self.lookup(term)
        return [self.sources[i] for i in found.sources] if found else []

    def complete(self, prefix: str, limit: int = 25, *, hidden: Collection[str] = ()) -> list[str]:
        """Terms that start like `prefix` (whole term, then any of its words), then
        close spellings of it; at most `limit`, most useful first. None that only the
        sources in `hidden` hold: they are left out as candidates are found, so the
        ones shown fill the limit."""
        search = self._search()
        return search.complete(key_of(prefix), limit, search.shown(self._positions(hidden)))

    def suggest(self, term: str, limit: int = 5, *, hidden: Collection[str] = ()) -> list[str]:
        """Did you mean: the known terms spelt most like `term` (never `term` itself),
        none that only the sources in `hidden` hold."""
        search = self._search()
        return search.suggest(key_of(term), limit, search.shown(self._positions(hidden)))

    def shows(self, term: str, hidden: Collection[str] = ()) -> bool:
        """Whether a view hiding the sources in `hidden` may be offered the term: one it
        does not know, or one another source holds too (the rule `complete` and `suggest`
        keep to as they find candidates, asked of one term)."""
        search = self._search()
        shown = search.shown(self._positions(hidden))
        i = search.by_key.get(key_of(term))
        return shown is None or i is None or bool(shown[i])

    def _positions(self, hidden: Collection[str]) -> frozenset[int]:
        """The positions in `sources` of the sources named in `hidden`."""
        if not hidden:
            return frozenset()
        return frozenset(i for i, source in enumerate(self.sources) if source in hidden)

    def warm(self) -> Vocabulary:
        """Build the search structures now (a tenth of a second on the whole corpus) rather
        than in the first autocomplete request."""
        self._search()
        return self

    def _search(self) -> _Completer:
        completer = self._completer
        if completer is None:
            with self._lock:
                if self._completer is None:
                    self._completer = _Completer(self.terms)
                completer = self._completer
        return completer


class _Completer:
    """Sorted keys for prefix ranges, and a pool of important keys for fuzzy matching."""

    def __init__(self, terms: Sequence[VocabularyTerm]) -> None:
        self.terms = list(terms)
        keys = [key_of(t.text) for t in self.terms]
        self.by_key = {k: i for i, k in reversed(list(enumerate(keys)))}
        weights = np.array([t.weight for t in self.terms], dtype=np.float64)
        order = sorted(range(len(keys)), key=keys.__getitem__)
        self.keys = [keys[i] for i in order]
        self.ids = np.array(order, dtype=np.int64)
        self.weights = weights[self.ids] if len(order) else weights
        # Later words of multi-word terms, so "party" also finds "working-class party".
        inner = sorted((k[m.start() :], i) for i, k in enumerate(keys) for m in re.finditer(" ", k))
        self.inner_keys = [k for k, _ in inner]
        self.inner_ids = np.array([i for _, i in inner], dtype=np.int64)
        top = np.argsort(-weights, kind="stable")[:FUZZY_POOL]
        self.pool_ids = [int(i) for i in top]
        self.pool_keys = [keys[i] for i in self.pool_ids]
        self._truncated: dict[int, list[str]] = {}
        self._sources: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._shown: Lru[frozenset[int], np.ndarray] = Lru(SHOWN_CACHE)

    def shown(self, hidden: frozenset[int]) -> np.ndarray | None:
        """Which terms may be offered when the sources at positions `hidden` are hidden
        (None: every term): those that occur in another source too, or whose sources are
        not known. Kept per set of hidden sources: a server asks with the same one on
        every key typed."""
        if not hidden:
            return None
        mask = self._shown.get(hidden)
        if mask is None:
            counts, flat, owners = self._term_sources()
            elsewhere = np.bincount(owners[~np.isin(flat, list(hidden))], minlength=len(self.terms))
            mask = (elsewhere > 0) | (counts == 0)
            self._shown.put(hidden, mask)
        return mask

    def _term_sources(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each term's number of sources, every term's sources end to end, and the term
        each of those belongs to: made on first use, for `shown`'s masks."""
        if self._sources is None:
            counts = np.array([len(t.sources) for t in self.terms], dtype=np.int64)
            flat = np.fromiter(
                (s for t in self.terms for s in t.sources), dtype=np.int32, count=int(counts.sum())
            )
            owners = np.repeat(np.arange(len(self.terms), dtype=np.int32), counts)
            self._sources = (counts, flat, owners)
        return self._sources

    def lookup(self, key: str) -> VocabularyTerm | None:
        i = self.by_key.get(key)
        return self.terms[i] if i is not None else None

    def _range(self, keys: list[str], prefix: str) -> tuple[int, int]:
        return bisect.bisect_left(keys, prefix), bisect.bisect_left(keys, prefix + "\uffff")

    def _best(self, ids: np.ndarray, limit: int, shown: np.ndarray | None) -> list[int]:
        """The `limit` heaviest of `ids` that are `shown`, heaviest first (ties: shorter,
        then alphabetical)."""
        if shown is not None:
            ids = ids[shown[ids]]
        if len(ids) > limit * 4:
            w = np.array([self.terms[int(i)].weight for i in ids])
            ids = ids[np.argpartition(-w, limit * 4)[: limit * 4]]
        chosen = sorted(
            (int(i) for i in ids),
            key=lambda i: (-self.terms[i].weight, len(self.terms[i].text), self.terms[i].text),
        )
        return chosen[:limit]

    def complete(self, prefix: str, limit: int, shown: np.ndarray | None = None) -> list[str]:
        if limit <= 0:
            return []
        out: list[int] = []
        seen: set[int] = set()

        def add(ids: Iterable[int]) -> None:
            for i in ids:
                if i not in seen and len(out) < limit:
                    seen.add(i)
                    out.append(i)

        if not prefix:
            add(self._best(self.ids, limit, shown))
            return [self.terms[i].text for i in out]
        exact = self.by_key.get(prefix)
        if exact is not None and (shown is None or shown[exact]):
            add([exact])
        lo, hi = self._range(self.keys, prefix)
        add(self._best(self.ids[lo:hi], limit, shown))
        if len(out) < limit:
            lo, hi = self._range(self.inner_keys, " " + prefix)
            add(self._best(self.inner_ids[lo:hi], limit, shown))
        if len(out) < limit and len(prefix) >= 3:
            add(self._fuzzy_prefix(prefix, limit, shown))
        return [self.terms[i].text for i in out]

    def _fuzzy_prefix(self, prefix: str, limit: int, shown: np.ndarray | None) -> list[int]:
        """Terms whose beginning is spelt like `prefix` ("sectarin" -> "sectarianism")."""
        cutoff = 80.0 if len(prefix) < 6 else 75.0
        truncated = self._truncated_pool(len(prefix))
        found = self._closest(prefix, truncated, limit * 4, cutoff, shown)
        if not found:
            return []
        # Only the closest spellings: "sectarin" offers "sectarianism", not "staring".
        best = max(score for _, score, _ in found)
        ranked = sorted(
            (f for f in found if f[1] >= best - FUZZY_MARGIN),
            key=lambda f: (-round(f[1]), -self.terms[self.pool_ids[f[2]]].weight),
        )
        return [self.pool_ids[j] for _, _, j in ranked]

    def _truncated_pool(self, length: int) -> list[str]:
        # One list per prefix length, made on first use (a few ms) and kept: typing goes
        # through the same few lengths again and again.
        cached = self._truncated.get(length)
        if cached is None:
            cached = [k[:length] for k in self.pool_keys]
            if len(self._truncated) < 32:
                self._truncated[length] = cached
        return cached

    def _closest(
        self, key: str, pool: list[str], limit: int, cutoff: float, shown: np.ndarray | None
    ) -> list[tuple[str, float, int]]:
        """The `limit` keys of `pool` (the fuzzy pool, or its keys cut short) spelt most like
        `key`, of terms `shown`: (key, score, position in the pool), closest first."""
        from rapidfuzz import fuzz, process

        if shown is None:
            return process.extract(key, pool, scorer=fuzz.ratio, limit=limit, score_cutoff=cutoff)
        # Every match above the cutoff, the hidden ones left out, and then the closest:
        # hidden terms never take the places of shown ones.
        found = process.extract(key, pool, scorer=fuzz.ratio, limit=None, score_cutoff=cutoff)
        return [f for f in found if shown[self.pool_ids[f[2]]]][:limit]

    def suggest(self, key: str, limit: int, shown: np.ndarray | None = None) -> list[str]:
        if not key or not self.terms:
            return []
        cutoff = 70.0 if len(key) >= 6 else 60.0
        found = self._closest(key, self.pool_keys, limit * 4, cutoff, shown)
        ranked = sorted(
            (f for f in found if f[0] != key and _near(key, f[0])),
            key=lambda f: (-round(f[1]), -self.terms[self.pool_ids[f[2]]].weight),
        )
        return [self.terms[self.pool_ids[j]].text for _, _, j in ranked[:limit]]


def _near(key: str, known: str) -> bool:
    """Whether `known` may be what was meant by `key`: a longer or shorter form of it
    ("trotsky", "trotskyist"), or a slip of a letter or two per four ("sectarinism").
    A ratio alone let "ireland" suggest "read" and "boston" "position"."""
    from rapidfuzz.distance import Levenshtein

    if known.startswith(key) or key.startswith(known):
        return True
    return Levenshtein.distance(key, known) <= max(1, len(key) // 4)


# -- building ------------------------------------------------------------------------------


class _Counts:
    """Word and phrase counts over the corpus, with the works each occurs in.

    A document is read in one piece: one regex scan gives its words and its clause
    breaks in order, and a Counter counts its phrases in C. Per-clause Python loops over
    34,000 passages would cost several times more.

    Kept as a Counter and one array of ints per phrase, not an object and a list per
    phrase: the shared corpora have 113,000 distinct phrases, and every full collection
    during a reindex walked them all, with the GIL held while the bot answered
    (bench/RESULTS.md, "The vocabulary's build and the collector")."""

    def __init__(self) -> None:
        self.count: Counter[str] = Counter()
        self.docs: dict[str, array[int]] = {}  # the works a phrase occurs in, ascending
        self.capitals: Counter[str] = Counter()  # capitalised inside a sentence: names
        self._doc = -1
        self._parts: list[str] = []

    def add_text(self, text: str, doc: int) -> None:
        if doc != self._doc:
            self.finish()
            self._doc = doc
        self._parts.append(text)

    def finish(self) -> None:
        if not self._parts:
            return
        # Counted as a word, "adj" (88 entries of the Devil's Dictionary) was offered by /define.
        text = without_parts_of_speech("\n".join(self._parts))
        self._parts = []
        stop = function_words()
        tokens = WORDS_AND_BREAKS.findall(text.lower())
        # A clause break is a token that is no word: it ends every phrase it falls in.
        words = [t if t[0].isalpha() else "" for t in tokens]
        content = [content_word(w, stop) for w in words]
        grams: list[str] = [w for w, ok in zip(words, content, strict=True) if ok]
        pairs = zip(words, words[1:], content, content[1:], strict=False)
        grams.extend(f"{a} {b}" for a, b, ok_a, ok_b in pairs if ok_a and ok_b)
        triples = zip(words, words[1:], words[2:], content, content[2:], strict=False)
        grams.extend(f"{a} {b} {c}" for a, b, c, ok_a, ok_c in triples if ok_a and ok_c and b)
        counted = Counter(grams)
        self.count.update(counted)
        for gram in counted:
            docs = self.docs.get(gram)
            if docs is None:
                self.docs[gram] = array("i", (self._doc,))
            elif docs[-1] != self._doc:
                docs.append(self._doc)
        self.capitals.update(w.lower() for w in _INNER_CAPITAL.findall(text))

    def display(self, words: Iterable[str]) -> str:
        """Proper names keep their capital; everything else is shown in lower case."""
        out = []
        for w in words:
            count, capitals = self.count.get(w, 0), self.capitals.get(w, 0)
            # Most of a name's uses inside a sentence are capitalised; a sentence's first
            # word is capitalised whatever it is, so count only words inside sentences.
            # A function word is never counted, so never a name ("Aaron and Moses").
            proper = count > 0 and capitals >= 2 and capitals >= 0.6 * count
            out.append(w[:1].upper() + w[1:] if proper else w)
        return " ".join(out)


def build_vocabulary(
    passages: Sequence[Passage], footnotes: Mapping[str, Mapping[str, Footnote]]
) -> Vocabulary:
    """The vocabulary of an index: `passages` in document order, `footnotes` by source."""
    sources: list[str] = []
    doc_of: dict[str, int] = {}
    counts = _Counts()
    texts: dict[int, list[str]] = {}
    for p in passages:
        doc = doc_of.get(p.source)
        if doc is None:
            doc = doc_of[p.source] = len(sources)
            sources.append(p.source)
        counts.add_text(p.text, doc)
        texts.setdefault(doc, []).append(p.text)
    counts.finish()

    special: dict[str, tuple[str, str, set[int]]] = {}  # key -> (text, kind, docs)

    def mark(surface: str, kind: str, doc: int) -> None:
        key = key_of(surface)
        if not key or len(key.split()) > MAX_RECORDED_TERM_WORDS:
            return
        text, old_kind, docs = special.get(key, ("", kind, set()))
        if not text:
            text = _surface(surface, counts)
        if old_kind == HEADWORD:
            kind = HEADWORD
        docs.add(doc)
        special[key] = (text, kind, docs)

    for pid, _, _, headword in dictionary_entries(passages):
        for form in headword_forms(headword):
            mark(form, HEADWORD, doc_of[passages[pid].source])
    for doc, parts in texts.items():
        # One search per document: the patterns never cross a paragraph break.
        for surface in defined_terms(PASSAGE_BREAK.join(parts)):
            mark(surface, DEFINED, doc)
    for source, notes in footnotes.items():
        if source not in doc_of:
            continue
        for note in notes.values():
            surface = explained_by_footnote(note)
            if surface:
                mark(surface, DEFINED, doc_of[source])

    # Phrases merged under one key, kept as `_Counts` keeps them (no object per phrase):
    # the spelling shown (the commonest), the count and the works.
    shown: dict[str, str] = {}
    total: Counter[str] = Counter()
    works: dict[str, array[int]] = {}
    for gram, n in counts.count.most_common():
        # "working-class" and "working class" are one term (shown as the commoner).
        key = key_of(gram) if _JOINED.search(gram) else gram
        if key in total:
            works[key] = _union(works[key], counts.docs[gram])
        else:
            shown[key], works[key] = gram, counts.docs[gram]
        total[key] += n
    for key in sorted(total, key=len, reverse=True):
        singular = _singular(key, total)
        if singular:  # "sects" is counted as "sect": completion offers one of them
            total[singular] += total.pop(key)
            works[singular] = _union(works[singular], works.pop(key))
            del shown[key]
    frequent = [
        VocabularyTerm(counts.display(shown[key].split()), n, PHRASE, tuple(works[key]))
        for key, n in total.items()
        if n >= (MIN_WORD_COUNT if " " not in key else MIN_PHRASE_COUNT)
    ]
    top = sorted(frequent, key=lambda t: (-t.count, t.text))[:MAX_PHRASES]
    terms = {key_of(t.text): t for t in top}
    for key, (text, kind, docs) in special.items():
        # A rare phrase (below the threshold) is counted all the same.
        count = max(total.get(key, 0), counts.count.get(key, 0), 1)
        where = docs.union(works.get(key, ()), counts.docs.get(key, ()))
        terms[key] = VocabularyTerm(text, count, kind, tuple(sorted(where)))
    ordered = sorted(terms.values(), key=lambda t: key_of(t.text))
    return Vocabulary(ordered, sources)


def _union(a: array[int], b: array[int]) -> array[int]:
    """The works of one term counted under two spellings, ascending."""
    return array("i", sorted(set(a).union(b)))


def _singular(key: str, known: Container[str]) -> str:
    """The known singular of a plural key ("working classes" -> "working class"), if any."""
    head, _, last = key.rpartition(" ")
    for ending, replacement in (("ies", "y"), ("es", ""), ("s", "")):
        if not last.endswith(ending) or len(last) - len(ending) < 3:
            continue
        word = last[: -len(ending)] + replacement
        candidate = f"{head} {word}" if head else word
        # The stems must agree: "news" is not the plural of "new".
        if candidate in known and stem(word) == stem(last):
            return candidate
    return ""


def _surface(surface: str, counts: _Counts) -> str:
    """How a special term is shown: its words as the corpus usually writes them."""
    parts = re.split(r"(\s+|[\-‐])", surface.strip())
    out = []
    for part in parts:
        if not part or part.isspace():
            out.append(" " if part else "")
            continue
        if part in "-‐":
            out.append("-")
            continue
        word = part.lower()
        out.append(counts.display([word]) if word.isalpha() else word)
    return re.sub(r"\s+", " ", "".join(out)).strip()


def vocabulary_of(index: IndexData) -> Vocabulary:
    """The index's vocabulary, ready to complete; built from its passages (once, kept with
    the index) when the build predates the vocabulary."""
    return index.derived(_usable_vocabulary)


def _usable_vocabulary(index: IndexData) -> Vocabulary:
    vocabulary = index.vocabulary
    if not len(vocabulary):
        footnotes = {d.source: d.footnotes for d in index.documents}
        vocabulary = build_vocabulary(index.passages, footnotes)
    return vocabulary.warm()
