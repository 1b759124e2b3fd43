"""The term vocabulary: what it holds, how it is stored, and how it completes and suggests."""

from __future__ import annotations

import random
import string
import time

import pytest

from embeddings.define.discover import defined_terms
from embeddings.define.entries import headword_forms
from embeddings.documents import Footnote
from embeddings.passages import Passage
from embeddings.vocabulary import (
    DEFINED,
    HEADWORD,
    PHRASE,
    SHOWN_CACHE,
    Vocabulary,
    VocabularyTerm,
    build_vocabulary,
)
from tests.embeddings.definition_examples import Example, named_examples


def passage(source: str, text: str, **kw: object) -> Passage:
    return Passage(source=source, text=text, start=0, end=len(text), **kw)  # type: ignore[arg-type]


CORPUS = [
    passage(
        "a.txt", "The working class builds. The working class waits. Working-class parties grow."
    ),
    passage("a.txt", "Engels and Marx wrote of the working class and the division of labour."),
    passage("a.txt", "Then Marx and the division of labour; the division of labour again."),
    passage("b.txt", "Sects multiply. A sect is a small group. The sect splits."),
    passage("b.txt", "By a political center we mean a paper around which people gather."),
    passage("b.txt", "The sect-socialist [2*] has always felt a soul-torn difficulty."),
    passage(
        "c.txt",
        "CYNIC, n.  A blackguard whose faulty vision sees things as they are.",
        kind="entry",
        headword="CYNIC",
    ),
    passage(
        "c.txt",
        "BABE or BABY, n.  A misshapen creature of no particular age.",
        kind="entry",
        headword="BABE or BABY",
    ),
]
FOOTNOTES = {
    "b.txt": {
        "2*": Footnote(
            "2*", "We use this awkward term instead of “sectarian.”", "The sect-socialist"
        )
    }
}


@pytest.fixture(scope="module")
def vocabulary() -> Vocabulary:
    return build_vocabulary(CORPUS, FOOTNOTES)


def term(vocabulary: Vocabulary, text: str) -> VocabularyTerm:
    found = vocabulary.lookup(text)
    assert found is not None, text
    return found


# -- what it holds ---------------------------------------------------------------------------


def test_frequent_words_and_phrases_with_their_counts_and_works(vocabulary: Vocabulary) -> None:
    working_class = term(vocabulary, "working class")
    assert working_class.kind == PHRASE
    assert working_class.count == 4  # "Working-class" too
    assert vocabulary.where("working class") == ["a.txt"]
    assert term(vocabulary, "division of labour").count == 3
    assert vocabulary.where("sect") == ["b.txt"]


def test_phrases_never_start_or_end_with_a_function_word(vocabulary: Vocabulary) -> None:
    assert vocabulary.lookup("of the") is None
    assert vocabulary.lookup("the working class") is None
    assert vocabulary.lookup("division of") is None


def test_a_plural_is_one_term_with_its_singular(vocabulary: Vocabulary) -> None:
    assert vocabulary.lookup("sects") is None
    assert term(vocabulary, "sect").count == 3  # "Sects", "sect", "sect"


def test_proper_names_keep_their_capital(vocabulary: Vocabulary) -> None:
    assert term(vocabulary, "marx").text == "Marx"
    assert term(vocabulary, "division of labour").text == "division of labour"


def test_a_function_word_between_names_stays_lower_case() -> None:
    # "And" is capitalised inside these sentences (as in the KJV's "he said, And ..."),
    # yet a function word is never a name, whatever its capitals.
    names = build_vocabulary(
        [
            passage("kjv.txt", "Then came Aaron and Moses, and he said, And so it was."),
            passage("kjv.txt", "So spake Aaron and Moses; she said, And the people heard."),
            passage("kjv.txt", "They saw Aaron and Moses there, and Moses wept."),
        ],
        {},
    )
    assert term(names, "aaron and moses").text == "Aaron and Moses"


def test_headwords_in_every_form_a_reader_may_ask(vocabulary: Vocabulary) -> None:
    assert term(vocabulary, "cynic").kind == HEADWORD
    assert term(vocabulary, "baby").kind == HEADWORD and term(vocabulary, "babe").kind == HEADWORD
    assert headword_forms("TZETZE (or TSETSE) FLY") == [
        "TZETZE FLY",
        "TSETSE FLY",
        "TZETZE",
        "TSETSE",
    ]
    assert headword_forms("CONFIDANT, CONFIDANTE") == ["CONFIDANT", "CONFIDANTE"]


