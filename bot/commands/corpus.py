"""Changing texts: /corpus add, remove, restore, hide, unhide and log, for the base corpus
and for each server's own collection (bot/servers.py).

Plain functions over an `App` and a `Collection`, so the console or a script can call them
as Discord does. Who may change what is decided here too, whatever the front end checked:
only an owner changes the base; a server's admin changes only that server's collection.
Every path is kept inside the collection's folder: an upload's name is reduced to a safe
file name (bot/commands/upload.py) and written in the folder itself, never through a
symbolic link. Nothing is deleted: a removed or replaced work goes to the collection's
trash (restorable for `trash_days`). Every change and every refusal goes to the
collection's audit log.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

from bot.app import App
from bot.audit import Entry
from bot.commands import source as sources
from bot.commands.sidecar import WorkMeta
from bot.commands.upload import (
    Room,
    UploadRefused,
    check_content,
    check_room,
    check_size,
    safe_name,
)
from bot.file_lock import locked
from bot.servers import UPLOAD_PREFIX, UPLOAD_SUFFIX, Collection, sweep_unfinished_uploads
from bot.trash import DAY, LABEL_MAX, Trashed, TrashError, TrashGone, stored_as
from embeddings import store
from embeddings.build import BuildReport, ProgressFn
from embeddings.documents import folded
from embeddings.errors import (
    DataFolderUnusable,
    NotFoundError,
    NotInTrash,
    NoWorkCalled,
    QuotebotError,
    ReindexBusyError,
)
from embeddings.ingest.discovery import SIDECAR_SUFFIX, discover, is_sidecar, sidecars
from embeddings.ingest.errors import IngestError
from embeddings.ingest.metadata import load_meta_file
from embeddings.store import COLLECTION_PREFIX

log = logging.getLogger(__name__)


class NotPermitted(QuotebotError):
    """The actor may not change that collection (the base, or another server's)."""


BASE_ONLY_OWNERS = (
    "The shared base corpus can only be changed by the bot's owners; this server's own "
    "texts are yours to change."
)

REPLACE_HINT = "to replace it, add it again with replace (replace: True, or --replace)"


@dataclass(frozen=True)
class Actor:
    """Who changed the corpus, as the log names them."""

    user_id: int
    user_name: str
    guild_id: int | None = None
    guild_name: str = ""
    owner: bool = False  # a bot owner: may change the base and any collection
    admin: bool = False  # may manage the server it acts in (Manage Server there)

    def __str__(self) -> str:
        where = (
            f"in server {self.guild_id} ({self.guild_name})"
            if self.guild_id is not None
            else "in a direct message"
        )
        return f"user {self.user_id} ({self.user_name}) {where}"


@dataclass(frozen=True)
class Change:
    """What a corpus change did: the files written or removed, and the reindex after it."""

    work: str  # the work's title, or its file name
    files: tuple[str, ...]
    replaced: bool = False
    report: BuildReport | None = None
    index_error: QuotebotError | None = None  # the reindex failed: the files changed,
    # the old index answers
    skipped: tuple[str, ...] = field(default=())  # the reindex's warnings about these files
    trashed: Trashed | None = None  # where the removed or replaced files went


def permit(collection: Collection, actor: Actor, action: str, work: str = "") -> None:
    """NotPermitted (and an audit entry) unless `actor` may change `collection`."""
    if actor.owner or (
        actor.admin and not collection.is_base and actor.guild_id == collection.guild_id
    ):
        return
    if not _refused_lately(collection, actor):
        # What was asked for is the member's own text (an attachment's name, a restore's
        # query): kept short, so that refusals cannot fill the log of a collection that
        # is not theirs, and repeats within REFUSALS_APART count once.
        audit(
            collection, actor, REFUSED, _shown(" ".join(work.split())), f"{action}: not permitted"
        )
    raise NotPermitted(
        BASE_ONLY_OWNERS if collection.is_base else "Only this server's admins can do that."
    )


REFUSED = "refused"  # an audit entry's action for an attempt that was not permitted
REFUSALS_APART = 600.0  # seconds: one member's refusals closer than this are logged once
REFUSERS_KEPT = 1024  # members whose last refusal a collection remembers before pruning
WAIT_FOR_BUILD = 900.0  # seconds a corpus change waits for another process's build


def _refused_lately(collection: Collection, actor: Actor) -> bool:
    """Whether this member's last logged refusal in `collection` is within REFUSALS_APART
    (and, if not, notes this one as logged). Kept in memory, not read from the log: two
    members taking turns were each logged every time, and each refusal read the log.
    Each process keeps its own: through N shards, at most N entries per member."""
    now = time.monotonic()
    seen = collection.refusals
    last = seen.get(actor.user_id)
    if last is not None and now - last < REFUSALS_APART:
        return True
    if len(seen) >= REFUSERS_KEPT:  # members long quiet make room; none is logged twice
        for user_id, when in list(seen.items()):
            if now - when >= REFUSALS_APART:
                seen.pop(user_id, None)  # another thread may prune it too
    seen[actor.user_id] = now
    return False


def audit(collection: Collection, actor: Actor, action: str, work: str, result: str = "ok") -> None:
    """One entry in the collection's audit log."""
    collection.log.append(
        server=actor.guild_id,
        user_id=actor.user_id,
        user_name=actor.user_name,
        action=action,
        work=work,
        result=result,
    )


def own_works(collection: Collection) -> list[sources.Work]:
    """The works of this collection alone, as its index knows them."""
    live = collection.live()
    return sources.works_of(live.searcher.index.documents) if live else []


def check_upload(
    app: App,
    collection: Collection,
    filename: str,
    size: int,
    *,
    actor: Actor,
    replace: bool = False,
) -> str:
    """Everything that can be checked before downloading: who asks, the safe name
    (returned), the size Discord reports, and whether the name is free."""
    name = _checked_name(app, collection, filename, size, actor)
    _check_target(collection.corpus, name, replace=replace, where=place(collection))
    return name


def _checked_name(app: App, collection: Collection, filename: str, size: int, actor: Actor) -> str:
    """The checks every upload meets first, in this order: who asks, the safe name
    (returned), the size, and room for it in a server's share of the disk."""
    permit(collection, actor, "add", filename)
    name = safe_name(filename)
    untagged = safe_name(filename, tagged=False)
    if untagged != name and (collection.corpus / untagged).exists():
        # Stored before long names were tagged: the same upload replaces (or is refused
        # as) that file, never added beside it.
        name = untagged
    # The stored file it names but for case: remove and restore take "Essay.txt" for
    # essay.txt, so the upload replaces that file (or is refused as there), never beside it.
    name = stored_as(collection.corpus, name) or name
    check_size(size, app.settings.upload_max_bytes)
    if not collection.is_base:
        # Every server's admins can store texts, and a replaced one stays in the trash:
        # without a bound, one server could fill the disk every server and the base need.
        # Expired trash goes first, as at start-up, so waiting trash_days frees its room.
        days = app.settings.trash_days
        _, trashed = collection.trash.purge(days)
        sweep_unfinished_uploads(collection.corpus)
        room = Room(
            folder_bytes(collection.corpus),
            folder_bytes(collection.trash.folder),
            days,
            trashed[-1].trashed_at + days * DAY if trashed else None,
        )
        check_room(room, size, app.settings.server_max_bytes)
    return name


def folder_bytes(folder: Path) -> int:
    """The size of the files under `folder` (0 when there is none)."""
    if not folder.is_dir():
        return 0
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def add_work(
    app: App,
    collection: Collection,
    filename: str,
    data: bytes,
    meta: WorkMeta,
    *,
    actor: Actor,
    replace: bool = False,
    progress: ProgressFn | None = None,
) -> Change:
    """Write an uploaded file (and its metadata sidecar) into the collection and reindex;
    a file it replaces goes to the trash first."""
    _check_data_folder(collection)
    name = _checked_name(app, collection, filename, len(data), actor)
    check_content(data, name)
    root = collection.corpus
    root.mkdir(parents=True, exist_ok=True)
    existed = _check_target(root, name, replace=replace, where=place(collection))
    sidecar = root / (name + SIDECAR_SUFFIX)
    old_meta = sidecar.read_bytes() if existed and sidecar.is_file() else None
    new_meta, kept = _sidecar_after(meta, old_meta)
    old_title = _title_in(root, name) if old_meta is not None else ""
    kept_title = old_title if kept else ""
    trashed = None
    if existed:  # in the trash by the old version's title, as /corpus restore offers it
        trashed = _to_trash(collection, sidecars(name), old_title or name, "replaced")
    written = False  # the text is ours to take back once it is in place
    try:
        _write(root / name, data, overwrite=replace)
        written = True
        if new_meta is not None:
            _write(sidecar, new_meta, overwrite=True)
    except UploadRefused:
        # All or nothing, as the refusal says: a text left without its sidecar would be
        # indexed unlogged and without its title, and a retry refused as already there.
        if written:
            (root / name).unlink(missing_ok=True)
        if trashed is not None:
            collection.trash.restore(trashed, root)  # the old version back: nothing lost
        raise
    log.info(
        "corpus add: %s (%d bytes%s) in %s by %s",
        name,
        len(data),
        ", replaced" if existed else "",
        collection.name,
        actor,
    )
    title = meta.title or kept_title or name
    audit(collection, actor, "replace" if existed else "add", title)
    change = Change(work=title, files=(name,), replaced=existed, trashed=trashed)
    return _reindex(collection, change, progress)


def _sidecar_after(meta: WorkMeta, old: bytes | None) -> tuple[bytes | None, bool]:
    """A new version's sidecar (None: none), and whether it keeps the old one's values: it
    keeps each title, author, date and url it does not bring (the trash keeps the old
    version whole)."""
    if old is None:
        return (None if meta.empty else meta.to_toml().encode()), False
    if meta.empty:
        return old, True
    merged = meta.over(old.decode("utf-8-sig", errors="replace"))
    if merged is None:  # the old one is broken or holds more than text: the new one whole
        return meta.to_toml().encode(), False
    return merged.encode(), True


def remove_work(
    app: App,
    collection: Collection,
    name: str,
    *,
    actor: Actor,
    progress: ProgressFn | None = None,
) -> Change:
    """Move a work's files and their sidecars to the collection's trash, then reindex."""
    _check_data_folder(collection)
    # Who asks first: a refusal is logged whether or not the name names a work.
    permit(collection, actor, "remove", name)
    work = find_work(app, collection, name, actor=actor)
    with _changing(collection):
        # By its index (a file it skips is no work) or by the files on disk now (this
        # process's index may not show another process's removal yet).
        last = len(own_works(collection)) == 1 or _only_one_left(collection, work)
        if collection.is_base and last:
            raise UploadRefused(
                "That is the only work in the corpus; add another before removing it."
            )
        if not collection.is_base and last and _hides_the_base(app, collection):
            raise UploadRefused(
                "That is this server's last text and it hides every base work: /corpus "
                "unhide a base work (or add another text) before removing it."
            )
        files = [f for source in work.files for f in sidecars(source)]
        trashed = _to_trash(collection, files, work.key, "removed")
    log.info(
        "corpus remove: %s (%s) from %s by %s",
        work.key,
        ", ".join(work.files),
        collection.name,
        actor,
    )
    audit(collection, actor, "remove", work.key)
    return _reindex(collection, Change(work=work.key, files=work.files, trashed=trashed), progress)


def restore_work(
    collection: Collection,
    name: str,
    *,
    actor: Actor,
    progress: ProgressFn | None = None,
) -> Change:
    """Bring a trashed work back into the collection and reindex. Restoring a version that
    was replaced undoes the replace: the version that replaced it goes to the trash."""
    _check_data_folder(collection)
    permit(collection, actor, "restore", name)
    entry = collection.trash.find(name)
    if entry is None:
        raise NotInTrash(_shown(name))
    swapped = None
    if entry.reason == "replaced":
        texts = [f for f in entry.files if not is_sidecar(Path(f).name)]
        # The version there now, if its text is: a sidecar alone is the restored version's
        # own, left behind by a replace that a killed process did not finish.
        current = [
            f
            for t in texts
            if (collection.corpus / t).exists()
            for f in sidecars(t)
            if (collection.corpus / f).exists()
        ]
        if current:
            # By its own title, as a replace names the version it trashes: the swapped-out
            # version is not the one being restored.
            text = texts[0]
            title = _title_in(collection.corpus, text)
            swapped = _to_trash(collection, current, title or text, "replaced")
    try:
        files = collection.trash.restore(entry, collection.corpus)
    except TrashGone:
        if swapped is not None:
            collection.trash.restore(swapped, collection.corpus)  # as it was: nothing lost
        raise NotInTrash(_shown(name)) from None
    except TrashError as exc:
        if swapped is not None:
            collection.trash.restore(swapped, collection.corpus)  # as it was: nothing lost
        raise UploadRefused(
            f"I could not restore “{entry.work}”: {exc}; remove or rename that file first."
        ) from exc
    log.info("corpus restore: %s into %s by %s", entry.work, collection.name, actor)
    # A swap is two changes: the log says both ("restore" alone hid where the other went).
    moved = "ok" if swapped is None else f"ok; “{swapped.work}”, which it replaced, to the trash"
    audit(collection, actor, "restore", entry.work, moved)
    works = tuple(f for f in files if not is_sidecar(Path(f).name))
    # The version it replaced, now in the trash, is the undo.
    change = Change(work=entry.work, files=works, replaced=swapped is not None, trashed=swapped)
    return _reindex(collection, change, progress)


def trash_names(collection: Collection, prefix: str, limit: int = 25) -> list[str]:
    """Trashed works for autocomplete, newest first: a work's title names its newest
    version, and each older version (a work replaced more than once) is named by its
    label, so that every version can be brought back."""
    needle = folded(prefix)
    names: list[str] = []
    for entry in collection.trash.entries():
        if needle in folded(entry.label):
            named = entry.work not in names and len(entry.work) <= LABEL_MAX
            names.append(entry.work if named else entry.label)
    return names[:limit]


def trash_entries(collection: Collection) -> list[Trashed]:
    """What the trash holds, newest first (the CLI's `corpus trash`)."""
    return collection.trash.entries()


def hide_work(
    app: App, guild_id: int, name: str, *, actor: Actor, hide: bool = True
) -> sources.Work:
    """Hide a base work in one server (or show it again): its search, /source and
    completions no longer see it. Its texts are untouched."""
    collection = app.collections.of(guild_id)
    permit(collection, actor, "hide" if hide else "unhide", name)
    base_works = own_works(app.collections.base)
    work = _exactly_one(base_works, name, where="the base corpus")
    if hide:
        _check_data_folder(collection)
        # One change of what the server reads at a time, across processes, as a removal
        # is: "is a base work still shown?" and "has it texts of its own?" are read as
        # they are now (another process may have hidden or removed one meanwhile).
        with _changing(collection):
            hidden = app.collections.fresh_state(guild_id).hidden
            _refuse_no_change(work, hidden, hide=True)
            # A server with texts of its own may read only those; without, it keeps a
            # base work.
            shown = [w for w in base_works if not set(w.files) <= hidden | set(work.files)]
            if not shown and not (own_works(collection) and _has_texts(collection)):
                raise UploadRefused(
                    "That would hide every work of the base corpus and this server has no "
                    "texts of its own; keep one, or add a text first."
                )
            app.collections.hide(guild_id, work.files)
    else:
        _refuse_no_change(work, app.collections.fresh_state(guild_id).hidden, hide=False)
        app.collections.unhide(guild_id, work.files)
    audit(collection, actor, "hide" if hide else "unhide", work.key)
    return work


@contextlib.contextmanager
def _changing(collection: Collection) -> Iterator[None]:
    """One removal from the collection at a time, across processes (shards, a terminal):
    "is this the last work?" holds until its files have moved. Two owners in two processes
    each removed one of the base's last two works, and the base was left empty."""
    folder = collection.log.path.parent  # the collection's data folder (checked writable)
    with locked(folder / ".change.lock"):
        yield


def _only_one_left(collection: Collection, work: sources.Work) -> bool:
    """Whether `work`'s files are all the documents the collection's folder holds now."""
    found, _ = discover(collection.corpus)
    return {f.source for f in found} <= set(work.files)


def _refuse_no_change(work: sources.Work, hidden: frozenset[str], *, hide: bool) -> None:
    """Nothing to change is said, not done and logged as if it were. A work partly hidden
    (a file the owners added to it since) can be hidden, and shown, the rest of the way."""
    hidden_files = set(work.files) & hidden
    if (hidden_files == set(work.files)) if hide else not hidden_files:
        where = "hidden in this server already" if hide else "not hidden in this server"
        raise UploadRefused(f"“{work.title or work.key}” is {where}.")


def _has_texts(collection: Collection) -> bool:
    """Whether the collection's folder holds a document now (its index may not show
    another process's removal yet)."""
    return collection.corpus.is_dir() and bool(discover(collection.corpus)[0])


def _hides_the_base(app: App, collection: Collection) -> bool:
    """Whether the server of `collection` hides every base work, as its state is on disk
    now (called under `_changing`, which a hide holds too)."""
    assert collection.guild_id is not None
    hidden = app.collections.fresh_state(collection.guild_id).hidden
    return all(set(w.files) <= hidden for w in own_works(app.collections.base))


def hidden_names(app: App, guild_id: int, prefix: str, *, hidden: bool) -> list[str]:
    """Base works this server hides (hidden=True) or shows, for autocomplete."""
    state = app.collections.state(guild_id).hidden
    works = [w for w in own_works(app.collections.base) if (set(w.files) <= state) == hidden]
    return work_names(works, prefix)


def work_names(works: list[sources.Work], prefix: str) -> list[str]:
    """Names of `works` for a command that takes exactly one (remove, hide): each title,
    or a file of the work where the title is longer than a suggestion may be (LABEL_MAX): a
    title cut short named no work, and any of its files names a work of several."""
    by_key = {w.key: w for w in works}
    return [
        key if len(key) <= LABEL_MAX else by_key[key].files[0]
        for key in sources.complete_from(works, prefix)
    ]


@dataclass(frozen=True)
class LogView:
    """What `/corpus log` shows: the last changes (and attempts that failed), and the last
    refusals apart, so that however many members of however many servers are refused, the
    owners' changes stay in view."""

    changes: list[Entry]
    refused: list[Entry]


def log_view(collection: Collection, n: int = 20, refused: int = 5) -> LogView:
    """The last `n` changes and the last `refused` refusals, in one read of the log."""
    last = collection.log.tails(lambda e: e.action == REFUSED, {False: n, True: refused})
    return LogView(last[False], last[True])


def find_work(
    app: App, collection: Collection, name: str, *, actor: Actor | None = None
) -> sources.Work:
    """The one work of `collection` that `name` names exactly (title or file name). Naming
    a base work from a server's collection is refused, saying whose it is."""
    try:
        return _exactly_one(own_works(collection), name, place(collection))
    except NotFoundError:
        unindexed = _unindexed(collection, name)
        if unindexed is not None:
            return unindexed
        if collection.is_base or actor is None:
            raise
        base = [w for w in own_works(app.collections.base) if _names(w, name)]
        if base and actor.owner:
            # Theirs to change, from this server too: said so, and no refusal logged in a
            # log this server's admins read.
            raise NotPermitted(
                f"“{base[0].key}” is in the shared base corpus, not this server's texts; "
                "add base: True to change it there."
            ) from None
        if base:
            audit(collection, actor, "refused", base[0].key, "a base work")
            raise NotPermitted(
                f"“{base[0].key}” is in the shared base corpus, which only the bot's owners "
                "can change. /corpus hide hides it in this server."
            ) from None
        raise


def _unindexed(collection: Collection, name: str) -> sources.Work | None:
    """A file of the collection, named by its file, that its index does not show (the
    reindex after its upload failed): it can still be removed, not only added again."""
    rel = name.strip()
    try:
        path = _inside(collection.corpus, rel)
    except UploadRefused:
        return None
    if path.is_symlink():
        # The reindex never reads a link, and the trash never moves one: said as such,
        # not as a work whose files are gone.
        raise UploadRefused(
            f"{_shown(rel)} is a symbolic link, which the index never reads and the trash "
            "never moves; nothing changed. Delete the link itself on the host."
        )
    if not path.is_file() or path.name.startswith(".") or path.name.endswith(SIDECAR_SUFFIX):
        return None
    return sources.Work("", "", "", "", 0, (rel,), ())


def _names(work: sources.Work, name: str) -> bool:
    needle = folded(name)
    return needle in (folded(work.key), folded(work.title)) or any(
        needle == folded(f) or needle == folded(PurePosixPath(f).name) for f in work.files
    )


def _named_exactly(works: list[sources.Work], name: str) -> sources.Work | None:
    """The one work of `works` whose file path, title or file name is exactly `name`."""
    for named in (
        lambda w: name in w.files,
        lambda w: w.key == name or w.title == name,
        lambda w: any(PurePosixPath(f).name == name for f in w.files),
    ):
        matching = [w for w in works if named(w)]
        if len(matching) == 1:
            return matching[0]
    return None


def _exactly_one(works: list[sources.Work], name: str, where: str = "") -> sources.Work:
    """The work whose title or file name is `name` (any case); a removal never guesses."""
    found = [w for w in works if _names(w, name)]
    if not found:
        raise NoWorkCalled(_shown(name), where)
    if len(found) > 1:
        # Named exactly, by its file or its title: "name one by file" must then work even
        # where files differ only in case or by folder (notes.txt, Notes.txt, a/notes.txt).
        exact = _named_exactly(found, name.strip())
        if exact is not None:
            return exact
        files = ", ".join(f for w in found for f in w.files[:1])
        raise UploadRefused(f"{len(found)} works have that title; name one by file: {files}.")
    return found[0]


def _check_data_folder(collection: Collection) -> None:
    """Refuse a change before anything is written when the trash or the audit log cannot
    be: a text written and then an error would be in the corpus unlogged, and a retry
    told it is there already."""
    for folder in (collection.trash.folder, collection.log.path.parent):
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DataFolderUnusable(str(folder), exc.strerror or str(exc)) from exc


def _shown(name: str) -> str:
    return name.strip()[:100]


def _to_trash(collection: Collection, files: list[str], work: str, reason: str) -> Trashed:
    for f in files:
        _inside(collection.corpus, f)
    try:
        return collection.trash.put(collection.corpus, files, work, reason)
    except TrashError as exc:
        raise UploadRefused(f"I could not {reason[:-1]} “{work}”: {exc}; nothing changed.") from exc


def place(collection: Collection) -> str:
    """Where a collection's texts are, in the words users read."""
    return "the base corpus" if collection.is_base else "this server's texts"


def _check_target(root: Path, name: str, *, replace: bool, where: str) -> bool:
    """Whether `name` already exists; UploadRefused when it may not be written."""
    target = root / name
    if target.is_symlink() or (target.exists() and not target.is_file()):
        raise UploadRefused(f"{name} is a link or a folder in the corpus; I never write there.")
    if target.exists() and not replace:
        raise UploadRefused(f"{name} is already in {where}; {REPLACE_HINT}.")
    return target.exists()


def _write(target: Path, data: bytes, *, overwrite: bool) -> None:
    """Atomically: a hidden temporary file (the indexer skips it), flushed, then moved into
    place. Without `overwrite` it is linked in, which fails if the name was taken meanwhile."""
    tmp = target.with_name(f"{UPLOAD_PREFIX}{uuid.uuid4().hex[:12]}{UPLOAD_SUFFIX}")
    try:
        with open(tmp, "xb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if overwrite:
            os.replace(tmp, target)
        else:
            os.link(tmp, target)
    except FileExistsError as exc:
        raise UploadRefused(f"{target.name} was added meanwhile; {REPLACE_HINT}.") from exc
    except OSError as exc:
        raise UploadRefused(
            f"I could not save {target.name} ({exc.strerror or exc}); the corpus is unchanged."
        ) from exc
    finally:
        tmp.unlink(missing_ok=True)


def _inside(root: Path, source: str) -> Path:
    """`root/source`, never anything outside the root."""
    rel = PurePosixPath(source)
    if rel.is_absolute() or ".." in rel.parts or source.startswith(COLLECTION_PREFIX + ".."):
        raise UploadRefused(f"{source} is not a path inside the corpus.")
    path = root.joinpath(*rel.parts)
    if not path.parent.resolve().is_relative_to(root.resolve()):
        raise UploadRefused(f"{source} is not inside the corpus folder.")
    return path


def _title_in(root: Path, name: str) -> str:
    """The title the metadata sidecar of file `name` gives, read as the indexer reads it
    ("" when it has none, or a broken one: the reindex will say so)."""
    sidecar = root / (name + SIDECAR_SUFFIX)
    if not sidecar.is_file():
        return ""
    try:
        return load_meta_file(root, sidecar, name, "sidecar").title
    except IngestError:
        return ""


class ChangeInterrupted(KeyboardInterrupt):
    """The reindex after a change was interrupted: the change (files written, trashed,
    logged) stands; the index does not show it yet."""

    def __init__(self, change: Change) -> None:
        super().__init__()
        self.change = change


def _reindex(collection: Collection, change: Change, progress: ProgressFn | None) -> Change:
    """The incremental reindex after a change; a failure is reported, not raised: the
    files did change, and the admin must know the index does not show it yet.

    A build already running elsewhere (another process on the same folder) read the
    corpus before this change: this one waits for it to end, then builds again."""
    try:
        try:
            report: BuildReport = collection.reindex(progress=progress)
        except ReindexBusyError:
            log.info("corpus change in %s: waiting for the build in progress", collection.name)
            store.wait_until_free(collection.service.settings.index, WAIT_FOR_BUILD)
            report = collection.reindex(progress=progress)
    except QuotebotError as exc:
        log.warning("reindex after a corpus change failed: %s", exc)
        return replace(change, index_error=exc)
    except KeyboardInterrupt:
        # Ctrl-C in the CLI: the files did change, and the operator must hear that too.
        raise ChangeInterrupted(change) from None
    mine = tuple(w for w in report.skipped if any(w.startswith(f) for f in change.files))
    return replace(change, report=report, skipped=mine)
