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
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from embeddings.documents import Footnote
from embeddings.ingest.dictionary import loose_headword, strict_headword
from embeddings.passages import Passage
from embeddings.sentences import split_sentences
from embeddings.sparse import stem, stopwords

VOCABULARY_VERSION = 1
HEADWORD, DEFINED, PHRASE = "headword", "defined", "phrase"
_KIND_BONUS = {HEADWORD: 3.0, DEFINED: 3.0, PHRASE: 0.0}

MIN_WORD_COUNT = 2  # a word seen once is as likely a typo as a term
MIN_PHRASE_COUNT = 3
MAX_PHRASES = 60_000  # the most frequent phrases; headwords and defined terms always stay
MAX_TERM_WORDS = 4
FUZZY_POOL = 20_000  # fuzzy completion looks at the most important terms only (speed)
FUZZY_MARGIN = 8.0  # fuzzy matches within this many points of the closest one

# Words that carry no topic at the edge of a phrase: bm25s's stop words and the commonest
# pronouns, auxiliaries, quantifiers and verbs of saying (noun-ish phrases, no tagger).
_FUNCTION_WORDS = frozenset(
    [
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "also",
        "am",
        "among",
        "any",
        "anything",
        "around",
        "art",
        "away",
        "back",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "can",
        "cannot",
        "could",
        "did",
        "do",
        "does",
        "doth",
        "done",
        "down",
        "each",
        "either",
        "else",
        "even",
        "ever",
        "every",
        "everything",
        "from",
        "get",
        "gets",
        "got",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "however",
        "i",
        "its",
        "itself",
        "just",
        "know",
        "knew",
        "let",
        "like",
        "made",
        "make",
        "many",
        "may",
        "me",
        "might",
        "mine",
        "more",
        "most",
        "much",
        "must",
        "my",
        "myself",
        "neither",
        "never",
        "nor",
        "now",
        "off",
        "once",
        "one",
        "only",
        "other",
        "others",
        "ought",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "perhaps",
        "quite",
        "rather",
        "really",
        "said",
        "saith",
        "same",
        "say",
        "says",
        "see",
        "seen",
        "shall",
        "she",
        "should",
        "since",
        "so",
        "some",
        "something",
        "still",
        "than",
        "that",
        "them",
        "themselves",
        "those",
        "though",
        "through",
        "thus",
        "till",
        "too",
        "toward",
        "towards",
        "two",
        "under",
        "until",
        "up",
        "upon",
        "us",
        "very",
        "we",
        "well",
        "were",
        "what",
        "whatever",
        "when",
        "where",
        "whether",
        "which",
        "while",
        "who",
        "whom",
        "whose",
        "why",
        "without",
        "would",
        "yet",
        "you",
        "your",
        "yours",
        "yourself",
        "wilt",
        "shalt",
        "came",
        "come",
        "went",
        "go",
        "goes",
        "gone",
        "took",
        "take",
        "give",
        "gave",
        "given",
        "put",
        "thereof",
        "therein",
        "whereof",
        "wherefore",
        "hither",
        "thither",
        "thence",
        "whence",
        "yea",
        "nay",
        "lo",
        "behold",
        "o",
        "oh",
    ]
)

# Words: letters with inner hyphens or apostrophes ("working-class", "in'ards"), without
# a possessive "'s"; and, as tokens of their own, the breaks no phrase crosses.
_TOKEN = re.compile(r"[^\W\d_]+(?:['’\-‐][^\W\d_]+)*")
_WORDS_AND_BREAKS = re.compile(
    r"(?<![^\W\d_])(?<!['’])[^\W\d_]+(?:[\-‐][^\W\d_]+|['’](?!s\b)[^\W\d_]+)*"
    r"|[.,;:!?()\[\]{}“”\"—–…/&\n]|--|(?<=\s)['‘]|['’](?=\s)"
)
_JOINED = re.compile(r"[\-‐'’]")
_INNER_CAPITAL = re.compile(r"(?<=[a-z,;] )[A-Z][^\W\d_]*(?:[\-‐][^\W\d_]+)*")
PARAGRAPH_BREAK = "\n\x00\n"  # joins passages for one search: no pattern runs across it
_KEY_PUNCT = re.compile(r"[\-‐'’]+")
_ALNUM = re.compile(r"[^\W_]+")


def function_words() -> frozenset[str]:
    return _FUNCTION_WORDS | stopwords()


