"""Many servers, one bot: the shared base corpus, and each server's own collection on top.

The configured corpus folder is the base: every server reads it, and only the bot's owners
change it. A server's admins change only their server's collection, kept under the data
folder:

    <data>/base/audit.jsonl, base/trash/       the base's audit log and trash
    <data>/collections/<server id>/corpus/     the server's own texts (and their sidecars)
                                  index/      their index builds (atomic, checksummed)
                                  trash/      removed and replaced works
                                  audit.jsonl who changed what
                                  state.json  base works the server hides; when the bot left

A server reads the base less the works it hid, plus its collection (embeddings/scope.py);
a direct message reads the base. Folder names come from server ids (digits) only: nothing
a user types ever becomes a path here.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Container
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bot.audit import AuditLog
from bot.file_lock import locked
from bot.live import IndexService, Live
from bot.settings import Settings
from bot.trash import DAY, MOVING_SUFFIX, Trash
from embeddings import store
from embeddings.build import BuildReport, ProgressFn
from embeddings.errors import BuildRefused, IndexMissingError, ModelError, QuotebotError
from embeddings.scope import ScopeSearcher
from embeddings.search import Searcher
from embeddings.store import COLLECTION_PREFIX

log = logging.getLogger(__name__)

# An upload is written beside its place under such a name, then moved in (hidden from the
# indexer meanwhile: bot/commands/corpus.py).
UPLOAD_PREFIX, UPLOAD_SUFFIX = ".upload-", ".tmp"
UPLOAD_STALE_SECONDS = 3600.0

BASE = "base"


@dataclass
class State:
    """What a server chose that is not a text: the base works it hides, and when the bot
    was removed from it (None while it is in)."""

    hidden: frozenset[str] = frozenset()  # base file names
    left_at: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {"hidden": sorted(self.hidden), "left_at": self.left_at}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> State:
        left = d.get("left_at")
        return cls(
            frozenset(str(s) for s in d.get("hidden", [])), None if left is None else float(left)
        )


@dataclass
class Collection:
    """One place texts live: the base, or one server's collection."""

    name: str  # "base", or the server id
    guild_id: int | None  # None: the base
    corpus: Path
    service: IndexService
    trash: Trash
    log: AuditLog
    broken: QuotebotError | None = None  # why its index could not be loaded (its server
    # then reads the base)
    absent: bool = False  # it has no index (no works yet): not looked for again until built
    broken_build: str | None = None  # the build CURRENT named then: another one is worth a try
    # Set when the configured model cannot be loaded (the bundled one answers meanwhile):
    # a build would then make an index of another model than the settings name.
    model_error: ModelError | None = None
    # member id -> when a refusal of theirs was last logged (monotonic seconds; see
    # bot.commands.corpus.permit)
    refusals: dict[int, float] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def is_base(self) -> bool:
        return self.guild_id is None

    @property
    def read(self) -> bool:
        """Whether its index was read here: loaded, or found absent or unloadable (not
        tried again on every query: a reindex clears those)."""
        return self.service.loaded or self.broken is not None or self.absent

    def live(self) -> Live | None:
        """Its index in use; None when it has none (empty) or none that loads."""
        if self.service.loaded:
            return self.service.live
        if self.read:
            return None  # absent or unloadable
        with self._lock:
            if self.service.loaded:
                return self.service.live
            try:
                return self.service.live
            except IndexMissingError:
                self.absent = True
                return None
            except QuotebotError as exc:
                self.broken = exc
                self.broken_build = store.read_current_name(self.service.settings.index)
                log.warning("collection %s cannot be served: %s", self.name, exc)
                return None

    def follow(self) -> bool:
        """Catch up with a reindex another process did (see `IndexService.follow`): a new
        build is swapped in, an index dropped elsewhere (no works left) is dropped here, and
        a collection that could not be loaded is tried again once a new build is named.
        Returns True when what its server reads changed."""
        if not self.read:
            # Never loaded here (another shard's server, or one only housekept): its first
            # query reads the newest build, and its CURRENT is not read every second.
            return False
        current = store.read_current_name(self.service.settings.index)
        if self.service.loaded:
            if current is None and not self.is_base and not self.service.build_running:
                self.service.forget()
                return True
            return self.service.follow()
        if self.broken is not None and current != self.broken_build:
            self.broken = None  # the next query loads the new build
            return True
        if self.absent and current is not None:
            self.absent = False  # another process built its first index
            return True
        return False

    def has_works(self) -> bool:
        return self.corpus.is_dir() and any(
            p.is_file() and not p.name.startswith(".") for p in self.corpus.rglob("*")
        )

    def reindex(self, *, force: bool = False, progress: ProgressFn | None = None) -> BuildReport:
        """Build its index; a server collection left without works has its index dropped."""
        self.broken, self.absent = None, False
        if not self.is_base and not self.has_works():
            removed = (
                [d.source for d in self.service.searcher.index.documents] if self.live() else []
            )
            if self.clear_index(unless_works=True):
                return BuildReport(removed=removed)
            # A text came meanwhile (another process's upload, built already): build.
        if self.model_error is not None:
            raise BuildRefused(self.model_error)
        return self.service.reindex(force=force, progress=progress)

    def clear_index(self, *, unless_works: bool = False) -> bool:
        """Drop the index of a collection that has no works left (nothing to search).
        With `unless_works`, False and nothing dropped when it has works again by the time
        the build lock is held: another process added one (and built) meanwhile."""
        index_dir = self.service.settings.index
        with store.build_lock(index_dir):
            if unless_works and self.has_works():
                return False
            # The builds leave at once (a rename), before CURRENT: builds left beside no
            # CURRENT are damage that the newest of them answers for, and would bring the
            # removed works back if a slow or failed delete left them there.
            gone = index_dir / f".cleared-{os.getpid()}-{time.monotonic_ns()}"
            if (index_dir / "builds").exists():
                os.replace(index_dir / "builds", gone)
            (index_dir / "CURRENT").unlink(missing_ok=True)
            shutil.rmtree(gone, ignore_errors=True)
        self.service.forget()
        return True


