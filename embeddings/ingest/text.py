"""Plain text: paragraphs, verse, bullet lists, headings and dictionary entries.

Plain text has no markup, so layout carries the structure: blank lines separate
paragraphs, hard-wrapped prose lines are joined, indented or short capitalised lines
are verse and keep their breaks, and short upper-case lines are headings. A short line in
ordinary case is a heading too when it titles a bulleted list just below it ("Examples of
connections MIM did not make"): left a paragraph, it would be quoted alone as an answer.
Numbered verses ("1:1 In the beginning ...", a Bible's) are verses, one a piece (`verses.py`).
"""

from __future__ import annotations

import re

from embeddings.ingest.dictionary import MIN_ENTRIES, loose_headword, strict_headword
from embeddings.ingest.masthead import parse_byline
from embeddings.ingest.pieces import ENDS_A_CLAUSE, Piece
from embeddings.ingest.verses import read_verses

_BULLET = re.compile(r"\s*(?:[•●▪◦‣∙]\s*|[*\-–]\s+)(?P<text>\S.*)")
_HEADING_WORD = re.compile(
    r"(?i:chapter|book|part|section|canto|volume)\s+(?:[IVXLCDM]+\b|\d+|[A-Z][a-z]*\b)"
)
_NUMBERED_HEADING = re.compile(r"(?:[IVXLC]+|[A-Z]|\d{1,2})\.\s+[A-Z\"'“‘]")
_SPACES = re.compile(r"[ \t\u00a0]{2,}|[\t\u00a0]")
_HYPHEN_END = re.compile(r"[^\W\d_]-$")
_FIRST_ALNUM = re.compile(r"[^\W_]")
_MAX_HEADING = 90
_LIST_TITLE_REACH = 2  # a list title is followed by its list within this many paragraphs
_TITLE_REACH = 2  # a title and its byline are in the first paragraphs


def read_text_pieces(text: str) -> list[Piece]:
    """The headings and paragraphs of a plain text, in order."""
    paragraphs = split_paragraphs(text)
    width = _wrap_width(paragraphs)
    entries = sum(1 for lines in paragraphs if _entry_headword(lines, dictionary=False))
    dictionary = entries >= MIN_ENTRIES
    bulleted = [any(_BULLET.fullmatch(line) for line in lines) for lines in paragraphs]
    pieces: list[Piece] = []
    in_entries = False  # past the first entry: verse titles there are not headings
    letter = ""  # a dictionary's letter heading ("X") just seen
    for j, lines in enumerate(paragraphs):
        if j < _TITLE_REACH and _title_and_byline(lines):
            # One line each, as if blank lines parted them: the masthead reader takes the
            # title and the byline, which joined as prose were quoted as a passage.
            pieces.extend(Piece(line.strip()) for line in lines)
            continue
        if not in_entries and _titles_list(lines, bulleted[j + 1 : j + 1 + _LIST_TITLE_REACH]):
            pieces.append(Piece(lines[0].strip(), heading=3))
            continue
        if not dictionary and _title_cased_heading(lines, paragraphs[j + 1 : j + 3]):
            pieces.append(Piece(lines[0].strip(), heading=2))
            continue
        headword = _entry_headword(lines, dictionary=dictionary and in_entries)
        if headword is None and letter and re.match(rf"{re.escape(letter)}\b[ ,]", lines[0]):
            headword = letter  # "X in our alphabet being a needless letter ..."
        letter = ""
        if headword:
            in_entries = True
            pieces.append(Piece(join_prose(lines), kind="entry", headword=headword))
        else:
            pieces.extend(_paragraph(lines, width, in_entries))
            last = pieces[-1] if pieces else None
            if dictionary and last is not None and last.is_heading and len(last.text) == 1:
                letter = last.text
    return read_verses(pieces)


def _title_and_byline(lines: list[str]) -> bool:
    """A title over its byline, on lines of their own: "On Bridges" / "by Thomas Kellner,
    March 3, 1998"."""
    if not 2 <= len(lines) <= 3 or any(len(line.strip()) > _MAX_HEADING for line in lines):
        return False
    return any(parse_byline(line.strip()) is not None for line in lines[1:])


# Words a title leaves in lower case ("The Rise of the Guilds").
_MINOR_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "as",
        "at",
        "but",
        "by",
        "for",
        "from",
        "in",
        "into",
        "nor",
        "of",
        "on",
        "or",
        "over",
        "the",
        "to",
        "upon",
        "with",
    ]
)


def _title_cased_heading(lines: list[str], below: list[list[str]]) -> bool:
    """A lone short line in title case over a paragraph of prose (or over another such
    line, then prose): "The Early Years" over "I was born above my father's bakery …".
    Glued to that paragraph as a fragment, it was quoted, and highlighted, as part of it."""
    if not _title_cased(lines) or not below:
        return False
    if _title_cased(below[0]):
        below = below[1:]
    if not below:
        return False
    prose = below[0]  # more than a line, a long line, or a sentence of a few words
    sentence = len(prose[0].split()) >= 4 and bool(ENDS_A_CLAUSE.search(prose[0]))
    return len(prose) > 1 or len(prose[0]) >= _MAX_HEADING or sentence


def _title_cased(lines: list[str]) -> bool:
    if len(lines) != 1:
        return False
    line = lines[0].strip()
    words = line.split()
    if not 1 <= len(words) <= 8 or len(line) > 60 or ENDS_A_CLAUSE.search(line):
        return False
    if line.endswith(("-", "—", "–", ":")) or not line[:1].isupper():
        return False
    return all(w[:1].isupper() or w in _MINOR_WORDS for w in words)


