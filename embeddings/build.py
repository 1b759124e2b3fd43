"""Reindex: corpus folder -> a new index build, reusing whatever has not changed.

A document whose file (and metadata and companion files) hash the same as in the previous
build keeps its passages without being parsed again; a passage whose text is unchanged
keeps its vector. Only new text is encoded, so an unchanged corpus costs a few file hashes.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Protocol

import numpy as np

from embeddings import dense as dense_index
from embeddings import store
from embeddings.companion import CompanionTable, attach, read_companion, unplaced
from embeddings.dense import DenseParams
from embeddings.encode_stream import EncodeStream
from embeddings.encoder import Encoder
from embeddings.errors import CorpusError, IndexCorruptError, IndexIncompatibleError, QuotebotError
from embeddings.ingest import CorpusFile, IngestError, discover, metadata_paths, read_document
from embeddings.passages import (
    ChunkParams,
    CountMemo,
    Passage,
    TokenCounter,
    chunk_document,
    text_hash,
)
from embeddings.sentence_index import SentenceTable, sentence_spans, sentence_texts
from embeddings.sparse import SparseIndex
from embeddings.store import DocumentRecord, IndexData, Manifest
from embeddings.vocabulary import Vocabulary, build_vocabulary

log = logging.getLogger(__name__)


class Progress(Protocol):
    """Told how far a build has come: (stage, done, total), the stages being "scan",
    "read", "encode", "index" and "save", in that order."""

    def __call__(self, stage: str, done: int, total: int, /) -> None: ...


def no_progress(stage: str, done: int, total: int, /) -> None:
    """The progress of a build nobody watches."""


ProgressFn = Progress  # the name the front ends know it by


@dataclass
class BuildReport:
    documents: int = 0
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    skipped: list[str] = field(default_factory=list)  # one warning per file left out
    passages: int = 0
    encoded: int = 0  # passages embedded in this run
    reused: int = 0  # passages whose vector came from the previous build
    sentences: int = 0  # sentence vectors in the build (passages of two or more sentences)
    sentences_encoded: int = 0  # ... of which embedded in this run
    companions: int = 0  # companion lines in the build (embeddings/companion.py)
    companions_encoded: int = 0  # ... of which embedded in this run
    # Companion lines that could not be used (the works are indexed without them).
    companion_problems: list[str] = field(default_factory=list)
    seconds: float = 0.0
    up_to_date: bool = False
    build: str = ""

    def summary(self) -> str:
        if self.up_to_date:
            skipped = f", {len(self.skipped)} skipped" if self.skipped else ""
            return (
                f"The index is up to date: {self.documents} documents{skipped}, "
                f"{self.passages} passages ({self.seconds:.1f} s)."
            )
        return (
            f"Indexed {self.documents} documents: {len(self.added)} added, "
            f"{len(self.changed)} changed, {len(self.removed)} removed, {self.unchanged} "
            f"unchanged, {len(self.skipped)} skipped; {self.passages} passages "
            f"({self.encoded} embedded, {self.reused} reused) and {self.sentences} sentences "
            f"({self.sentences_encoded} embedded){self._companions()} in {self.seconds:.1f} s."
        )

    def _companions(self) -> str:
        if not self.companions and not self.companion_problems:
            return ""
        said = f", {self.companions} companion lines ({self.companions_encoded} embedded)"
        problems = len(self.companion_problems)
        return said + (f", {problems} not used" if problems else "")

    def to_json(self) -> dict[str, object]:
        return asdict(self)


def fingerprint(file: CorpusFile, root: Path) -> str:
    """The file's content hash and those of the metadata files that describe it."""
    h = hashlib.sha256(file.sha256().encode())
    for meta in metadata_paths(root, file.source):
        try:
            data = meta.read_bytes()
        except FileNotFoundError:  # removed since it was listed: as if never there
            continue
        h.update(meta.name.encode())
        h.update(hashlib.sha256(data).digest())
    return h.hexdigest()


