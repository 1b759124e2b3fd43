"""Shapes of definition, and of mere usage, met in the shared corpora: each case is a
sentence of the King James Bible, the Communist Manifesto or The Devil's Dictionary that
/define and Explain read wrongly before."""

from __future__ import annotations

import pytest

from embeddings.define import DEFINITION, RELATED, USAGE, find_mentions, parse_term
from embeddings.documents import Block
from embeddings.explain import EXPLAINS
from tests.embeddings.test_define import define, document, index_of, shapes, strength

# -- "X is" + a passive participle that does not end in -ed: telling, not defining ---------


@pytest.mark.parametrize(
    ("term", "sentence"),
    [
        ("man", "Yet man is born unto trouble, as the sparks fly upward."),  # Job 5:7
        ("man", "A man is known by the company that he organizes."),  # Bierce, SAW
        ("light", "Light is sown for the righteous, and gladness for the upright in heart."),
        ("few", "For many are called, but few are chosen."),  # Matthew 22:14
        ("wife", "The wife is bound by the law as long as her husband liveth."),
        ("French", "The French are said to eat more bread per capita than any other people."),
        ("Babylon", "Babylon is suddenly fallen and destroyed: howl for her."),  # Jer 51:8
        (
            "communists",
            "The Communists are further reproached with desiring to abolish countries.",
        ),
    ],
)
def test_a_passive_statement_is_not_a_definition(term: str, sentence: str) -> None:
    # shapes.py: '"was very behindhand", "are operating", "is born": telling, not
    # defining' -- but only "-ing"/"-ed" words were checked, after a fixed list of adverbs.
    assert shapes(term, sentence) == set()


# -- "called the X": someone summoned, not a name given ------------------------------------


@pytest.mark.parametrize(
    ("term", "sentence"),
    [
        ("child", "And the maid went and called the child's mother."),  # Exodus 2:8
        ("child", "And Eli perceived that the LORD had called the child."),  # 1 Samuel 3:8
        ("wise men", "Then Pharaoh also called the wise men and the sorcerers."),  # Ex 7:11
    ],
)
def test_calling_someone_is_not_naming_the_term(term: str, sentence: str) -> None:
    assert shapes(term, sentence) == set()


def test_a_name_given_is_still_a_definition() -> None:
    assert "called" in shapes("author", 'Drawn across paper by a person called an "author".')


# -- "by the improved means of": "means" the noun is not "by X we mean" --------------------


def test_means_the_noun_is_not_by_x_we_mean() -> None:
    sentence = (
        "This union is helped on by the improved means of communication that are created "
        "by modern industry."  # The Communist Manifesto, I.
    )
    assert shapes("improve", sentence) == set()
    assert strength("improve", sentence) < EXPLAINS  # Explain showed it for CYNIC's "improve"


def test_by_x_we_mean_still_defines() -> None:
    assert "by X we mean" in shapes("freedom", "By freedom we mean free trade.")


# -- a dictionary entry of an unrelated word that shares a Snowball stem ------------------

DICTIONARY = document(
    "devils.txt",
    Block("POLITENESS, n.  The most acceptable hypocrisy.", kind="entry", headword="POLITENESS"),
    Block(
        "POLITICS, n.  A strife of interests masquerading as a contest of principles.",
        kind="entry",
        headword="POLITICS",
    ),
    Block(
        "ADMIRAL, n.  That part of a war-ship which does the talking.",
        kind="entry",
        headword="ADMIRAL",
    ),
    Block(
        "ADMIRATION, n.  Our polite recognition of another's resemblance to ourselves.",
        kind="entry",
        headword="ADMIRATION",
    ),
    Block(
        "CORPORAL, n.  A man who occupies the lowest rung of the military ladder.",
        kind="entry",
        headword="CORPORAL",
    ),
    Block(
        "CORPORATION, n.  An ingenious device for obtaining individual profit without "
        "individual responsibility.",
        kind="entry",
        headword="CORPORATION",
    ),
    Block("OPPORTUNITY, n.  A favorable occasion.", kind="entry", headword="OPPORTUNITY"),
    Block("In politics the party that prevents the Government from running amuck."),
    title="The Devil's Dictionary",
    author="Ambrose Bierce",
)


