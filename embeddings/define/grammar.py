"""The grammar of a definition: the shapes a passage takes when it says what a term means.

One grammar, read two ways:

- around a known term (/define): the words before and after each mention of the term
  asked, matched by the `*_BEFORE` and `*_AFTER` patterns below. The term is already
  found, so these may be loose: "X is ...", "by X we mean ...", "... is called X";
- naming its term (the vocabulary, before anyone asks): `NAMING_SHAPES`, each with a
  group `t` for the term. Nothing confirms what they find, so they are the precise
  shapes only ("“X” is used to mean", "A sect is a ...").

Both read the same quote characters, stipulations ("we shall use these terms ...") and
words about words ("We use this awkward term ...").
"""

from __future__ import annotations

import re

OPEN_QUOTES = "“\"‘'«_*"
CLOSE_QUOTES = "”\"’'»_*"
# Between passages joined into one text for one scan: no pattern runs across it, and a
# paragraph ends at it.
PASSAGE_BREAK = "\n\x00\n"
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

# Pieces of several shapes: "the word", an article, a term in quotes, a sentence's start.
_THE_WORD = r"(?:the\s+(?:word|term)\s+)?"
_AN_OR_THE = r"(?:an?\s+|the\s+)?"
_SENTENCE_START = r"(?:^|(?<=[.!?]\s)|(?<=\n))"

# -- around a known term -----------------------------------------------------------------------

MARKER = re.compile(r"\s*\[[^\]\s]{1,5}\]")  # a footnote marker after the term: "[2*]"
_ADVERBS = (
    r"(?:(?:usually|often|generally|commonly|properly|simply|really|here|thus|also|always|"
    r"originally|now|today|still|strictly|literally|technically|sometimes|primarily|"
    r"mainly|chiefly|traditionally|in\s+short)\s+)*"
)
# A connective between the term and its verb: "The Communists, therefore, are ...".
_CONNECTIVE = (
    r"(?:,?\s*(?:therefore|however|then|indeed|in\s+fact|thus|hence|moreover|furthermore|"
    r"accordingly|consequently|nevertheless|of\s+course|in\s+turn|in\s+short)\s*,?\s+)?"
)
MEANS_AFTER = re.compile(
    r"^[\s,]*"
    + _CONNECTIVE
    + r"(?:(?:which|that|who)\s+)?"
    + _ADVERBS
    + r"(?P<verb>means|meant|meaning|mean|"
    r"refers\s+to|refer\s+to|referred\s+to|denotes|denote|denoted|signifies|signified|"
    r"designates|designated|stands\s+for|stood\s+for|"
    r"(?:is|are|was|were)\s+(?:\w+\s+){0,2}?(?:used|employed|understood|taken|meant)\b"
    r"[^.;:]{0,40}?\b(?:to\s+(?:mean|denote|describe|designate|refer\s+to|signify)|as|for))\b",
    re.IGNORECASE,
)
PAST_VERB = re.compile(r"\b(?:meant|referred|denoted|signified|designated|stood|was|were)\b")
DEFINED_AFTER = re.compile(
    r"^[\s,]*(?:,[^,.;:]{1,60},\s*)?(?:is|are|was|were|may\s+be|can\s+be|might\s+be|"
    r"must\s+be|should\s+be|will\s+be|has\s+been|have\s+been)\s+(?:\w+\s+)?defined\b",
    re.IGNORECASE,
)


def _ends_before_term(words: str, lead: str = _AN_OR_THE) -> re.Pattern[str]:
    """The text before a mention ends with one of `words` (an alternation), then `lead`,
    the words that may stand between them and the term ("the term ", "a ")."""
    return re.compile(rf"\b(?:{words})\s+{lead}$")