def _corpus_fingerprint(prints: dict[str, str], model: str, chunk: ChunkParams) -> str:
    h = hashlib.sha256(f"{model}|{sorted(chunk.as_dict().items())}".encode())
    for source in sorted(prints):
        h.update(f"{source}\0{prints[source]}\n".encode())
    return h.hexdigest()


@dataclass
class Job:
    """One reindex: what it builds with, the report it fills in and who watches it."""

    corpus_dir: Path
    encoder: Encoder
    chunk: ChunkParams
    dense: DenseParams
    progress: Progress = no_progress
    overlap: bool = True  # encode in a thread of its own while documents are read
    report: BuildReport = field(default_factory=BuildReport)
    started: float = field(default_factory=time.perf_counter)

    def seconds(self) -> float:
        return time.perf_counter() - self.started


def reindex(
    corpus_dir: Path,
    index_dir: Path,
    encoder: Encoder,
    *,
    chunk: ChunkParams | None = None,
    dense: DenseParams | None = None,
    force: bool = False,
    progress: Progress | None = None,
    overlap: bool = True,
) -> BuildReport:
    """Build or update the index of `corpus_dir` in `index_dir` (one build at a time).
    `overlap=False` encodes in the calling thread, after each batch is read: the same
    build, slower (the reference the overlapped build is tested against)."""
    job = Job(
        corpus_dir,
        encoder,
        chunk or ChunkParams(max_tokens=encoder.max_tokens),
        dense or DenseParams(),
        progress or no_progress,
        overlap=overlap,
    )
    if not corpus_dir.is_dir():
        raise CorpusError("not_folder" if corpus_dir.exists() else "missing", str(corpus_dir))
    with store.build_lock(index_dir):
        # What a killed build left half-written goes first: it may hold the disk space
        # this build needs (a whole build, when killed while saving).
        store.prune(index_dir)
        found = scan(job)
        planned = plan(job, index_dir, found, force=force)
        if planned.previous is not None and planned.up_to_date(job.dense):
            return _already_built(job, planned.previous, found)
        parsed, vectors, sentences, companion, lexical = read_and_embed(job, found, planned)
        data = make_index(job, parsed, vectors, sentences, companion, lexical, planned.fingerprint)
        return save(job, index_dir, data)


# -- scan: the files and their fingerprints ----------------------------------------------


@dataclass(frozen=True)
class Scan:
    files: list[CorpusFile]  # the documents found, sorted by source
    prints: dict[str, str]  # source -> `fingerprint` of its file


def scan(job: Job) -> Scan:
    files, warnings = discover(job.corpus_dir)
    job.report.skipped.extend(warnings)
    prints: dict[str, str] = {}
    found: list[CorpusFile] = []
    for i, f in enumerate(files):
        try:
            prints[f.source] = fingerprint(f, job.corpus_dir)
            found.append(f)
        except FileNotFoundError:
            # Removed between the listing and now (another process's /corpus remove, or
            # a file moved away by hand): a removed document, not a failed build.
            log.info("%s was removed while the corpus was scanned", f.source)
        job.progress("scan", i + 1, len(files))
    return Scan(found, prints)


# -- plan: what the current build can give ------------------------------------------------


@dataclass(frozen=True)
class Plan:
    fingerprint: str  # of the corpus, the model and the chunking
    previous: IndexData | None  # the current build, if its vectors can be reused
    # A document's passages can be reused only if they were cut the same way (by the same
    # format of quotebot); a vector, whose text is unchanged, can be reused whatever the
    # chunking.
    same_chunking: bool
    index_dir: Path | None = None  # where: the build before the current one lends vectors too
    # Whether CURRENT names `previous`: when CURRENT is damaged, the newest intact build
    # lends its vectors, but a new build is made so that CURRENT names one again.
    named: bool = True

    def up_to_date(self, dense: DenseParams) -> bool:
        """Whether the current build is already what this one would make."""
        p = self.previous
        return (
            self.same_chunking
            and self.named
            and p is not None
            and p.manifest.corpus_fingerprint == self.fingerprint
            and p.manifest.same_dense(dense)
        )

    def kept(self, source: str, fp: str) -> DocumentRecord | None:
        """The current build's record of a document whose passages stay as they are."""
        old = self.previous.by_source.get(source) if self.previous else None
        if old is not None and self.same_chunking and old.fingerprint == fp:
            return old
        return None


