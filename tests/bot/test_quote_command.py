"""/quote's command logic: best sentences are settled by the model now or when shown."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import overload

import pytest

from bot.app import App
from bot.commands.cite import citation
from bot.commands.explain import explain
from bot.commands.quote import (
    QuoteRequest,
    complete_source,
    more_from_source,
    quote,
    settle,
)
from bot.commands.results import quote_from
from bot.commands.source import complete, find
from embeddings.documents import folded, names
from embeddings.errors import NoSuchVerse, NoWorkMatching, QueryTooLong
from embeddings.hits import Hit
from embeddings.passages import Passage
from embeddings.search import title_filters
from tests.bot.conftest import GENESIS
from tests.wording import raises_saying

# A paraphrase sharing no content word with most passages: the model must pick sentences.
QUERY = "people who refuse to cooperate with anyone outside their own little group"


def test_settling_later_picks_the_same_sentence_as_settling_now(
    fresh_app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The index's sentence vectors settle every quote at once, even when the pager asks
    # for one only: the model is never run for a best sentence.
    def no_model(*args: object, **kwargs: object) -> None:
        raise AssertionError("the model was asked to pick a sentence")

    monkeypatch.setattr(fresh_app.index.searcher.embeddings, "encode_many", no_model)
    lazy = quote(fresh_app, QuoteRequest(QUERY, count=5, settle_now=1)).quotes
    eager = quote(fresh_app, QuoteRequest(QUERY, count=5)).quotes
    assert [q.passage_id for q in lazy] == [q.passage_id for q in eager]
    assert lazy[0].settled and lazy[0].highlight == eager[0].highlight
    assert all(q.settled for q in lazy)
    for guessed, settled in zip(lazy, eager, strict=True):
        assert settle(fresh_app, QUERY, guessed).highlight == settled.highlight
        assert settle(fresh_app, QUERY, guessed).settled


def test_every_quote_is_settled_unless_asked_otherwise(seed_app: App) -> None:
    assert all(q.settled for q in quote(seed_app, QuoteRequest(QUERY, count=5)).quotes)


def test_a_question_asked_again_is_answered_from_the_cache(fresh_app: App) -> None:
    first = quote(fresh_app, QuoteRequest(QUERY, count=3))
    answers = fresh_app.index.live.answers
    hits = answers.hits
    again = quote(fresh_app, QuoteRequest("  " + QUERY.upper() + " ", count=3))
    assert answers.hits == hits + 1  # no search ran
    assert again.quotes == first.quotes
    assert again.query == QUERY.upper()  # the echo keeps the asker's spelling


def test_a_different_request_is_not_served_another_ones_answer(fresh_app: App) -> None:
    three = quote(fresh_app, QuoteRequest(QUERY, count=3))
    two = quote(fresh_app, QuoteRequest(QUERY, count=2))
    by_draper = quote(fresh_app, QuoteRequest(QUERY, author="draper", count=3))
    assert len(three.quotes) == 3 and len(two.quotes) == 2
    assert {q.author for q in by_draper.quotes} == {"Hal Draper"}


def test_a_rebuilt_index_never_serves_an_answer_cached_from_the_old_one(
    fresh_app: App,
) -> None:
    before = quote(fresh_app, QuoteRequest(QUERY, count=3))
    fresh_app.index.load()  # what a reindex does when it swaps the new build in
    assert len(fresh_app.index.live.answers) == 0
    after = quote(fresh_app, QuoteRequest(QUERY, count=3))
    assert [q.text for q in after.quotes] == [q.text for q in before.quotes]


# A question whose words do not decide the best sentence of its first passage.
UNDECIDED = "Why would a Mao-inspired group distribute a rival radical's history that mocks them?"


def test_a_best_sentence_the_model_settled_once_comes_settled_when_asked_again(
    fresh_app: App,
) -> None:
    # Sentence vectors in the index would settle it at once; without them, the model does.
    fresh_app.index.searcher.index.sentences = None
    guess = quote(fresh_app, QuoteRequest(UNDECIDED, count=3, settle_now=0)).quotes[0]
    assert not guess.settled
    settled = settle(fresh_app, UNDECIDED, guess, urgent=False)
    again = quote(fresh_app, QuoteRequest(UNDECIDED, count=3, settle_now=0)).quotes[0]
    assert again.settled and again.highlight == settled.highlight


# -- a query that names verses ----------------------------------------------------------------


def test_a_reference_is_answered_with_its_verses_in_order(bible_app: App) -> None:
    # Searched as words, "Gen 1:3" found whatever verse said "Gen" or "3" best.
    (light,) = quote(bible_app, QuoteRequest("Gen 1:3")).quotes
    assert light.text == "And God said, Let there be light: and there was light."
    assert light.section == "Genesis 1:3" and light.title == "The King James Bible"
    verses = quote(bible_app, QuoteRequest("Genesis 1:2-4")).quotes
    assert [q.locator for q in verses] == ["1:2", "1:3", "1:4"]


def test_a_chapter_longer_than_the_answer_says_how_much_is_left(bible_app: App) -> None:
    answer = quote(bible_app, QuoteRequest("Genesis 1", count=3))
    assert [q.locator for q in answer.quotes] == ["1:1", "1:2", "1:3"]
    assert answer.notice.startswith("The first 3 of the ")
    assert "verses of Genesis 1; name a verse or a range for the others." in answer.notice


@pytest.mark.parametrize(
    ("query", "ending"),
    [
        ("Genesis 1-2", "These are chapters 1 to 2; Genesis 1:2 is a verse."),
        # Chapter 1 has no verse 50: "Genesis 1:50 is a verse" sent readers to nothing.
        ("Genesis 1-50", "verses of Genesis 1–50; name a verse or a range for the others."),
    ],
)
def test_a_range_of_chapters_says_how_to_name_the_verse_it_may_mean(
    bible_app: App, query: str, ending: str
) -> None:
    # "Genesis 1-2" is read as chapters; "John 3-16" is often meant as John 3:16, and
    # is named as a verse where the first chapter has that verse.
    answer = quote(bible_app, QuoteRequest(query, count=3))
    assert [q.locator for q in answer.quotes] == ["1:1", "1:2", "1:3"]
    assert answer.notice.endswith(ending)


def test_a_verse_reference_is_explained_as_its_first_verse(bible_app: App) -> None:
    # "Genesis 1:3" was refused as "not a passage reference", though /quote takes it.
    explained = explain(bible_app, "Gen 1:3")
    assert explained.quote.text == "And God said, Let there be light: and there was light."
    with raises_saying(NoSuchVerse, "there is no Genesis 1:99"):
        explain(bible_app, "Genesis 1:99")


def test_a_verse_the_corpus_lacks_is_said_to_be_missing_never_searched(bible_app: App) -> None:
    answer = quote(bible_app, QuoteRequest("Genesis 1:99"))
    assert answer.quotes == [] and answer.weak == []
    assert answer.notice.startswith("Genesis 1 has ")
    assert answer.notice.endswith(" verses; there is no Genesis 1:99.")


@pytest.mark.parametrize(
    ("author", "title", "where"),
    [
        ("", "Anatomy", "in the works with a title matching “Anatomy”"),
        ("Draper", "", "in the works by an author matching “Draper”"),
    ],
)
def test_a_verse_the_filters_leave_out_is_said_to_be_elsewhere_not_missing(
    bible_app: App, author: str, title: str, where: str
) -> None:
    # "John 3:16" with a source of the Manifesto answered "there is no John 3:16".
    answer = quote(bible_app, QuoteRequest("Genesis 1:3", author=author, title=title))
    assert answer.quotes == [] and answer.weak == []
    assert answer.notice == f"Genesis 1:3 is not {where}."


def test_a_book_the_corpus_lacks_is_searched_as_words(bible_app: App) -> None:
    answer = quote(bible_app, QuoteRequest("Hebrews 11:1"))
    assert "there is no" not in answer.notice


def test_a_cap_per_work_counts_a_work_of_many_files_once(two_books_app: App) -> None:
    # The King James Bible is one work of 66 files: capped at one passage per work, it
    # gave one passage per book.
    request = QuoteRequest("the creation of the heaven and the earth", count=10, per_document=1)
    titles = [q.title for q in quote(two_books_app, request).quotes]
    assert titles.count("The King James Bible") == 1


CREATION = "the creation of the heaven and the earth"


@pytest.mark.parametrize(("typed", "book"), [("Exodus", "Exodus"), ("gen", "Genesis")])
def test_a_book_given_as_the_title_keeps_to_that_book(
    two_books_app: App, typed: str, book: str
) -> None:
    # Every book's title is the Bible's: "Exodus" as the source found no work at all.
    quotes = quote(two_books_app, QuoteRequest(CREATION, title=typed, count=10)).quotes
    assert quotes and all(q.section.startswith(f"{book} ") for q in quotes)


def test_a_title_a_work_has_a_word_beginning_so_is_that_work_before_a_book(
    bible_app: App,
) -> None:
    # "Mic" begins Micah and "Micro-Sect" (a title's word): the reader of the essays
    # meant the essay; "Micah" is the book.
    kjv = bible_app.settings.corpus / "kjv"
    genesis = (kjv / "book01.htm").read_text(encoding="latin-1")
    (kjv / "book33.htm").write_text(genesis.replace("Genesis", "Micah"), encoding="latin-1")
    bible_app.collections.base.reindex()
    essay = quote(bible_app, QuoteRequest("a sect", title="Mic", count=5)).quotes
    assert essay and all("Micro-Sect" in q.title for q in essay)
    book = quote(bible_app, QuoteRequest(CREATION, title="Micah", count=5)).quotes
    assert book and all(q.section.startswith("Micah ") for q in book)


def test_a_book_named_in_the_bibles_own_title_keeps_to_that_book(bible_app: App) -> None:
    # "James" is a word of "The King James Bible": the Bible's own title gave way to
    # itself, and every book of it was searched rather than James.
    kjv = bible_app.settings.corpus / "kjv"
    genesis = (kjv / "book01.htm").read_text(encoding="latin-1")
    (kjv / "book59.htm").write_text(genesis.replace("Genesis", "James"), encoding="latin-1")
    bible_app.collections.base.reindex()
    for typed in ("James", "Jam"):
        quotes = quote(bible_app, QuoteRequest(CREATION, title=typed, count=10)).quotes
        assert quotes and all(q.section.startswith("James ") for q in quotes), typed


def test_a_book_as_the_title_is_where_a_search_or_a_verse_is_said_to_be_missing(
    two_books_app: App,
) -> None:
    elsewhere = quote(two_books_app, QuoteRequest("Genesis 1:3", title="Exodus"))
    assert elsewhere.quotes == [] and elsewhere.notice == "Genesis 1:3 is not in Exodus."
    query = "quantum chromodynamics of gluon plasma"
    nothing = quote(two_books_app, QuoteRequest(query, title="Exodus"))
    assert nothing.notice == f"No good match for “{query}” in Exodus."


@pytest.mark.parametrize(
    ("typed", "books"), [("exo", ["Exodus"]), ("", ["Genesis", "Exodus"]), ("zz", [])]
)
def test_the_source_option_offers_the_books_it_keeps_to_after_the_works(
    two_books_app: App, typed: str, books: list[str]
) -> None:
    # /quote's source offered the works alone, so a reader never learnt a book would do.
    assert complete_source(two_books_app, typed) == complete(two_books_app, typed) + books


def test_a_book_as_the_title_with_an_author_no_book_has_is_refused_naming_both(
    two_books_app: App,
) -> None:
    with raises_saying(NoWorkMatching, "by an author matching “Draper” and holding Exodus"):
        quote(two_books_app, QuoteRequest(CREATION, author="Draper", title="Exodus"))


def test_a_bible_in_one_file_keeps_to_the_book_under_its_heading(app: App) -> None:
    # Its books are its headings: "Exodus" as the source named no work, and "Exodus 1:3"
    # was searched as words.
    genesis = GENESIS.read_text(encoding="latin-1")
    start, end = genesis.index("<h1"), genesis.rindex("</p>") + len("</p>")
    exodus = genesis[start:end].replace("Genesis", "Exodus").replace("God", "the Lord")
    bible = genesis[:end] + exodus + genesis[end:]
    (app.settings.corpus / "bible.htm").write_text(bible, encoding="latin-1")
    app.collections.base.reindex()
    quotes = quote(app, QuoteRequest(CREATION, title="Exodus", count=10)).quotes
    assert quotes and all(q.section.startswith("Exodus ") for q in quotes)
    (verse,) = quote(app, QuoteRequest("Exodus 1:3")).quotes
    assert verse.text == "And the Lord said, Let there be light: and there was light."


@pytest.mark.parametrize(
    ("reference", "cited", "verse"),
    [
        ("Matthew 5:3", "Matthew 5:3", "Blessed are the poor in spirit: for theirs is the"),
        ("Gen 1:1", "Genesis 1:1", "In the beginning God created the heaven and the earth."),
        # 13:4 ran on into 13:5-7 in one paragraph
        ("1 Cor 13:4", "1 Corinthians 13:4", "Charity suffereth long, and is kind;"),
        ("Lam 1:1", "Lamentations 1:1", "How doth the city sit solitary"),  # not Jeremiah's
        ("3 John 2", "3 John 1:2", "Beloved, I wish above all things that thou mayest"),
    ],
)
def test_a_plain_text_bible_answers_a_reference_with_its_verse(
    pg10_app: App, reference: str, cited: str, verse: str
) -> None:
    # Gutenberg's plain text was read as prose: no verse, no book, "Matthew 5:3" searched.
    (found,) = quote(pg10_app, QuoteRequest(reference)).quotes
    assert found.text.startswith(verse) and found.section == cited


def test_a_plain_text_bible_keeps_to_a_book_given_as_the_title(pg10_app: App) -> None:
    quotes = quote(pg10_app, QuoteRequest(CREATION, title="Genesis", count=10)).quotes
    assert quotes and all(q.section.startswith("Genesis ") for q in quotes)


def test_a_plain_text_bibles_verse_found_by_its_sense_is_cited_by_book_and_verse(
    pg10_app: App,
) -> None:
    # 6:24 begins inside a paragraph that 6:23 began above: it was quoted with the end of
    # 6:23, under "The Gospel According to Saint Matthew" and no verse.
    (found,) = quote(pg10_app, QuoteRequest("nobody can work for two bosses at once")).quotes[:1]
    assert found.text.startswith("No man can serve two masters")
    assert citation(found).endswith(
        "“The King James Bible”, Matthew 6:24. https://www.gutenberg.org/ebooks/10"
    )


class ReadCount(Sequence[Passage]):
    """An index's passages, counting how many are read."""

    def __init__(self, passages: Sequence[Passage]) -> None:
        self.passages, self.reads = passages, 0

    def __len__(self) -> int:
        return len(self.passages)

    @overload
    def __getitem__(self, i: int) -> Passage: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[Passage]: ...
    def __getitem__(self, i: int | slice) -> Passage | Sequence[Passage]:
        self.reads += 1
        return self.passages[i]


