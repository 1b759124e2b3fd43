"""`quotebot console`: the bot's commands in a terminal, printing the same cards."""

from __future__ import annotations

import re
import sys
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TextIO

from bot.app import App
from bot.cards import (
    Card,
    answer_cards,
    compare_card,
    error_card,
    explain_card,
    work_card,
    works_card,
)
from bot.commands import source
from bot.commands.compare import CompareRequest, compare, split_works
from bot.commands.define import define
from bot.commands.explain import explain
from bot.commands.quote import QuoteRequest, quote
from bot.commands.results import Answer
from bot.commands.source import Work
from bot.messages import counted, describe, not_utf8
from bot.progress import terminal_progress
from bot.typed_text import recovered, tolerate_stdin
from embeddings.errors import QueryError, QuotebotError

BOLD, RESET = "\033[1m", "\033[0m"

HELP = """Commands (the Discord bot's reading commands):
  /quote QUERY [--author A] [--title T] [-k N]   passages that match a question or paraphrase
  /define TERM                                    what the corpus says a term means
  /explain REF                                    a passage explained (REF: under each quote)
  /compare QUERY [--works "A; B"] [--by author]   the best passage of each work, side by side
  /source [NAME]                                  the works in the corpus, or one work
  /reindex                                        rebuild the index after the corpus changed
  /help                                           this text
  /quit                                           leave (or Ctrl-D)
A line without a command is a /quote query."""


def render_card(card: Card, *, color: bool = False) -> str:
    def strong(text: str) -> str:
        return f"{BOLD}{text}{RESET}" if color else f"**{text}**"

    body = "".join(strong(s.text) if s.strong else s.text for s in card.body)
    lines = [strong(card.title) if color else f"== {card.title} =="]
    for para in body.split("\n"):
        lines.extend(textwrap.wrap(para, 88) or [""])
    for f in card.fields:
        lines.append(f"  {f.name}: {f.value}")
    if card.footer:
        lines.append(f"  ({card.footer})")
    return "\n".join(lines)


def render_answer(answer: Answer, *, color: bool = False) -> str:
    cards = [render_card(c, color=color) for c in answer_cards(answer)]
    if answer.quotes:  # a card a quote; with no Explain button, each says the command
        cards = [
            card + (f"\n  Explain: /explain {q.ref}" if q.ref else "")
            for card, q in zip(cards, answer.quotes, strict=True)
        ]
    return "\n\n".join(cards)


def render_works(works: list[Work], *, detailed: bool) -> str:
    if detailed:
        return "\n\n".join(render_card(work_card(w)) for w in works)
    return render_card(works_card(works))


# A double-quoted group ("A; B") is one token; anything else runs to the next space, so an
# apostrophe ("what's") or a lone quote is part of a word, as a reader typed it.
_TOKEN = re.compile(r'"([^"]*)"(?=\s|$)|(\S+)')


@dataclass
class _Line:
    """One console command: its words (the query) and its options."""

    words: list[str] = field(default_factory=list)
    options: dict[str, str] = field(default_factory=dict)

    @property
    def query(self) -> str:
        return " ".join(self.words)


def _read(command: str, rest: str, options: Sequence[str]) -> _Line:
    """The words and `options` of a line. Only the options named take a value; any other
    token is a word, even one starting with "-" ("what does the suffix -ism mean")."""
    tokens = [bare or quoted for quoted, bare in _TOKEN.findall(rest)]
    line = _Line()
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token in options:
            if i + 1 >= len(tokens):
                raise QueryError(f"{command}: {token} needs a value")
            line.options[token] = tokens[i + 1]
            i += 2
        else:
            line.words.append(token)
            i += 1
    return line


def _count(command: str, value: str) -> int:
    """-k as typed: a whole number of at least 1 (0 would quietly mean the default, and
    the CLI refuses it too); the upper bound is the command's own (max_results)."""
    shown = value if len(value) <= 20 else value[:20] + "…"
    if not (value.isascii() and value.isdigit()) or int(value) < 1:
        raise QueryError(f"{command}: -k takes a whole number of at least 1, not {shown!r}")
    return int(value)


