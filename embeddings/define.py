"""Definitional ranking for /define: which passages define a term, which merely use it.

A passage defines a term when it has one of the shapes a definition takes in prose:

- a dictionary or glossary entry that begins with the term ("CYNIC, n.  A blackguard ..."),
- "X is / are ...", "X means / refers to / denotes ...", "X is defined as ...",
- "by X we mean ...", "when Marxists speak of “X”, they refer to ...",
- a quoted term and its explanation ("“Sect” is often used ... to mean", "“X,” which is"),
- "the definition of X is ...", "what characterises X is ...", "... is called “X”",
- a sentence with X as its subject after "we shall use these terms ...",
- a footnote attached to the term (its anchor ends on it), even though the footnote
  itself never repeats the word (Draper's note on "sect-socialist").

Each shape has a strength; a passage's strength is its best shape plus a share of the
others. Terms match in any case, across hyphens and spaces, singular and plural (Snowball
stems); a match that shares only the stem ("sectarian" for "sectarianism") counts for
less than the term's own forms. Results are grouped by work: the best definition of each
work first, then further definitions, then passages that only use the term.
"""

from __future__ import annotations

import bisect
import re
import threading
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import TYPE_CHECKING, Generic, TypeVar

import numpy as np

from embeddings.errors import QueryError
from embeddings.sentences import split_sentences
from embeddings.sparse import stem as snowball_stem
from embeddings.sparse import terms as index_terms
from embeddings.vocabulary import (
    STIPULATION,
    STIPULATION_REACH,
    TERM_TALK,
    Vocabulary,
    build_vocabulary,
    dictionary_entries,
    headword_forms,
)

if TYPE_CHECKING:
    from embeddings.store import IndexData

DEFINITION, USAGE = "definition", "usage"
MAX_TERM_WORDS = 8
MAX_MATCHES = 10_000  # mentions read per query ("lord": 8,000; "I" is everywhere)

# Strengths of the shapes (a dictionary entry beats any sentence of prose).
ENTRY = 6.0
GLOSSARY = 5.0
BY_WE_MEAN = 4.0
DEFINED_AS = 4.0
SPEAK_OF = 4.0
FOOTNOTE = 4.0  # a footnote on the term that talks about words ("We use this term ...")
FOOTNOTE_PLAIN = 2.5  # a footnote on the term that says something else about it
MEANS = 3.5
STIPULATED = 3.75  # the author's own declared sense outranks a reported usage
QUOTED = 3.0
COPULA = 3.0  # "X is a ...", "X is what ..."
COPULA_WEAK = 2.0  # "X is glorious"
DEFINITION_OF = 3.0
CHARACTERISED = 2.0
CALLED = 2.0
NEGATED = 1.0  # "X is not ...": a definition by exclusion
PAST = 0.7  # "X originally referred to": an older sense, told as history
INFLECTED = 0.95  # an entry for the plural (or singular) of the word asked
STEM_ONLY = 0.7  # "sectarian" when "sectarianism" was asked
TEXT_CAP = 5.0  # prose never outranks a glossary entry, however many shapes it has
EXACT_USE = 0.2  # usage: the term's own forms before words that only share its stem
RELEVANCE_WEIGHT = 0.5  # breaks ties between equally strong definitions, and ranks usage
BEFORE_CHARS = 80  # the words before a term that the shapes look at

# -- terms and where they occur -------------------------------------------------------------

_WORD = re.compile(r"[^\W_]+")
_SEP = r"[\s\-‐‑'’]+"  # between a term's words: "working-class party", "in'ards"
_LEFT, _RIGHT = r"(?<![^\W_])", r"(?![^\W_])"
_HYPHENS = "-‐‑"


@lru_cache(maxsize=65_536)
def stem(word: str) -> str:
    return snowball_stem(word)


@dataclass(frozen=True)
class Term:
    """A term as asked: its words (lower case), their stems, and a pattern that finds
    candidate mentions (each is confirmed by its stems)."""

    text: str
    words: tuple[str, ...]
    stems: tuple[str, ...]
    pattern: re.Pattern[str]  # any case
    scan: re.Pattern[str]  # the same, for lower-cased text, fast on a whole corpus