DEFINE_BEFORE = _ends_before_term("define|defines|defined|defining", _THE_WORD + _AN_OR_THE)
AS_AFTER = re.compile(r"^[\s,]*(?:as|to\s+be)\b", re.IGNORECASE)
COPULA_AFTER = re.compile(
    r"^\s*(?:,[^,.;:]{1,60},\s*)?"
    + _CONNECTIVE
    + r"(?P<cop>is|are|was|were)\s+(?P<neg>not\s+)?"
    + _ADVERBS
    + r"(?P<next>[\w’']+)",
    re.IGNORECASE,
)
# Words after "X is" that make it a definition: "a ...", "what ...", "simply ...".
STRONG_NEXT = frozenset(
    [
        *("a", "an", "the", "one", "what", "that", "when", "where", "something", "nothing"),
        *("simply", "merely", "just", "essentially", "basically", "properly", "always"),
        *("usually", "generally", "commonly", "often", "any", "each", "every"),
    ]
)
CONTRAST_NEXT = frozenset(["simply", "merely", "only", "just", "so", "necessarily"])
# Past participles that do not end in "-ed": "is born", "are chosen", "is come" tell
# what happened to X (the Bible has some 2,000 of them), as "is used" or "are operating" do.
PARTICIPLES = frozenset(
    [
        *("born", "borne", "come", "gone", "risen", "arisen", "fallen", "given", "written"),
        *("taken", "chosen", "bound", "said", "known", "slain", "made", "shown", "sown"),
        *("seen", "done", "broken", "forgotten", "hidden", "driven", "eaten", "spoken"),
        *("sworn", "thrown", "grown", "drawn", "laid", "paid", "sent", "kept", "brought"),
        *("bought", "taught", "caught", "sold", "told", "found", "heard", "held", "led"),
        *("lost", "smitten", "forsaken", "begotten", "become", "cast", "wrought", "shut"),
        *("spent", "set", "put", "left", "cut", "gotten", "got", "torn", "worn", "won"),
    ]
)
# Adverbs the copula pattern does not list, read past to the word they qualify.
LOOSE_ADVERBS = frozenset(["further", "already", "even", "ever", "never", "yet", "once"])
WHICH_IS_AFTER = re.compile(
    r"^[\s,]*(?:which|that|who)\s+(?:\w+\s+){0,2}?(?:is|are|was|were|means|meant|refers|denotes)\b",
    re.IGNORECASE,
)
# "It creates capital, i.e., that kind of property which exploits wage-labour": a gloss.
GLOSS_AFTER = re.compile(r"^\s*,?\s*\(?\s*(?:i\.\s?e\.|that\s+is\s+to\s+say)[,:]?\s", re.IGNORECASE)
# "the proletariat, the modern working class, developed", "By proletariat, the class of
# modern wage-labourers who ...": an apposition that names the kind of thing the term is.
# Only a word for a kind ("class", "stratum", "doctrine") makes it one: "Nun, the servant
# of the LORD" says who, not what. Its words before that word are not prepositions ("the
# heron after her kind"), and it does not run on as a list ("..., and the lapwing").
_GENUS = (
    r"(?:(?:class|kind|sort|type|section|categor(?:y|ie)|doctrine|theor(?:y|ie)|system|"
    r"practice|art|science|condition|process)s?|strat(?:um|a)|species)"
)
APPOSITION_AFTER = re.compile(
    r"\s*,\s*(?:the|an?|that)\s+"
    r"(?:(?!(?:of|in|on|at|to|for|with|by|from|after|his|her|its|their|our|my|your)\b)"
    r"[\w\-‐’']+\s+){0,4}?" + _GENUS + r"\b"
    r"(?!\s*,\s*(?:and|or|nor|the|an?)\b)(?=\s*(?:[,;:.)—–]|--|(?:of|who|which|that|whose)\b))",
    re.IGNORECASE,
)
# "... is the proletariat, the modern working class": a term after the copula.
COPULA_BEFORE = re.compile(r"\b(?:is|are|was|were|be|been)\s+" + _AN_OR_THE + "$")
EXPLAINED_BY_PUNCT = re.compile(r"^\s*(?:[:—–(]|--)")
SPEAK_BEFORE = _ends_before_term(
    r"(?:speak|speaks|spoke|speaking|talk|talks|talked|talking|write|writes|wrote|"
    r"say|says|mention|mentions|use|uses)(?:\s+(?:of|about))?",
    _THE_WORD,
)
SPEAK_AFTER = re.compile(
    r"^[\s,]*(?:[\w\-]+\s+){1,3}?(?:usually\s+|generally\s+|often\s+|really\s+)?"
    r"(?:mean|means|meant|refer|refers|referred|have\s+in\s+mind|has\s+in\s+mind|"
    r"are\s+referring|understand|understands)\b",
    re.IGNORECASE,
)
BY_BEFORE = _ends_before_term(r"by(?:\s+the\s+(?:word|term|expression|name))?")
BY_AFTER = re.compile(
    # Not the noun: "by the improved means of communication" says nothing of "improved".
    r"^[\s,]*(?:[\w\-]+\s+){0,2}?(?:mean|means(?!\s+of\b)|meant|understand|understands|"
    r"understood|signify|signifies|denote|denotes|intend|intends|designate)\b",
    re.IGNORECASE,
)
DEFINITION_OF_BEFORE = _ends_before_term(
    r"(?P<noun>definition|meaning|essence|nature|concept|notion)\s+of", _THE_WORD + _AN_OR_THE
)
CHARACTERISED_BEFORE = _ends_before_term(
    r"(?:sign|mark|hallmark|characteristic|feature|test|touchstone|trait)s?\s+of|"
    r"what\s+(?:characteri[sz]es|distinguishes|defines|makes)"
)
IS_AFTER = re.compile(r"^[\s,]*(?:is|are|was|were|:|—|–)(?=\s)", re.IGNORECASE)
CALLED_BEFORE = _ends_before_term(
    r"called|termed|named|dubbed|labell?ed|known\s+as|what\s+(?:we|they|one|you|is|are)"
    r"\s+(?:\w+\s+)?(?:call|calls|called|term)"
)
# "called the child", "called the wise men": someone summoned (or the thing named, "God
# called the light Day"), not a name given; a name given is passive before "the": "was
# called the brook Eshcol", "what is called the ...".
CALLED_ACTIVE = re.compile(
    r"(?<!\bis )(?<!\bare )(?<!\bwas )(?<!\bwere )(?<!\bbe )(?<!\bbeen )(?<!\bbeing )"
    r"(?<!\bget )(?<!\bgets )(?<!\bgot )(?<!\bwe )(?<!\bthey )(?<!\bone )(?<!\byou )"
    r"\b(?:called|named|termed|dubbed)\s+the\s+$"
)
PREPOSITION_END = re.compile(r"\b(?:of|to|in|for|with|by|from|on|about|than|as|at|into)\s*$")
# The words that may come before a term that is the subject of its sentence: connectives,
# "for" the conjunction ("For our God is a consuming fire"), a phrase closed by its comma
# ("Under whatever name worshiped, Baal is ..."), then a determiner. Not a preposition and
# its noun with no comma: in "To poets all Nature is pregnant ..." or "For them the sect
# is not ...", the clause began before the term, which is said something of in passing.
SUBJECT = re.compile(
    r"(?:(?:and|but|so|thus|hence|now|then|therefore|however|yet|also|for|in\s+contrast|"
    r"by\s+contrast|on\s+the\s+other\s+hand|in\s+short|in\s+other\s+words|that\s+is|"
    r"i\.\s?e\.|for\s+(?:example|instance)|[\w\-]+ly|here|"
    r"(?:in|for|to|on|at|with|under|within|among|since)\s+[^,;:]{1,30},)\s*[,:;]?\s+)*"
    r"(?:(?:the|a|an|every|each|all|any|our|this|that|such|true|real|genuine|so-called)\s+)*"
    r"(?:(?:word|term|expression|phrase|concept|notion|idea|name|category)\s+(?:of\s+)?)?"
)
# The shapes that the words before the term make possible, as one pattern, and the
# words without which none of them can match (a cheaper test, tried first).
BEFORE_SHAPES = re.compile(
    "|".join(
        f"(?:{p.pattern})".replace("?P<noun>", "?:")
        for p in (
            DEFINE_BEFORE,
            BY_BEFORE,
            SPEAK_BEFORE,
            DEFINITION_OF_BEFORE,
            CHARACTERISED_BEFORE,
            CALLED_BEFORE,
        )
    )
)
BEFORE_CUES = frozenset(
    [
        *("by", "of", "define", "defines", "defined", "defining", "call", "calls", "called"),
        *("term", "termed", "named", "dubbed", "labeled", "labelled", "known", "speak"),
        *("speaks", "spoke", "speaking", "talk", "talks", "talked", "talking", "write"),
        *("writes", "wrote", "say", "says", "mention", "mentions", "use", "uses"),
    ]
)

