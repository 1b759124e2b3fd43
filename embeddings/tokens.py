"""Words as the index, /define and the vocabulary read them: the word patterns, the
stemmer, and BM25's tokenizer (one for indexing and queries).

"A word" is read five ways, each for its own job. They stay apart because what each
finds is relied on: BM25's tokens are stored in every index, and the others decide which
terms /define and the vocabulary find.

- `BM25_WORD`: BM25's tokens (two or more word characters, or a digit). Every stored
  index was tokenized with it: changing it means a reindex.
- `WORD`: letters and digits, what /define compares a term by ("R.I.P." is three words,
  "working-class" two) and what vocabulary keys are made of.
- `COMPOUND`: letters with the hyphens and apostrophes inside them ("working-class",
  "in'ards"), the subject of a sentence read as one term.
- `COMPOUND_WITH_DIGITS`: the same with digits ("1848-49"), a passage's words as they
  are looked up in the vocabulary (explain).
- `WORDS_AND_BREAKS`: `COMPOUND` without a possessive "'s", and, as tokens of their own,
  the punctuation no key phrase runs across.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from embeddings.stopwords import stopwords

BM25_WORD = re.compile(r"\w\w+|\d", re.UNICODE)
WORD = re.compile(r"[^\W_]+")
COMPOUND = re.compile(r"[^\W\d_]+(?:['’\-‐][^\W\d_]+)*")
COMPOUND_WITH_DIGITS = re.compile(r"[^\W_]+(?:[\-‐'’][^\W_]+)*")
WORDS_AND_BREAKS = re.compile(
    r"(?<![^\W\d_])(?<!['’])[^\W\d_]+(?:[\-‐][^\W\d_]+|['’](?!s\b)[^\W\d_]+)*"
    r"|[.,;:!?()\[\]{}“”\"—–…/&\n]|--|(?<=\s)['‘]|['’](?=\s)"
)
HYPHENS = "-‐‑"  # hyphen-minus, hyphen, non-breaking hyphen
_KEY_PUNCT = re.compile(r"[\-‐'’]+")


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


@lru_cache(maxsize=65_536)
def stem(word: str) -> str:
    """The Snowball stem of a word, any case. Cached: a scan meets the same words again
    and again ("lord" 8,000 times)."""
    return str(_stemmer().stemWord(word.lower()))


# One word in British and American spelling: "labour" and "labor", "honourable" and
# "honorable", "neighbourhood" and "neighborhood". Three letters at least before the
# "o(u)r", so "four", "your" and "hour" are left alone; a word both ways in any text
# ("devour", "error") only maps to itself and its own other form.
_OUR = re.compile(
    r"([a-z]{3,}?)ou?r(s|ed|er|ers|ing|able|ably|ite|ites|ful|fully|less|hood|hoods|ship)?"
)


def spelled(word: str) -> str:
    """A lower-case word in the spelling /define compares words in ("labour" -> "labor")."""
    m = _OUR.fullmatch(word)
    return f"{m[1]}or{m[2] or ''}" if m else word


def spelling_start(word: str) -> str:
    """What every spelling of a lower-case word starts with ("lab" for "labour")."""
    m = _OUR.fullmatch(word)
    return m[1] if m else word


def key_of(text: str) -> str:
    """The form terms are compared in: lower case, hyphens and apostrophes as spaces."""
    return " ".join(WORD.findall(_KEY_PUNCT.sub(" ", text.casefold())))


def words(text: str) -> list[str]:
    """Lower-cased words, stop words kept (for highlighting and term matching)."""
    return BM25_WORD.findall(text.lower())


def terms(text: str) -> list[str]:
    """Index terms: lower-cased, stop words removed, stemmed."""
    stop = stopwords()
    kept = [w for w in words(text) if w not in stop]
    return list(_stemmer().stemWords(kept)) if kept else []