def plan(job: Job, index_dir: Path, found: Scan, *, force: bool) -> Plan:
    # model_id, not name: an int8 index is rebuilt, never topped up, under torch.
    model = job.encoder.model_id
    previous = None if force else _previous(index_dir, model)
    same_chunking = (
        previous is not None
        and previous.manifest.format_version == store.FORMAT_VERSION
        and previous.manifest.chunking == job.chunk.as_dict()
    )
    fingerprint = _corpus_fingerprint(found.prints, model, job.chunk)
    named = previous is None or (
        previous.path is not None and store.read_current_name(index_dir) == previous.path.name
    )
    return Plan(fingerprint, previous, same_chunking, index_dir, named)


def _previous(index_dir: Path, model: str) -> IndexData | None:
    """The current build, if its vectors can be reused: same model, readable (an older
    format gives its vectors, but its documents are read and cut again)."""
    try:
        data = store.load_for_reuse(index_dir)
    except (IndexCorruptError, IndexIncompatibleError, QuotebotError):
        return None
    if data.manifest.model != model:
        return None
    return data


def _earlier(index_dir: Path, previous: IndexData) -> IndexData | None:
    """The build before the current one, when its vectors are the same model's."""
    earlier = store.load_earlier_for_reuse(index_dir)
    if earlier is None or earlier.manifest.model != previous.manifest.model:
        return None
    if earlier.vectors.shape[1] != previous.vectors.shape[1]:
        return None
    return earlier


def _already_built(job: Job, previous: IndexData, found: Scan) -> BuildReport:
    report = job.report
    # The files the index lacks were skipped when it was built, and still are (their
    # prints are in the fingerprint): read again, so that the report names them each time,
    # not only the first. Broken files are few and fail early; no text is encoded.
    count = CountMemo(job.encoder.count_tokens)
    for f in found.files:
        if f.source not in previous.by_source:
            _read(job, f, found.prints[f.source], count)
    report.up_to_date = True
    report.documents = len(previous.documents)
    report.passages = len(previous.passages)
    report.unchanged = len(previous.documents)
    report.seconds = job.seconds()
    return report


# -- read and embed: documents read and cut into passages while their new texts encode --


@dataclass
class Parsed:
    """The new build's documents and passages, in order, and where each passage's vector
    is in the current build (-1: to be embedded)."""

    documents: list[DocumentRecord] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)
    old_rows: list[int] = field(default_factory=list)

    def add(self, record: DocumentRecord, passages: Sequence[Passage], rows: list[int]) -> None:
        self.documents.append(replace(record, first=len(self.passages), count=len(passages)))
        self.passages.extend(passages)
        self.old_rows.extend(rows)


@dataclass(frozen=True)
class Lexical:
    """What the build makes of the passages' words alone (no vectors): made while the
    last texts are still being encoded."""

    sparse: SparseIndex
    vocabulary: Vocabulary
    text_ids: np.ndarray


def read_and_embed(
    job: Job, found: Scan, planned: Plan
) -> tuple[Parsed, np.ndarray, SentenceTable, CompanionTable, Lexical]:
    """Read the documents and encode their new texts side by side (`Job.overlap`): each
    document's new passages, sentences and companion lines are queued for the encoder as
    soon as it is cut, and the index's lexical half is made while the last batches encode.
    An error (reading, encoding, or a progress callback stopping the build) ends the
    encoder's thread and is raised here, before anything is written."""
    encoder = job.encoder
    previous = planned.previous
    dim = previous.vectors.shape[1] if previous is not None else encoder.dimension
    stream = EncodeStream(
        encoder.encode_batch,
        dim,
        encoder.batch_size,
        overlap=job.overlap,
        warm_up=lambda: encoder.passage_backend,
    )
    where = planned.index_dir
    earlier = None if previous is None or where is None else partial(_earlier, where, previous)
    try:
        sources = Sources(previous, stream, CountMemo(encoder.count_tokens), earlier)
        parsed = parse(job, found, planned, sources)
        stream.close()
        lexical = make_lexical(parsed)
        if len(stream):
            for done in stream.progress():
                job.progress("encode", done, len(stream))
        vectors, sentences, companion = sources.vectors(stream.vectors(), len(parsed.passages))
    finally:
        stream.stop()
    report = job.report
    report.encoded = sources.passages_encoded
    report.reused = len(parsed.passages) - report.encoded
    report.sentences = len(sentences)
    report.sentences_encoded = sources.sentences_encoded
    report.companions = len(companion)
    report.companions_encoded = sources.companions_encoded
    return parsed, vectors, sentences, companion, lexical


