"""Sentence spans: used to cut long paragraphs and to highlight the best sentence."""

from __future__ import annotations

from embeddings.sentences import scored_sentences, split_long, split_sentences


def sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in split_sentences(text)]


def test_splits_at_terminal_punctuation() -> None:
    assert sentences("There is a problem. We shall use these terms. Is it clear?") == [
        "There is a problem.",
        "We shall use these terms.",
        "Is it clear?",
    ]


def test_keeps_closing_quotes_with_their_sentence() -> None:
    text = "“Sect” is a cuss-word.” We use it precisely. He said, “Go.” Then he went."
    assert sentences(text)[-2:] == ["He said, “Go.”", "Then he went."]


def test_keeps_a_footnote_marker_with_the_sentence_it_ends() -> None:
    # The marker after the full stop hid the boundary: the whole passage was one sentence,
    # and all of it was highlighted.
    text = "Users make their own rules.[1] Pastures last. Hardin disagreed.{2} Netting did not.[a]"
    assert sentences(text) == [
        "Users make their own rules.[1]",
        "Pastures last.",
        "Hardin disagreed.{2}",
        "Netting did not.[a]",
    ]


def test_does_not_split_after_abbreviations_or_initials() -> None:
    text = (
        "See the collection edited by M. Friedman (Independent Socialist Press, 1972). "
        "Mr. Smith agreed, e.g. on Tuesday."
    )
    assert sentences(text) == [
        "See the collection edited by M. Friedman (Independent Socialist Press, 1972).",
        "Mr. Smith agreed, e.g. on Tuesday.",
    ]


def test_spans_cover_all_non_space_text() -> None:
    text = "  One. Two!  Three? Four"
    spans = split_sentences(text)
    assert "".join(text[s:e] for s, e in spans).replace(" ", "") == text.replace(" ", "")


def test_lower_case_after_period_is_not_a_new_sentence() -> None:
    assert len(split_sentences("It costs 5 p. per page. Fine.")) == 2


def test_split_long_cuts_at_clauses_then_words() -> None:
    text = "alpha beta gamma, delta epsilon zeta; eta theta iota kappa lambda mu"
    pieces = split_long(text, 0, len(text), lambda t: len(t.split()) <= 3)
    assert all(len(text[s:e].split()) <= 3 for s, e in pieces)
    assert " ".join(text[s:e].strip() for s, e in pieces).split() == text.split()


def test_split_long_checks_the_last_piece_too() -> None:
    text = "0 0 0 0 0 0 0."  # no clause punctuation: only word cuts
    pieces = split_long(text, 0, len(text), lambda t: len(t.split()) <= 3)
    assert [len(text[s:e].split()) for s, e in pieces] == [3, 3, 1]


def scored(text: str) -> list[str]:
    return [text[s:e] for s, e in scored_sentences(text)]


VERSE = "She wisely left a throne too hot to hold her.\nMerely a plain parched pea."


def test_a_closing_signature_or_date_line_is_no_sentence_to_score_or_highlight() -> None:
    # "G.J." under a verse of the Devil's Dictionary was a sentence of its own: it took
    # the highlight, and a poet's name such as "Adam" matched questions about Adam.
    for line in ["G.J.", "Jamrach Holobom", "M.P. Nopput", "(Old play)", "October 1973"]:
        assert scored(f"{VERSE}\n\n{line}") == sentences(VERSE), line


def test_a_short_last_sentence_that_says_something_is_kept() -> None:
    for text in [
        "Rejoice evermore.\n\nPray without ceasing.",  # a verse ends with its full stop
        '"For a time," said he.\n\n"And then?"',
        "Adam, Sheth, Enosh,\n\nKenan, Mahalaleel, Jered,",  # a list goes on
        "The first line.\nG.J.",  # not set off by a blank line
        "G.J.",  # nothing else to score the passage by
    ]:
        assert scored(text) == sentences(text), text
