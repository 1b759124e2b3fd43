"""Terms as asked, and where a text mentions them: in any case, across hyphens and spaces,
singular and plural (Snowball stems), with a match that shares only the stem ("sectarian"
for "sectarianism") told apart from the term's own forms."""

from __future__ import annotations

import re
from dataclasses import dataclass

from embeddings.errors import EmptyTerm, TermTooLong
from embeddings.tokens import HYPHENS, WORD, spelled, spelling_start, stem

# How many words a term may have, for two jobs: a reader may ask /define for a phrase of
# up to eight words; the vocabulary records headwords and defined terms of up to four
# (what it offers as completions and suggestions).
MAX_TERM_WORDS = 8
MAX_RECORDED_TERM_WORDS = 4

_SEP = r"[\s\-‐‑'’]+"  # between a term's words: "working-class party", "in'ards"
_LEFT, _RIGHT = r"(?<![^\W_])", r"(?![^\W_])"


# How readers ask for a term rather than name it: "what is a sect?", "what does cynic
# mean", "define sect", "meaning of love", "a cynic". The term is what is left.
_FRAMES = [
    re.compile(p, re.IGNORECASE | re.S)
    for p in (
        r"what\s+does\s+(?P<term>.+?)\s+mean\W*",
        r"(?:what|who)\s+(?:is|are|was|were)\s+(?P<term>.+?)[\s?!.]*",
        r"(?:please\s+)?define\s+(?P<term>.+?)[\s?!.]*",
        r"(?:the\s+)?(?:meaning|definition)\s+of\s+(?P<term>.+?)[\s?!.]*",
    )
]
_ARTICLE = re.compile(r"(?:a|an|the)\s+(?=\S)", re.IGNORECASE)


def term_asked(text: str) -> str:
    """The term in a request as readers type it: "what is a sect?" asks for "sect"."""
    for frame in _FRAMES:
        m = frame.fullmatch(text)
        if m is not None:
            text = m.group("term")
            break
    m = _ARTICLE.match(text)
    return text[m.end() :] if m is not None else text


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
    words = tuple(w.lower() for w in WORD.findall(text))
    if not words:
        raise EmptyTerm()
    if len(words) > MAX_TERM_WORDS:
        raise TermTooLong(MAX_TERM_WORDS)
    stems = tuple(stem(spelled(w)) for w in words)
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
    # The stem is not always a prefix of the word ("party" -> "parti"): use what they
    # share, and what its other spelling shares ("lab" finds "labour" and "labor").
    prefix = word[: min(_shared_length(word, stemmed), len(spelling_start(word)))]
    if len(prefix) < 2:
        prefix = word
    return re.escape(prefix), r"[^\W_]*"


def _shared_length(a: str, b: str) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


def inflections(word: str) -> set[str]:
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
    glued_left = start >= 2 and text[start - 1] in HYPHENS and text[start - 2].isalnum()
    glued_right = end + 1 < len(text) and text[end] in HYPHENS and text[end + 1].isalnum()
    return Mention(start, end, exact, not (glued_left or glued_right))


def _forms_match(term: Term, written: str) -> bool | None:
    """None: not the term; True: its own words (or singular/plural); False: the stem only."""
    found = WORD.findall(written)
    if len(found) != len(term.words):
        return None
    exact = True
    for got, want, want_stem in zip(found, term.words, term.stems, strict=True):
        got, want = spelled(got), spelled(want)  # "labour" is "labor" in other spelling
        if got == want:
            continue
        if stem(got) != want_stem or not related(got, want):
            return None
        exact = exact and got in inflections(want)
    return exact


def related(a: str, b: str) -> bool:
    """Whether two words of one Snowball stem are of one family: the shorter begins the
    longer ("sectarian", "sectarianism"; "pity", "pitiful"; "argue", "argument"), or they
    share more than the stem ("opportunity", "opportunism"), or one is the stem as a word
    ("existing", "existence": "exist"). Not "politics" and "politeness": the stem is all
    they share, and no word; nor "admiral" and "admiration" (`_al_noun`)."""
    short, long = sorted((_as_prefix(a), _as_prefix(b)), key=len)
    if long.startswith(short) or long.startswith(short.removesuffix("e")):
        return True
    root = stem(a)
    if any(w.removeprefix(root) in _INFLECTIONS for w in (a, b)):
        return True
    beyond = long[len(root) : _shared_length(short, long)]
    return beyond != "" and not (beyond == "a" and _al_noun(root, a, b))


_INFLECTIONS = frozenset(["", "s", "es", "ed", "ing", "er", "ers"])


def _al_noun(root: str, a: str, b: str) -> bool:
    """Whether one word is the stem and "-al", which makes nouns of their own (admiral,
    corporal, animal, capital, initial) whose "a" meets the "a" of "-ation", "-ate" or
    "-able" by chance. Not after a "u": "-ual" words (continual, perpetual) are kin to
    "-uance" and "-uate"."""
    return not root.endswith("u") and any(w.removeprefix(root) in _AL for w in (a, b))


_AL = frozenset(["al", "als", "ally"])


def _as_prefix(word: str) -> str:
    """The word as the start of its family: pity -> piti (pitiful), lying -> lie, labors ->
    labor (labored)."""
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        word = word[:-1]
    if word.endswith("ying"):
        return word[:-4] + "ie"
    return word[:-1] + "i" if word.endswith("y") else word


def find_mentions(term: Term, text: str) -> list[Mention]:
    out = []
    for m in term.pattern.finditer(text):
        mention = confirm(term, text, m.start(), m.end())
        if mention is not None:
            out.append(mention)
    return out