def parse_term(text: str) -> Term:
    words = tuple(w.lower() for w in _WORD.findall(text))
    if not words:
        raise QueryError("Give a word or a phrase to define.")
    if len(words) > MAX_TERM_WORDS:
        raise QueryError(f"/define takes a term of at most {MAX_TERM_WORDS} words.")
    stems = tuple(stem(w) for w in words)
    parts = [_word_pattern(w, s) for w, s in zip(words, stems, strict=True)]
    rest = ""
    for i, (literal, tail) in enumerate(parts[1:], start=1):
        # "R.I.P.": initials run on without a space.
        rest += (r"[\s\-‐‑'’]*" if len(words[i - 1]) == 1 else _SEP) + literal + tail
    literal, tail = parts[0]
    pattern = _LEFT + literal + tail + rest + _RIGHT
    # The literal first, and the left boundary checked behind it, lets the regex engine
    # jump from one occurrence of the literal to the next: 50 times faster on a corpus.
    scan = literal + rf"(?<![^\W_]{literal})" + tail + rest + _RIGHT
    return Term(text, words, stems, re.compile(pattern, re.IGNORECASE), re.compile(scan))


def _word_pattern(word: str, stemmed: str) -> tuple[str, str]:
    """A literal beginning of the word and what may follow it."""
    if len(word) <= 2:
        return re.escape(word), (r"\.?" if len(word) == 1 else "")
    # The stem is not always a prefix of the word ("party" -> "parti"): use what they share.
    prefix = word[: _shared_length(word, stemmed)]
    if len(prefix) < 2:
        prefix = word
    return re.escape(prefix), r"[^\W_]*"


def _shared_length(a: str, b: str) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


def _inflections(word: str) -> set[str]:
    forms = {word, word + "s", word + "es"}
    if word.endswith("y"):
        forms.add(word[:-1] + "ies")
    if word.endswith("ies"):
        forms.add(word[:-3] + "y")
    if word.endswith("es"):
        forms.add(word[:-2])
    if word.endswith("s"):
        forms.add(word[:-1])
    return forms


@dataclass(frozen=True)
class Mention:
    start: int  # offsets in the passage
    end: int
    exact: bool  # the term's own words or their singular/plural, not only the same stem
    whole: bool  # not a piece of a longer hyphenated word ("sect" in "sect-type")


def confirm(
    term: Term, text: str, start: int, end: int, seen: dict[str, bool | None] | None = None
) -> Mention | None:
    """A pattern match is a mention when its words have the term's stems. `seen` keeps the
    verdict on each spelling met so far ("lord" occurs 8,000 times: one check will do)."""
    written = text[start:end].lower()
    if seen is not None and written in seen:
        exact = seen[written]
    else:
        exact = _forms_match(term, written)
        if seen is not None:
            seen[written] = exact
    if exact is None:
        return None
    glued_left = start >= 2 and text[start - 1] in _HYPHENS and text[start - 2].isalnum()
    glued_right = end + 1 < len(text) and text[end] in _HYPHENS and text[end + 1].isalnum()
    return Mention(start, end, exact, not (glued_left or glued_right))


def _forms_match(term: Term, written: str) -> bool | None:
    """None: not the term; True: its own words (or singular/plural); False: the stem only."""
    found = _WORD.findall(written)
    if len(found) != len(term.words):
        return None
    exact = True
    for got, want, want_stem in zip(found, term.words, term.stems, strict=True):
        if got == want:
            continue
        if stem(got) != want_stem:
            return None
        exact = exact and got in _inflections(want)
    return exact


def find_mentions(term: Term, text: str) -> list[Mention]:
    out = []
    for m in term.pattern.finditer(text):
        mention = confirm(term, text, m.start(), m.end())
        if mention is not None:
            out.append(mention)
    return out


# -- the shapes of a definition in prose ----------------------------------------------------


