"""The one application object: settings, the encoder and the live index, built at start-up.

Both front ends (Discord and the console/CLI) hold an `App` and call the command
functions in `bot.commands` with it; nothing else is global.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

from bot.commands.results import Answer
from bot.settings import Settings
from embeddings import store
from embeddings.build import BuildReport, ProgressFn, reindex
from embeddings.cache import Lru
from embeddings.encoder import Encoder
from embeddings.errors import IndexIncompatibleError, IndexMissingError
from embeddings.passages import ChunkParams
from embeddings.search import QueryEmbeddings, Searcher

log = logging.getLogger(__name__)

ANSWER_CACHE = 512  # recent answers kept per index build (a few KB each)


@dataclass(frozen=True)
class Live:
    """What queries read: replaced as a whole on a swap (so a new build never serves an
    answer cached from the old one)."""

    searcher: Searcher
    # Finished answers by normalised request: a question asked again, or by many people
    # at once, costs a dictionary lookup.
    answers: Lru[Hashable, Answer] = field(default_factory=lambda: Lru(ANSWER_CACHE))


class IndexService:
    """Holds the index in use and swaps in a new one after a reindex.

    Readers take `self.live` once per request (a single attribute read, atomic in
    CPython), so a swap never mixes the old and the new index within one answer.
    """

    def __init__(self, settings: Settings, encoder: Encoder) -> None:
        self.settings = settings
        self.encoder = encoder
        self.embeddings = QueryEmbeddings(encoder, settings.search.query_cache)
        self._live: Live | None = None
        self.warning = ""  # set while a damaged index makes us serve an earlier build
        self._building = threading.Lock()
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
        return self.live.searcher

    @property
    def loaded(self) -> bool:
        return self._live is not None

    @property
    def building(self) -> bool:
        return self._building.locked()

    def load(self) -> Live:
        """Load the index from disk and swap it in. On failure the index in use (if any)
        stays in use: a damaged new build never replaces a good one."""
        data, warning = store.load_last_good(
            self.settings.index, check=self.settings.verify_checksums
        )
        if warning:
            log.warning("%s", warning)
        self.warning = warning
        # The id names the backend when its vectors differ (int8), so an index built with
        # one is never queried with another's vectors.
        if data.manifest.model != self.encoder.model_id:
            raise IndexIncompatibleError(
                f"The index was built with the model {data.manifest.model!r}, but quotebot is "
                f"set to use {self.encoder.model_id!r}; run a reindex."
            )
        live = Live(Searcher(data, self.encoder, self.settings.search, self.embeddings))
        self._swap(live)
        return live

    def _swap(self, live: Live) -> None:
        self._live = live
        for listener in self.listeners:
            listener(live)

    def reindex(self, *, force: bool = False, progress: ProgressFn | None = None) -> BuildReport:
        """Build (in this thread) and swap the new index in; queries keep using the old
        one until the swap. The file lock in `store` also stops other processes."""
        with self._building:
            report = reindex(
                self.settings.corpus,
                self.settings.index,
                self.encoder,
                chunk=ChunkParams(max_tokens=self.encoder.max_tokens),
                dense=self.settings.dense,
                force=force,
                progress=progress,
            )
            if not report.up_to_date or self._live is None:
                self.load()
            return report


def set_search_threads(threads: int) -> None:
    """FAISS threads per query. One: a single query vector gains nothing from OpenMP,
    whose spinning threads fight the encoder and the other searches for two cores
    (measured: 9 ms with one thread against 36 ms with two on a busy machine)."""
    import faiss

    faiss.omp_set_num_threads(max(1, threads))


class App:
    def __init__(self, settings: Settings, encoder: Encoder | None = None) -> None:
        self.settings = settings
        set_search_threads(settings.search_threads)
        self.encoder = encoder or Encoder(
            settings.model,
            batch_size=settings.batch_size,
            threads=settings.threads or None,
            backend=settings.backend,
            cache_dir=settings.model_cache_dir,
        )
        self.index = IndexService(settings, self.encoder)

    def ensure_index(self, progress: ProgressFn | None = None) -> BuildReport | None:
        """Load the index, building it first when there is none yet."""
        try:
            self.index.load()
            return None
        except IndexMissingError:
            log.info("No index yet in %s: building it from %s", *self._paths())
            return self.index.reindex(progress=progress)

    def _paths(self) -> tuple[str, str]:
        return str(self.settings.index), str(self.settings.corpus)