def key_of(text: str) -> str:
    """The form terms are compared in: lower case, hyphens and apostrophes as spaces."""
    return " ".join(_ALNUM.findall(_KEY_PUNCT.sub(" ", text.casefold())))


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
            "terms": [[t.text, t.count, t.kind, list(t.sources)] for t in self.terms],
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

    def complete(self, prefix: str, limit: int = 25) -> list[str]:
        """Terms that start like `prefix` (whole term, then any of its words), then
        close spellings of it; at most `limit`, most useful first."""
        return self._search().complete(key_of(prefix), limit)

    def suggest(self, term: str, limit: int = 5) -> list[str]:
        """Did you mean: the known terms spelt most like `term` (never `term` itself)."""
        return self._search().suggest(key_of(term), limit)

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

    def lookup(self, key: str) -> VocabularyTerm | None:
        i = self.by_key.get(key)
        return self.terms[i] if i is not None else None

    def _range(self, keys: list[str], prefix: str) -> tuple[int, int]:
        return bisect.bisect_left(keys, prefix), bisect.bisect_left(keys, prefix + "\uffff")

    def _best(self, ids: np.ndarray, limit: int) -> list[int]:
        """The `limit` heaviest of `ids`, heaviest first (ties: shorter, then alphabetical)."""
        if len(ids) > limit * 4:
            w = np.array([self.terms[int(i)].weight for i in ids])
            ids = ids[np.argpartition(-w, limit * 4)[: limit * 4]]
        chosen = sorted(
            (int(i) for i in ids),
            key=lambda i: (-self.terms[i].weight, len(self.terms[i].text), self.terms[i].text),
        )
        return chosen[:limit]

    def complete(self, prefix: str, limit: int) -> list[str]:
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
            add(self._best(self.ids, limit))
            return [self.terms[i].text for i in out]
        exact = self.by_key.get(prefix)
        if exact is not None:
            add([exact])
        lo, hi = self._range(self.keys, prefix)
        add(self._best(self.ids[lo:hi], limit))
        if len(out) < limit:
            lo, hi = self._range(self.inner_keys, " " + prefix)
            add(self._best(self.inner_ids[lo:hi], limit))
        if len(out) < limit and len(prefix) >= 3:
            add(self._fuzzy_prefix(prefix, limit))
        return [self.terms[i].text for i in out]

    def _fuzzy_prefix(self, prefix: str, limit: int) -> list[int]:
        """Terms whose beginning is spelt like `prefix` ("sectarin" -> "sectarianism")."""
        from rapidfuzz import fuzz, process

        cutoff = 80.0 if len(prefix) < 6 else 75.0
        truncated = self._truncated_pool(len(prefix))
        found = process.extract(
            prefix, truncated, scorer=fuzz.ratio, limit=limit * 4, score_cutoff=cutoff
        )
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

    def suggest(self, key: str, limit: int) -> list[str]:
        from rapidfuzz import fuzz, process

        if not key or not self.terms:
            return []
        cutoff = 70.0 if len(key) >= 6 else 60.0
        found = process.extract(
            key, self.pool_keys, scorer=fuzz.ratio, limit=limit * 4, score_cutoff=cutoff
        )
        ranked = sorted(
            (f for f in found if f[0] != key),
            key=lambda f: (-round(f[1]), -self.terms[self.pool_ids[f[2]]].weight),
        )
        return [self.terms[self.pool_ids[j]].text for _, _, j in ranked[:limit]]


# -- building ------------------------------------------------------------------------------


@dataclass
class _Tally:
    count: int = 0
    docs: list[int] = field(default_factory=list)

    def add(self, n: int, doc: int) -> None:
        self.count += n
        if not self.docs or self.docs[-1] != doc:
            self.docs.append(doc)