def _titles_list(lines: list[str], below: list[bool]) -> bool:
    """A lone unpunctuated line of a few words, opening with a capital, over a list."""
    if len(lines) != 1 or not any(below):
        return False
    line = lines[0].strip()
    if len(line) >= _MAX_HEADING or len(line.split()) < 3 or not line[:1].isupper():
        return False
    return not (ENDS_A_CLAUSE.search(line) or line.endswith(("-", "—", "–", ":")))


def split_paragraphs(text: str) -> list[list[str]]:
    """Runs of non-blank lines (a line of spaces or no-break spaces is blank)."""
    paragraphs: list[list[str]] = []
    current: list[str] = []
    for line in text.expandtabs(8).split("\n"):
        if line.strip():
            current.append(line.rstrip())
        elif current:
            paragraphs.append(current)
            current = []
    if current:
        paragraphs.append(current)
    return paragraphs


def _wrap_width(paragraphs: list[list[str]]) -> int:
    """The width prose was wrapped at: lines near it are prose, lines well short of it verse.
    At least 60: a file of nothing but verse has no prose to measure (a poem of lines of
    29 to 38 characters gave 40, and its lines, not under 0.7 × 40, ran into one)."""
    lengths = sorted(len(line.strip()) for lines in paragraphs for line in lines)
    if not lengths:
        return 72
    return max(60, lengths[int(0.95 * (len(lengths) - 1))])


def _entry_headword(lines: list[str], *, dictionary: bool) -> str | None:
    if lines[0][:1].isspace():
        return None
    headword = strict_headword(lines[0])
    if headword is None and dictionary:
        headword = loose_headword("\n".join(lines))
    return headword


def _paragraph(lines: list[str], width: int, in_entries: bool) -> list[Piece]:
    if any(_BULLET.fullmatch(line) for line in lines):
        return _list_items(lines, width, in_entries)
    # Headings take one line, or two when long ("IV.  POSITION OF THE COMMUNISTS IN
    # RELATION TO THE / VARIOUS EXISTING OPPOSITION PARTIES").
    joined = " ".join(line.strip() for line in lines)
    if len(lines) <= 2 and is_heading(joined, limit=_MAX_HEADING * len(lines)):
        single_letter = len(joined) == 1
        if not in_entries or single_letter:
            return [Piece(joined, heading=2)]
    if is_verse(lines, width):
        return [Piece(join_verse(lines))]
    return [Piece(join_prose(lines))]


def _list_items(lines: list[str], width: int, in_entries: bool) -> list[Piece]:
    """One piece per bullet (bullet removed); lines before the first bullet stay a paragraph."""
    groups: list[tuple[bool, list[str]]] = []
    for line in lines:
        m = _BULLET.fullmatch(line)
        if m is not None:
            groups.append((True, [m.group("text")]))
        elif groups:
            groups[-1][1].append(line)
        else:
            groups.append((False, [line]))
    pieces: list[Piece] = []
    for is_item, group in groups:
        if is_item:
            pieces.append(Piece(join_prose(group)))
        else:
            pieces.extend(_paragraph(group, width, in_entries))
    return pieces


def is_heading(line: str, limit: int = _MAX_HEADING) -> bool:
    """A short line with no closing punctuation, in capitals or numbered like a chapter."""
    if len(line) >= limit or ENDS_A_CLAUSE.search(line):
        return False
    letters = [ch for ch in line if ch.isalpha()]
    if not letters:
        return False
    upper = sum(1 for ch in letters if ch.isupper())
    if upper / len(letters) >= 0.8:
        return True
    return bool(_HEADING_WORD.match(line) or _NUMBERED_HEADING.match(line))


def is_verse(lines: list[str], width: int) -> bool:
    """Indented lines, or lines well short of the wrap width that open with capitals."""
    if len(lines) < 2:
        return False
    stripped = [line.strip() for line in lines]
    indented = all(line[:1].isspace() for line in lines)
    short = max(len(s) for s in stripped[:-1]) < 0.7 * width
    capitals = sum(1 for s in stripped if _opens_with_capital(s)) / len(stripped)
    return (capitals > 0.5 and (short or indented)) or (indented and short)


def _opens_with_capital(line: str) -> bool:
    m = _FIRST_ALNUM.search(line)
    return m is not None and (m.group().isupper() or m.group().isdigit())


def join_prose(lines: list[str]) -> str:
    """Hard-wrapped lines joined with spaces; "subject-\\nmatter" keeps its hyphen, no space."""
    parts: list[str] = []  # joined once: a paragraph may be a whole book's lines
    for raw in lines:
        line = raw.strip()
        if not parts:
            if line:
                parts.append(line)
        elif _HYPHEN_END.search(parts[-1][-2:]) and line[:1].islower():
            parts[-1] += line
        else:
            parts.append(line)  # a blank line too: it ends what a hyphen could join
    return _SPACES.sub(" ", " ".join(parts)).strip()


def join_verse(lines: list[str]) -> str:
    """Lines kept as lines, the indentation they share removed (relative indents stay)."""
    indent = min(len(line) - len(line.lstrip()) for line in lines)
    out = []
    for line in lines:
        body = line[indent:]
        lead = len(body) - len(body.lstrip())
        out.append(body[:lead] + _SPACES.sub(" ", body[lead:]))
    return "\n".join(out).strip()