@dataclass(frozen=True)
class Signal:
    how: str  # the shape recognised: "means", "entry", "footnote", ...
    strength: float
    span: tuple[int, int]  # what defines: a sentence, an entry or a footnote (passage offsets)


_OPEN_QUOTES = "“\"‘'«_*"
_CLOSE_QUOTES = "”\"’'»_*"
_MARKER = re.compile(r"\s*\[[^\]\s]{1,5}\]")  # a footnote marker after the term: "[2*]"
_ADVERBS = (
    r"(?:(?:usually|often|generally|commonly|properly|simply|really|here|thus|also|always|"
    r"originally|now|today|still|strictly|literally|technically|sometimes|primarily|"
    r"mainly|chiefly|traditionally|in\s+short)\s+)*"
)
_MEANS = re.compile(
    r"^[\s,]*(?:(?:which|that|who)\s+)?" + _ADVERBS + r"(?P<verb>means|meant|meaning|mean|"
    r"refers\s+to|refer\s+to|referred\s+to|denotes|denote|denoted|signifies|signified|"
    r"designates|designated|stands\s+for|stood\s+for|"
    r"(?:is|are|was|were)\s+(?:\w+\s+){0,2}?(?:used|employed|understood|taken|meant)\b"
    r"[^.;:]{0,40}?\b(?:to\s+(?:mean|denote|describe|designate|refer\s+to|signify)|as|for))\b",
    re.IGNORECASE,
)
_PAST_VERB = re.compile(r"\b(?:meant|referred|denoted|signified|designated|stood|was|were)\b")
_DEFINED = re.compile(
    r"^[\s,]*(?:,[^,.;:]{1,60},\s*)?(?:is|are|was|were|may\s+be|can\s+be|might\s+be|"
    r"must\s+be|should\s+be|will\s+be|has\s+been|have\s+been)\s+(?:\w+\s+)?defined\b",
    re.IGNORECASE,
)
_DEFINE_BEFORE = re.compile(
    r"\b(?:define|defines|defined|defining)\s+(?:the\s+(?:word|term)\s+)?(?:an?\s+|the\s+)?$"
)
_AS_AFTER = re.compile(r"^[\s,]*(?:as|to\s+be)\b", re.IGNORECASE)
_COPULA = re.compile(
    r"^\s*(?:,[^,.;:]{1,60},\s*)?(?P<cop>is|are|was|were)\s+(?P<neg>not\s+)?"
    + _ADVERBS
    + r"(?P<next>[\w’']+)",
    re.IGNORECASE,
)
# Words after "X is" that make it a definition: "a ...", "what ...", "simply ...".
_STRONG_NEXT = frozenset(
    [
        *("a", "an", "the", "one", "what", "that", "when", "where", "something", "nothing"),
        *("simply", "merely", "just", "essentially", "basically", "properly", "always"),
        *("usually", "generally", "commonly", "often", "any", "each", "every"),
    ]
)
_CONTRAST_NEXT = frozenset(["simply", "merely", "only", "just", "so", "necessarily"])
_WHICH_IS = re.compile(
    r"^[\s,]*(?:which|that|who)\s+(?:\w+\s+){0,2}?(?:is|are|was|were|means|meant|refers|denotes)\b",
    re.IGNORECASE,
)
_EXPLAINED_BY_PUNCT = re.compile(r"^\s*(?:[:—–(]|--)")
_SPEAK_BEFORE = re.compile(
    r"\b(?:speak|speaks|spoke|speaking|talk|talks|talked|talking|write|writes|wrote|"
    r"say|says|mention|mentions|use|uses)\s+(?:of|about)?\s*(?:the\s+(?:word|term)\s+)?$"
)
_SPEAK_AFTER = re.compile(
    r"^[\s,]*(?:[\w\-]+\s+){1,3}?(?:usually\s+|generally\s+|often\s+|really\s+)?"
    r"(?:mean|means|meant|refer|refers|referred|have\s+in\s+mind|has\s+in\s+mind|"
    r"are\s+referring|understand|understands)\b",
    re.IGNORECASE,
)
_BY_BEFORE = re.compile(
    r"(?:^|\b)by\s+(?:the\s+(?:word|term|expression|name)\s+)?(?:an?\s+|the\s+)?$"
)
_BY_AFTER = re.compile(
    r"^[\s,]*(?:[\w\-]+\s+){0,2}?(?:mean|means|meant|understand|understands|understood|"
    r"signify|signifies|denote|denotes|intend|intends|designate)\b",
    re.IGNORECASE,
)
_DEFINITION_OF_BEFORE = re.compile(
    r"\b(?P<noun>definition|meaning|essence|nature|concept|notion)\s+of\s+"
    r"(?:the\s+(?:word|term)\s+)?(?:an?\s+|the\s+)?$"
)
_CHARACTERISED_BEFORE = re.compile(
    r"\b(?:(?:sign|mark|hallmark|characteristic|feature|test|touchstone|trait)s?\s+of|"
    r"what\s+(?:characteri[sz]es|distinguishes|defines|makes))\s+(?:an?\s+|the\s+)?$"
)
_IS_AFTER = re.compile(r"^[\s,]*(?:is|are|was|were|:|—|–)(?=\s)", re.IGNORECASE)
_CALLED_BEFORE = re.compile(
    r"\b(?:called|termed|named|dubbed|labell?ed|known\s+as|what\s+(?:we|they|one|you|is|are)"
    r"\s+(?:\w+\s+)?(?:call|calls|called|term))\s+(?:an?\s+|the\s+)?$"
)
_PREPOSITION_END = re.compile(r"\b(?:of|to|in|for|with|by|from|on|about|than|as|at|into)\s*$")
# The words that may come before a term that is the subject of its sentence.
_SUBJECT = re.compile(
    r"(?:(?:and|but|so|thus|hence|now|then|therefore|however|yet|also|in\s+contrast|"
    r"by\s+contrast|on\s+the\s+other\s+hand|in\s+short|in\s+other\s+words|that\s+is|"
    r"i\.\s?e\.|for\s+[\w\-]+|to\s+[\w\-]+|[\w\-]+ly|here|"
    r"(?:in|for|to|on|at|with|under|within|among|since)\s+[^,;:]{1,30},)\s*[,:;]?\s+)*"
    r"(?:(?:the|a|an|every|each|all|any|our|this|that|such|true|real|genuine|so-called)\s+)*"
    r"(?:(?:word|term|expression|phrase|concept|notion|idea|name|category)\s+(?:of\s+)?)?"
)
# The shapes that the words before the term make possible, as one pattern, and the
# words without which none of them can match (a cheaper test, tried first).
_BEFORE_SHAPES = re.compile(
    "|".join(
        f"(?:{p.pattern})".replace("?P<noun>", "?:")
        for p in (
            _DEFINE_BEFORE,
            _BY_BEFORE,
            _SPEAK_BEFORE,
            _DEFINITION_OF_BEFORE,
            _CHARACTERISED_BEFORE,
            _CALLED_BEFORE,
        )
    )
)
_BEFORE_CUES = frozenset(
    [
        *("by", "of", "define", "defines", "defined", "defining", "call", "calls", "called"),
        *("term", "termed", "named", "dubbed", "labeled", "labelled", "known", "speak"),
        *("speaks", "spoke", "speaking", "talk", "talks", "talked", "talking", "write"),
        *("writes", "wrote", "say", "says", "mention", "mentions", "use", "uses"),
    ]
)


