"""The on-disk index: passages, vectors, FAISS, BM25 and a manifest with checksums.

Layout of an index folder:

    CURRENT              the name of the build in use (replaced atomically)
    .lock                held by the one reindex that may run at a time
    builds/<name>/       manifest.json, documents.json, passages.jsonl, vectors.npy,
                         sentences.npy and sentence_spans.npy (embeddings/sentence_index.py),
                         companion.npy and companion_ids.npy (embeddings/companion.py),
                         dense.faiss and companion.faiss (approximate indexes only), bm25/

A build is written into `builds/.tmp-<name>`, flushed to disk, renamed, and only then
named in CURRENT: a killed build leaves the previous index in use and intact. Its name is
its number (one past the builds there: their order), the time and a random tag; its
manifest names the build CURRENT named before it.

The files of a finished build are never written again, only deleted whole by `prune`.
`load` relies on this: it memory-maps vectors.npy, sentences.npy, BM25's matrix and
passages.jsonl read-only instead of reading them, so they are page cache (shared by
processes, reclaimable), not private memory; exact search and an IVF index of 8-bit codes
read the mapped vectors instead of holding a copy (embeddings/dense.py; bench/RESULTS.md,
"Memory per passage"). Editing a build's file in place under a running bot is therefore
unsafe (a truncated mapped file raises SIGBUS on access); replacing or deleting it is safe.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import re
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from embeddings import dense as dense_index
from embeddings import passage_file
from embeddings.companion import CompanionTable, lines_params
from embeddings.dense import DenseParams
from embeddings.documents import DocumentMeta, Footnote
from embeddings.errors import (
    IndexCorruptError,
    IndexIncompatibleError,
    IndexMissingError,
    IndexWriteError,
    QuotebotError,
    ReindexBusyError,
)
from embeddings.passage_file import PassageFile
from embeddings.passages import Passage
from embeddings.sentence_index import SentenceTable
from embeddings.sparse import SparseIndex

if TYPE_CHECKING:
    # Imported when first needed: it brings the ingest stack (Markdown, YAML, HTML parsers).
    from embeddings.vocabulary import Vocabulary

# 2: sentence vectors; headings over lists are sections, not passages; BM25 sees sections.
FORMAT_VERSION = 2
# Builds of these formats can still give a reindex their passage vectors (same model).
REUSABLE_FORMATS = (1, FORMAT_VERSION)
KEEP_BUILDS = 2  # the current build and the one before it
# What `_write_build` names a build (and `.tmp-` before it while written): nothing else in
# builds/ is ours, so nothing else is listed as a build or deleted by `prune` (an index
# folder pointed at someone's data, or `--index ""`: the current folder). Its number puts
# it in the order of builds: the time after it cannot (two builds in one second, a machine
# whose clock is behind). A build named before numbers existed has none: it comes first.
BUILD_NAME = re.compile(r"(\.tmp-)?(?:(?P<number>\d{6,})-)?\d{8}T\d{6}-[0-9a-f]{8}")
MIN_FREE_BYTES = 1 << 20  # less free space than this after a failed write: the disk is full
TEXT_IDS_FILE = "text_ids.npy"  # IndexData.text_ids (a build without it computes them)
COMPANION_VECTORS = "companion.npy"  # embeddings/companion.py: a row per companion line
COMPANION_IDS = "companion_ids.npy"  # ... the passage each row renders
COMPANION_INDEX = "companion.faiss"  # ... their dense index, when approximate


COLLECTION_PREFIX = "server/"  # how a collection's files are named in a server's scope


@dataclass(frozen=True)
class DocumentRecord:
    """A document as the index knows it: metadata and its range of passages."""

    source: str
    meta: DocumentMeta
    format: str
    fingerprint: str  # the file's hash and those of the metadata files that shape it
    first: int  # id of its first passage; its passages are first .. first + count - 1
    count: int
    sections: tuple[str, ...] = ()
    footnotes: dict[str, Footnote] = field(default_factory=dict)
    links: tuple[str, ...] = ()
    size: int = 0

    @property
    def work(self) -> tuple[str, str]:
        """The work it is part of: its collection (the 66 books of one Bible, one file each,
        are one work, named by their folder's `_collection.meta.toml`), else the file
        itself. Two files that only share a title and an author are two works: an upload
        named like another work is not part of it, and removing one never takes both."""
        collection = self.meta.collection.casefold()
        if collection and self.source.startswith(COLLECTION_PREFIX):
            # A server's own text naming a base work's collection is not part of it.
            collection = COLLECTION_PREFIX + collection
        return (collection or self.source, self.meta.author.casefold())

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["footnotes"] = {k: asdict(v) for k, v in self.footnotes.items()}
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> DocumentRecord:
        return cls(
            source=d["source"],
            meta=DocumentMeta(**d["meta"]),
            format=d["format"],
            fingerprint=d["fingerprint"],
            first=d["first"],
            count=d["count"],
            sections=tuple(d["sections"]),
            footnotes={k: Footnote(**v) for k, v in d["footnotes"].items()},
            links=tuple(d["links"]),
            size=d.get("size", 0),
        )


@dataclass(frozen=True)
class Manifest:
    format_version: int
    model: str
    dimension: int
    passage_count: int
    document_count: int
    corpus_fingerprint: str
    chunking: dict[str, int]
    dense: dict[str, Any]
    built_at: str
    build_seconds: float
    checksums: dict[str, str] = field(default_factory=dict)
    sentence_count: int = 0
    lexical: dict[str, Any] = field(default_factory=dict)  # what BM25 indexes besides text
    companion_count: int = 0  # companion lines (a build made before them has none)
    # The build CURRENT named when this one was written: the one before it, whatever the
    # names say ("": none, or a build made before this was recorded).
    previous: str = ""

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Manifest:
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})

    def dense_params(self) -> DenseParams:
        """The dense index's parameters as built. A build made before `ivf_codes` or
        `hnsw_codes` existed holds float vectors: its manifest does not say so, so it is
        said here."""
        saved = {k: v for k, v in self.dense.items() if k != "kind_built"}
        before = dict.fromkeys(("ivf_codes", "hnsw_codes"), dense_index.CODES_BEFORE)
        return DenseParams(**{**before, **saved})

    def same_dense(self, params: DenseParams) -> bool:
        """Whether this build's dense index is the one `params` would build now."""
        kind = params.resolve(self.passage_count)
        if self.dense.get("kind") != kind:
            return False
        return self.dense_params().codes_of(kind) == params.codes_of(kind)


_T = TypeVar("_T")
_S = TypeVar("_S")


class Derived:
    """What is made from an unchanging value on first use, kept with it. Concurrent first
    requests wait for the one making it; requests for another value (a completion while
    /define's lookup is made) do not."""

    def __init__(self) -> None:
        self._made: dict[Callable[[Any], Any], Any] = {}
        self._locks: dict[Callable[[Any], Any], threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, make: Callable[[_S], _T], of: _S) -> _T:
        """`make(of)`, made once."""
        with self._guard:
            lock = self._locks.setdefault(make, threading.Lock())
        with lock:
            if make not in self._made:
                self._made[make] = make(of)
            value: _T = self._made[make]
            return value


@dataclass
class IndexData:
    """A loaded index. Immutable once built: a reindex makes a new one and swaps it in."""

    manifest: Manifest
    documents: list[DocumentRecord]
    # A list when just built; a PassageFile (read on demand) when loaded.
    passages: Sequence[Passage]
    vectors: np.ndarray  # loaded: a read-only view of vectors.npy mapped; never write to it
    dense: Any
    sparse: SparseIndex
    path: Path | None = None
    # /define's terms, or how to read them on first use (most commands never need them);
    # None: none (a build made before /define, or an index built for a test).
    vocabulary_source: Vocabulary | Callable[[], Vocabulary] | None = field(
        default=None, repr=False
    )
    sentences: SentenceTable | None = None  # None only in an older build read for reuse
    # passage id -> the id of its text up to spacing and case: equal ids, equal quotes.
    # Saved with a build; computed from the passages when not given (or of another length).
    text_ids: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    companion: CompanionTable | None = None  # None: no companion lines (or an older build)
    by_source: dict[str, DocumentRecord] = field(init=False)
    doc_index: np.ndarray = field(init=False)  # passage id -> position in `documents`
    _lock: threading.Lock = field(
        default_factory=threading.Lock, init=False, repr=False, compare=False
    )
    # What commands make from the index on first use (/define's lookup, the vocabulary's
    # completer): kept here, so that it goes with the index and a reindex starts afresh.
    _derived: Derived = field(init=False, default_factory=Derived, repr=False, compare=False)

    def derived(self, make: Callable[[IndexData], _T]) -> _T:
        """`make(self)`, made once (see `Derived`)."""
        return self._derived.get(make, self)

    def __post_init__(self) -> None:
        self.by_source = {d.source: d for d in self.documents}
        self.doc_index = np.zeros(len(self.passages), dtype=np.int32)
        for i, d in enumerate(self.documents):
            self.doc_index[d.first : d.first + d.count] = i
        if len(self.text_ids) != len(self.passages):
            self.text_ids = text_ids(self.passages)

    @property
    def vocabulary(self) -> Vocabulary:
        from embeddings.vocabulary import Vocabulary

        with self._lock:
            if not isinstance(self.vocabulary_source, Vocabulary):
                self.vocabulary_source = (self.vocabulary_source or Vocabulary)()
            return self.vocabulary_source

    def document_of(self, passage_id: int) -> DocumentRecord:
        return self.documents[int(self.doc_index[passage_id])]

    def shown(self, hidden: Collection[str]) -> np.ndarray:
        """Per passage, whether its document is shown: not among `hidden` (a server's)."""
        out = np.ones(len(self.passages), dtype=bool)
        for source in hidden:
            doc = self.by_source.get(source)
            if doc is not None:
                out[doc.first : doc.first + doc.count] = False
        return out


def text_ids(passages: Iterable[Passage]) -> np.ndarray:
    """Equal ids for passages whose texts are equal up to spacing and case, in order."""
    ids: dict[str, int] = {}
    return np.fromiter(
        (ids.setdefault(" ".join(p.text.split()).casefold(), len(ids)) for p in passages),
        dtype=np.int64,
    )


# -- writing ------------------------------------------------------------------------------


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_file(path: Path, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _build_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.name != "manifest.json")


def save(index_dir: Path, data: IndexData) -> Path:
    """Write `data` as a new build and make it current. Returns the build's folder.

    A failed write (disk full, read-only folder) raises IndexWriteError and leaves the
    previous build current and untouched."""
    try:
        final = _write_build(index_dir, data)
        _point_current(index_dir, final.name)
    except OSError as exc:
        raise IndexWriteError(_why_not_written(exc, index_dir)) from exc
    prune(index_dir)
    return final


def _why_not_written(exc: OSError, index_dir: Path) -> str:
    """The reason a write failed, as the system words it. numpy's short write on a full
    disk says only "N requested and M written", without an errno: the disk's free space
    tells what happened."""
    if exc.strerror:
        return exc.strerror
    try:
        full = shutil.disk_usage(index_dir).free < MIN_FREE_BYTES
    except OSError:
        full = False
    return os.strerror(errno.ENOSPC) if full else str(exc)


def _write_build(index_dir: Path, data: IndexData) -> Path:
    builds = index_dir / "builds"
    builds.mkdir(parents=True, exist_ok=True)
    # One past every build there (under the build lock, no other build is numbering), so
    # builds sort in the order they were made, whatever the clocks that named them said.
    number = 1 + max((_number(p.name) for p in finished_builds(index_dir)), default=0)
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    name = f"{number:06d}-{stamp}-{uuid.uuid4().hex[:8]}"
    tmp = builds / f".tmp-{name}"
    tmp.mkdir()
    try:
        _write_file(
            tmp / "documents.json",
            json.dumps([d.to_json() for d in data.documents], ensure_ascii=False).encode(),
        )
        lines, offsets = passage_file.encode(data.passages)
        _write_file(tmp / passage_file.PASSAGES_FILE, lines)
        # Read by the loader instead of the passages themselves (embeddings/passage_file.py).
        _write_array(tmp / passage_file.OFFSETS_FILE, offsets, np.int64)
        _write_array(tmp / TEXT_IDS_FILE, data.text_ids, np.int64)
        _write_array(tmp / "vectors.npy", data.vectors, np.float32)
        # An index made without sentences (synthetic benchmarks) is saved with none.
        sentences = data.sentences or SentenceTable.empty(len(data.passages), data.vectors.shape[1])
        _write_array(tmp / "sentences.npy", sentences.vectors, np.float32)
        _write_array(tmp / "sentence_spans.npy", sentences.spans, np.int32)
        if data.manifest.dense.get("kind") != "exact":
            dense_index.save(data.dense, tmp / "dense.faiss")
        companion = data.companion
        if companion is not None and len(companion):
            _write_array(tmp / COMPANION_VECTORS, companion.vectors, np.float32)
            _write_array(tmp / COMPANION_IDS, companion.ids, np.int32)
            if not isinstance(companion.index, dense_index.MappedFlat):
                dense_index.save(companion.index, tmp / COMPANION_INDEX)
        (tmp / "bm25").mkdir()
        data.sparse.save(tmp / "bm25")
        for p in (tmp / "bm25").iterdir():
            with open(p, "rb+") as f:
                os.fsync(f.fileno())
        _write_file(
            tmp / "vocabulary.json",
            json.dumps(data.vocabulary.to_json(), ensure_ascii=False).encode(),
        )
        checksums = {str(p.relative_to(tmp)): _sha256(p) for p in _build_files(tmp)}
        previous = read_current_name(index_dir) or ""
        manifest = {**asdict(data.manifest), "checksums": checksums, "previous": previous}
        _write_file(tmp / "manifest.json", json.dumps(manifest, indent=2).encode())
        _fsync_dir(tmp)
        final = builds / name
        os.rename(tmp, final)
        _fsync_dir(builds)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def _write_array(path: Path, array: np.ndarray, dtype: type) -> None:
    with open(path, "wb") as f:
        np.save(f, np.ascontiguousarray(array, dtype=dtype))
        f.flush()
        os.fsync(f.fileno())


def _point_current(index_dir: Path, name: str) -> None:
    tmp = index_dir / f"CURRENT.{uuid.uuid4().hex[:8]}.tmp"
    _write_file(tmp, (name + "\n").encode())
    os.replace(tmp, index_dir / "CURRENT")
    _fsync_dir(index_dir)


def _number(name: str) -> int:
    """A build's place in the order of builds (0: named before builds were numbered)."""
    found = BUILD_NAME.fullmatch(name)
    return int(found["number"] or 0) if found else 0


def finished_builds(index_dir: Path) -> list[Path]:
    """The builds written whole (not a `.tmp-` one in progress or killed), oldest first:
    by their numbers, then (builds named before numbers) by the time their names begin with."""
    builds = index_dir / "builds"
    if not builds.is_dir():
        return []
    return sorted(
        (
            p
            for p in builds.iterdir()
            if p.is_dir() and not p.name.startswith(".") and BUILD_NAME.fullmatch(p.name)
        ),
        key=lambda p: (_number(p.name), p.name),
    )


def earlier_build(index_dir: Path) -> Path | None:
    """The build before the current one: the one CURRENT named when the current one was
    written (its manifest says), else the newest other finished build. None when there is
    no current build or no other."""
    current = read_current_name(index_dir)
    others = [p for p in finished_builds(index_dir) if p.name != current]
    if current is None or not others:
        return None
    recorded = _previous_of(index_dir / "builds" / current) if BUILD_NAME.fullmatch(current) else ""
    return next((p for p in others if p.name == recorded), others[-1])


def _previous_of(build: Path) -> str:
    """The build before `build` as its manifest records it ("" when it cannot say)."""
    try:
        return read_manifest(build, REUSABLE_FORMATS).previous
    except (QuotebotError, OSError):
        return ""


def prune(index_dir: Path) -> None:
    """Remove builds older than the last KEEP_BUILDS, except the current one and the one
    before it, and leftovers of killed builds.

    Called with the build lock held, so no `.tmp-` folder belongs to a running build.
    A removed build may still be loaded in a running process (another bot on the same
    folder, or one serving an earlier build after damage) with its vectors memory-mapped.
    On Linux and other POSIX systems that is safe: unlinking removes the name, the mapped
    file lives on until the process drops the index (its disk space is freed then). The
    store is POSIX-only (fcntl); on Windows a mapped file could not be deleted and
    rmtree(ignore_errors=True) would leave it for a later prune.
    """
    builds = index_dir / "builds"
    current = read_current_name(index_dir)
    keep = {p.name for p in finished_builds(index_dir)[-KEEP_BUILDS:]}
    # Whatever the order says: the build in use, and the one before it (restores and
    # undone replaces take their vectors from it).
    earlier = earlier_build(index_dir)
    keep |= {name for name in (current, earlier and earlier.name) if name}
    for p in builds.iterdir() if builds.is_dir() else ():
        if p.name not in keep and BUILD_NAME.fullmatch(p.name) and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)
    for p in index_dir.glob("CURRENT.*.tmp"):
        p.unlink(missing_ok=True)