def parse(job: Job, found: Scan, planned: Plan, sources: Sources) -> Parsed:
    report, previous = job.report, planned.previous
    out = Parsed()
    old_by_hash: dict[str, int] = {}
    if previous is not None:
        old_by_hash = {p.content_hash: i for i, p in enumerate(previous.passages)}
    for i, f in enumerate(found.files):
        job.progress("read", i + 1, len(found.files))
        fp = found.prints[f.source]
        kept = planned.kept(f.source, fp)
        if kept is not None and previous is not None:
            rows = list(range(kept.first, kept.first + kept.count))
            passages = previous.passages[kept.first : kept.first + kept.count]
            sources.add(passages, len(out.passages), rows)
            out.add(kept, passages, rows)
            report.unchanged += 1
            continue
        read = _read(job, f, fp, sources.count)
        if read is None:
            continue
        record, passages = read
        rows = [old_by_hash.get(p.content_hash, -1) for p in passages]
        sources.add(passages, len(out.passages), rows)
        out.add(record, passages, rows)
        old = previous.by_source.get(f.source) if previous else None
        if old is None:
            report.added.append(f.source)
        elif old.fingerprint != fp:
            report.changed.append(f.source)
        else:  # the same file, cut again under new chunking settings
            report.unchanged += 1
    if previous is not None:
        # A file that is still there but failed to read is "skipped", not "removed".
        report.removed = sorted(s for s in previous.by_source if s not in found.prints)
    if not out.passages:
        raise CorpusError("empty", str(job.corpus_dir), tuple(report.skipped[:3]))
    return out


def _read(
    job: Job, f: CorpusFile, fp: str, count: TokenCounter
) -> tuple[DocumentRecord, list[Passage]] | None:
    """A document read and cut into passages (None: skipped, and the report says why)."""
    try:
        doc = read_document(f, job.corpus_dir)
    except IngestError as exc:
        job.report.skipped.append(str(exc))
        return None
    passages = chunk_document(doc, count, job.chunk)
    if not passages:
        job.report.skipped.append(f"{f.source}: no text to index")
        return None
    companion = read_companion(job.corpus_dir, f.source)
    if companion is not None:
        passages = attach(passages, companion)
        job.report.companion_problems.extend(companion.problems)
        job.report.companion_problems.extend(unplaced(passages, companion))
    record = DocumentRecord(
        source=doc.source,
        meta=doc.meta,
        format=doc.format,
        fingerprint=fp,
        first=0,
        count=0,
        sections=tuple(doc.sections),
        footnotes=dict(doc.footnotes),
        links=doc.links,
        size=f.size,
    )
    return record, passages


# -- where each vector comes from -----------------------------------------------------------

# The current build's passage vectors ("old-p", row), sentence vectors ("old-s", row) or
# companion vectors ("old-c", row), the same of the build before it ("earlier-p", ...), or
# a text encoded in this run ("enc", slot in the stream).
Origin = tuple[str, int]


def _origins(build: IndexData, name: str) -> Iterator[tuple[str, Origin]]:
    """Each text `build` holds a vector for, by hash, and where that vector is."""
    yield from ((p.content_hash, (f"{name}-p", i)) for i, p in enumerate(build.passages))
    if build.sentences is not None:
        texts = sentence_texts(build.passages, build.sentences.spans)
        yield from ((text_hash(t), (f"{name}-s", r)) for r, t in enumerate(texts))
    if build.companion is not None:
        yield from (
            (text_hash(build.passages[int(i)].companion), (f"{name}-c", r))
            for r, i in enumerate(build.companion.ids)
        )