def recognise(
    term: Term, text: str, mentions: list[Mention], stipulation: bool | None = None
) -> list[Signal]:
    """The definitional shapes around the term's mentions in one passage (`stipulation`:
    whether it says "we shall use these terms ...", when the caller knows)."""
    if stipulation is None:
        stipulation = STIPULATION.search(text) is not None
    whole = [m for m in mentions if m.whole and (stipulation or _may_define(text, m))]
    if not whole:
        return []
    sentences = split_sentences(text) or [(0, len(text))]
    starts = [s for s, _ in sentences]
    stipulated_from = (
        [i for i, (s, e) in enumerate(sentences) if STIPULATION.search(text, s, e) is not None]
        if stipulation
        else []
    )
    signals: list[Signal] = []
    for m in whole:
        i = max(0, bisect.bisect_right(starts, m.start) - 1)
        span = sentences[i]
        found = _sentence_signals(text, m, span)
        if any(0 < i - j <= STIPULATION_REACH for j in stipulated_from) and _is_subject(
            _before(text, m, span)[0]
        ):
            found.append(Signal("stipulated", STIPULATED, span))
        glossary = _glossary(text, m)
        if glossary is not None:
            found.append(glossary)
        factor = 1.0 if m.exact else STEM_ONLY
        signals.extend(Signal(s.how, s.strength * factor, s.span) for s in found)
    return signals