def run_console(
    app: App,
    stdin: TextIO | None = None,
    out: Callable[[str], None] = print,
    *,
    guild: int | None = None,
) -> int:
    """Read commands line by line until end of input or /quit; with `guild`, as that
    server reads (the base less what it hides, plus its own texts)."""
    if stdin is None:
        tolerate_stdin()
    stream = stdin if stdin is not None else sys.stdin
    if stream is None:  # closed (`<&-`): Python gives None, not an empty file
        raise QueryError("standard input is closed; there are no commands to read.")
    interactive = stream is sys.stdin and sys.stdin.isatty()
    color = interactive and sys.stdout.isatty()
    with terminal_progress() as progress:
        report = app.ensure_index(progress)
    if report is not None:
        out(report.summary())
    # What it reads, none included (a server's view that holds no work says why per command).
    works = source.works_of(app.live_for(guild).searcher.index.documents)
    total = sum(w.passages for w in works)
    size = f"{counted(len(works), 'work')}, {counted(total, 'passage')}"
    out(f"quotebot: {size}. Type /help for commands.")
    if interactive:  # a person will ask several questions: faster ones once torch is loaded
        app.encoder.promote_queries_later()
    number = 0  # lines read, for what is said of one
    while True:
        if interactive:
            try:
                line = input("quotebot> ")
            except EOFError:
                out("")
                return 0
            except KeyboardInterrupt:  # as in a shell: the line is dropped, the session goes on
                out("")
                continue
        else:
            raw = stream.readline()
            if not raw:
                return 0
            line = raw.rstrip("\n")
        number += 1
        line, encoding = recovered(line)
        if encoding != "utf-8":
            out(f"quotebot: {not_utf8(number, encoding)}")
        line = line.strip()
        if not line:
            continue
        if line.lower() in ("/quit", "/exit", "quit", "exit"):  # as every command: any case
            return 0
        try:
            out(execute(app, line, color=color, guild=guild) + "\n")
        except QuotebotError as exc:
            out(render_card(error_card(describe(exc)), color=color) + "\n")
        except OSError as exc:  # a folder the system refused (a read-only index): say so
            if not exc.strerror:
                raise
            said = f"{exc.filename}: {exc.strerror}." if exc.filename else f"{exc.strerror}."
            out(render_card(error_card(said), color=color) + "\n")


def execute(app: App, line: str, *, color: bool = False, guild: int | None = None) -> str:
    """Run one console command line and return what to print."""
    plain = not line.startswith("/")
    if plain:
        line = "/quote " + line
    command, *more = line.split(maxsplit=1)  # a tab after the command word is a space too
    command, rest = command.lower(), (more[0] if more else "")
    if command == "/help":
        return HELP
    if command == "/quote":
        if plain:  # a question as typed: no options to read in it
            return render_answer(quote(app, QuoteRequest(rest, guild=guild)), color=color)
        line_ = _read(command, rest, ("--author", "--title", "-k"))
        opts = line_.options
        k = _count(command, opts["-k"]) if "-k" in opts else 0
        request = QuoteRequest(
            line_.query, opts.get("--author", ""), opts.get("--title", ""), k, guild=guild
        )
        return render_answer(quote(app, request), color=color)
    if command == "/define":
        return render_answer(define(app, rest, guild=guild), color=color)
    if command == "/explain":
        return render_card(explain_card(explain(app, rest, guild=guild)), color=color)
    if command == "/compare":
        line_ = _read(command, rest, ("--works", "--by"))
        by = line_.options.get("--by", "work")
        if by not in ("work", "author"):
            raise QueryError(f"{command}: --by takes work or author, not {by!r}")
        works = split_works(line_.options.get("--works", ""))
        asked = CompareRequest(line_.query, works, by, guild)
        return render_card(compare_card(compare(app, asked)), color=color)
    if command == "/source":
        named = rest.strip()  # blank, as empty: every work
        found = source.find(app, named, guild=guild) if named else source.works(app, guild=guild)
        return render_works(found, detailed=bool(named))
    if command == "/reindex":
        with terminal_progress() as progress:
            return app.collections.of(guild).reindex(progress=progress).summary()
    return f"Unknown command {command}; type /help."
