"""The index in use: one `IndexService` per index (the base's, and one per server
collection), each swapping in a new build after a reindex; `Live` is what queries read."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Hashable, Iterator
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Literal

from bot.commands.results import Answer
from bot.messages import describe, serving_previous, still_serving
from bot.settings import Settings
from embeddings import store
from embeddings.build import BuildReport, ProgressFn, reindex
from embeddings.cache import Lru
from embeddings.encoder import Encoder
from embeddings.errors import (
    IndexCorruptError,
    IndexIncompatibleError,
    IndexMissingError,
    QuotebotError,
)
from embeddings.passages import ChunkParams
from embeddings.scope import ScopeSearcher
from embeddings.search import QueryEmbeddings, Searcher

log = logging.getLogger(__name__)

RETRY_UNREADABLE_SECONDS = 30.0  # a new build that could not be read is tried again after
UNREADABLE_TRIES = 5  # ... this many times, each wait twice the last, then refused

ANSWER_CACHE = 512  # recent answers kept per index build (a few KB each)


@dataclass(frozen=True)
class Live:
    """What queries read: replaced as a whole on a swap (so a new build never serves an
    answer cached from the old one)."""

    searcher: Searcher | ScopeSearcher
    # Finished answers by normalised request: a question asked again, or by many people
    # at once, costs a dictionary lookup.
    answers: Lru[Hashable, Answer] = field(default_factory=lambda: Lru(ANSWER_CACHE))


@dataclass(frozen=True)
class Trouble:
    """Why the build answering is not the one CURRENT names, as data: each reader gets it in
    their own words (the owners whole; a server's admins without the host's folders, and
    with what only the owners can mend said to be theirs)."""

    problem: QuotebotError
    # "previous": CURRENT's build is damaged and an earlier intact one (`kept`: when it was
    # built) answers; "refused": a new build another process made cannot be used and the
    # one in use (`kept`: its name) goes on answering.
    kind: Literal["previous", "refused"]
    kept: str

    def said(self, told: Callable[[QuotebotError], str] = describe) -> str:
        if self.kind == "previous":
            return serving_previous(self.problem, self.kept, told)
        return still_serving(self.problem, self.kept, told)


class BuildGate:
    """At most `limit` index builds at once, across the base and every server's collection
    (each build takes both cores); a build over the limit waits its turn and says so (its
    index meanwhile follows builds made elsewhere: `IndexService.follow`)."""

    def __init__(self, limit: int) -> None:
        self._slots = threading.BoundedSemaphore(max(1, limit))

    @contextlib.contextmanager
    def turn(self, progress: ProgressFn | None = None) -> Iterator[None]:
        if not self._slots.acquire(blocking=False):
            if progress:
                progress("waiting", 0, 0)
            self._slots.acquire()
        try:
            yield
        finally:
            self._slots.release()


class IndexService:
    """Holds the index in use and swaps in a new one after a reindex.

    Readers take `self.live` once per request (a single attribute read, atomic in
    CPython), so a swap never mixes the old and the new index within one answer.
    One service per index: the base's, and one per server collection, all sharing the
    encoder, the query vectors and the build gate that `App` makes once.
    """

    def __init__(
        self,
        settings: Settings,
        encoder: Encoder,
        embeddings: QueryEmbeddings,
        gate: BuildGate,
        side: Executor | None = None,
    ) -> None:
        self.settings = settings
        self.encoder = encoder
        self.embeddings = embeddings
        self.gate = gate
        self.side = side  # where a search finds the nearest sentences (`Searcher`)
        self._live: Live | None = None
        self.trouble: Trouble | None = None  # set while CURRENT's build does not answer
        self._building = threading.Lock()  # a reindex asked for here, perhaps waiting its turn
        self._turn = threading.Lock()  # ... once its turn has come: it swaps its own build in
        # One load at a time: a slow load of an older build must not land after a newer one.
        self._loading = threading.Lock()
        self._refused = ""  # a build named in CURRENT that failed its checks (see `follow`)
        # A build that could not be read: how often it failed, and when to try it again.
        self._unreadable: dict[str, tuple[int, float]] = {}
        self.listeners: list[Callable[[Live], None]] = []

    @property
    def live(self) -> Live:
        live = self._live
        if live is None:
            self.load()
            live = self._live
        assert live is not None
        return live

    @property
    def searcher(self) -> Searcher:
        searcher = self.live.searcher
        assert isinstance(searcher, Searcher)  # one index's service holds one index
        return searcher

    @property
    def warning(self) -> str:
        """The trouble, in the owners' words ("" when there is none)."""
        return "" if self.trouble is None else self.trouble.said()

    @property
    def loaded(self) -> bool:
        return self._live is not None

    @property
    def building(self) -> bool:
        return self._building.locked()

    @property
    def build_running(self) -> bool:
        """A reindex of this index runs here now (not merely waiting for the build gate:
        builds made elsewhere are followed meanwhile)."""
        return self._turn.locked()

    @property
    def build_name(self) -> str:
        """The build in use ("" when none is loaded)."""
        live = self._live
        if live is None or not isinstance(live.searcher, Searcher):
            return ""
        return live.searcher.build

    def load(self) -> Live:
        """Load the index from disk and swap it in. On failure the index in use (if any)
        stays in use: a damaged new build never replaces a good one."""
        with self._loading:
            data, damage = store.load_last_good(
                self.settings.index, check=self.settings.verify_checksums
            )
            self.trouble = Trouble(damage, "previous", data.manifest.built_at) if damage else None
            if self.trouble is not None:
                log.warning("%s", self.trouble.said())
            self._check_model(data)
            live = Live(self._searcher(data))
            self._refused = ""
            self._swap(live)
            return live

    def _searcher(self, data: store.IndexData) -> Searcher:
        return Searcher(data, self.encoder, self.settings.search, self.embeddings, self.side)

    def _check_model(self, data: store.IndexData) -> None:
        # The id names the backend when its vectors differ (int8), so an index built with
        # one is never queried with another's vectors.
        if data.manifest.model != self.encoder.model_id:
            found, configured = data.manifest.model, self.settings.model
            # Its model is the configured one (any backend), which could not be loaded.
            unloadable = self.encoder.name != configured and (
                found == configured or found.startswith(configured + "@")
            )
            raise IndexIncompatibleError("model", found, self.encoder.model_id, unloadable)

    def follow(self) -> bool:
        """Swap in the build CURRENT names if another process made it (a reindex elsewhere).

        Returns True when a new build was swapped in. A build that fails its checks (damaged,
        another model) is refused once and the index in use keeps answering, with a warning
        for admins; nothing happens while this process builds (it swaps its own build in),
        but a reindex waiting for its turn here goes on following."""
        name = store.read_current_name(self.settings.index)
        running = self.build_running
        if name is not None and name == self.build_name and self.trouble and not running:
            # CURRENT names the build in use again: what the warning said (CURRENT missing
            # while another process was writing it, say) is over.
            log.info("index build %s is current again", name)
            self.trouble = None
        if name is None or name == self.build_name or name == self._refused or running:
            return False
        tries, retry_at = self._unreadable.get(name, (0, 0.0))
        if time.monotonic() < retry_at:
            return False
        if not self._loading.acquire(blocking=False):
            return False  # a load is under way; the next look sees what it left
        try:
            try:
                data = store.load(self.settings.index, check=self.settings.verify_checksums)
                self._check_model(data)
            except IndexMissingError:
                return False  # CURRENT went away meanwhile; `Collections` handles emptied ones
            except QuotebotError as exc:
                self.trouble = Trouble(exc, "refused", self.build_name or "none")
                unreadable = isinstance(exc, IndexCorruptError) and exc.problem == "unreadable"
                if unreadable and tries < UNREADABLE_TRIES:
                    # A read that failed (no file handles, shared storage gone a moment)
                    # may work later: tried again after 30 s, 1, 2, 4 and 8 minutes, then
                    # refused as a damaged build is (a file no one may read stays so).
                    wait = RETRY_UNREADABLE_SECONDS * 2**tries
                    self._unreadable[name] = (tries + 1, time.monotonic() + wait)
                    log.warning("the new index build %s cannot be read yet: %s", name, exc)
                    return False
                self._refused = name
                log.warning("the new index build %s is refused: %s", name, exc)
                return False
            if data.path is not None and data.path.name == self.build_name:
                return False
            self.trouble = None
            self._swap(Live(self._searcher(data)))
            log.info("swapped in index build %s (built by another process)", self.build_name)
            return True
        finally:
            self._loading.release()

    def forget(self) -> None:
        """No index in use any more (a collection whose last work was removed)."""
        self._live = None

    def _swap(self, live: Live) -> None:
        self._live = live
        for listener in self.listeners:
            listener(live)

    def reindex(self, *, force: bool = False, progress: ProgressFn | None = None) -> BuildReport:
        """Build (in this thread) and swap the new index in; queries keep using the old
        one until the swap. The file lock in `store` also stops other processes."""
        with self._building, self.gate.turn(progress), self._turn:
            report = reindex(
                self.settings.corpus,
                self.settings.index,
                self.encoder,
                chunk=ChunkParams(max_tokens=self.encoder.max_tokens),
                dense=self.settings.dense,
                force=force,
                progress=progress,
            )
            # Up to date, yet perhaps not what this process serves (a build another process
            # made that could not be read here, a warning about CURRENT): load it now.
            current = store.read_current_name(self.settings.index)
            if not report.up_to_date or self.build_name != current or self.trouble:
                self.load()
            return report
