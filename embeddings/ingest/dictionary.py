"""Dictionary entries in plain text: "ABASEMENT, n.  A decent and customary ...".

A paragraph opening with an upper-case headword and a part of speech is an entry.
Looser openings ("HABEAS CORPUS.  A writ ...", "ABRACADABRA.") count only once the
document has shown itself to be a dictionary, where they cannot be headings or
initials.
"""

from __future__ import annotations

import re

_TOKEN = r"[A-Z][A-Z'’.\-]*"
_WORD = rf"{_TOKEN}(?:[ -]{_TOKEN})*"
# "BABE or BABY", "CONFIDANT, CONFIDANTE", "TZETZE (or TSETSE) FLY"
_HEADWORD = rf"{_WORD}(?:(?:, | or ){_WORD})*(?: \(or {_WORD}\)(?: {_WORD})?)?"
_POS = r"(?:n\.\s?pl|v\.\s?t|v\.\s?i|p\.\s?p|adj|adv|pron?|prep|conj|interj|pp|pl|abbr|n|v|x)\."
_STRICT = re.compile(rf"(?P<hw>{_HEADWORD}),? (?P<pos>{_POS}(?:,? {_POS})*)(?=\s|$)")
_OPENINGS = re.compile(rf"^{_STRICT.pattern}", re.MULTILINE)
# In a dictionary: "FORMA PAUPERIS.  [Latin] ...", "R.I.P.  A careless ...", "CUI BONO?  ..."
_LOOSE_WITH_TEXT = re.compile(rf"(?P<hw>{_WORD})[.?](?= {{2,}}\S)")
# ...and a headword alone on its line, whose definition is the verse below it.
_LOOSE_ALONE = re.compile(rf"(?P<hw>{_WORD})\.")
_LETTERS = re.compile(r"[A-Z]")
_ROMAN = re.compile(r"[IVXLCDM]+")
MIN_ENTRIES = 5  # strict entries needed before a text counts as a dictionary


def strict_headword(first_line: str) -> str | None:
    """The headword of a line that opens an entry with a part of speech."""
    m = _STRICT.match(first_line)
    return m.group("hw") if m else None


def is_bare_headword(text: str) -> bool:
    """Whether `text` is an entry's headword and part of speech with nothing after them
    ("REGALIA, n."): a line that names what the text after it defines."""
    return _STRICT.fullmatch(text.strip()) is not None


def parts_of_speech(text: str) -> list[tuple[int, int, str]]:
    """Where each entry opening a line of `text` gives its part of speech, in order:
    (start, end, "adj.") for "GOOD, adj.  Sensible, madam, ..."."""
    return [(m.start("pos"), m.end("pos"), m.group("pos")) for m in _OPENINGS.finditer(text)]


def without_parts_of_speech(text: str) -> str:
    """`text` with each entry's part of speech ("GOOD, adj.  Sensible, ...") a break no
    word is read from and no phrase runs across. Named in running prose, it stays."""
    kept, at = [], 0
    for start, end, _ in parts_of_speech(text):
        kept += [text[at:start], "."]
        at = end
    kept.append(text[at:])
    return "".join(kept)


def loose_headword(paragraph: str) -> str | None:
    """The headword of an entry without a part of speech (only inside a dictionary)."""
    first_line = paragraph.split("\n", 1)[0].strip()
    m = _LOOSE_WITH_TEXT.match(first_line)
    if m is None and "\n" not in paragraph.strip():
        m = _LOOSE_ALONE.fullmatch(first_line)
        # Alone on a line, "G.J." is an attribution and "II." a numeral: want a word.
        if m is not None and not re.search(r"[A-Z]{3}", m.group("hw")):
            return None
    if m is None:
        return None
    headword = m.group("hw")
    if "." in headword and first_line[m.end("hw")] == ".":
        headword += "."  # "LL.D." and "R.I.P." end in their own full stop
    if len(_LETTERS.findall(headword)) < 2 or _ROMAN.fullmatch(headword):
        return None
    return headword