class _Counts:
    """Word and phrase counts over the corpus, with the works each occurs in.

    A document is read in one piece: one regex scan gives its words and its clause
    breaks in order, and a Counter counts its phrases in C. Per-clause Python loops over
    34,000 passages would cost several times more."""

    def __init__(self) -> None:
        self.grams: dict[str, _Tally] = {}
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
        text = "\n".join(self._parts)
        self._parts = []
        stop = function_words()
        tokens = _WORDS_AND_BREAKS.findall(text.lower())
        # A clause break is a token that is no word: it ends every phrase it falls in.
        words = [t if t[0].isalpha() else "" for t in tokens]
        content = [_content_word(w, stop) for w in words]
        grams: list[str] = [w for w, ok in zip(words, content, strict=True) if ok]
        pairs = zip(words, words[1:], content, content[1:], strict=False)
        grams.extend(f"{a} {b}" for a, b, ok_a, ok_b in pairs if ok_a and ok_b)
        triples = zip(words, words[1:], words[2:], content, content[2:], strict=False)
        grams.extend(f"{a} {b} {c}" for a, b, c, ok_a, ok_c in triples if ok_a and ok_c and b)
        for gram, n in Counter(grams).items():
            self.grams.setdefault(gram, _Tally()).add(n, self._doc)
        self.capitals.update(w.lower() for w in _INNER_CAPITAL.findall(text))

    def display(self, words: Iterable[str]) -> str:
        """Proper names keep their capital; everything else is shown in lower case."""
        out = []
        for w in words:
            tally = self.grams.get(w)
            capitals = self.capitals.get(w, 0)
            # Most of a name's uses inside a sentence are capitalised; a sentence's first
            # word is capitalised whatever it is, so count only words inside sentences.
            proper = tally is not None and capitals >= 2 and capitals >= 0.6 * tally.count
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
        if not key or len(key.split()) > MAX_TERM_WORDS:
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
        for surface in defined_terms(PARAGRAPH_BREAK.join(parts)):
            mark(surface, DEFINED, doc)
    for source, notes in footnotes.items():
        if source not in doc_of:
            continue
        for note in notes.values():
            surface = explained_by_footnote(note)
            if surface:
                mark(surface, DEFINED, doc_of[source])

    merged: dict[str, VocabularyTerm] = {}
    for gram, tally in sorted(counts.grams.items(), key=lambda g: -g[1].count):
        found = VocabularyTerm(gram, tally.count, PHRASE, tuple(tally.docs))
        # "working-class" and "working class" are one term (shown as the commoner).
        key = key_of(gram) if _JOINED.search(gram) else gram
        merged[key] = _merge(merged[key], found) if key in merged else found
    for key in sorted(merged, key=len, reverse=True):
        singular = _singular(key, merged)
        if singular:  # "sects" is counted as "sect": completion offers one of them
            merged[singular] = _merge(merged[singular], merged.pop(key))
    frequent = [
        replace(t, text=counts.display(t.text.split()))
        for key, t in merged.items()
        if t.count >= (MIN_WORD_COUNT if " " not in key else MIN_PHRASE_COUNT)
    ]
    top = sorted(frequent, key=lambda t: (-t.count, t.text))[:MAX_PHRASES]
    terms = {key_of(t.text): t for t in top}
    for key, (text, kind, docs) in special.items():
        seen = merged.get(key)
        rare = counts.grams.get(key)  # below the phrase threshold, but counted
        count = max(seen.count if seen else 0, rare.count if rare else 0, 1)
        where = docs | set(seen.sources if seen else ()) | set(rare.docs if rare else ())
        terms[key] = VocabularyTerm(text, count, kind, tuple(sorted(where)))
    ordered = sorted(terms.values(), key=lambda t: key_of(t.text))
    return Vocabulary(ordered, sources)


def _merge(a: VocabularyTerm, b: VocabularyTerm) -> VocabularyTerm:
    """One term counted under two spellings; `a`'s (the more frequent) is shown."""
    return VocabularyTerm(
        a.text, a.count + b.count, a.kind, tuple(sorted(set(a.sources) | set(b.sources)))
    )


def _singular(key: str, known: Mapping[str, VocabularyTerm]) -> str:
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


# -- what the corpus defines ---------------------------------------------------------------


def headword_forms(headword: str) -> list[str]:
    """The ways a reader may ask for a headword: "BABE or BABY" -> BABE, BABY;
    "TZETZE (or TSETSE) FLY" -> TZETZE FLY, TSETSE FLY; "CONFIDANT, CONFIDANTE"."""
    m = re.fullmatch(r"(.*?)\s*\(or\s+([^)]+)\)\s*(.*)", headword.strip())
    if m:
        rest = f" {m.group(3)}" if m.group(3) else ""
        return [f"{m.group(1)}{rest}", f"{m.group(2)}{rest}"]
    parts = [p.strip() for p in re.split(r",\s+|\s+or\s+", headword) if p.strip()]
    return parts or [headword]


