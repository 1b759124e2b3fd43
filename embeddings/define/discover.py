"""Terms a text defines, found without knowing the term: what the vocabulary offers as
"defined" (the precise shapes of `grammar` only: nothing confirms what they find)."""

from __future__ import annotations

from embeddings.define import grammar
from embeddings.documents import Footnote
from embeddings.sentences import split_sentences
from embeddings.stopwords import content_word, function_words
from embeddings.tokens import COMPOUND, key_of


def defined_terms(text: str) -> list[str]:
    """Terms a passage defines, found without knowing the term (precise patterns only)."""
    stop = function_words()
    found: list[str] = []
    candidates = [m.group("t") for p in grammar.NAMING_SHAPES for m in p.finditer(text)]
    for term in [*candidates, *_stipulated_subjects(text)]:
        term = grammar.ARTICLE.sub("", term.strip(" -‐'’_*"))
        words = key_of(term).split()
        if words and all(content_word(w, stop) for w in (words[0], words[-1])):
            found.append(term)
    return found


def _stipulated_subjects(text: str) -> list[str]:
    """After "we shall use these terms ...", the subjects of the next sentences are the
    terms being defined: "A sect presents itself as ...", "a working-class party is ..."."""
    out: list[str] = []
    for found in grammar.STIPULATION.finditer(text):
        # Sentences of the paragraph only: the text may be a whole document.
        start, end = _paragraph_bounds(text, found.start())
        para = text[start:end]
        sentences = split_sentences(para)
        at = found.start() - start
        i = next((n for n, (s, e) in enumerate(sentences) if s <= at < e), len(sentences))
        for s2, e2 in sentences[i + 1 : i + 1 + grammar.STIPULATION_REACH]:
            m = grammar.LEADING_ARTICLE.match(para, s2, e2)
            if m is None:
                continue
            words = [w.group() for w in COMPOUND.finditer(para, m.end(), e2)][:4]
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
    return w in grammar.VERBS or (w.endswith("s") and not w.endswith(("ss", "us", "is")))


def explained_by_footnote(note: Footnote) -> str:
    """The term a footnote explains, when it talks about a term and its anchor ends on a
    word ("The sect-socialist" + "We use this awkward term ..." -> "sect-socialist")."""
    if not note.anchor or not grammar.TERM_TALK.search(note.text):
        return ""
    m = grammar.LAST_COMPOUND.search(note.anchor)
    if m is None:
        return ""
    word = m.group(1)
    return "" if word.lower() in function_words() else word
