"""`quotebot console`: the bot's commands in a terminal, printing the same cards."""

from __future__ import annotations

import io
import sys

import pytest

from bot.app import App
from bot.console import run_console


def session(app: App, *lines: str) -> str:
    printed: list[str] = []
    code = run_console(app, io.StringIO("\n".join(lines) + "\n"), printed.append)
    assert code == 0
    return "\n".join(printed)


def test_it_greets_with_the_size_of_the_corpus(seed_app: App) -> None:
    out = session(seed_app)
    assert out.startswith("quotebot: 2 works,") and "passages" in out


def test_quote_prints_cards_with_citation_and_the_best_sentence_marked(seed_app: App) -> None:
    out = session(seed_app, "/quote what makes a group a sect? -k 2")
    assert "Result 1 of 2" in out and "Result 2 of 2" in out
    assert "Author: " in out and "**" in out


def test_each_quote_says_the_explain_command_that_explains_it(seed_app: App) -> None:
    # The console has no Cite or Explain button: its /explain needed a reference that
    # nothing it printed gave.
    out = session(seed_app, "/quote what makes a group a sect? -k 1")
    [line] = [ln for ln in out.splitlines() if ln.strip().startswith("Explain: /explain ")]
    explained = session(seed_app, line.split("Explain: ", 1)[1])
    assert "== Explain: " in explained


def test_a_line_without_a_command_is_a_quote_query(seed_app: App) -> None:
    assert "Result 1 of" in session(seed_app, "giving credit where credit is due")


def test_quote_takes_filters(seed_app: App) -> None:
    out = session(seed_app, '/quote sectarianism --author "draper" -k 3')
    assert "Author: Hal Draper" in out and "Maoist" not in out


def test_define_and_source_work_like_the_bot(seed_app: App) -> None:
    out = session(seed_app, "/define sect", "/source", "/source micro-sect")
    assert "Kind: definition" in out
    assert "2 works in the corpus" in out
    assert "Sections: Introduction" in out


def test_a_question_is_read_as_typed_apostrophes_lone_quotes_and_dashes_included(
    seed_app: App,
) -> None:
    out = session(
        seed_app,
        "what's a sect?",
        "/quote the workers' movement and the sects",
        '/quote the "sect" of a single idea',
        "what does the suffix -ism mean",
        "/quote the -ism of the sects --author draper -k 1",
    )
    assert "== Sorry ==" not in out and "Could not read" not in out
    # Five answers (the suffix is not in the corpus: it says so), the last one filtered.
    assert out.count("(Result 1 of") + out.count("== No good match ==") == 5
    assert "(Result 1 of 1 · draper" in out


def test_mistakes_get_a_short_message_and_the_session_goes_on(seed_app: App) -> None:
    out = session(
        seed_app,
        "/quote",
        "/quote x -k",
        "/quote x -k many",
        "/quote x -k 0",
        "/frobnicate",
        "/help",
    )
    assert out.count("== Sorry ==") == 4
    assert "-k takes a whole number of at least 1, not 'many'" in out and "-k needs a value" in out
    assert "not '0'" in out  # it quietly meant the default, five
    assert "Unknown command /frobnicate" in out
    assert "Commands (the Discord bot's reading commands)" in out
    assert "Traceback" not in out


def test_quit_ends_the_session_before_the_rest(seed_app: App) -> None:
    out = session(seed_app, "/quit", "/help")
    assert "Commands" not in out


def test_reindex_reports_a_summary(fresh_app: App) -> None:
    assert "The index is up to date" in session(fresh_app, "/reindex")


def test_explain_takes_the_reference_cite_shows_and_compare_takes_works(seed_app: App) -> None:
    from bot.commands.quote import QuoteRequest, quote

    q = quote(seed_app, QuoteRequest("the sect-socialist and trade unions")).quotes[0]
    out = session(
        seed_app,
        f"/explain {q.ref}",
        '/compare what is a sect? --works "Anatomy of the Micro-Sect; Definition of sectarianism"',
        "/explain nowhere.md#1:abcdef",
    )
    assert f"== Explain: {q.title} — {q.author} ==" in out and f"Passage {q.ref}" in out
    assert "== Compare: what is a sect? ==" in out and " match: " in out
    assert "That passage is no longer in the corpus; search again." in out


def test_ctrl_c_at_the_prompt_drops_the_line_and_ctrl_d_leaves(
    seed_app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    typed: list[BaseException | str] = [KeyboardInterrupt(), "/help", EOFError()]

    def prompt(_: str) -> str:
        step = typed.pop(0)
        if isinstance(step, BaseException):
            raise step
        return step

    monkeypatch.setattr(sys, "stdin", Terminal())
    monkeypatch.setattr(sys, "stdout", Terminal())
    monkeypatch.setattr("builtins.input", prompt)
    # A person at a terminal gets the faster query encoder; not this session-wide model.
    monkeypatch.setattr(seed_app.encoder, "promote_queries_later", lambda: None)
    printed: list[str] = []
    assert run_console(seed_app, out=printed.append) == 0
    assert typed == [] and "Commands (the Discord bot's reading commands)" in "\n".join(printed)


def test_a_piped_line_that_is_not_utf8_is_read_in_its_own_encoding_and_said_so(
    seed_app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Where the locale reads standard input strictly, the é was an internal error.
    typed = "/quote café society and its sects -k 1\n/quote what is a sect? -k 1\n"
    piped = io.TextIOWrapper(io.BytesIO(typed.encode("cp1252")), encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", piped)
    printed: list[str] = []
    assert run_console(seed_app, out=printed.append) == 0
    assert printed[1] == "quotebot: line 1 is not UTF-8; read as Windows-1252"
    assert sum("Result 1 of 1" in p for p in printed) == 2


def test_a_reindex_the_system_refuses_is_one_message_and_the_session_goes_on(
    fresh_app: App,
) -> None:
    # A read-only index folder (here: a lock that cannot be opened): the OSError ended
    # the session (exit 1) and the lines after /reindex were never read.
    lock = fresh_app.settings.index / ".lock"
    lock.unlink(missing_ok=True)
    lock.mkdir()
    out = session(fresh_app, "/reindex", "/help")
    assert "== Sorry ==" in out and ".lock" in out
    assert "Commands (the Discord bot's reading commands)" in out


@pytest.mark.parametrize("leave", ["/QUIT", "/Exit"])
def test_quit_is_read_in_any_case_as_every_other_command(seed_app: App, leave: str) -> None:
    # /QUOTE and /HELP work; /QUIT was "Unknown command /quit" and the session went on.
    out = session(seed_app, leave, "/help")
    assert "Unknown command" not in out and "Commands" not in out


def test_a_tab_after_the_command_word_is_a_space(seed_app: App) -> None:
    # "/quote\twhat is a sect" was "Unknown command /quote\twhat is a sect".
    out = session(seed_app, "/quote\twhat is a sect -k 1")
    assert "Unknown command" not in out and "Result 1 of 1" in out