def dictionary_entries(passages: Sequence[Passage]) -> Iterator[tuple[int, int, int, str]]:
    """(passage id, start, end, headword) of every dictionary entry, with offsets of the
    entry's paragraph in the passage.

    An entry can sit inside a passage that starts with something else (a short line such
    as a verse's "G.J." attribution joins the entry after it), so the paragraphs of every
    passage of a dictionary are read, not only the passage's own `headword`.
    """
    dictionaries = {p.source for p in passages if p.kind == "entry"}
    for pid, p in enumerate(passages):
        if p.source not in dictionaries:
            continue
        pos = 0
        for para in p.text.split("\n\n"):
            start, pos = pos, pos + len(para) + 2
            if not para.strip():
                continue
            headword = p.headword if start == 0 and p.kind == "entry" else ""
            if not headword:
                first_line = para.split("\n", 1)[0].strip()
                headword = strict_headword(first_line) or loose_headword(para) or ""
            if headword:
                yield pid, start, start + len(para), headword


_Q = "“\"‘'«_*"
_QC = "”\"’'»_*"
_NP = r"[^\W\d_][\w\-‐'’]*(?:\s+[^\W\d_][\w\-‐'’]*){0,2}"
# "“Sect” is often used ... to mean", "“sectarian,” which is usually understood to mean"
_QUOTED_EXPLAINED = re.compile(
    rf"[{_Q}](?P<t>{_NP})[,.]?[{_QC}]\s*,?\s*(?:which|that|who)?\s*"
    r"(?:is|are|was|were)?\s*(?:\w+\s+){0,2}?"
    r"(?:means|meant|refers?\s+to|denotes|signifies|used\s+(?:as|to|for)|understood\s+(?:as|to)|"
    r"defined\s+as|taken\s+to\s+mean)\b",
    re.IGNORECASE,
)
_SPEAK_OF = re.compile(
    rf"\b(?:speak|speaks|spoke|talk|talks|write|writes)\s+(?:of|about)\s+[{_Q}]?(?P<t>{_NP})"
    rf"[,.]?[{_QC}]?\s*,?\s+(?:they|we|he|she|I|one|people)\s+(?:\w+\s+)?"
    r"(?:mean|means|meant|refer|refers|referred)\b",
    re.IGNORECASE,
)
_BY_WE_MEAN = re.compile(
    rf"\b[Bb]y\s+(?:the\s+(?:word|term)\s+)?[{_Q}]?(?P<t>{_NP})[{_QC}]?\s*,?\s+"
    r"(?:we|I|one|is)\s+(?:\w+\s+)?(?:mean|means|meant|understand|signify|denote)\b",
)
# "Sectarianism means ...", "A sect is defined as ...", "The term X refers to ..."
_SUBJECT_DEFINES = re.compile(
    rf"(?:^|(?<=[.!?]\s)|(?<=\n))(?:(?:The|A|An)\s+(?:(?:word|term|concept|notion)\s+)?)?"
    rf"[{_Q}]?(?P<t>{_NP})[{_QC}]?\s+(?:(?:is|are)\s+(?:\w+\s+)?defined\s+as|means|denotes|"
    r"signifies|refers\s+to)\b"
)
# "A sect is a ...", "An abstainer is one who ...": a generic article makes it a definition.
_ARTICLE_COPULA = re.compile(
    rf"(?:^|(?<=[.!?]\s)|(?<=\n))(?:A|An)\s+(?P<t>{_NP})\s+is\s+(?:a|an|one|the|that|not\s+simply)\b"
)
_DEFINITION_OF = re.compile(
    rf"\b(?:definition|meaning)\s+of\s+(?:the\s+(?:word|term)\s+)?(?:a\s+|an\s+|the\s+)?"
    rf"[{_Q}]?(?P<t>{_NP})[{_QC}]?\s*(?:is|was|:)",
    re.IGNORECASE,
)
# "We shall use these terms with more precise meanings." Sentences after it define.
STIPULATION = re.compile(
    r"\b(?:we|I)\s+(?:shall\s+|will\s+|should\s+|would\s+|must\s+|are\s+going\s+to\s+|"
    r"propose\s+to\s+|want\s+to\s+|intend\s+to\s+)?(?:use|employ|define|understand|take|mean)"
    r"\s+(?:these|the|this|those|both|our|such)\s+(?:two\s+|three\s+|following\s+|key\s+)?"
    r"(?:terms?|words?|expressions?|concepts?|notions?|labels?)\b"
    r"|\bfor\s+(?:present|our|the\s+present)\s+purposes\b|\bthe\s+following\s+definitions?\b",
    re.IGNORECASE,
)
STIPULATION_REACH = 6  # sentences after the stipulation that it governs
# Words of a footnote that explains a term: "We use this awkward term ...".
TERM_TALK = re.compile(
    r"\b(?:term|word|expression|phrase|we\s+use|we\s+mean|I\s+use|I\s+mean|means|meant|"
    r"refers?|denotes?|called|i\.\s?e\.|that\s+is\s+to\s+say)\b",
    re.IGNORECASE,
)
_LAST_COMPOUND = re.compile(r"([^\W\d_]+(?:[\-‐][^\W\d_]+)*)[”\"’']*\s*$")
_ARTICLE = re.compile(r"^(?:an?|the)\s+", re.IGNORECASE)
_LEADING_ARTICLE = re.compile(
    r"(?:(?:In|By)\s+contrast|However|Thus|So|And|But|Similarly|Likewise)?,?\s*"
    r"(?:A|An|The|a|an|the)\s+[“\"‘']?"
)
_VERBS = frozenset(["is", "are", "was", "were", "has", "have", "means", "may", "can", "must"])
_DEFINING_PATTERNS = (
    _QUOTED_EXPLAINED,
    _SPEAK_OF,
    _BY_WE_MEAN,
    _SUBJECT_DEFINES,
    _ARTICLE_COPULA,
    _DEFINITION_OF,
)