_AFTER_GATE = re.compile(
    r"[\W_]{0,4}(?:\[[^\]\s]{1,5}\]\s*)?"
    r"(?:(?:\w+ly|often|now|also|always|here|thus|still|they|we|he|she|i|one|people|you|it)\s+)"
    r"{0,2}(?:is|are|was|were|mean\w*|refer\w*|denot\w*|signif\w*|design\w*|stands?|stood|"
    r"may|can|might|must|should|will|has|have|which|that|who|understand\w*)\b"
    r"|[\W_]{0,3}(?:[:—–(]|--)",
    re.IGNORECASE,
)


def _may_define(text: str, m: Mention) -> bool:
    """A quick look at the words around a mention: only a mention that passes is read
    closely (most mentions of a frequent word are plain usage, and this keeps /define
    fast on words that occur thousands of times)."""
    at_paragraph_start = m.start < 2 or "\n\n" in text[m.start - 3 : m.start]
    if at_paragraph_start or _AFTER_GATE.match(text, m.end) is not None:
        return True
    tail = text[max(0, m.start - BEFORE_CHARS) : m.start].lower().split()
    if _BEFORE_CUES.isdisjoint(tail[-5:]):
        return False
    return _BEFORE_SHAPES.search(" ".join(tail).rstrip(_OPEN_QUOTES) + " ") is not None


def _before(text: str, m: Mention, span: tuple[int, int]) -> tuple[str, bool]:
    """The end of the sentence before the mention (lower case, spaces normalised, ending
    in a space unless empty, without an opening quote), and whether the term is quoted.

    Every shape looks only at the few words before the term, so a long sentence costs no
    more than a short one."""
    quoted = m.start > span[0] and text[m.start - 1] in _OPEN_QUOTES
    end = m.start - (1 if quoted else 0)
    start = max(span[0], end - BEFORE_CHARS)
    before = " ".join(text[start:end].lower().split())
    if start > span[0]:
        before = "\u2026 " + before  # cut: the term is not at the start of its sentence
    return (before + " " if before else ""), quoted


def _after(text: str, m: Mention, span: tuple[int, int], quoted: bool) -> str:
    end = m.end
    if quoted:
        # The closing quote, with the comma or stop it encloses: “sectarian,” / "sect,"
        close = re.match(rf"[,.!?]?[{re.escape(_CLOSE_QUOTES)}]", text[end : span[1]])
        if close is not None:
            end += close.end()
    after = text[end : span[1]]
    marker = _MARKER.match(after)
    return after[marker.end() :] if marker else after


def _is_subject(before: str) -> bool:
    return not before.startswith("\u2026") and _SUBJECT.fullmatch(before) is not None