class Sources:
    """Where each passage's, sentence's and companion line's vector comes from, decided as
    documents are read, so that every text no vector is known for is queued for encoding
    at once, and once only: a vector is taken from the current build's passages, sentences
    or companion lines, or from a text of this build already queued, whenever the same text
    had one."""

    def __init__(
        self,
        previous: IndexData | None,
        stream: EncodeStream,
        count: CountMemo,
        earlier: Callable[[], IndexData | None] | None = None,
    ):
        self._builds: dict[str, IndexData | None] = {"old": previous, "earlier": None}
        # The build before the current one, read only if the current one lacks a text
        # (a work removed and then restored, a replace undone): most reindexes never do.
        self._earlier = earlier
        self._stream = stream
        self.count = count  # shared with the chunking of the document being read
        self._known: dict[str, Origin] = {}
        if previous is not None:
            self._known.update(_origins(previous, "old"))
        self._passages: list[Origin] = []
        self._sentences: list[Origin] = []
        self._spans: list[np.ndarray] = []
        self._companions: list[Origin] = []
        self._companion_ids: list[int] = []
        self.sentences_encoded = 0
        self.companions_encoded = 0

    def add(self, passages: Sequence[Passage], first: int, old_rows: list[int]) -> None:
        """A document's passages (ids from `first`; `old_rows`: where each one's vector is
        in the current build, -1: nowhere), the sentences of those of two or more, and their
        companion lines."""
        spans = sentence_spans(passages)
        spans[:, 0] += first
        self._spans.append(spans)
        sentences = [passages[int(p) - first].text[int(s) : int(e)] for p, s, e in spans]
        rendered = [k for k, p in enumerate(passages) if p.companion]
        companions = [passages[k].companion for k in rendered]
        texts = [p.text for p in passages] + sentences + companions
        hashes = [text_hash(t) for t in texts]
        first_companion = len(passages) + len(sentences)
        if self._earlier is not None and any(
            h not in self._known and (k >= len(passages) or old_rows[k] < 0)
            for k, h in enumerate(hashes)
        ):
            self._lend_earlier()
        # Each new text once, counted in one call (the batches group texts by word pieces).
        new: dict[str, str] = {}
        for k, (t, h) in enumerate(zip(texts, hashes, strict=True)):
            reused = k < len(passages) and old_rows[k] >= 0
            if not reused and h not in self._known and h not in new:
                new[h] = t
                if k >= first_companion:
                    self.companions_encoded += 1
                elif k >= len(passages):
                    self.sentences_encoded += 1
        for (h, t), n in zip(new.items(), self.count(list(new.values())), strict=True):
            self._known[h] = ("enc", self._stream.add(t, n))
        self.count.forget()
        for k, h in enumerate(hashes):
            if k < len(passages):
                row = old_rows[k]
                self._passages.append(("old-p", row) if row >= 0 else self._known[h])
            elif k < first_companion:
                self._sentences.append(self._known[h])
            else:
                self._companions.append(self._known[h])
        self._companion_ids.extend(first + k for k in rendered)

    def vectors(
        self, encoded: np.ndarray, passages: int
    ) -> tuple[np.ndarray, SentenceTable, CompanionTable]:
        """Passage vectors, the sentence table and the companion table, from the current
        build and `encoded` (one row per slot of the stream)."""
        p_vectors = self._gather(self._passages, encoded)
        spans = np.concatenate(self._spans) if self._spans else np.empty((0, 3), dtype=np.int32)
        s_vectors = self._gather(self._sentences, encoded)
        c_vectors = self._gather(self._companions, encoded)
        ids = np.asarray(self._companion_ids, dtype=np.int32)
        return (
            p_vectors,
            SentenceTable(spans.astype(np.int32), s_vectors, passages),
            CompanionTable(ids, c_vectors, passages),
        )

    def _lend_earlier(self) -> None:
        """Read the build before the current one once; its vectors serve the texts the
        current build does not hold."""
        assert self._earlier is not None
        earlier, self._earlier = self._earlier(), None
        if earlier is not None:
            self._builds["earlier"] = earlier
            for h, origin in _origins(earlier, "earlier"):
                self._known.setdefault(h, origin)

    @property
    def passages_encoded(self) -> int:
        """Passages whose vector this build encodes (the rest come from a build)."""
        return sum(1 for kind, _ in self._passages if kind == "enc")

    def _gather(self, origins: list[Origin], encoded: np.ndarray) -> np.ndarray:
        out = np.empty((len(origins), encoded.shape[1]), dtype=np.float32)
        sources: dict[str, np.ndarray | None] = {"enc": encoded}
        for name, build in self._builds.items():
            sentences = build.sentences if build is not None else None
            companion = build.companion if build is not None else None
            sources[f"{name}-p"] = build.vectors if build is not None else None
            sources[f"{name}-s"] = sentences.vectors if sentences is not None else None
            sources[f"{name}-c"] = companion.vectors if companion is not None else None
        for kind, source in sources.items():
            rows = [(r, at) for r, (k, at) in enumerate(origins) if k == kind]
            if rows and source is not None:
                to, at = zip(*rows, strict=True)
                out[list(to)] = source[list(at)]
        return out