AFTER_GATE = re.compile(
    r"[\W_]{0,4}(?:\[[^\]\s]{1,5}\]\s*)?"
    + _CONNECTIVE
    + r"(?:(?:\w+ly|often|now|also|always|here|thus|still|they|we|he|she|i|one|people|you|it)\s+)"
    r"{0,2}(?:is|are|was|were|mean\w*|refer\w*|denot\w*|signif\w*|design\w*|stands?|stood|"
    r"may|can|might|must|should|will|has|have|which|that|who|understand\w*)\b"
    r"|[\W_]{0,3}(?:[:—–(]|--|i\.\s?e\.|that\s+is\s+to\s+say)"
    rf"|{APPOSITION_AFTER.pattern}",
    re.IGNORECASE,
)


# -- shapes that name their term ---------------------------------------------------------------

# A term of one to three words, and the same in quotes or not.
_NP = r"[^\W\d_][\w\-‐'’]*(?:\s+[^\W\d_][\w\-‐'’]*){0,2}"
_QUOTED_TERM = rf"[{OPEN_QUOTES}]?(?P<t>{_NP})[{CLOSE_QUOTES}]?"
# "“Sect” is often used ... to mean", "“sectarian,” which is usually understood to mean"
_QUOTED_EXPLAINED = re.compile(
    rf"[{OPEN_QUOTES}](?P<t>{_NP})[,.]?[{CLOSE_QUOTES}]\s*,?\s*(?:which|that|who)?\s*"
    r"(?:is|are|was|were)?\s*(?:\w+\s+){0,2}?"
    r"(?:means|meant|refers?\s+to|denotes|signifies|used\s+(?:as|to|for)|understood\s+(?:as|to)|"
    r"defined\s+as|taken\s+to\s+mean)\b",
    re.IGNORECASE,
)
_SPEAK_OF = re.compile(
    r"\b(?:speak|speaks|spoke|talk|talks|write|writes)\s+(?:of|about)\s+"
    rf"[{OPEN_QUOTES}]?(?P<t>{_NP})[,.]?[{CLOSE_QUOTES}]?\s*,?\s+"
    r"(?:they|we|he|she|I|one|people)\s+(?:\w+\s+)?"
    r"(?:mean|means|meant|refer|refers|referred)\b",
    re.IGNORECASE,
)
_BY_WE_MEAN = re.compile(
    rf"\b[Bb]y\s+{_THE_WORD}{_QUOTED_TERM}\s*,?\s+"
    r"(?:we|I|one|is)\s+(?:\w+\s+)?(?:mean|means|meant|understand|signify|denote)\b",
)
# "Sectarianism means ...", "A sect is defined as ...", "The term X refers to ..."
_SUBJECT_DEFINES = re.compile(
    rf"{_SENTENCE_START}(?:(?:The|A|An)\s+(?:(?:word|term|concept|notion)\s+)?)?"
    rf"{_QUOTED_TERM}\s+(?:(?:is|are)\s+(?:\w+\s+)?defined\s+as|means|denotes|"
    r"signifies|refers\s+to)\b"
)
# "A sect is a ...", "An abstainer is one who ...": a generic article makes it a definition.
_ARTICLE_COPULA = re.compile(
    rf"{_SENTENCE_START}(?:A|An)\s+(?P<t>{_NP})\s+is\s+(?:a|an|one|the|that|not\s+simply)\b"
)
_DEFINITION_OF = re.compile(
    rf"\b(?:definition|meaning)\s+of\s+{_THE_WORD}{_AN_OR_THE}{_QUOTED_TERM}\s*(?:is|was|:)",
    re.IGNORECASE,
)
# The word a footnote's anchor ends on: "The sect-socialist" -> "sect-socialist".
LAST_COMPOUND = re.compile(r"([^\W\d_]+(?:[\-‐][^\W\d_]+)*)[”\"’']*\s*$")
ARTICLE = re.compile(r"^(?:an?|the)\s+", re.IGNORECASE)
# How a sentence after a stipulation opens on its subject: "In contrast, a working-class
# party is ...". The subject is then its first words before a verb-like word (`VERBS`).
LEADING_ARTICLE = re.compile(
    r"(?:(?:In|By)\s+contrast|However|Thus|So|And|But|Similarly|Likewise)?,?\s*"
    r"(?:A|An|The|a|an|the)\s+[“\"‘']?"
)
VERBS = frozenset(["is", "are", "was", "were", "has", "have", "means", "may", "can", "must"])
NAMING_SHAPES = (
    _QUOTED_EXPLAINED,
    _SPEAK_OF,
    _BY_WE_MEAN,
    _SUBJECT_DEFINES,
    _ARTICLE_COPULA,
    _DEFINITION_OF,
)
