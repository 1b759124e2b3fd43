"""A collection's trash: removed and replaced works, kept `trash_days` so a mistake can be
undone.

Each entry is a folder `trash/<time>-<id>/` holding the work's files (with their
metadata sidecars) under their own names, and `entry.json` naming the work, its files and
when it was trashed. Files are moved by renaming them when the corpus and the trash share
a file system (a server's texts and its trash, in one data folder). The base corpus may be
a mount of its own (Docker: a bind mount beside the data volume): there a file is copied
next to its new place under a temporary name, synced, renamed into place and only then
removed from the old, so a move never leaves a half-copied file or loses one.
"""

from __future__ import annotations

import calendar
import contextlib
import errno
import json
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from bot.file_lock import locked
from embeddings.documents import folded
from embeddings.errors import QuotebotError

ENTRY_FILE = "entry.json"
MOVING_SUFFIX = ".moving"  # a file copied across file systems, before its rename into place
_STAMP = "%Y%m%dT%H%M%S"  # an entry folder's name begins with when it was made (UTC)
LABEL_MAX = 100  # characters in a version's name (a Discord choice's value holds 100)
DAY = 86400.0


class TrashError(QuotebotError):
    """A trash operation could not be done; nothing was changed."""


class TrashGone(TrashError):
    """The entry was restored or purged meanwhile, by another process on the folder."""


@dataclass(frozen=True)
class Trashed:
    """One trashed work."""

    folder: Path
    work: str  # its title when it was trashed
    files: tuple[str, ...]  # paths relative to the corpus folder (sidecars included)
    trashed_at: float  # seconds since the epoch
    reason: str  # "removed" or "replaced"

    @property
    def when(self) -> str:
        return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(self.trashed_at))

    @property
    def label(self) -> str:
        """This version by name: "Winter · replaced 2026-12-04 20:55 UTC · 3f2a9c01" (the
        entry's own id last, as two versions may go within a minute). A work replaced
        twice has two versions in the trash; its title names the newest. At most 100
        characters, what a Discord choice's value holds: a long title is cut, never the
        part that tells versions apart."""
        tail = f" · {self.reason} {self.when} · {self.folder.name[-8:]}"
        work = self.work
        if len(work) + len(tail) > LABEL_MAX:
            work = work[: LABEL_MAX - len(tail) - 1].rstrip() + "…"
        return work + tail