def test_a_bible_in_one_file_is_split_into_books_once_not_at_every_query(
    pg10_app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Its books are found by reading every verse (31,000 of a whole Bible, some 16 ms):
    # that was done again for every /quote given a source, every /compare side and every
    # keystroke of their autocompletes, on the event loop for the latter.
    index = pg10_app.live_for(None).searcher.index
    complete_source(pg10_app, "Gen")  # its books found once
    counted = ReadCount(index.passages)
    monkeypatch.setattr(index, "passages", counted)
    assert complete_source(pg10_app, "Mat") == ["Matthew"]
    assert title_filters(index, "Matthew").book == "Matthew"
    assert title_filters(index, "The King James Bible").title == "The King James Bible"
    assert counted.reads == 0


# -- names as phones and keyboards type them ----------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    ["Anatomy of the Micro–Sect", "anatomy  of the MICRO-SECT", "Anatómy of the Micro-Sect"],
)
def test_a_title_is_found_whatever_its_dashes_spaces_case_and_accents(
    seed_app: App, typed: str
) -> None:
    assert [w.title for w in find(seed_app, typed)] == ["Anatomy of the Micro-Sect"]
    request = QuoteRequest("what is a sect", title=typed, count=3)
    assert {q.title for q in quote(seed_app, request).quotes} == {"Anatomy of the Micro-Sect"}