def defined_terms(text: str) -> list[str]:
    """Terms a passage defines, found without knowing the term (precise patterns only)."""
    stop = function_words()
    found: list[str] = []
    candidates = [m.group("t") for p in _DEFINING_PATTERNS for m in p.finditer(text)]
    for term in [*candidates, *_stipulated_subjects(text)]:
        term = _ARTICLE.sub("", term.strip(" -‐'’_*"))
        words = key_of(term).split()
        if words and all(_content_word(w, stop) for w in (words[0], words[-1])):
            found.append(term)
    return found


def _stipulated_subjects(text: str) -> list[str]:
    """After "we shall use these terms ...", the subjects of the next sentences are the
    terms being defined: "A sect presents itself as ...", "a working-class party is ..."."""
    out: list[str] = []
    for found in STIPULATION.finditer(text):
        # Sentences of the paragraph only: the text may be a whole document.
        start, end = _paragraph_bounds(text, found.start())
        para = text[start:end]
        sentences = split_sentences(para)
        at = found.start() - start
        i = next((n for n, (s, e) in enumerate(sentences) if s <= at < e), len(sentences))
        for s2, e2 in sentences[i + 1 : i + 1 + STIPULATION_REACH]:
            m = _LEADING_ARTICLE.match(para, s2, e2)
            if m is None:
                continue
            words = [w.group() for w in _TOKEN.finditer(para, m.end(), e2)][:4]
            # The subject is the longest run of 1-3 words followed by a verb-like word.
            for n in (3, 2, 1):
                if len(words) > n and _verb_like(words[n]):
                    out.append(" ".join(words[:n]))
                    break
    return out


def _paragraph_bounds(text: str, pos: int) -> tuple[int, int]:
    start = max(text.rfind("\n\n", 0, pos), text.rfind("\x00", 0, pos))
    ends = [e for e in (text.find("\n\n", pos), text.find("\n\x00", pos)) if e >= 0]
    return (0 if start < 0 else start + 1), (min(ends) if ends else len(text))


def _verb_like(word: str) -> bool:
    w = word.lower()
    return w in _VERBS or (w.endswith("s") and not w.endswith(("ss", "us", "is")))


def _content_word(word: str, stop: frozenset[str]) -> bool:
    return len(word) > 2 and word not in stop and not word.endswith("ly")


def explained_by_footnote(note: Footnote) -> str:
    """The term a footnote explains, when it talks about a term and its anchor ends on a
    word ("The sect-socialist" + "We use this awkward term ..." -> "sect-socialist")."""
    if not note.anchor or not TERM_TALK.search(note.text):
        return ""
    m = _LAST_COMPOUND.search(note.anchor)
    if m is None:
        return ""
    word = m.group(1)
    return "" if word.lower() in function_words() else word