@contextlib.contextmanager
def build_lock(index_dir: Path) -> Iterator[None]:
    """Exclusive right to build in `index_dir`, across threads and processes."""
    index_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(index_dir / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise ReindexBusyError() from exc
            raise
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def wait_until_free(index_dir: Path, timeout: float, poll: float = 0.5) -> bool:
    """Wait for whoever builds in `index_dir` (this process or another) to finish: True
    once the build lock is free, False after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with build_lock(index_dir):
                return True
        except ReindexBusyError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(poll)


# -- reading ------------------------------------------------------------------------------


def read_current_name(index_dir: Path) -> str | None:
    """The build CURRENT names; None when there is no CURRENT or it is empty. Bytes that
    are not UTF-8 are read as they are (they name no build, so the build is "missing"),
    never raised: every command, reindex too, must get past a damaged CURRENT."""
    try:
        name = (index_dir / "CURRENT").read_text(encoding="utf-8", errors="replace").strip()
    except FileNotFoundError:
        return None
    return name or None


def read_manifest(build: Path, formats: tuple[int, ...] = (FORMAT_VERSION,)) -> Manifest:
    try:
        raw = json.loads((build / "manifest.json").read_text())
        manifest = Manifest.from_json(raw)
    except FileNotFoundError as exc:
        raise IndexCorruptError("no_manifest", str(build)) from exc
    except (ValueError, TypeError, KeyError) as exc:
        raise IndexCorruptError("bad_manifest", str(build), str(exc)) from exc
    if manifest.format_version not in formats:
        raise IndexIncompatibleError("format", str(manifest.format_version), str(FORMAT_VERSION))
    return manifest


def current_build(index_dir: Path) -> Path:
    """The build CURRENT names. No CURRENT (or an empty one) beside finished builds is
    damage, not a missing index: a query must not rebuild what is there."""
    name = read_current_name(index_dir)
    if name is None:
        if finished_builds(index_dir):
            raise IndexCorruptError("no_current", str(index_dir / "CURRENT"))
        raise IndexMissingError(str(index_dir))
    build = index_dir / "builds" / name
    if Path(name).name != name or name in (".", "..") or not build.is_dir():
        raise IndexCorruptError("build_missing", str(build))
    return build


def verify(build: Path, manifest: Manifest) -> None:
    """Check every file against the manifest's checksums."""
    for rel, expected in manifest.checksums.items():
        path = build / rel
        if not path.is_file():
            raise IndexCorruptError("file_missing", rel)
        if _sha256(path) != expected:
            raise IndexCorruptError("file_damaged", rel)


def load(index_dir: Path, *, check: bool = True) -> IndexData:
    """Load the current build; with `check`, verify checksums first."""
    return _load_build(current_build(index_dir), check=check)


def load_for_reuse(index_dir: Path) -> IndexData:
    """The current build, also of an older format, for a reindex to take vectors from
    (never searched: an older build may lack what search needs, such as sentences). When
    CURRENT is damaged, the newest finished build that is intact: its vectors are good."""
    try:
        return _load_build(current_build(index_dir), check=True, formats=REUSABLE_FORMATS)
    except IndexCorruptError as damage:
        earlier = _newest_intact(index_dir, REUSABLE_FORMATS)
        if earlier is None:
            raise damage from None
        return earlier


def load_earlier_for_reuse(index_dir: Path) -> IndexData | None:
    """The build before the current one (prune keeps it), for the vectors of texts the
    current build dropped: a work removed and then restored, a replace undone. None when
    there is none or it cannot be read."""
    earlier = earlier_build(index_dir)
    if earlier is None:
        return None
    try:
        return _load_build(earlier, check=True, formats=REUSABLE_FORMATS)
    except (QuotebotError, OSError, ValueError):
        return None


def _load_build(
    build: Path, *, check: bool, formats: tuple[int, ...] = (FORMAT_VERSION,)
) -> IndexData:
    manifest = read_manifest(build, formats)
    # The checksums are computed in a thread of their own while the files are opened
    # (hashing releases the GIL): 140 MB at 34,000 passages cost 0.2-0.6 s, no longer
    # added to the load. Nothing is returned before they pass, and a damaged file is
    # reported as damaged even when reading it failed first.
    checking = _start(verify, build, manifest) if check else None
    try:
        documents = [
            DocumentRecord.from_json(d)
            for d in json.loads((build / "documents.json").read_text(encoding="utf-8"))
        ]
        passages = PassageFile(build)
        # Mapped, not read: pages come in as searches touch rows. The checksum was
        # computed from the file itself, and a file shorter than its header says fails
        # here (ValueError) as it did when read whole.
        vectors = _mapped(build / "vectors.npy")
        sparse = SparseIndex.load(build / "bm25", len(passages))
        params = manifest.dense_params()
        if manifest.dense.get("kind") == "exact":
            # Exact search reads the map itself (dense.MappedFlat): no copy of the vectors.
            dense = dense_index.build(vectors, params)
        else:
            dense = dense_index.load(build / "dense.faiss", params, vectors)
            held = params.codes_of(manifest.dense.get("kind", ""))
            if held is not None and dense_index.codes(dense) != held:
                raise ValueError(f"dense.faiss does not hold the {held} codes")
        vocabulary = _vocabulary_reader(build / "vocabulary.json")
        sentences = _load_sentences(build, manifest, len(passages))
        companion = _load_companion(build, manifest, len(passages))
        ids = build / TEXT_IDS_FILE
        # An older build has none: IndexData computes them from the passages (slowly).
        text_ids = np.load(ids, allow_pickle=False) if ids.is_file() else np.empty(0, np.int64)
    except (OSError, ValueError, KeyError, TypeError, EOFError) as exc:  # EOF: an empty .npy
        if checking is not None:
            checking.result()
        raise IndexCorruptError("unreadable", str(build), str(exc)) from exc
    if checking is not None:
        checking.result()
    if len(passages) != manifest.passage_count or vectors.shape != (
        manifest.passage_count,
        manifest.dimension,
    ):
        raise IndexCorruptError("disagree")
    return IndexData(
        manifest,
        documents,
        passages,
        vectors,
        dense,
        sparse,
        build,
        vocabulary,
        sentences,
        text_ids,
        companion,
    )


def _start(work: Callable[[Path, Manifest], None], build: Path, manifest: Manifest) -> Future[None]:
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="verify")
    try:
        return pool.submit(work, build, manifest)
    finally:
        pool.shutdown(wait=False)  # the thread ends with its one task