def test_names_are_folded_as_readers_type_them() -> None:
    assert folded("The Devil’s  Dictionary") == folded("the devil's dictionary")
    assert folded("Café — “Notes”") == 'cafe - "notes"'


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("devils dictionary", "The Devil's Dictionary"),
        ("Marx & Engels", "Karl Marx and Friedrich Engels"),
        ("K. Marx", "Karl Marx and Friedrich Engels"),
        ("Engels, Friedrich", "Karl Marx and Friedrich Engels"),
        ("Bierce, Ambrose", "Ambrose Bierce"),
        ("micro sect", "Anatomy of the Micro-Sect"),
        ("natomy", "Anatomy of the Micro-Sect"),  # a part of the name still names it
    ],
)
def test_a_name_is_named_by_its_words_in_any_order_whatever_the_punctuation(
    typed: str, name: str
) -> None:
    assert names(typed, name)


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("Engels Marx Lenin", "Karl Marx and Friedrich Engels"),
        ("devil dictionaries", "The Devil's Dictionary"),
    ],
)
def test_a_word_the_name_lacks_names_another(typed: str, name: str) -> None:
    assert not names(typed, name)


def test_a_work_is_completed_from_its_words_in_another_order(seed_app: App) -> None:
    # The filters took "sect micro"; the autocomplete offered nothing for it.
    assert complete(seed_app, "sect micro") == ["Anatomy of the Micro-Sect"]
    assert complete(seed_app, "Draper, Hal") == ["Anatomy of the Micro-Sect"]


