"""The `quotebot` command. Heavy modules are imported inside the commands that need
them, so `quotebot --help` answers at once and never loads torch."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, Protocol, TypeVar

if TYPE_CHECKING:
    from bot.app import App
    from bot.cards import Card
    from bot.commands.results import Answer

log = logging.getLogger("quotebot")


class _Result(Protocol):
    def to_json(self) -> dict[str, Any]: ...


R = TypeVar("R", bound=_Result)

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


class _UsageError(Exception):
    """A command line argparse refused: `main` says so, as JSON too when --json was asked."""


class _Parser(argparse.ArgumentParser):
    """Usage errors as one clear line (argparse prints the whole usage block)."""

    def error(self, message: str) -> NoReturn:
        raise _UsageError(f"{self.prog}: {message} (see `{self.prog} --help`)")


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number of at least 1, got {value}")
    return value


def _whole(text: str) -> int:
    if not (text.isascii() and text.isdigit()):  # "²" is a digit to str.isdigit
        raise argparse.ArgumentTypeError(f"expected a whole number of 0 or more, got {text!r}")
    return int(text)


def _server_id(text: str) -> int:
    # A Discord ID is a snowflake: a positive 64-bit number.
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) < 2**64:
        shown = text if len(text) <= 40 else text[:40] + "…"
        raise argparse.ArgumentTypeError(
            f"expected a server (guild) ID, a positive whole number, got {shown!r}"
        )
    return int(text)


def _options() -> tuple[_Parser, _Parser]:
    """The options every command takes, and those plus --collection (a server's view,
    base and its own texts, or its collection, without Discord). Left out, an option
    leaves the namespace alone (SUPPRESS; the defaults are the top parser's), so it may
    come before the command, between `corpus` and its action, or after: a subparser's own
    default used to reset a value given earlier, and `corpus --collection G --corpus C
    remove W` acted on the default base corpus."""
    common = _Parser(add_help=False, argument_default=argparse.SUPPRESS)
    common.add_argument("--corpus", type=Path, metavar="DIR", help="the corpus folder")
    common.add_argument("--index", type=Path, metavar="DIR", help="the index folder")
    common.add_argument("--config", type=Path, metavar="FILE", help="a settings.toml file")
    common.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
    scoped = _Parser(add_help=False, parents=[common], argument_default=argparse.SUPPRESS)
    scoped.add_argument(
        "--collection",
        type=_server_id,
        metavar="GUILD_ID",
        help="a server's own collection (its texts on top of the base corpus)",
    )
    return common, scoped


def build_parser() -> argparse.ArgumentParser:
    common, scoped = _options()
    parser = _Parser(
        prog="quotebot",
        description="Quote and explain passages from a body of texts, verbatim and cited.",
        epilog="Settings come from config/settings.toml, then QUOTEBOT_* environment "
        "variables, then these flags.",
        parents=[_options()[0]],  # its own actions: set_defaults below changes them
    )
    parser.set_defaults(corpus=None, index=None, config=None, verbose=False, collection=None)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    p = sub.add_parser("reindex", parents=[scoped], help="build or update the index")
    p.add_argument("--force", action="store_true", help="rebuild everything from scratch")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")

    p = sub.add_parser("quote", parents=[scoped], help="find passages that match a query")
    p.add_argument("query", metavar="QUERY", help="a question or paraphrase; - reads stdin")
    p.add_argument("--author", default="", help="only works by an author matching this")
    p.add_argument(
        "--title",
        default="",
        help="only works whose title or file matches this, or one book of verses (Matthew)",
    )
    p.add_argument("-k", type=_count, default=0, metavar="N", help="number of results")
    p.add_argument("--per-work", type=_count, default=0, metavar="N", help="cap per work")
    p.add_argument("--json", action="store_true", help="one JSON object per query")

    p = sub.add_parser("define", parents=[scoped], help="what the corpus says a term means")
    p.add_argument("term", metavar="TERM", nargs="?", help="a term; - reads stdin")
    p.add_argument("-k", type=_count, default=0, metavar="N", help="number of results")
    p.add_argument("--complete", metavar="PREFIX", help="suggest terms starting like this")
    p.add_argument("--json", action="store_true", help="one JSON object per term")

    p = sub.add_parser(
        "explain",
        parents=[scoped],
        help="a passage explained: where it sits, footnotes, terms, other works",
    )
    p.add_argument("ref", metavar="PASSAGE_REF", help="a passage reference, as Cite shows it")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = sub.add_parser(
        "compare", parents=[scoped], help="the best passage of each work (or author) for a query"
    )
    p.add_argument("query", metavar="QUERY")
    p.add_argument(
        "--work",
        action="append",
        default=[],
        metavar="WORK",
        help="a work to compare (give at least two; none: every work)",
    )
    p.add_argument("--by", choices=("work", "author"), default="work", help="per work or author")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = sub.add_parser("source", parents=[scoped], help="the works in the corpus")
    p.add_argument("name", metavar="NAME", nargs="?", default="", help="a title or author")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = sub.add_parser(
        "corpus",
        parents=[scoped],
        help="add, remove, restore, hide or unhide works; the trash and the audit log",
        description="Change the base corpus (or, with --collection, one server's texts) as "
        "the bot's owner. Removed and replaced files go to the trash, restorable for "
        "trash_days; every change is in the audit log.",
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser)
    actions.required = True
    a = actions.add_parser("add", parents=[scoped], help="add a .txt, .md or .html file")
    a.add_argument("file", type=Path, metavar="FILE")
    a.add_argument("--title", default="")
    a.add_argument("--author", default="")
    a.add_argument(
        "--date", default="", help="e.g. 1848, 1848-02-21, 'February 21, 1848' or 'c. 380 BC'"
    )
    a.add_argument("--url", default="")
    a.add_argument("--replace", action="store_true", help="replace a file of the same name")
    for name, what in (
        ("remove", "move a work to the trash"),
        ("restore", "bring a work back from the trash"),
        ("hide", "hide a base work in the server named by --collection"),
        ("unhide", "show a hidden base work in that server again"),
    ):
        a = actions.add_parser(name, parents=[scoped], help=what)
        a.add_argument("work", metavar="WORK", help="its title or file name")
    a = actions.add_parser(
        "trash", parents=[scoped], help="what the trash holds, each version by its name"
    )
    a.add_argument("--json", action="store_true", help="one JSON object per entry")
    a = actions.add_parser("log", parents=[scoped], help="the last changes (audit log)")
    a.add_argument("-n", type=_count, default=20, metavar="N", help="how many entries")
    a.add_argument("--json", action="store_true", help="one JSON object per entry")

    p = sub.add_parser(
        "tune",
        parents=[common],
        help="adapt the model to the corpus (no labels) and write it to a new folder",
        description="Fine-tune the configured model on pairs taken from the corpus itself "
        "(a sentence and the rest of its paragraph; a verse and its neighbours) and write a "
        "model folder that [model] name or QUOTEBOT_MODEL can point to. Reindex after "
        "switching to it.",
    )
    p.add_argument("--out", type=Path, required=True, metavar="FOLDER", help="a new folder")
    p.add_argument(
        "--max-pairs", type=_count, metavar="N", help="pairs to train on at most (5,000)"
    )
    p.add_argument("--epochs", type=_count, metavar="N", help="passes over the pairs (1)")
    p.add_argument(
        "--seed", type=_whole, default=0, metavar="N", help="the same seed, the same model"
    )
    p.add_argument("--json", action="store_true", help="print the record as JSON")

    sub.add_parser("console", parents=[scoped], help="an interactive session (no Discord)")
    p = sub.add_parser("run", parents=[common], help="start the Discord bot (needs DISCORD_TOKEN)")
    p.add_argument(
        "--shards",
        metavar="N",
        help="Discord shards in all, across every process (default: no sharding)",
    )
    p.add_argument(
        "--shard-ids",
        metavar="A,B",
        help="the shards this process runs, from 0 to N-1 (default: all N)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    words = sys.argv[1:] if argv is None else argv
    try:
        args = parser.parse_args(words)
    except _UsageError as exc:
        print(exc, file=sys.stderr)
        if "--json" in words:  # a script reading JSON gets JSON, as for any other error
            print(json.dumps({"error": str(exc)}, ensure_ascii=False))
        raise SystemExit(EXIT_USAGE) from None  # as argparse exits
    _setup_logging(args.verbose)
    try:
        return _dispatch(args)
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader stopped (`quotebot source | head`): nothing is wrong, nothing to say.
        # Python would complain again while flushing stdout at exit; point it at nothing.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:
        return _report(exc, as_json=bool(getattr(args, "json", False)))


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("sentence_transformers", "transformers", "bm25s", "httpx", "huggingface_hub"):
        logging.getLogger(noisy).setLevel(logging.WARNING if verbose else logging.ERROR)


def _usage_errors() -> tuple[type[Exception], ...]:
    """Errors in how a command was written (an option's value no run could accept), which
    exit 2 like argparse's own; a query that finds nothing usable is a failure (1)."""
    from embeddings.errors import BadComparison, CountOutOfRange, NotAReference

    return (BadComparison, CountOutOfRange, NotAReference)


def _report(exc: BaseException, *, as_json: bool = False) -> int:
    """One line for the user on stderr (and, with --json, the same as `{"error": …}` on
    stdout, so that a script reading JSON always gets JSON); the traceback only in the
    log (with -v)."""
    from bot.messages import describe
    from embeddings.errors import QuotebotError

    code = EXIT_ERROR
    if isinstance(exc, QuotebotError):  # settings and ingest errors included
        said = describe(exc)
        code = EXIT_USAGE if isinstance(exc, _usage_errors()) else EXIT_ERROR
    elif isinstance(exc, OSError) and exc.strerror:
        # A file or folder the system refused (an index path that is a file, a folder
        # that cannot be made, no network): where and why, not an "internal error".
        said = f"{exc.filename}: {exc.strerror}." if exc.filename else f"{exc.strerror}."
    else:
        said = f"internal error ({type(exc).__name__}: {exc}); run with -v for details."
    if not isinstance(exc, QuotebotError) and log.isEnabledFor(logging.INFO):
        log.error("traceback", exc_info=exc)
    print(f"quotebot: {said}", file=sys.stderr)
    if as_json:
        # Standard output may be what failed (a full disk under `> out.json`): stderr said it.
        with contextlib.suppress(OSError):
            print(json.dumps({"error": said}, ensure_ascii=False), flush=True)
    return code


def _usage(args: argparse.Namespace, message: str) -> int:
    """A usage error found after parsing: one line on stderr, as JSON too with --json."""
    print(message, file=sys.stderr)
    if getattr(args, "json", False):
        print(json.dumps({"error": message}, ensure_ascii=False))
    return EXIT_USAGE


def make_app(args: argparse.Namespace) -> App:
    from bot.app import App
    from bot.settings import load_settings

    settings = load_settings(args.config).with_paths(args.corpus, args.index)
    return App(settings)


def _dispatch(args: argparse.Namespace) -> int:
    command = args.command
    if command == "reindex":
        return _reindex(args)
    if command == "console":
        from bot.console import run_console

        return run_console(make_app(args), guild=args.collection)
    if command == "run":
        return _run(args)
    if command == "tune":
        return _tune(args)
    app = make_app(args)
    if command in ("quote", "define", "explain", "compare"):
        app.preload()  # the index and the query encoder load side by side
    _ensure_index(app)
    if command == "corpus":
        from bot.corpus_cli import run_corpus

        return run_corpus(app, args)
    if command == "quote":
        return _quote(app, args)
    if command == "define":
        return _define(app, args)
    if command == "explain":
        return _explain(app, args)
    if command == "compare":
        return _compare(app, args)
    return _source(app, args)


def _run(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from bot.app import App
    from bot.messages import describe
    from bot.settings import SettingsError, load_settings, shard_plan

    settings = load_settings(args.config).with_paths(args.corpus, args.index)
    if args.shards is not None or args.shard_ids is not None:
        try:
            shards, ids = shard_plan(
                settings.shards if args.shards is None else args.shards,
                args.shard_ids if args.shard_ids is not None else settings.shard_ids,
            )
        except SettingsError as exc:
            print(f"quotebot run: {describe(exc)} (see `quotebot run --help`)", file=sys.stderr)
            return EXIT_USAGE
        settings = replace(settings, shards=shards, shard_ids=ids)
    app = App(settings)
    if settings.discord_token:  # without one, run_bot says so and loads nothing
        app.preload()  # the index and the model load while discord.py is imported
    from bot.discord.runner import run_bot

    return run_bot(app)


def _tune(args: argparse.Namespace) -> int:
    from bot.progress import terminal_progress
    from bot.settings import load_settings
    from embeddings.tune import TuneParams, tune

    # The corpus and the model to start from are the settings' (--corpus, [model] name).
    settings = load_settings(args.config).with_paths(args.corpus, args.index)
    given = {"max_pairs": args.max_pairs, "epochs": args.epochs}
    params = TuneParams(
        **{k: v for k, v in given.items() if v is not None},
        seed=args.seed,
        threads=settings.threads,
    )
    with terminal_progress() as progress:
        report = tune(
            settings.corpus, args.out, settings.model_path or settings.model, params, progress
        )
    print(json.dumps(report.to_json()) if args.json else report.summary())
    for warning in report.skipped:
        print(f"skipped: {warning}", file=sys.stderr)
    return EXIT_OK


def _ensure_index(app: App) -> None:
    from bot.progress import terminal_progress

    with terminal_progress() as progress:
        report = app.ensure_index(progress)
    if report is not None:
        print(report.summary(), file=sys.stderr)


def _reindex(args: argparse.Namespace) -> int:
    from bot.progress import terminal_progress

    app = make_app(args)
    collection = app.collections.of(args.collection)
    with terminal_progress() as progress:
        report = collection.reindex(force=args.force, progress=progress)
    if args.json:
        print(json.dumps(report.to_json()))
    else:
        print(report.summary())
    for warning in report.skipped:
        print(f"skipped: {warning}", file=sys.stderr)
    for warning in report.companion_problems:
        print(f"companion: {warning}", file=sys.stderr)
    return EXIT_OK


def _lines(value: str) -> Iterator[str]:
    from bot.messages import not_utf8
    from bot.typed_text import recovered, tolerate_stdin

    if value != "-":
        yield value
        return
    if sys.stdin is None:  # closed (`<&-`, a daemon): Python gives None, not an empty file
        from embeddings.errors import QueryError

        raise QueryError("standard input is closed; pipe the lines in, or give one on the line.")
    tolerate_stdin()
    for number, line in enumerate(sys.stdin, 1):
        text, encoding = recovered(line.rstrip("\n"))
        if encoding != "utf-8":
            print(f"quotebot: {not_utf8(number, encoding)}", file=sys.stderr)
        yield text  # a blank line too: its error line keeps the answers in step with the lines


def _answer_each(
    values: Iterator[str], answer: Callable[[str], Answer], as_json: bool, streaming: bool
) -> int:
    from bot.console import render_answer
    from bot.messages import describe
    from embeddings.errors import QuotebotError

    answered = failed = 0
    for value in values:
        try:
            result = answer(value)
        except QuotebotError as exc:
            if as_json or streaming:
                print(json.dumps({"query": value, "results": [], "error": describe(exc)}))
            else:
                print(f"quotebot: {describe(exc)}", file=sys.stderr)
            failed += 1
            continue
        answered += 1
        if as_json or streaming:
            print(json.dumps(result.to_json(), ensure_ascii=False), flush=True)
        else:
            print(render_answer(result))
    # A stream of queries answers each one: it fails only when none could be answered
    # (an author no work has fails every line), as a single failed query fails the run.
    return EXIT_ERROR if failed and not answered else EXIT_OK


def _quote(app: App, args: argparse.Namespace) -> int:
    from bot.commands.quote import QuoteRequest, clamp_count, quote

    clamp_count(app, args.k)  # the same for every query: refused once, as a usage error

    def answer(text: str) -> Answer:
        request = QuoteRequest(
            text, args.author, args.title, args.k, args.per_work, guild=args.collection
        )
        return quote(app, request)

    return _answer_each(_lines(args.query), answer, args.json, args.query == "-")


def _define(app: App, args: argparse.Namespace) -> int:
    from bot.commands.define import complete, define
    from bot.commands.quote import clamp_count

    if args.complete is not None and args.term:  # the term was quietly left unanswered
        return _usage(args, "quotebot define: give a TERM or --complete PREFIX, not both")
    if args.complete is not None:
        suggestions = complete(app, args.complete, guild=args.collection)
        if args.json:
            print(json.dumps({"prefix": args.complete, "suggestions": suggestions}))
        else:
            print("\n".join(suggestions) if suggestions else "(no suggestions)")
        return EXIT_OK
    if not (args.term or "").strip():  # blank as empty: no term (it got a search's message)
        return _usage(
            args, "quotebot define: give a TERM, - to read terms from stdin, or --complete PREFIX"
        )
    clamp_count(app, args.k)  # the same for every term: refused once, as a usage error
    return _answer_each(
        _lines(args.term),
        lambda t: define(app, t, args.k, guild=args.collection),
        args.json,
        args.term == "-",
    )


def _explain(app: App, args: argparse.Namespace) -> int:
    from bot.cards import explain_card
    from bot.commands.explain import explain

    return _print_one(explain(app, args.ref, guild=args.collection), explain_card, args.json)


def _compare(app: App, args: argparse.Namespace) -> int:
    from bot.cards import compare_card
    from bot.commands.compare import CompareRequest, compare

    request = CompareRequest(args.query, tuple(args.work), args.by, args.collection)
    return _print_one(compare(app, request), compare_card, args.json)


def _print_one(found: R, card: Callable[[R], Card], as_json: bool) -> int:
    """One result: a line of JSON, or its card as the console shows it."""
    from bot.console import render_card

    if as_json:
        print(json.dumps(found.to_json(), ensure_ascii=False))
    else:
        print(render_card(card(found)))
    return EXIT_OK


def _source(app: App, args: argparse.Namespace) -> int:
    from bot.commands import source
    from bot.console import render_works

    guild = args.collection
    named = args.name.strip()  # blank, as empty: every work
    found = source.find(app, named, guild=guild) if named else source.works(app, guild=guild)
    if args.json:
        print(json.dumps([w.to_json() for w in found], ensure_ascii=False))
    else:
        print(render_works(found, detailed=bool(named)))
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
