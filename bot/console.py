"""`quotebot console`: the bot's commands in a terminal, printing the same cards."""

from __future__ import annotations

import argparse
import shlex
import sys
import textwrap
from collections.abc import Callable
from typing import NoReturn, TextIO

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
from bot.messages import describe
from bot.progress import terminal_progress
from embeddings.errors import QueryError, QuotebotError

BOLD, RESET = "\033[1m", "\033[0m"

HELP = """Commands (the same as the Discord bot's):
  /quote QUERY [--author A] [--title T] [-k N]   passages that match a question or paraphrase
  /define TERM                                    what the corpus says a term means
  /explain REF                                    a passage explained (REF: from Cite or --json)
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
    return "\n\n".join(render_card(c, color=color) for c in answer_cards(answer))


def render_works(works: list[Work], *, detailed: bool) -> str:
    if detailed:
        return "\n\n".join(render_card(work_card(w)) for w in works)
    return render_card(works_card(works))


class _LineParser(argparse.ArgumentParser):
    """Parses one console command; mistakes become a message, not an exit."""

    def error(self, message: str) -> NoReturn:
        raise QueryError(f"{self.prog}: {message}")


def _quote_parser() -> _LineParser:
    p = _LineParser(prog="/quote", add_help=False)
    p.add_argument("words", nargs="*")
    p.add_argument("--author", default="")
    p.add_argument("--title", default="")
    p.add_argument("-k", type=int, default=0)
    return p


def _compare_parser() -> _LineParser:
    p = _LineParser(prog="/compare", add_help=False)
    p.add_argument("words", nargs="*")
    p.add_argument("--works", default="")
    p.add_argument("--by", default="work", choices=("work", "author"))
    return p


def _parse(parser: _LineParser, rest: str) -> argparse.Namespace:
    try:
        return parser.parse_args(shlex.split(rest))
    except ValueError as exc:  # unbalanced quotes
        raise QueryError(f"Could not read that command: {exc}") from exc


def run_console(
    app: App,
    stdin: TextIO | None = None,
    out: Callable[[str], None] = print,
    *,
    guild: int | None = None,
) -> int:
    """Read commands line by line until end of input or /quit; with `guild`, as that
    server reads (the base less what it hides, plus its own texts)."""
    stream = stdin if stdin is not None else sys.stdin
    interactive = stream is sys.stdin and sys.stdin.isatty()
    color = interactive and sys.stdout.isatty()
    with terminal_progress() as progress:
        report = app.ensure_index(progress)
    if report is not None:
        out(report.summary())
    works = source.works(app, guild=guild)
    total = sum(w.passages for w in works)
    out(f"quotebot: {len(works)} works, {total:,} passages. Type /help for commands.")
    while True:
        if interactive:
            try:
                line = input("quotebot> ")
            except EOFError:
                out("")
                return 0
        else:
            raw = stream.readline()
            if not raw:
                return 0
            line = raw.rstrip("\n")
        line = line.strip()
        if not line:
            continue
        if line in ("/quit", "/exit", "quit", "exit"):
            return 0
        try:
            out(execute(app, line, color=color, guild=guild) + "\n")
        except QuotebotError as exc:
            out(render_card(error_card(describe(exc)), color=color) + "\n")


def execute(app: App, line: str, *, color: bool = False, guild: int | None = None) -> str:
    """Run one console command line and return what to print."""
    if not line.startswith("/"):
        line = "/quote " + line
    command, _, rest = line.partition(" ")
    command = command.lower()
    if command == "/help":
        return HELP
    if command == "/quote":
        args = _parse(_quote_parser(), rest)
        request = QuoteRequest(" ".join(args.words), args.author, args.title, args.k, guild=guild)
        return render_answer(quote(app, request), color=color)
    if command == "/define":
        return render_answer(define(app, rest, guild=guild), color=color)
    if command == "/explain":
        return render_card(explain_card(explain(app, rest, guild=guild)), color=color)
    if command == "/compare":
        args = _parse(_compare_parser(), rest)
        works = split_works(args.works)
        asked = CompareRequest(" ".join(args.words), works, args.by, guild)
        return render_card(compare_card(compare(app, asked)), color=color)
    if command == "/source":
        named = rest.strip()
        found = source.find(app, rest, guild=guild) if named else source.works(app, guild=guild)
        return render_works(found, detailed=bool(rest.strip()))
    if command == "/reindex":
        with terminal_progress() as progress:
            return app.collections.of(guild).reindex(progress=progress).summary()
    return f"Unknown command {command}; type /help."