def _sentence_signals(text: str, m: Mention, span: tuple[int, int]) -> list[Signal]:
    before, quoted = _before(text, m, span)
    after = _after(text, m, span, quoted)
    subject = _is_subject(before)
    out: list[Signal] = []

    def add(how: str, strength: float) -> None:
        out.append(Signal(how, strength, span))

    means = _MEANS.match(after)
    if means is not None and (subject or quoted):
        past = _PAST_VERB.search(means.group("verb")) is not None
        add("means", MEANS * (PAST if past else 1.0))
    if _DEFINED.match(after) or (
        "defin" in before and _DEFINE_BEFORE.search(before) and _AS_AFTER.match(after)
    ):
        add("defined as", DEFINED_AS)
    if "by " in before and _BY_BEFORE.search(before) and _BY_AFTER.match(after):
        add("by X we mean", BY_WE_MEAN)
    if _SPEAK_AFTER.match(after) and _SPEAK_BEFORE.search(before):
        add("speak of", SPEAK_OF)
    if quoted and not _PREPOSITION_END.search(before):
        if _WHICH_IS.match(after):
            add("quoted", QUOTED)
        elif _EXPLAINED_BY_PUNCT.match(after):
            add("quoted", CALLED)
    if subject and means is None:
        copula = _COPULA.match(after)
        strength = _copula_strength(copula, after) if copula is not None else 0.0
        if strength:
            add("is", strength)
    definition_of = _DEFINITION_OF_BEFORE.search(before) if " of " in before else None
    if definition_of is not None:
        if _IS_AFTER.match(after):
            add("definition of", DEFINITION_OF)
        elif definition_of.group("noun") in ("definition", "meaning"):
            add("definition of", CHARACTERISED)
    if _IS_AFTER.match(after) and _CHARACTERISED_BEFORE.search(before):
        add("characterised", CHARACTERISED)
    if ("call" in before or "term" in before or "name" in before or "known" in before) and (
        _CALLED_BEFORE.search(before)
    ):
        add("called", CALLED)
    return out


def _copula_strength(copula: re.Match[str], after: str) -> float:
    past = copula.group("cop").lower() in ("was", "were")
    following = copula.group("next").lower()
    if copula.group("neg"):
        # "is not simply an electoral organization but rather ..." still says what it is.
        word_after_not = after[copula.end("neg") :].split(maxsplit=1)[0].lower()
        if word_after_not in _CONTRAST_NEXT and re.search(r"\bbut\b", after[copula.end() :]):
            strength = COPULA
        else:
            strength = NEGATED
    elif following in _STRONG_NEXT:
        strength = COPULA
    elif past or following.endswith(("ing", "ed")):
        # "was very behindhand", "are operating", "is born": telling, not defining.
        return 0.0
    else:
        strength = COPULA_WEAK  # "God is love"
    return strength * (PAST if past else 1.0)


def _glossary(text: str, m: Mention) -> Signal | None:
    """A paragraph that opens with the term as a headword: "SECT. A body ..." or
    "Sect: a body ..."."""
    para_start = text.rfind("\n\n", 0, m.start) + 2 if "\n\n" in text[: m.start] else 0
    lead = text[para_start : m.start]
    if lead.strip(_OPEN_QUOTES + " \n"):
        return None
    para_end = text.find("\n\n", m.end)
    para_end = len(text) if para_end < 0 else para_end
    after = text[m.end : para_end]
    word = text[m.start : m.end]
    upper = word.isupper() and len(word) > 1
    # An upper-case word then a stop or a part of speech ("SECT. A body", "CYNIC, n.");
    # not a comma alone: the KJV prints "LORD, I have hoped ..." in capitals.
    headword = upper and re.match(r"(?:[.:]|,?\s+(?:n|v|adj|adv)\.)\s", after)
    if headword or re.match(r"\s*[:—–]\s", after):
        return Signal("glossary", GLOSSARY, (para_start, para_end))
    return None


# -- the index seen by /define ---------------------------------------------------------------

T = TypeVar("T")


class PerIndex(Generic[T]):
    """A value derived from one loaded index, made once and dropped with the index."""

    def __init__(self, make: Callable[[IndexData], T]) -> None:
        self._make = make
        self._items: dict[int, tuple[weakref.ref[IndexData], T]] = {}
        self._lock = threading.Lock()

    def get(self, index: IndexData) -> T:
        key = id(index)
        with self._lock:
            hit = self._items.get(key)
            if hit is not None and hit[0]() is index:
                return hit[1]
            value = self._make(index)  # under the lock: concurrent first requests wait
            self._items[key] = (weakref.ref(index, lambda _: self._items.pop(key, None)), value)
            return value


