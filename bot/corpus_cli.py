"""`quotebot corpus add|remove|restore|hide|unhide|log`: the operator's hands on the texts.

Whoever runs the command line on the bot's machine owns the bot, so they act as an owner:
on the base corpus, or with `--collection GUILD_ID` on one server's texts (to inspect or
repair them without Discord). The same command functions as /corpus, the same trash and
the same audit log (the entries name the operator's login).
"""

from __future__ import annotations

import argparse
import getpass
import json
import stat
import sys
from dataclasses import asdict
from pathlib import Path

from bot.app import App
from bot.audit import Entry
from bot.commands import corpus as texts
from bot.commands.corpus import Actor, Change
from bot.commands.sidecar import checked_meta
from bot.messages import describe
from bot.progress import terminal_progress
from bot.servers import Collection
from embeddings.errors import QueryError

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2
INTERRUPTED = "the reindex was interrupted."


def operator() -> Actor:
    try:
        name = getpass.getuser()
    except (KeyError, OSError):  # no login name in a container
        name = "operator"
    return Actor(0, f"{name} (command line)", owner=True)


def _read_upload(
    app: App, collection: Collection, path: Path, actor: Actor, *, replace: bool
) -> bytes:
    """The file's bytes, after what /corpus add checks before a download (who asks, the
    name, the size, the server's room). A device or a pipe is refused unread: /dev/zero
    would fill memory, a FIFO would wait forever."""
    try:
        st = path.stat()
        if not stat.S_ISREG(st.st_mode):
            raise QueryError(f"{path} is not a regular file; give a .txt, .md or .html file.")
        texts.check_upload(app, collection, path.name, st.st_size, actor=actor, replace=replace)
        with open(path, "rb") as f:
            # No more than the limit and a byte: a file that grew meanwhile is still refused.
            return f.read(app.settings.upload_max_bytes + 1)
    except OSError as exc:
        raise QueryError(f"I cannot read {path} ({exc.strerror or exc}).") from exc


def run_corpus(app: App, args: argparse.Namespace) -> int:
    collection = app.collections.of(args.collection)
    actor = operator()
    action = args.action
    if action == "log":
        # The changes, then the refused attempts apart (as /corpus log shows them).
        view = texts.log_view(collection, args.n)
        entries, refused = view.changes, view.refused
        if args.json:
            for e in entries + refused:
                print(json.dumps(asdict(e), ensure_ascii=False))
            return EXIT_OK
        for e in entries:
            print(_log_line(e))
        if not entries:
            print("(no changes yet)")
        if refused:
            print("refused lately:")
            for e in refused:
                print(_log_line(e))
        return EXIT_OK
    if action == "trash":
        trashed = texts.trash_entries(collection)
        for t in trashed:
            if args.json:
                row = {"name": t.label, "work": t.work, "reason": t.reason}
                print(json.dumps(row | {"trashed_at": t.trashed_at, "files": t.files}))
            else:
                print(f"{t.label}  ({', '.join(t.files)})")
        if not trashed and not args.json:
            print("(the trash is empty)")
        return EXIT_OK
    if action in ("hide", "unhide"):
        if args.collection is None:
            print(
                f"quotebot corpus {action}: name the server with --collection GUILD_ID",
                file=sys.stderr,
            )
            return EXIT_USAGE
        work = texts.hide_work(app, args.collection, args.work, actor=actor, hide=action == "hide")
        print(f"{work.key}: {'hidden' if action == 'hide' else 'shown'} in {args.collection}")
        return EXIT_OK
    try:
        change = _change(app, collection, args, actor)
    except texts.ChangeInterrupted as stopped:
        # Exit 130 as for any Ctrl-C, after saying what stands.
        _print_change(action, stopped.change, args.collection, interrupted=True)
        raise KeyboardInterrupt from None
    _print_change(action, change, args.collection)
    # The files changed but the index does not show it: a script must not take it for done.
    return EXIT_ERROR if change.index_error is not None else EXIT_OK


def _change(app: App, collection: Collection, args: argparse.Namespace, actor: Actor) -> Change:
    """add, remove or restore, with a progress bar on a terminal."""
    action = args.action
    with terminal_progress() as progress:
        if action == "add":
            meta = checked_meta(args.title, args.author, args.date, args.url)
            data = _read_upload(app, collection, args.file, actor, replace=args.replace)
            change = texts.add_work(
                app,
                collection,
                args.file.name,
                data,
                meta,
                actor=actor,
                replace=args.replace,
                progress=progress,
            )
        elif action == "remove":
            change = texts.remove_work(app, collection, args.work, actor=actor, progress=progress)
        else:
            change = texts.restore_work(collection, args.work, actor=actor, progress=progress)
    return change


def _print_change(
    action: str, change: Change, collection: int | None, *, interrupted: bool = False
) -> None:
    done = {"add": "Added", "remove": "Removed", "restore": "Restored"}[action]
    print(f"{done} “{change.work}” ({', '.join(change.files)})")
    if change.trashed is not None:
        where = f" --collection {collection}" if collection else ""
        print(f"In the trash; undo: quotebot corpus restore{where} {change.trashed.work!r}")
    if interrupted or change.index_error is not None:
        why = describe(change.index_error) if change.index_error else INTERRUPTED
        print(
            f"The index is not updated: {why} Run `quotebot reindex` to show the change.",
            file=sys.stderr,
        )
    elif change.report is not None:
        print(change.report.summary())


def _log_line(e: Entry) -> str:
    return f"{e.time}  {e.user_name} ({e.user_id})  {e.action}  {e.work}  {e.result}"
