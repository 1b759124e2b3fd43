"""/define: which passages define a term, which merely use it, best first.

- `grammar`: the shapes a definition takes in prose, as patterns (shared with the
  vocabulary, which finds defined terms before anyone asks: `discover`);
- `terms`: a term as asked, and its mentions in a text;
- `shapes`: the shapes recognised around a mention, and their strengths;
- `entries`: dictionary entries and their headwords;
- `lookup`: what /define reads besides the passages, made once per loaded index;
- `ranking`: the answer, grouped by work.
"""

from embeddings.define.lookup import DefinitionIndex, definition_index
from embeddings.define.ranking import (
    DEFINITION,
    RELATED,
    USAGE,
    Definitions,
    Finding,
    find_definitions,
)
from embeddings.define.shapes import Signal, combine, recognise
from embeddings.define.terms import (
    MAX_TERM_WORDS,
    Mention,
    Term,
    find_mentions,
    parse_term,
    term_asked,
)

__all__ = [
    "DEFINITION",
    "MAX_TERM_WORDS",
    "RELATED",
    "USAGE",
    "DefinitionIndex",
    "Definitions",
    "Finding",
    "Mention",
    "Signal",
    "Term",
    "combine",
    "definition_index",
    "find_definitions",
    "find_mentions",
    "parse_term",
    "recognise",
    "term_asked",
]