@dataclass(frozen=True)
class Entry:
    passage_id: int
    start: int
    end: int
    words: tuple[str, ...]


@dataclass(frozen=True)
class Note:
    passage_id: int
    start: int
    end: int
    marker: str
    anchor: str


_JOIN = "\n\x00\n"  # between passages in the searchable text: no match runs across it


class DefinitionIndex:
    """What /define reads besides the passages: all text in one string (one regex scan
    finds every mention), dictionary entries by headword, footnotes with their anchors,
    and the work each passage belongs to."""

    def __init__(self, index: IndexData) -> None:
        self.index = index
        passages = index.passages
        self.text = _JOIN.join(p.text for p in passages)
        folded = self.text.lower()
        # Lower-casing keeps offsets unless some letter lower-cases to two ("İ").
        self.folded = folded if len(folded) == len(self.text) else None
        self.offsets: list[int] = []  # where each passage starts in `text`
        pos = 0
        for p in passages:
            self.offsets.append(pos)
            pos += len(p.text) + len(_JOIN)
        self.entries: dict[tuple[str, ...], list[Entry]] = {}
        for pid, start, end, headword in dictionary_entries(passages):
            for form in headword_forms(headword):
                words = tuple(w.lower() for w in _WORD.findall(form))
                if words:
                    key = tuple(stem(w) for w in words)
                    self.entries.setdefault(key, []).append(Entry(pid, start, end, words))
        self.notes = self._notes()
        self.stipulating = {self._passage_at(m.start()) for m in STIPULATION.finditer(self.text)}
        works: dict[tuple[str, str], int] = {}
        self.work = np.zeros(len(passages), dtype=np.int32)
        for d in index.documents:
            # A work is a title and an author (the 66 books of one Bible), as in /source.
            key = (d.meta.title.casefold() or d.source, d.meta.author.casefold())
            self.work[d.first : d.first + d.count] = works.setdefault(key, len(works))

    def _notes(self) -> list[Note]:
        notes: list[Note] = []
        passages = self.index.passages
        for d in self.index.documents:
            for marker, note in d.footnotes.items():
                if not note.anchor or not note.text.strip():
                    continue
                probe = note.text.strip()[:60]
                for pid in range(d.first, d.first + d.count):
                    p = passages[pid]
                    at = p.text.find(probe) if p.kind == "footnote" else -1
                    if p.note_id == marker or at >= 0:
                        start = max(at, 0)
                        end = min(len(p.text), start + len(note.text.strip()))
                        notes.append(Note(pid, start, end, marker, note.anchor))
                        break
        return notes

    def _passage_at(self, offset: int) -> int:
        return bisect.bisect_right(self.offsets, offset) - 1

    def mentions(self, term: Term) -> dict[int, list[Mention]]:
        """Every passage that mentions the term, with the mentions (passage offsets)."""
        found: dict[int, list[Mention]] = {}
        seen: dict[str, bool | None] = {}
        matches = (
            term.scan.finditer(self.folded)
            if self.folded is not None
            else term.pattern.finditer(self.text)
        )
        for n, m in enumerate(matches):
            if n >= MAX_MATCHES:
                break
            pid = self._passage_at(m.start())
            base = self.offsets[pid]
            text = self.index.passages[pid].text
            mention = confirm(term, text, m.start() - base, m.end() - base, seen)
            if mention is not None:
                found.setdefault(pid, []).append(mention)
        return found

    def entry_signals(self, term: Term) -> dict[int, Signal]:
        out: dict[int, Signal] = {}
        for entry in self.entries.get(term.stems, []):
            pairs = list(zip(entry.words, term.words, strict=True))
            if all(got == want for got, want in pairs):
                strength = ENTRY
            elif all(got in _inflections(want) for got, want in pairs):
                strength = ENTRY * INFLECTED  # "RICHES" when "rich" was asked
            else:
                strength = ENTRY * STEM_ONLY  # "ACCUSER" when "accuse" was asked
            old = out.get(entry.passage_id)
            if old is None or old.strength < strength:
                out[entry.passage_id] = Signal("entry", strength, (entry.start, entry.end))
        return out

    def note_signals(self, term: Term) -> dict[int, tuple[Signal, Note]]:
        """Footnotes attached right after the term: they explain it."""
        out: dict[int, tuple[Signal, Note]] = {}
        for note in self.notes:
            anchor = note.anchor.rstrip().rstrip("”\"’',")
            tail = [m for m in find_mentions(term, anchor) if m.whole and m.end == len(anchor)]
            if not tail:
                continue
            text = self.index.passages[note.passage_id].text[note.start : note.end]
            strength = FOOTNOTE if TERM_TALK.search(text) else FOOTNOTE_PLAIN
            strength *= 1.0 if tail[-1].exact else STEM_ONLY
            out[note.passage_id] = (Signal("footnote", strength, (note.start, note.end)), note)
        return out