@pytest.mark.parametrize(
    ("asked", "unrelated"),
    [
        ("politics", "POLITENESS"),
        ("political", "POLITENESS"),
        ("politeness", "POLITICS"),
        # Snowball's "admir" and "corpor", and one letter more: the "a" of "-al".
        ("admiration", "ADMIRAL"),
        ("admiral", "ADMIRATION"),
        ("corporation", "CORPORAL"),
        ("corporal", "CORPORATION"),
    ],
)
def test_an_entry_of_an_unrelated_word_is_not_shown_as_a_related_word(
    asked: str, unrelated: str
) -> None:
    # Snowball stems politics and politeness alike ("polit"): /define politics showed
    # POLITENESS as a "related word", second.
    found = define(index_of(DICTIONARY), asked)
    shown = [t.split(",")[0] for t, label in zip(found.texts, found.labels, strict=True)]
    defining = [s for s, label in zip(shown, found.labels, strict=True) if label != USAGE]
    assert unrelated not in defining


def test_an_entry_of_a_word_of_the_same_family_is_still_related() -> None:
    found = define(index_of(DICTIONARY), "opportunism")
    assert found.labels == [RELATED]


@pytest.mark.parametrize(
    ("asked", "written"),
    [("admiration", "admiral"), ("corporal", "corporation"), ("animal", "animated")],
)
def test_a_word_that_shares_only_the_stem_and_the_a_of_al_is_no_mention(
    asked: str, written: str
) -> None:
    assert find_mentions(parse_term(asked), f"Here is the {written}.") == []


@pytest.mark.parametrize(
    ("asked", "written"),
    [
        ("sectarianism", "sectarian"),
        ("pity", "pitiful"),
        ("opportunism", "opportunity"),
        ("existence", "existing"),
        ("accuse", "accuser"),
        ("abundance", "abundant"),
        ("toleration", "tolerable"),
        ("patriotism", "patriotic"),
        ("commercialism", "commercially"),
        ("continuance", "continual"),
    ],
)
def test_a_word_of_the_term_s_family_is_still_a_mention(asked: str, written: str) -> None:
    (mention,) = find_mentions(parse_term(asked), f"Here is the {written}.")
    assert not mention.exact


# -- "X, i.e., Y": the Manifesto's way of defining -----------------------------------------


@pytest.mark.parametrize(
    ("term", "sentence"),
    [
        (
            "capital",
            "It creates capital, i.e., that kind of property which exploits wage-labour.",
        ),
        (
            "minimum wage",
            "The average price of wage-labour is the minimum wage, i.e., that quantum of the "
            "means of subsistence which is absolutely requisite to keep the labourer alive.",
        ),
    ],
)
def test_a_gloss_after_i_e_defines_the_term(term: str, sentence: str) -> None:
    assert shapes(term, sentence) != set()


def test_define_minimum_wage_finds_the_manifesto_s_gloss() -> None:
    manifesto = document(
        "manifesto.txt",
        "The average price of wage-labour is the minimum wage, i.e., that quantum of the "
        "means of subsistence which is absolutely requisite to keep the labourer alive.",
        "Wage-labour earns the minimum wage and no more.",
        title="The Communist Manifesto",
    )
    found = define(index_of(manifesto), "minimum wage")
    assert found.answer.defined and found.labels[0] == DEFINITION
    assert "i.e." in found.texts[0]


# -- "X, the class of ...": an apposition that names the term's kind -----------------------


@pytest.mark.parametrize(
    ("term", "sentence"),
    [
        (
            "proletariat",
            "In proportion as the bourgeoisie, i.e., capital, is developed, in the same "
            "proportion is the proletariat, the modern working class, developed--a class of "
            "labourers, who live only so long as they find work.",  # The Manifesto, I.
        ),
        (
            "proletariat",
            "The proletariat, the lowest stratum of our present society, cannot stir, cannot "
            "raise itself up.",  # The Manifesto, I.
        ),
    ],
)
def test_an_apposition_that_names_the_term_s_kind_defines_it(term: str, sentence: str) -> None:
    assert "apposition" in shapes(term, sentence)