def test_an_author_typed_surname_first_filters_the_search(seed_app: App) -> None:
    request = QuoteRequest("what is a sect", author="Draper, Hal", count=3)
    assert {q.author for q in quote(seed_app, request).quotes} == {"Hal Draper"}


@pytest.mark.parametrize(
    ("author", "title", "where"),
    [
        ("", "", "in the corpus"),
        ("draper", "", "in the works by an author matching “draper”"),
        ("", "Anatomy", "in the works with a title matching “Anatomy”"),
        (
            "draper",
            "Anatomy",
            "in the works with a title matching “Anatomy” and by an author matching “draper”",
        ),
    ],
)
def test_no_good_match_says_where_it_was_looked_for(
    seed_app: App, author: str, title: str, where: str
) -> None:
    # With a filter, "in the corpus" claimed a search the reader had not asked for.
    query = "quantum chromodynamics of gluon plasma"
    answer = quote(seed_app, QuoteRequest(query, author=author, title=title))
    assert answer.quotes == [] and answer.notice == f"No good match for “{query}” {where}."


def test_an_authors_name_alone_is_pointed_to_the_work(seed_app: App) -> None:
    # A search reads what the works say, not who wrote them: "Hal Draper" found nothing
    # and said no more.
    answer = quote(seed_app, QuoteRequest("Hal Draper"))
    assert answer.quotes == []
    assert answer.notice == (
        "No good match for “Hal Draper” in the corpus. “Hal Draper” names a work or its "
        "author: /source Hal Draper gives its details; ask what it says, with the author "
        "or source option to keep to it."
    )
    off_topic = quote(seed_app, QuoteRequest("quantum chromodynamics of gluon plasma"))
    assert "names a work" not in off_topic.notice