_definition_indexes: PerIndex[DefinitionIndex] = PerIndex(DefinitionIndex)


def _vocabulary(index: IndexData) -> Vocabulary:
    vocabulary = index.vocabulary
    if not len(vocabulary):
        footnotes = {d.source: d.footnotes for d in index.documents}
        vocabulary = build_vocabulary(index.passages, footnotes)
    return vocabulary.warm()


_vocabularies: PerIndex[Vocabulary] = PerIndex(_vocabulary)


def definition_index(index: IndexData) -> DefinitionIndex:
    return _definition_indexes.get(index)


def vocabulary_of(index: IndexData) -> Vocabulary:
    """The index's vocabulary; built from its passages when the build predates it."""
    return _vocabularies.get(index)


# -- ranking ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    passage_id: int
    label: str  # "definition" | "usage"
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


def combine(signals: Iterable[Signal]) -> Signal | None:
    """A passage's strength: its best shape, plus half of the others (a passage that
    says "“Sect” is used to mean ..." and then "A sect presents itself as ..." after
    "we shall use these terms" is a more deliberate definition than either alone)."""
    ordered = sorted(signals, key=lambda s: -s.strength)
    if not ordered:
        return None
    best = ordered[0]
    if best.how in ("entry", "glossary"):
        return best
    total = best.strength + 0.5 * sum(s.strength for s in ordered[1:])
    return Signal(best.how, min(TEXT_CAP, total), best.span)


def find_definitions(
    index: IndexData, term: Term | str, *, qvec: np.ndarray | None = None, limit: int = 10
) -> Definitions:
    """The passages that define `term`, best per work first, then those that use it."""
    term = term if isinstance(term, Term) else parse_term(term)
    lookup = definition_index(index)
    mentions = lookup.mentions(term)
    entries = lookup.entry_signals(term)
    notes = lookup.note_signals(term)
    candidates = sorted(set(mentions) | set(entries) | set(notes))
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
                    DEFINITION,
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
    works = {int(lookup.work[f.passage_id]) for f in definitions}
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
    passages = lookup.index.passages
    definitions = sorted(definitions, key=lambda f: (-f.score, f.passage_id))
    usage = sorted(usage, key=lambda f: (-f.score, f.passage_id))
    firsts: list[Finding] = []
    rest: list[Finding] = []
    seen_works: set[int] = set()
    for f in definitions:
        work = int(lookup.work[f.passage_id])
        (rest if work in seen_works else firsts).append(f)
        seen_works.add(work)
    out: list[Finding] = []
    seen_blocks: set[tuple[str, int]] = set()
    seen_texts: set[str] = set()
    for f in [*firsts, *rest, *usage]:
        if len(out) >= limit:
            break
        p = passages[f.passage_id]
        block = (p.source, p.block)
        text = " ".join(p.text.split()).casefold()
        if block in seen_blocks or text in seen_texts:
            continue
        seen_blocks.add(block)
        seen_texts.add(text)
        out.append(f)
    return out