def test_defined_terms_including_one_a_footnote_explains(vocabulary: Vocabulary) -> None:
    assert term(vocabulary, "political center").kind == DEFINED
    assert term(vocabulary, "sect").kind == DEFINED  # "A sect is a small group."
    socialist = term(vocabulary, "sect-socialist")
    assert (socialist.text, socialist.kind) == ("sect-socialist", DEFINED)


def entry(text: str) -> Passage:
    """An entry of a dictionary: its headword, its part of speech and its definition."""
    return passage("devil.txt", text, kind="entry", headword=text.split(",")[0])


ENTRIES = [
    entry("GOOD, adj.  Sensible, madam, to the worth of this present writer."),
    entry("OLD, adj.  In that stage of usefulness which is not inconsistent with inefficiency."),
    entry("ENOUGH, pro.  All there is in the world if you like it."),
    entry("ME, pro.  The objectionable case of I."),
]


def test_an_entry_s_part_of_speech_is_no_word_of_it() -> None:
    # Every "adj." of the Devil's Dictionary was counted: /define offered "adj" as a term.
    entries = build_vocabulary(ENTRIES, {})
    assert entries.lookup("adj") is None and entries.lookup("pro") is None
    assert "adj" not in entries.complete("ad") and "adj" not in entries.suggest("adjs")
    assert term(entries, "good").kind == HEADWORD


def test_a_part_of_speech_in_running_prose_stays_a_word() -> None:
    notes = passage("notes.txt", "The clerk wrote adj for adjective, and adj was all he wrote.")
    adj = term(build_vocabulary([*ENTRIES, notes], {}), "adj")
    assert (adj.count, adj.sources) == (2, (1,))  # the two of the notes, not the entries'


@pytest.mark.parametrize("example", named_examples())
def test_defined_terms_are_found_without_knowing_the_term(example: Example) -> None:
    assert example.named in defined_terms(example.text)


def test_a_stored_vocabulary_loads_back_the_same(vocabulary: Vocabulary) -> None:
    again = Vocabulary.from_json(vocabulary.to_json())
    assert again.terms == vocabulary.terms and again.sources == vocabulary.sources
    assert len(Vocabulary.from_json({"version": 0, "terms": [["x", 1, "phrase", []]]})) == 0


# -- completion and "did you mean" -------------------------------------------------------------


def test_completion_offers_terms_that_start_like_the_prefix(vocabulary: Vocabulary) -> None:
    found = vocabulary.complete("sec")
    assert found[0] == "sect"  # the most frequent, and defined
    assert "sect-socialist" in found
    assert vocabulary.complete("Working-Cl")[0] == "working class"


def test_an_exact_term_comes_first_then_longer_ones(vocabulary: Vocabulary) -> None:
    assert vocabulary.complete("division of labour")[0] == "division of labour"


def test_completion_also_finds_a_later_word_of_a_phrase(vocabulary: Vocabulary) -> None:
    assert "political center" in vocabulary.complete("cent")


def test_a_misspelt_prefix_still_completes(vocabulary: Vocabulary) -> None:
    assert "division of labour" in vocabulary.complete("divisoin")


def test_did_you_mean_offers_the_closest_known_terms(vocabulary: Vocabulary) -> None:
    assert vocabulary.suggest("cynik")[0] == "cynic"
    assert "division of labour" in vocabulary.suggest("divison of labor")
    assert "cynic" not in vocabulary.suggest("cynic")
    assert vocabulary.suggest("zzzzqqqq") == []


def test_did_you_mean_never_offers_a_word_spelt_far_from_the_one_asked() -> None:
    known = Vocabulary(
        [VocabularyTerm(t, 10, PHRASE) for t in ("read", "position", "trotskyist")], ["x"]
    )
    assert known.suggest("ireland") == [] and known.suggest("boston") == []
    assert known.suggest("positon") == ["position"]  # a slip
    assert known.suggest("trotsky") == ["trotskyist"]  # a longer form