class Trash:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def put(self, corpus: Path, files: list[str], work: str, reason: str) -> Trashed:
        """Move `files` (relative to `corpus`, existing ones only) into a new entry.

        `entry.json` is written before the first file moves, naming them all: a process
        killed between two moves leaves an entry that lists and restores what did move
        (its files went to a folder nothing listed, restored or purged)."""
        stamp = time.time()
        entry = self.folder / (
            time.strftime(_STAMP, time.gmtime(stamp)) + "-" + uuid.uuid4().hex[:8]
        )
        present = [rel for rel in files if _movable(_inside(corpus, rel))]
        if not present:  # an entry to restore nothing from would only mislead
            raise TrashError(
                f"none of the files of {work} is in the corpus any more (a reindex drops it "
                "from the index)"
            )
        moved: list[str] = []
        try:
            entry.mkdir(parents=True)
            _write_entry(entry, Trashed(entry, work, tuple(present), stamp, reason))
            for rel in present:
                source = _inside(corpus, rel)
                if not _movable(source):  # gone meanwhile
                    continue
                target = _inside(entry, rel)
                target.parent.mkdir(parents=True, exist_ok=True)
                _move(source, target)
                moved.append(rel)
        except OSError as exc:
            for rel in moved:  # put back what had moved: all or nothing
                _move(_inside(entry, rel), _inside(corpus, rel))
            shutil.rmtree(entry, ignore_errors=True)
            raise TrashError(f"could not move {work} to the trash ({exc.strerror or exc})") from exc
        if not moved:
            shutil.rmtree(entry, ignore_errors=True)
            raise TrashError(f"none of the files of {work} is in the corpus any more")
        record = Trashed(entry, work, tuple(moved), stamp, reason)
        if moved != present:
            _write_entry(entry, record)
        return record

    def entries(self) -> list[Trashed]:
        """Newest first, each with the files it holds; a folder without a readable
        entry.json, or holding none of the files it lists, is not listed."""
        if not self.folder.is_dir():
            return []
        out = []
        for folder in self.folder.iterdir():
            try:
                d = json.loads((folder / ENTRY_FILE).read_text(encoding="utf-8"))
                # The files it holds: a move cut short by a killed process holds fewer
                # than it lists, and one that holds none has nothing to restore.
                held = tuple(str(f) for f in d["files"] if _inside(folder, str(f)).is_file())
                if held:
                    out.append(
                        Trashed(
                            folder,
                            str(d["work"]),
                            held,
                            float(d["trashed_at"]),
                            str(d.get("reason", "removed")),
                        )
                    )
            except (OSError, ValueError, KeyError, TypeError, TrashError):
                continue
        return sorted(out, key=lambda t: -t.trashed_at)

    def find(self, name: str) -> Trashed | None:
        """The entry `name` labels (`Trashed.label`), else the newest whose work title or
        file name is `name` (any case)."""
        needle = folded(name)
        entries = self.entries()
        for entry in entries:
            if needle == folded(entry.label):
                return entry
        # The title as offered (/corpus restore offers "NOTES" and "Notes" apart) before
        # any title or file name alike but for case or accents.
        for entry in entries:
            if entry.work == name.strip():
                return entry
        for entry in entries:
            names = {folded(entry.work), *(folded(PurePosixPath(f).name) for f in entry.files)}
            if needle in names or needle in {folded(f) for f in entry.files}:
                return entry
        return None

    def restore(self, entry: Trashed, corpus: Path) -> tuple[str, ...]:
        """Move an entry's files back into `corpus`; refused (nothing moved) when a file of
        the same name is there now, and TrashGone when another process (a shard, a
        terminal) restored or purged the entry meanwhile."""
        with self._locked():
            if not all(_inside(entry.folder, rel).is_file() for rel in entry.files):
                raise TrashGone(f"“{entry.work}” was restored or emptied from the trash meanwhile")
            taken = [t for t in (_there(corpus, rel) for rel in entry.files) if t]
            if taken:
                raise TrashError(f"{', '.join(taken)} exists again in the corpus")
            for rel in entry.files:
                target = _inside(corpus, rel)
                target.parent.mkdir(parents=True, exist_ok=True)
                _move(_inside(entry.folder, rel), target)
            shutil.rmtree(entry.folder, ignore_errors=True)
        return entry.files

    @contextlib.contextmanager
    def _locked(self, *, wait: bool = True) -> Iterator[bool]:
        """Restores and purges one at a time across processes: two restores of one entry,
        or a restore and a purge, each moved or deleted part of its files. Yields whether
        the lock is held (False only when not `wait`ing and another holds it)."""
        with contextlib.ExitStack() as stack:
            held = True
            # A folder this process cannot write (no lock file can be made): it cannot
            # change the trash either.
            with contextlib.suppress(OSError):
                held = stack.enter_context(locked(self.folder.parent / ".trash.lock", wait=wait))
            yield held

    def purge(self, days: float, now: float | None = None) -> tuple[int, list[Trashed]]:
        """Delete entries older than `days`; returns how many, and the entries kept (newest
        first, as `entries` lists them: an upload's room check reads the trash once)."""
        horizon = (time.time() if now is None else now) - days * DAY
        kept: list[Trashed] = []
        old = 0
        entries = self.entries()
        if not any(entry.trashed_at < horizon for entry in entries) and not self._strays(
            entries, horizon
        ):
            return 0, entries  # nothing to delete: no lock to take (every upload asks)
        # Not waited for: an upload's check may run on the event loop, and a restore or
        # purge under way elsewhere leaves this one for the next upload or start.
        with self._locked(wait=False) as held:
            if not held:
                return 0, entries
            entries = self.entries()  # as they are now that no restore is under way
            for entry in entries:
                if entry.trashed_at < horizon:
                    shutil.rmtree(entry.folder, ignore_errors=True)
                    old += 1
                else:
                    kept.append(entry)
            for folder in self._strays(entries, horizon):
                shutil.rmtree(folder, ignore_errors=True)
        return old, kept

    def _strays(self, entries: list[Trashed], horizon: float) -> list[Path]:
        """Folders no entry lists (no readable entry.json, or none of the files it lists: a
        process killed while making it), once they are as old as a purged entry."""
        listed = {entry.folder for entry in entries}
        return [
            folder
            for folder in (self.folder.iterdir() if self.folder.is_dir() else ())
            if folder not in listed
            and (made := _made_at(folder.name)) is not None
            and made < horizon
        ]


def _movable(path: Path) -> bool:
    return path.is_file() and not path.is_symlink()


def _write_entry(folder: Path, entry: Trashed) -> None:
    """`entry.json`, whole or not at all (written beside, then renamed)."""
    data = {
        "work": entry.work,
        "files": list(entry.files),
        "trashed_at": entry.trashed_at,
        "reason": entry.reason,
    }
    tmp = folder / f".{ENTRY_FILE}.tmp"
    tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, folder / ENTRY_FILE)


def _made_at(name: str) -> float | None:
    """When an entry folder was made, from its name ("20261205T041233-3f2a9c01")."""
    try:
        return float(calendar.timegm(time.strptime(name.split("-", 1)[0], _STAMP)))
    except ValueError:
        return None


def _move(source: Path, target: Path) -> None:
    """`os.replace`, across file systems too (see the module's docstring)."""
    try:
        os.replace(source, target)
        return
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}{MOVING_SUFFIX}")
    try:
        shutil.copy2(source, tmp)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except OSError:
        tmp.unlink(missing_ok=True)
        raise
    source.unlink()


def stored_as(folder: Path, name: str) -> str:
    """The name of the file in `folder` that `name` names, but for case too ("notes.txt"
    for Notes.txt: remove and restore cannot tell the two apart); "" when there is none."""
    if (folder / name).exists():
        return name
    if not folder.is_dir():
        return ""
    wanted = name.casefold()
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.name.casefold() == wanted and not entry.name.startswith("."):
                return entry.name
    return ""


def _there(corpus: Path, rel: str) -> str:
    """The file in `corpus` that `rel` names, but for case too; "" when there is none."""
    target = _inside(corpus, rel)
    twin = stored_as(target.parent, target.name)
    return str(PurePosixPath(rel).with_name(twin)) if twin else ""


def _inside(root: Path, rel: str) -> Path:
    """`root/rel`, refused for any path that would leave `root`."""
    parts = PurePosixPath(rel).parts
    if not parts or PurePosixPath(rel).is_absolute() or ".." in parts:
        raise TrashError(f"{rel} is not a path inside the collection")
    return root.joinpath(*parts)
