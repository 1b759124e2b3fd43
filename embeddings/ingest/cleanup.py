"""Website and transcription debris shared by every format.

Each rule is data: a name, a pattern, and why it is debris. Whole-paragraph rules
drop a paragraph; line rules drop single lines inside a paragraph (credits are often
hard-wrapped into the same paragraph as a source note worth keeping).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    name: str
    pattern: re.Pattern[str]
    why: str


def _rule(name: str, pattern: str, why: str) -> Rule:
    return Rule(name, re.compile(pattern, re.I | re.S), why)


# Matched against a whole paragraph (stripped, whitespace collapsed).
PARAGRAPH_RULES = (
    _rule(
        "nav-row",
        r"(?:\[\s*[^\]\d\s][^\]]{0,30}\]\s*){2,}",
        "a row of bracketed site links, e.g. '[About] [Contact] [Home] [News] [RAIL]'",
    ),
    _rule(
        "breadcrumb",
        r"[^>»›]{1,40}(?:\s[>»›]\s[^>»›]{1,60}){2,}",
        "a breadcrumb trail, e.g. 'MIA > Archive > Draper'",
    ),
    _rule(
        "back-link",
        r"(?:back to|return to|go to|top of|to the top)\b.{0,50}|\^?\s*top\s*\^?",
        "'Top of the page', 'Back to the index': links back into a website",
    ),
    _rule(
        "last-updated",
        r"(?:page\s+)?last\s+(?:updated|modified|revised|changed)\b.{0,60}",
        "'Last updated on 27.9.2004': a web page's date, not the work's",
    ),
    _rule(
        "archive-notice",
        r"this\s+(?:is\s+an?\s+archive|page\s+is\s+(?:an?\s+)?archived?|site\s+is\s+an?\s+archive)\b.*",
        "'This is an archive of the former website of ...': about the website",
    ),
    _rule(
        "see-also",
        r"see also[,:].{0,200}?(?:\s+see also[,:].{0,200}?)*",
        "'See also, ...' links to pages that are not in the corpus ('See also Lenin.' in a"
        " note is a reference, and stays)",
    ),
    _rule(
        "rights-reserved",
        r"[_*]?all rights reserved\.?[_*]?",
        "a publisher's notice on its own line",
    ),
    _rule(
        "illustration",
        r"\[(?:illustration|picture|image)\b[^\]]{0,200}\]",
        "'[Illustration: ...]' placeholders for pictures that are not there",
    ),
)

# Matched against each line of a paragraph near the top or the bottom of a document,
# where credits live (in the body, "Produced by the workers ..." is prose).
LINE_RULES = (
    _rule(
        "credit",
        r"(?:transcribed|transcription|marked up|html mark-?up|proofread|proofed|converted|"
        r"scanned|digiti[sz]ed|prepared|produced|e-?text prepared)\b.{0,80}\bby\b.{0,150}",
        "transcriber credits: who typed the text up, not what it says",
    ),
    _rule(
        "thanks",
        r"downloaded (?:with thanks )?from\b.{0,200}|published here with\b.{0,200}",
        "where an archive got the text from",
    ),
    _rule(
        "copyright",
        r"©.{0,200}|(?:\(c\)|copyright)\s+(?:©\s*|\(c\)\s*)?(?:\d{4}|by)\b.{0,200}",
        "copyright and licence lines of the website",
    ),
)

# Words that make up navigation bars; a paragraph of nothing else is a bar.
NAV_WORDS = frozenset(
    {
        "previous",
        "prev",
        "next",
        "home",
        "index",
        "contents",
        "top",
        "up",
        "back",
        "first",
        "last",
        "chapter",
        "chapters",
        "about",
        "contact",
        "news",
        "search",
        "menu",
        "main",
        "page",
        "table",
        "of",
        "section",
    }
)
# Words that are navigation even alone on a line (the KJV's lone "Chapter").
LONE_NAV_WORDS = frozenset({"chapter", "chapters", "contents", "index", "top", "home", "menu"})
_WORD = re.compile(r"[^\W\d_]+|\d+")
_ALNUM = re.compile(r"[^\W_]")


def is_debris(text: str, *, link_only: bool = False, n_links: int = 0) -> bool:
    """Whether a paragraph is navigation, site furniture or a placeholder."""
    flat = " ".join(text.split())
    if not _ALNUM.search(flat):
        return True  # rules such as "* * *" or lone punctuation
    if link_only and (n_links >= 2 or len(flat) < 40):
        return True
    words = _WORD.findall(flat.lower())
    if (
        words
        and len(flat) < 80
        and not flat.endswith((".", "!", "?"))
        and all(w in NAV_WORDS for w in words)
        and (len(words) > 1 or words[0] in LONE_NAV_WORDS)
    ):
        return True  # "Previous Home Next", a lone "Chapter" (but not "Chapter 1")
    return any(rule.pattern.fullmatch(flat) for rule in PARAGRAPH_RULES)


def strip_debris_lines(text: str) -> str:
    """The paragraph without its credit lines (only lines short enough to be credits)."""
    if "\n" not in text and len(text) > 240:
        return text
    kept = [
        line
        for line in text.split("\n")
        if not (len(line) < 240 and any(r.pattern.fullmatch(line.strip()) for r in LINE_RULES))
    ]
    return "\n".join(kept).strip()