def test_by_x_and_an_apposition_is_by_x_we_mean() -> None:
    # Engels' note to the English edition of 1888, "is meant" left out after its first use.
    sentence = (
        "By proletariat, the class of modern wage-labourers who, having no means of "
        "production of their own, are reduced to selling their labour power in order to live."
    )
    assert "by X we mean" in shapes("proletariat", sentence)


@pytest.mark.parametrize(
    ("term", "sentence"),
    [
        # Leviticus 11:19, Joshua 24:29, 1 Peter 5:12, Ezekiel 4:11
        ("stork", "And the stork, the heron after her kind, and the lapwing, and the bat."),
        ("nun", "Joshua the son of Nun, the servant of the LORD, died."),
        ("Silvanus", "By Silvanus, a faithful brother unto you, I have written briefly."),
        ("measure", "Thou shalt drink also water by measure, the sixth part of an hin."),
        # The Manifesto, II. and I.: the phrase before the subject ends on the term.
        (
            "sense",
            "In this sense, the theory of the Communists may be summed up in the single "
            "sentence: Abolition of private property.",
        ),
        (
            "period",
            "Just as, therefore, at an earlier period, a section of the nobility went over to "
            "the bourgeoisie, so now a portion of the bourgeoisie goes over to the proletariat.",
        ),
    ],
)
def test_an_apposition_that_only_says_who_or_which_is_no_definition(
    term: str, sentence: str
) -> None:
    assert shapes(term, sentence) == set()


# -- a connective between the term and its verb: "The Communists, therefore, are ..." -------


@pytest.mark.parametrize(
    ("term", "sentence", "connective"),
    [
        (
            "communists",
            "The Communists, therefore, are on the one hand, practically, the most advanced "
            "and resolute section of the working-class parties of every country.",  # II.
            ", therefore,",
        ),
        (
            "sect",
            "A sect, however, is a group that sets its boundary by its program.",
            ", however,",
        ),
        ("sect", "A sect then is a group that sets its boundary by its program.", " then"),
        ("sectarianism", "Sectarianism, in fact, means putting the group first.", ", in fact,"),
    ],
)
def test_a_connective_before_the_verb_does_not_hide_the_shape(
    term: str, sentence: str, connective: str
) -> None:
    without = sentence.replace(connective, "")
    assert shapes(term, sentence) == shapes(term, without) != set()
    assert strength(term, sentence) == strength(term, without)


# -- a term after a phrase that is no lead-in to its clause: "To poets all Nature is ..." ---


@pytest.mark.parametrize(
    ("term", "sentence"),
    [
        # The Devil's Dictionary, OUT-OF-DOORS and ABSENT: the line /define nature put first.
        ("nature", "To poets all Nature is pregnant with grand Ideas--with thought and emotion."),
        ("man", "To men a man is but a mind."),
        # Draper, The Anatomy of the Micro-Sect, and Ephesians 2:8
        ("sect", "For them the sect is not an unfortunate necessity: it is their movement."),
        ("grace", "For by grace are ye saved through faith."),
    ],
)
def test_a_term_after_a_prepositional_phrase_is_not_what_its_sentence_defines(
    term: str, sentence: str
) -> None:
    assert shapes(term, sentence) == set()


@pytest.mark.parametrize(
    ("term", "sentence"),
    [
        ("god", "For our God is a consuming fire."),  # Hebrews 12:29: "for", the conjunction
        ("baal", "Under whatever name worshiped, Baal is the Sun-god."),  # Bierce, BAAL
        ("sect", "For example a sect is a group that sets its boundary by its program."),
    ],
)
def test_a_term_after_a_conjunction_or_a_phrase_closed_by_a_comma_is_still_a_subject(
    term: str, sentence: str
) -> None:
    assert "is" in shapes(term, sentence)