class Collections:
    """The base and every server's collection; builds what a server reads."""

    def __init__(
        self, settings: Settings, base: IndexService, model_error: ModelError | None = None
    ) -> None:
        self.settings = settings
        self.model_error = model_error  # see Collection.model_error
        self.root = settings.data_dir
        self.base_service = base
        self.base = Collection(
            BASE,
            None,
            settings.corpus,
            base,
            Trash(self.root / BASE / "trash"),
            AuditLog(self.root / BASE / "audit.jsonl"),
            model_error=model_error,
        )
        self._servers: dict[int, Collection] = {}
        self._states: dict[int, State] = {}
        self._state_stamps: dict[int, tuple[int, int, int] | None] = {}  # state.json when read
        self._scopes: dict[int, tuple[tuple[Live, Live | None, frozenset[str]], Live]] = {}
        # Servers with a folder, least lately read first: past `servers_in_memory` of them,
        # the first is let go (`unload`).
        self._recent: OrderedDict[int, None] = OrderedDict()
        self._lock = threading.Lock()

    # -- where things are ------------------------------------------------------------------

    def folder(self, guild_id: int) -> Path:
        if not isinstance(guild_id, int) or isinstance(guild_id, bool) or guild_id <= 0:
            raise ValueError(f"not a server id: {guild_id!r}")
        return self.root / "collections" / str(guild_id)

    def of(self, guild_id: int | None) -> Collection:
        """The base (None) or a server's collection (made on first use)."""
        if guild_id is None:
            return self.base
        with self._lock:
            found = self._servers.get(guild_id)
            if found is None:
                folder = self.folder(guild_id)
                settings = replace(self.settings, corpus=folder / "corpus", index=folder / "index")
                service = IndexService(
                    settings,
                    self.base_service.encoder,
                    self.base_service.embeddings,
                    self.base_service.gate,
                    self.base_service.side,
                )
                found = Collection(
                    str(guild_id),
                    guild_id,
                    settings.corpus,
                    service,
                    Trash(folder / "trash"),
                    AuditLog(folder / "audit.jsonl"),
                    model_error=self.model_error,
                )
                self._servers[guild_id] = found
        self._touch(guild_id)
        return found

    def existing(self) -> list[int]:
        """Server ids that have a collection folder."""
        folder = self.root / "collections"
        if not folder.is_dir():
            return []
        return sorted(int(p.name) for p in folder.iterdir() if p.is_dir() and p.name.isdigit())

    # -- what a server reads ---------------------------------------------------------------

    def live_for(self, guild_id: int) -> Live:
        collection = self._servers.get(guild_id)  # known: no file system look-up per query
        if collection is None and self.folder(guild_id).is_dir():
            collection = self.of(guild_id)
        try:
            return self._view(guild_id, collection)
        finally:
            if collection is not None:
                # Once what it reads is loaded: a server let go meanwhile (another server
                # asked while its index loaded) is counted again, not held past the count.
                self._touch(guild_id)

    def needs_loading(self, guild_id: int) -> bool:
        """Whether a server's next question reads its own index from disk: never asked
        since the start, or let go (`servers_in_memory`). A look-up, or one look at the
        disk for a server not seen yet."""
        collection = self._servers.get(guild_id)
        if collection is None:
            return self.folder(guild_id).is_dir()
        return not collection.read

    def _view(self, guild_id: int, collection: Collection | None) -> Live:
        base = self.base_service.live
        # No folder (most servers): no state file to read, nothing hidden.
        hidden = self.state(guild_id).hidden if collection is not None else frozenset()
        own = collection.live() if collection is not None else None
        if own is None and not hidden:
            return base  # nothing of its own: the base as everyone reads it
        key = (base, own, hidden)
        cached = self._scopes.get(guild_id)
        if cached is not None and _same(cached[0], key):
            return cached[1]
        more = [(collection.service.searcher, COLLECTION_PREFIX)] if collection and own else []
        base_searcher = base.searcher
        assert isinstance(base_searcher, Searcher)  # the base service holds one index
        live = Live(ScopeSearcher.of(base_searcher, hidden, *more))
        self._scopes[guild_id] = (key, live)
        return live

    # -- a server's choices ----------------------------------------------------------------

    def state(self, guild_id: int) -> State:
        state = self._states.get(guild_id)
        if state is None:
            state = self.fresh_state(guild_id)
        return state

    def fresh_state(self, guild_id: int) -> State:
        """The server's state as it is on disk now, cached anew: a check that must hold
        across processes (is a base work still shown?) cannot trust a state another process
        may have changed within the watcher's second. A server with no state file (most of
        them) has nothing cached: kept, every server ever asked would be."""
        stamp = _stamp(self.folder(guild_id) / "state.json")
        if stamp is None:
            return State()  # no file: nothing to read
        state = self._read_state(guild_id)
        self._keep_state(guild_id, state, stamp)
        return state

    def _keep_state(self, guild_id: int, state: State, stamp: tuple[int, int, int] | None) -> None:
        """Cache a server's state, only while the server is held (`_touch`): one whose
        state is merely looked at (judged once connected, its hidden works offered) would
        be kept for good, and its file looked at every second."""
        with self._lock:
            if guild_id in self._recent:
                self._states[guild_id] = state
                self._state_stamps[guild_id] = stamp

    def _read_state(self, guild_id: int) -> State:
        path = self.folder(guild_id) / "state.json"
        try:
            return State.from_json(json.loads(path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            return State()
        except (OSError, ValueError, TypeError, AttributeError) as exc:
            log.warning("server %s: unreadable %s (%s); nothing hidden", guild_id, path, exc)
            return State()

    def _update_state(self, guild_id: int, change: Callable[[State], State]) -> None:
        """`change` applied to the server's state as it is on disk now, under a lock on
        the server's folder: a state cached here and written back whole lost what another
        process (a shard, `quotebot corpus hide`) had changed within the watcher's second."""
        folder = self.folder(guild_id)
        folder.mkdir(parents=True, exist_ok=True)
        with locked(folder / ".state.lock"):
            state = change(self._read_state(guild_id))
            path = folder / "state.json"
            tmp = path.with_name(f".state-{os.getpid()}-{threading.get_ident()}.tmp")
            tmp.write_text(json.dumps(state.to_json()), encoding="utf-8")
            os.replace(tmp, path)
            self._keep_state(guild_id, state, _stamp(path))

    def hide(self, guild_id: int, sources: tuple[str, ...]) -> None:
        self._update_state(guild_id, lambda s: replace(s, hidden=s.hidden | set(sources)))

    def unhide(self, guild_id: int, sources: tuple[str, ...]) -> None:
        self._update_state(guild_id, lambda s: replace(s, hidden=s.hidden - set(sources)))

    def left(self, guild_id: int, now: float | None = None) -> None:
        """The bot was removed from a server: its collection is kept on disk (and, with
        on_leave = "delete", deleted `delete_after_days` later unless the bot is back by
        then), and nothing of it in memory: if the bot comes back, it is read again."""
        if self.folder(guild_id).is_dir():
            stamp = time.time() if now is None else now
            self._update_state(guild_id, lambda s: replace(s, left_at=stamp))
        self.unload(guild_id)

    def rejoined(self, guild_id: int) -> None:
        if self.folder(guild_id).is_dir() and self.state(guild_id).left_at is not None:
            self._update_state(guild_id, lambda s: replace(s, left_at=None))

    # -- what is kept in memory ----------------------------------------------------------------

    def held(self) -> set[int]:
        """The servers something is kept in memory for: a loaded index of their own, their
        view of the base (with its answers), their state."""
        loaded = {g for g, c in list(self._servers.items()) if c.service.loaded}
        return loaded | set(self._scopes) | set(self._states)

    def unload(self, guild_id: int) -> bool:
        """Forget what is kept in memory for a server; its next question reads it from
        disk again. A build under way keeps its index (it swaps the new one in): False,
        and the server stays counted, as the most recent, to be let go later."""
        self._scopes.pop(guild_id, None)
        collection = self._servers.get(guild_id)
        building = collection is not None and collection.service.building
        with self._lock:  # with `_keep_state`'s look at `_recent`
            self._recent.pop(guild_id, None)
            if building:
                self._recent[guild_id] = None
            self._states.pop(guild_id, None)
            self._state_stamps.pop(guild_id, None)
        if building:
            return False
        if collection is not None:
            collection.service.forget()
        return True

    def _touch(self, guild_id: int) -> None:
        """A server read now; past `servers_in_memory` of them, the least lately read is
        let go (one being built stays, as the most recent)."""
        with self._lock:
            self._recent[guild_id] = None
            self._recent.move_to_end(guild_id)
            over = len(self._recent) - self.settings.servers_in_memory
            oldest = [self._recent.popitem(last=False)[0] for _ in range(max(0, over))]
        for guild in oldest:
            self.unload(guild)

    # -- other processes on the same folders ---------------------------------------------

    def follow(self) -> list[str]:
        """Catch up with what other processes changed: new builds of the base and of every
        collection loaded here, and servers' hidden works. Returns the collections that
        changed, for the log."""
        changed = [c.name for c in [self.base, *list(self._servers.values())] if c.follow()]
        for guild_id, stamp in list(self._state_stamps.items()):
            if _stamp(self.folder(guild_id) / "state.json") != stamp:
                self._states.pop(guild_id, None)  # read again on next use
                self._state_stamps.pop(guild_id, None)
                changed.append(f"{guild_id} (hidden works)")
        return changed

    # -- housekeeping ------------------------------------------------------------------------

    def housekeeping(self, now: float | None = None) -> list[str]:
        """At start-up: purge trash older than trash_days, and sweep what a killed process
        left (unfinished writes, an emptied collection's builds). Returns what was done,
        for the log."""
        now = time.time() if now is None else now
        done: list[str] = []
        for collection in [self.base, *(self.of(g) for g in self.existing())]:
            purged, _ = collection.trash.purge(self.settings.trash_days, now)
            if purged:
                done.append(f"{collection.name}: {purged} trashed work(s) purged")
            for name in sweep_unfinished_uploads(collection.corpus, now):
                done.append(f"{collection.name}: an unfinished write removed ({name})")
            # An emptied collection's builds, renamed away, whose delete a kill cut short.
            for gone in collection.service.settings.index.glob(".cleared-*"):
                shutil.rmtree(gone, ignore_errors=True)
                done.append(f"{collection.name}: a dropped index removed ({gone.name})")
        return done

    def servers_seen(
        self, present: Container[int], serves: Callable[[int], bool], now: float | None = None
    ) -> list[str]:
        """Once connected, with the servers Discord says the bot is in (`present`) and
        which servers this process's shards serve: a server that re-invited the bot while it
        was down is not "left" any more, one that removed it meanwhile is left from now on,
        and (on_leave = "delete") a collection left `delete_after_days` ago is deleted.

        Done here, not at start-up: before connecting, a server that re-invited the bot
        while it was down still looked left, and its texts were deleted. Returns what was
        done, for the log."""
        now = time.time() if now is None else now
        horizon = now - self.settings.delete_after_days * DAY
        done: list[str] = []
        for guild_id in self.existing():
            try:
                if guild_id in present:
                    self.rejoined(guild_id)
                    continue
                if not serves(guild_id):  # another process's shard: its to judge
                    continue
                left_at = self.state(guild_id).left_at
                if left_at is None:
                    self.left(guild_id, now)  # removed while the bot was down
                elif self.settings.on_leave == "delete" and left_at < horizon:
                    shutil.rmtree(self.folder(guild_id), ignore_errors=True)
                    self.unload(guild_id)
                    self._servers.pop(guild_id, None)
                    done.append(f"server {guild_id}: collection deleted (the bot left)")
            except OSError as exc:  # one server's folder: the others are judged still
                log.warning(
                    "server %s: could not record whether the bot is there: %s", guild_id, exc
                )
        return done


def sweep_unfinished_uploads(corpus: Path, now: float | None = None) -> list[str]:
    """Remove the temporary files a killed process left in a corpus folder: an upload's,
    or a file's copied across file systems on its way from the trash (hidden from the
    indexer, but counted against the server's room). An hour old, one is nobody's write
    in progress. At start-up, and before an upload's room is counted. Returns their names."""
    now = time.time() if now is None else now
    swept = []
    for pattern in (f"{UPLOAD_PREFIX}*{UPLOAD_SUFFIX}", f".*{MOVING_SUFFIX}"):
        for tmp in corpus.rglob(pattern):
            made = _mtime(tmp)
            if made is not None and made / 1e9 < now - UPLOAD_STALE_SECONDS:
                tmp.unlink(missing_ok=True)
                swept.append(tmp.name)
    return swept


def _mtime(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None


def _stamp(path: Path) -> tuple[int, int, int] | None:
    """What tells a file rewritten: its mtime alone misses a write within one tick of a
    coarse clock; every write of state.json is a new file (a rename), so a new inode."""
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_ino, st.st_size)


def _same(
    a: tuple[Live, Live | None, frozenset[str]], b: tuple[Live, Live | None, frozenset[str]]
) -> bool:
    return a[0] is b[0] and a[1] is b[1] and a[2] == b[2]