def test_more_from_a_source_reads_on_after_the_verses_looked_up(bible_app: App) -> None:
    # Searched as words, "Genesis 1:1" inside Genesis found whatever verse matched them.
    shown = quote(bible_app, QuoteRequest("Genesis 1:1-3")).quotes
    more = more_from_source(bible_app, "Genesis 1:1-3", shown[0], count=3, shown=shown)
    assert [q.locator for q in more.quotes] == ["1:4", "1:5", "2:1"]  # the excerpt skips to 2


def test_more_from_a_source_leaves_out_every_passage_already_shown(seed_app: App) -> None:
    # It left out only the passage clicked: its first results were the pager's again.
    shown = quote(seed_app, QuoteRequest(QUERY, count=5, title="Anatomy")).quotes
    more = more_from_source(seed_app, QUERY, shown[-1], count=5, shown=shown)
    assert more.quotes and len(more.quotes) <= 5
    assert not {q.text for q in more.quotes} & {q.text for q in shown}
    assert {q.source for q in more.quotes} == {shown[-1].source}


def test_the_query_length_setting_is_the_limit(fresh_app: App) -> None:
    settings = fresh_app.settings
    short = replace(settings, search=replace(settings.search, max_query_chars=50))
    app = App(short, fresh_app.encoder)
    with pytest.raises(QueryTooLong) as refused:
        quote(app, QuoteRequest("a question of sixty characters about sects and splits"))
    assert refused.value.limit == 50