def _mapped(path: Path) -> np.ndarray:
    """A saved array mapped read-only, as a plain ndarray: np.memmap's own indexing costs
    8-20 µs a call in Python (a search reads rows a dozen times), a plain view's 1."""
    return np.asarray(np.load(path, mmap_mode="r", allow_pickle=False))


def _load_sentences(build: Path, manifest: Manifest, passages: int) -> SentenceTable | None:
    if manifest.format_version < 2:
        return None
    spans = np.load(build / "sentence_spans.npy", allow_pickle=False)
    vectors = _mapped(build / "sentences.npy")
    if (
        spans.ndim != 2
        or spans.shape[1] != 3
        or vectors.shape != (manifest.sentence_count, manifest.dimension)
        or len(spans) != len(vectors)
        or (len(spans) and not (spans[:, 0].min() >= 0 and spans[:, 0].max() < passages))
        or np.any(np.diff(spans[:, 0]) < 0)
    ):
        raise ValueError("the sentence vectors disagree with the manifest")
    return SentenceTable(spans, vectors, passages)


def _load_companion(build: Path, manifest: Manifest, passages: int) -> CompanionTable | None:
    if not manifest.companion_count:
        return None
    ids = np.load(build / COMPANION_IDS, allow_pickle=False)
    vectors = _mapped(build / COMPANION_VECTORS)
    if (
        ids.ndim != 1
        or vectors.shape != (manifest.companion_count, manifest.dimension)
        or len(ids) != len(vectors)
        or not (ids.min() >= 0 and ids.max() < passages)
        or np.any(np.diff(ids) <= 0)
    ):
        raise ValueError("the companion vectors disagree with the manifest")
    table = CompanionTable(ids, vectors, passages)
    params = lines_params(manifest.dense_params())
    if (build / COMPANION_INDEX).is_file():
        table.index = dense_index.load(build / COMPANION_INDEX, params, vectors)
    else:
        table.index = dense_index.build(vectors, replace(params, kind="exact"))
    return table


