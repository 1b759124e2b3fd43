"""The one application object: settings, the encoder and the live index, built at start-up.

Both front ends (Discord and the console/CLI) hold an `App` and call the command
functions in `bot.commands` with it; nothing else is global.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from bot.live import ANSWER_CACHE as ANSWER_CACHE  # re-exported: tests and bench name them here
from bot.live import BuildGate as BuildGate
from bot.live import IndexService as IndexService
from bot.live import Live as Live
from bot.messages import model_fallback
from bot.servers import Collections
from bot.settings import Settings
from embeddings.build import BuildReport, ProgressFn
from embeddings.encoder import BUNDLED_NAMES, DEFAULT_MODEL, Encoder, resolve_model_path
from embeddings.errors import IndexMissingError, ModelError, ReindexBusyError
from embeddings.model_check import check_model
from embeddings.search import QueryEmbeddings

log = logging.getLogger(__name__)

BUILD_POLL_SECONDS = 1.0  # waiting at start-up for another process's first build


def set_search_threads(threads: int) -> None:
    """FAISS threads per query. One: a single query vector gains nothing from OpenMP,
    whose spinning threads fight the encoder and the other searches for two cores
    (measured: 9 ms with one thread against 36 ms with two on a busy machine)."""
    import faiss

    faiss.omp_set_num_threads(max(1, threads))


def set_search_pool_threads(threads: int) -> None:
    """A search thread's own FAISS threads (OpenMP's count is per thread), and numpy's BLAS
    threads for the process: the sentence scan is a BLAS product, and spinning BLAS
    threads made such a product 13-18 ms instead of 0.3 on the busy 2-core machine
    (the query encoder on numpy sets the same when it loads; on torch nothing would)."""
    from threadpoolctl import threadpool_limits

    set_search_threads(threads)
    threadpool_limits(max(1, threads), user_api="blas")


class App:
    def __init__(self, settings: Settings, encoder: Encoder | None = None) -> None:
        self.settings = settings
        set_search_threads(settings.search_threads)
        # Set when the configured model cannot be loaded and MiniLM answers instead: said
        # once in the log here, and to the bot's owners on /source (bot.discord.status).
        self.model_warning = ""
        self.model_error: ModelError | None = None  # why, when the warning is said
        self.encoder = encoder or self._encoder(settings)
        # Made once and shared by every index's service (the base's and each server's):
        # one query cache and batcher, one cap on builds for the whole bot, and one worker
        # that scans the sentences while a search walks the passages (its BLAS on one
        # thread, as the searches' own: see set_search_pool_threads).
        self.index = IndexService(
            settings,
            self.encoder,
            QueryEmbeddings.for_search(self.encoder, settings.search),
            BuildGate(settings.max_builds),
            ThreadPoolExecutor(
                max_workers=1,
                thread_name_prefix="quotebot-sentences",
                initializer=set_search_pool_threads,
                initargs=(settings.search_threads,),
            ),
        )
        self.collections = Collections(settings, self.index, self.model_error)
        self._preloading: list[threading.Thread] = []

    def _encoder(self, settings: Settings) -> Encoder:
        model = self._usable_model(settings.model, settings.model_path)
        return Encoder(
            model,
            path=(settings.model_path or None) if model == settings.model else None,
            batch_size=settings.batch_size,
            threads=settings.threads or None,
            backend=settings.backend,
            cache_dir=settings.model_cache_dir,
        )

    def _usable_model(self, model: str, path: str = "") -> str:
        """The configured model, or the bundled MiniLM when it cannot be loaded (a tuned
        model's folder moved or damaged): the process starts either way. An index built
        with the missing model is then refused with "run a reindex", never misread."""
        if model in BUNDLED_NAMES:
            return model
        try:
            check_model(model, path or resolve_model_path(model))
        except ModelError as exc:
            self.model_error = exc
            self.model_warning = model_fallback(exc, DEFAULT_MODEL)
            log.warning("%s", self.model_warning)
            return DEFAULT_MODEL
        return model

    def preload(self) -> None:
        """Start loading the index and the query encoder, each in a thread, so that what the
        caller does meanwhile (importing discord.py: 0.5 s) overlaps them; `ensure_index`
        waits for both. Reading files, hashing them and numpy's products release the GIL.
        A failure is left for `ensure_index` (or the first query) to meet again and report."""

        def quietly(work: Callable[[], object]) -> Callable[[], None]:
            def run() -> None:
                with contextlib.suppress(Exception):
                    work()

            return run

        for name, work in (("index", self.index.load), ("encoder", self.encoder.warm_up)):
            thread = threading.Thread(target=quietly(work), name=f"preload-{name}", daemon=True)
            thread.start()
            self._preloading.append(thread)

    def live_for(self, guild_id: int | None) -> Live:
        """What a server reads: the base, less the works it hid, plus its own collection
        (cached until either index is swapped or its hidden works change); a DM: the base."""
        if guild_id is None:
            return self.index.live
        return self.collections.live_for(guild_id)

    def ensure_index(self, progress: ProgressFn | None = None) -> BuildReport | None:
        """Load the index, building it first when there is none yet. When another process
        is building it (several bots starting on one empty index folder), wait for that
        build instead, or build it if that process dies first."""
        while self._preloading:
            self._preloading.pop().join()
        if self.index.loaded:
            return None
        while True:
            try:
                self.index.load()
                return None
            except IndexMissingError:
                pass
            log.info("No index yet in %s: building it from %s", *self._paths())
            try:
                return self.index.reindex(progress=progress)
            except ReindexBusyError:
                log.info("another process is building the index; waiting for it")
                if progress:
                    progress("waiting", 0, 0)
                time.sleep(BUILD_POLL_SECONDS)

    def _paths(self) -> tuple[str, str]:
        return str(self.settings.index), str(self.settings.corpus)