def hiding_vocabulary() -> Vocabulary:
    """Two shown spellings of "sectaria…", and more of them that only a hidden work holds,
    each of these heavier and spelt as close."""
    hidden = [VocabularyTerm(f"sectaria{c}", 100, PHRASE, (1,)) for c in string.ascii_lowercase]
    shown = [
        VocabularyTerm("sectarian", 3, PHRASE, (0, 1)),
        VocabularyTerm("sectarians", 2, PHRASE, (0,)),
    ]
    return Vocabulary([t for t in hidden if t.text != "sectarian"] + shown, ["a.txt", "b.txt"])


def test_a_term_only_hidden_works_hold_is_not_shown_one_held_elsewhere_too_is() -> None:
    # What /define's "do I know this term?" asks of one term, by the rule its completions
    # keep to: a server hiding b.txt is not told it knows a word only b.txt holds.
    vocabulary = hiding_vocabulary()
    assert not vocabulary.shows("sectariaz", {"b.txt"})  # b.txt's alone
    assert vocabulary.shows("sectariaz", {"a.txt"}) and vocabulary.shows("sectariaz")
    assert vocabulary.shows("sectarian", {"b.txt"})  # a.txt holds it too
    assert vocabulary.shows("no such term", {"a.txt", "b.txt"})  # nothing to hide


def test_the_terms_each_set_of_hidden_works_shows_are_kept_for_the_sets_asked_lately() -> None:
    # A server asks with its set on every key typed; a set asked long ago makes way (the
    # first sets asked were kept for good, and every later server's made anew each key).
    many = SHOWN_CACHE + 1
    vocabulary = Vocabulary(
        [VocabularyTerm(f"term{i}", 1, PHRASE, (i,)) for i in range(many)],
        [f"{i}.txt" for i in range(many)],
    )
    search = vocabulary._search()
    masks = [search.shown(frozenset({i})) for i in range(many)]
    assert search.shown(frozenset({many - 1})) is masks[-1]  # the latest set's, kept
    assert search.shown(frozenset({0})) is not masks[0]  # the oldest's, let go


def test_terms_only_hidden_works_hold_leave_their_places_to_shown_ones() -> None:
    vocabulary, hidden = hiding_vocabulary(), {"b.txt"}
    shown = [t.text for t in vocabulary.terms if set(vocabulary.where(t.text)) - hidden]
    for offered in (vocabulary.complete("sectaria", 2), vocabulary.suggest("sectaria", 2)):
        assert set(offered).isdisjoint(shown)  # hidden, these would take every place
    for offered in (
        vocabulary.complete("sectaria", 2, hidden=hidden),
        vocabulary.suggest("sectaria", 2, hidden=hidden),
    ):
        assert sorted(offered) == sorted(shown)
    assert vocabulary.complete("sectaria", 2, hidden={"c.txt"}) == vocabulary.complete(
        "sectaria", 2
    )


def test_an_empty_vocabulary_completes_nothing() -> None:
    assert Vocabulary().complete("sec") == [] and Vocabulary().suggest("sect") == []


BIG_WORKS = [f"work{i}.txt" for i in range(60)]


def big_vocabulary(n: int = 60_000) -> Vocabulary:
    """Terms of one to four of 60 works each."""
    rng = random.Random(7)
    words = ["".join(rng.choices(string.ascii_lowercase, k=rng.randint(3, 10))) for _ in range(n)]
    terms = [
        VocabularyTerm(
            " ".join(words[i : i + rng.randint(1, 3)]),
            rng.randint(1, 500),
            PHRASE,
            tuple(sorted(rng.sample(range(len(BIG_WORKS)), rng.randint(1, 4)))),
        )
        for i in range(n)
    ]
    return Vocabulary(terms, BIG_WORKS).warm()


@pytest.mark.parametrize("hidden", [(), BIG_WORKS[:40]], ids=["all shown", "most hidden"])
def test_at_most_25_suggestions_fast_enough_for_discord_autocomplete(hidden: list[str]) -> None:
    vocabulary = big_vocabulary()
    prefixes = ["a", "s", "se", "sec", "qu", "xyzq", "abcdefgh", "mmmmmmm", "tr", "zzz"]
    timings = []
    for prefix in prefixes * 5:
        started = time.perf_counter()
        found = vocabulary.complete(prefix, hidden=hidden)
        timings.append(time.perf_counter() - started)
        assert len(found) <= 25
    assert len(vocabulary.complete("s", hidden=hidden)) == 25
    timings.sort()
    assert timings[len(timings) // 2] < 0.05  # Discord allows 3 s; the issue asks < 50 ms