# -- index: the dense and lexical indexes, the vocabulary and the manifest ------------------


def make_lexical(parsed: Parsed) -> Lexical:
    """BM25, the vocabulary and the text ids: the passages' words alone."""
    passages = parsed.passages
    return Lexical(
        SparseIndex.build([lexical_text(p) for p in passages]),
        build_vocabulary(passages, {d.source: d.footnotes for d in parsed.documents}),
        store.text_ids(passages),
    )


def make_index(
    job: Job,
    parsed: Parsed,
    vectors: np.ndarray,
    sentences: SentenceTable,
    companion: CompanionTable,
    lexical: Lexical,
    corpus_print: str,
) -> IndexData:
    job.progress("index", 0, 1)
    passages, documents = parsed.passages, parsed.documents
    dense_kind = job.dense.resolve(len(passages))
    faiss_index = dense_index.build(vectors, job.dense)
    companion.with_index(job.dense)
    job.progress("index", 1, 1)
    manifest = Manifest(
        format_version=store.FORMAT_VERSION,
        model=job.encoder.model_id,
        dimension=int(vectors.shape[1]),
        passage_count=len(passages),
        document_count=len(documents),
        corpus_fingerprint=corpus_print,
        chunking=job.chunk.as_dict(),
        dense={**asdict(job.dense), "kind": dense_kind},
        built_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        build_seconds=round(job.seconds(), 3),
        sentence_count=len(sentences),
        companion_count=len(companion),
        lexical={"sections": True},
    )
    return IndexData(
        manifest,
        documents,
        passages,
        vectors,
        faiss_index,
        lexical.sparse,
        vocabulary_source=lexical.vocabulary,
        sentences=sentences,
        text_ids=lexical.text_ids,
        companion=companion,
    )


def lexical_text(p: Passage) -> str:
    """What BM25 indexes for a passage: its section's words too (a heading is matched
    through the passages under it), except an entry's, whose headword opens its text."""
    # Its own heading only: the headings above it too ("III. SOCIALIST AND COMMUNIST
    # LITERATURE" on all of Part III) cost dev MRR (Manifesto 0.756 -> 0.740).
    if p.section and p.kind != "entry":
        return f"{p.section}\n{p.text}"
    return p.text


# -- save ---------------------------------------------------------------------------------


def save(job: Job, index_dir: Path, data: IndexData) -> BuildReport:
    job.progress("save", 0, 1)
    build = store.save(index_dir, data)
    job.progress("save", 1, 1)
    report = job.report
    report.documents = len(data.documents)
    report.passages = len(data.passages)
    report.build = build.name
    report.seconds = job.seconds()
    return report
