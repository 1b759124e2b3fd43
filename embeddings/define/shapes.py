"""The shapes of a definition around a term's mentions, and how strong each is.

A passage defines a term when it has one of the shapes a definition takes in prose (the
patterns are in `grammar`):

- a dictionary or glossary entry that begins with the term ("CYNIC, n.  A blackguard ..."),
- "X is / are ...", "X means / refers to / denotes ...", "X is defined as ...",
- "by X we mean ...", "when Marxists speak of “X”, they refer to ...",
- a quoted term and its explanation ("“Sect” is often used ... to mean", "“X,” which is"),
- "the definition of X is ...", "what characterises X is ...", "... is called “X”",
- an apposition naming the kind of thing X is ("The proletariat, the lowest stratum of
  our present society, cannot stir"; "By proletariat, the class of ..."),
- a sentence with X as its subject after "we shall use these terms ...",
- a footnote attached to the term (its anchor ends on it), even though the footnote
  itself never repeats the word (Draper's note on "sect-socialist").

Each shape has a strength; a passage's strength is its best shape plus a share of the
others. A mention that shares only the term's stem counts for less.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass

from embeddings.define import grammar
from embeddings.define.terms import Mention, Term
from embeddings.sentences import split_sentences
from embeddings.stopwords import function_words

# Strengths of the shapes (a dictionary entry beats any sentence of prose).
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
GLOSS = 3.0  # "X, i.e., Y": the Manifesto's way of saying what a word means
APPOSITION = 2.5  # "X, the class of ...": says what X is, in passing
NEGATED = 1.0  # "X is not ...": a definition by exclusion
PAST = 0.7  # "X originally referred to": an older sense, told as history
INFLECTED = 0.95  # an entry for the plural (or singular) of the word asked
STEM_ONLY = 0.7  # "sectarian" when "sectarianism" was asked
TEXT_CAP = 5.0  # prose never outranks a glossary entry, however many shapes it has
BEFORE_CHARS = 80  # the words before a term that the shapes look at


@dataclass(frozen=True)
class Signal:
    how: str  # the shape recognised: "means", "entry", "footnote", ...
    strength: float
    span: tuple[int, int]  # what defines: a sentence, an entry or a footnote (passage offsets)
    # The term's own words (or their singular or plural), not only words of its stem: an
    # entry for OPPORTUNITY defines a word related to "opportunism", not "opportunism".
    exact: bool = True


def recognise(
    term: Term, text: str, mentions: list[Mention], stipulation: bool | None = None
) -> list[Signal]:
    """The definitional shapes around the term's mentions in one passage (`stipulation`:
    whether it says "we shall use these terms ...", when the caller knows)."""
    if stipulation is None:
        stipulation = grammar.STIPULATION.search(text) is not None
    whole = [m for m in mentions if m.whole and (stipulation or _may_define(text, m))]
    if not whole:
        return []
    sentences = split_sentences(text) or [(0, len(text))]
    starts = [s for s, _ in sentences]
    stipulated_from = (
        [
            i
            for i, (s, e) in enumerate(sentences)
            if grammar.STIPULATION.search(text, s, e) is not None
        ]
        if stipulation
        else []
    )
    signals: list[Signal] = []
    for m in whole:
        i = max(0, bisect.bisect_right(starts, m.start) - 1)
        span = sentences[i]
        found = _sentence_signals(text, m, span)
        if any(0 < i - j <= grammar.STIPULATION_REACH for j in stipulated_from) and _is_subject(
            _before(text, m, span)[0]
        ):
            found.append(Signal("stipulated", STIPULATED, span))
        glossary = _glossary(text, m)
        if glossary is not None:
            found.append(glossary)
        factor = 1.0 if m.exact else STEM_ONLY
        signals.extend(Signal(s.how, s.strength * factor, s.span, m.exact) for s in found)
    return signals


def _may_define(text: str, m: Mention) -> bool:
    """A quick look at the words around a mention: only a mention that passes is read
    closely (most mentions of a frequent word are plain usage, and this keeps /define
    fast on words that occur thousands of times)."""
    at_paragraph_start = m.start < 2 or "\n\n" in text[m.start - 3 : m.start]
    if at_paragraph_start or grammar.AFTER_GATE.match(text, m.end) is not None:
        return True
    tail = text[max(0, m.start - BEFORE_CHARS) : m.start].lower().split()
    if grammar.BEFORE_CUES.isdisjoint(tail[-5:]):
        return False
    return (
        grammar.BEFORE_SHAPES.search(" ".join(tail).rstrip(grammar.OPEN_QUOTES) + " ") is not None
    )


def _before(text: str, m: Mention, span: tuple[int, int]) -> tuple[str, bool]:
    """The end of the sentence before the mention (lower case, spaces normalised, ending
    in a space unless empty, without an opening quote), and whether the term is quoted.

    Every shape looks only at the few words before the term, so a long sentence costs no
    more than a short one."""
    quoted = m.start > span[0] and text[m.start - 1] in grammar.OPEN_QUOTES
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
        close = re.match(rf"[,.!?]?[{re.escape(grammar.CLOSE_QUOTES)}]", text[end : span[1]])
        if close is not None:
            end += close.end()
    after = text[end : span[1]]
    marker = grammar.MARKER.match(after)
    return after[marker.end() :] if marker else after


def _is_subject(before: str) -> bool:
    return not before.startswith("\u2026") and grammar.SUBJECT.fullmatch(before) is not None


def _sentence_signals(text: str, m: Mention, span: tuple[int, int]) -> list[Signal]:
    before, quoted = _before(text, m, span)
    after = _after(text, m, span, quoted)
    subject = _is_subject(before)
    out: list[Signal] = []

    def add(how: str, strength: float) -> None:
        out.append(Signal(how, strength, span))

    means = grammar.MEANS_AFTER.match(after)
    if means is not None and (subject or quoted):
        past = grammar.PAST_VERB.search(means.group("verb")) is not None
        add("means", MEANS * (PAST if past else 1.0))
    if grammar.DEFINED_AFTER.match(after) or (
        "defin" in before and grammar.DEFINE_BEFORE.search(before) and grammar.AS_AFTER.match(after)
    ):
        add("defined as", DEFINED_AS)
    if "by " in before and grammar.BY_BEFORE.search(before) and grammar.BY_AFTER.match(after):
        add("by X we mean", BY_WE_MEAN)
    if grammar.SPEAK_AFTER.match(after) and grammar.SPEAK_BEFORE.search(before):
        add("speak of", SPEAK_OF)
    if quoted and not grammar.PREPOSITION_END.search(before):
        if grammar.WHICH_IS_AFTER.match(after):
            add("quoted", QUOTED)
        elif grammar.EXPLAINED_BY_PUNCT.match(after):
            add("quoted", CALLED)
    if subject and means is None and _may_be_what_is_defined(text, m):
        copula = grammar.COPULA_AFTER.match(after)
        strength = _copula_strength(copula, after) if copula is not None else 0.0
        if strength:
            add("is", strength)
    definition_of = grammar.DEFINITION_OF_BEFORE.search(before) if " of " in before else None
    if definition_of is not None:
        if grammar.IS_AFTER.match(after):
            add("definition of", DEFINITION_OF)
        elif definition_of.group("noun") in ("definition", "meaning"):
            add("definition of", CHARACTERISED)
    if grammar.GLOSS_AFTER.match(after):
        add("i.e.", GLOSS)
    if grammar.APPOSITION_AFTER.match(after):
        # "By proletariat, the class of ...": "is meant" left out, as after its first use.
        if grammar.BY_BEFORE.fullmatch(before):
            add("by X we mean", BY_WE_MEAN)
        # The term as subject, or after "is": in "In this sense, the theory of ...", the
        # phrase before the subject ends on "sense".
        elif subject or grammar.COPULA_BEFORE.search(before):
            add("apposition", APPOSITION)
    if grammar.IS_AFTER.match(after) and grammar.CHARACTERISED_BEFORE.search(before):
        add("characterised", CHARACTERISED)
    if ("call" in before or "term" in before or "name" in before or "known" in before) and (
        grammar.CALLED_BEFORE.search(before) and not grammar.CALLED_ACTIVE.search(before)
    ):
        add("called", CALLED)
    return out


def _may_be_what_is_defined(text: str, m: Mention) -> bool:
    """Whether "X is ..." may say what X is. Not when X is a word of another stem
    ("Faithful are the wounds of a friend" for faith), nor a function word opening an
    inverted sentence ("Therefore is the kingdom of heaven likened unto ...")."""
    return m.exact and text[m.start : m.end].lower() not in function_words()


def _copula_strength(copula: re.Match[str], after: str) -> float:
    past = copula.group("cop").lower() in ("was", "were")
    following = copula.group("next").lower()
    if copula.group("neg"):
        # "is not simply an electoral organization but rather ..." still says what it is.
        word_after_not = after[copula.end("neg") :].split(maxsplit=1)[0].lower()
        if word_after_not in grammar.CONTRAST_NEXT and re.search(r"\bbut\b", after[copula.end() :]):
            strength = COPULA
        else:
            strength = NEGATED
    elif following in grammar.STRONG_NEXT:
        strength = COPULA
    elif past or _participle(following, after[copula.end() :]):
        # "was very behindhand", "are operating", "is born": telling, not defining.
        return 0.0
    else:
        strength = COPULA_WEAK  # "God is love"
    return strength * (PAST if past else 1.0)


def _participle(following: str, rest: str) -> bool:
    """Whether "X is <following> <rest>" is passive or progressive: "is born", "are
    operating", and past an adverb, "is suddenly fallen", "are further reproached"."""
    words = [following]
    if following.endswith("ly") or following in grammar.LOOSE_ADVERBS:
        words += [w.strip(",;:.!?").lower() for w in rest.split(maxsplit=1)[:1]]
    return any(w.endswith(("ing", "ed")) or w in grammar.PARTICIPLES for w in words)


def _glossary(text: str, m: Mention) -> Signal | None:
    """A paragraph that opens with the term as a headword: "SECT. A body ..." or
    "Sect: a body ..."."""
    para_start = text.rfind("\n\n", 0, m.start) + 2 if "\n\n" in text[: m.start] else 0
    lead = text[para_start : m.start]
    if lead.strip(grammar.OPEN_QUOTES + " \n"):
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
    exact = any(s.exact for s in ordered)
    return Signal(best.how, min(TEXT_CAP, total), best.span, exact)