def load_last_good(
    index_dir: Path, *, check: bool = True
) -> tuple[IndexData, IndexCorruptError | None]:
    """The current build or, when it is damaged, the newest earlier build that is intact.

    Returns the index and the current build's damage (None when it loaded). A damaged index
    is never served: every candidate is checked against its checksums first.
    """
    try:
        return load(index_dir, check=check), None
    except IndexCorruptError as exc:
        damage = exc
    data = _newest_intact(index_dir)
    if data is None:
        raise damage
    return data, damage


def _newest_intact(
    index_dir: Path, formats: tuple[int, ...] = (FORMAT_VERSION,)
) -> IndexData | None:
    """The newest finished build other than the one CURRENT names that passes every
    check (its checksums too); None when there is none."""
    current = read_current_name(index_dir)
    for build in reversed(finished_builds(index_dir)):
        if build.name == current:
            continue
        try:
            return _load_build(build, check=True, formats=formats)
        except (IndexCorruptError, IndexIncompatibleError):
            continue
    return None


def _vocabulary_reader(path: Path) -> Callable[[], Vocabulary] | None:
    """The vocabulary, parsed when first used (0.15-0.5 s at 34,000 passages, and only
    /define and Explain need it). The bytes are read now: a build pruned meanwhile by
    another process's reindex still has its vocabulary. A build made before /define had
    none (None)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None

    def parse() -> Vocabulary:
        from embeddings.vocabulary import Vocabulary

        return Vocabulary.from_json(json.loads(raw.decode("utf-8")))

    return parse