def test_more_after_a_reference_to_a_book_the_corpus_lacks_searches_again(
    bible_app: App,
) -> None:
    # "Sectarianism 1 2" reads as a reference but names no book here: it was searched, so More
    # searches too, rather than reading on from whatever passage was clicked.
    shown = quote(bible_app, QuoteRequest("Sectarianism 1 2")).quotes
    more = more_from_source(bible_app, "Sectarianism 1 2", shown[0], count=3, shown=shown)
    assert more.quotes and all(q.score > 0 for q in more.quotes)


def test_a_quote_is_cited_under_the_headings_that_hold_its_own(seed_app: App) -> None:
    # Draper's numbered sections are h4s under an h3: the reader sees both, and Cite too.
    answer = quote(seed_app, QuoteRequest("sects and trade unions", count=10))
    shown = [q for q in answer.quotes if q.section.endswith("4. Sects and Trade Unions")]
    assert shown, [q.section for q in answer.quotes]
    assert shown[0].section == (
        "About the Road to an American Socialist Movement › 4. Sects and Trade Unions"
    )
    assert "About the Road to an American Socialist Movement › 4." in citation(shown[0])


def test_a_footnote_is_cited_with_its_mark(seed_app: App) -> None:
    # Draper's notes 1*-4* under "Footnotes": the card and Cite said "Footnotes" alone, and
    # the mark is not in the note's text, so a reader could not tell which note it was.
    searcher = seed_app.index.searcher
    notes = [i for i, p in enumerate(searcher.index.passages) if p.kind == "footnote" and p.note_id]
    shown = quote_from(searcher, Hit(notes[0], 1.0, 1.0, 0.0))
    mark = searcher.index.passages[notes[0]].note_id
    assert shown.section.endswith(f", note {mark}")
    assert f", note {mark}." in citation(shown)
