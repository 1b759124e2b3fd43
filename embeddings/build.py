"""Reindex: corpus folder -> a new index build, reusing whatever has not changed.

A document whose file (and metadata files) hash the same as in the previous build keeps
its passages without being parsed again; a passage whose text is unchanged keeps its
vector. Only new text is encoded, so an unchanged corpus costs a few file hashes.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from embeddings import dense as dense_index
from embeddings import store
from embeddings.dense import DenseParams
from embeddings.encoder import Encoder
from embeddings.errors import CorpusError, IndexCorruptError, IndexIncompatibleError, QuotebotError
from embeddings.ingest import CorpusFile, IngestError, discover, metadata_paths, read_document
from embeddings.passages import ChunkParams, Passage, chunk_document, text_hash
from embeddings.sentence_index import SentenceTable, sentence_spans, sentence_texts
from embeddings.sparse import SparseIndex
from embeddings.store import DocumentRecord, IndexData, Manifest
from embeddings.vocabulary import build_vocabulary

# (stage, done, total): stages are "scan", "read", "encode", "index", "save".
ProgressFn = Callable[[str, int, int], None]


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
    seconds: float = 0.0
    up_to_date: bool = False
    build: str = ""

    def summary(self) -> str:
        if self.up_to_date:
            return (
                f"The index is up to date: {self.documents} documents, {self.passages} "
                f"passages ({self.seconds:.1f} s)."
            )
        return (
            f"Indexed {self.documents} documents: {len(self.added)} added, "
            f"{len(self.changed)} changed, {len(self.removed)} removed, {self.unchanged} "
            f"unchanged, {len(self.skipped)} skipped; {self.passages} passages "
            f"({self.encoded} embedded, {self.reused} reused) and {self.sentences} sentences "
            f"({self.sentences_encoded} embedded) in {self.seconds:.1f} s."
        )

    def to_json(self) -> dict[str, object]:
        return asdict(self)


def fingerprint(file: CorpusFile, root: Path) -> str:
    """The file's content hash and those of the metadata files that describe it."""
    h = hashlib.sha256(file.sha256().encode())
    for meta in metadata_paths(root, file.source):
        h.update(meta.name.encode())
        h.update(hashlib.sha256(meta.read_bytes()).digest())
    return h.hexdigest()


def _corpus_fingerprint(prints: dict[str, str], model: str, chunk: ChunkParams) -> str:
    h = hashlib.sha256(f"{model}|{sorted(chunk.as_dict().items())}".encode())
    for source in sorted(prints):
        h.update(f"{source}\0{prints[source]}\n".encode())
    return h.hexdigest()


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


def reindex(
    corpus_dir: Path,
    index_dir: Path,
    encoder: Encoder,
    *,
    chunk: ChunkParams | None = None,
    dense: DenseParams | None = None,
    force: bool = False,
    progress: ProgressFn | None = None,
) -> BuildReport:
    """Build or update the index of `corpus_dir` in `index_dir` (one build at a time)."""
    started = time.perf_counter()
    chunk = chunk or ChunkParams(max_tokens=encoder.max_tokens)
    dense = dense or DenseParams()
    if not corpus_dir.is_dir():
        raise CorpusError(f"The corpus folder {corpus_dir} does not exist.")
    with store.build_lock(index_dir):
        report = BuildReport()
        files, warnings = discover(corpus_dir)
        report.skipped.extend(warnings)
        prints: dict[str, str] = {}
        for i, f in enumerate(files):
            prints[f.source] = fingerprint(f, corpus_dir)
            if progress:
                progress("scan", i + 1, len(files))
        # model_id, not name: an int8 index is rebuilt, never topped up, under torch.
        corpus_print = _corpus_fingerprint(prints, encoder.model_id, chunk)
        previous = None if force else _previous(index_dir, encoder.model_id)
        # A document's passages can be reused only if they were cut the same way (by the
        # same format of quotebot); a vector, whose text is unchanged, can be reused
        # whatever the chunking.
        same_chunking = (
            previous is not None
            and previous.manifest.format_version == store.FORMAT_VERSION
            and previous.manifest.chunking == chunk.as_dict()
        )
        if (
            same_chunking
            and previous is not None
            and previous.manifest.corpus_fingerprint == corpus_print
            and previous.manifest.dense.get("kind") == dense.resolve(len(previous.passages))
        ):
            report.up_to_date = True
            report.documents = len(previous.documents)
            report.passages = len(previous.passages)
            report.unchanged = len(previous.documents)
            report.seconds = time.perf_counter() - started
            return report

        documents: list[DocumentRecord] = []
        passages: list[Passage] = []
        old_rows: list[int] = []  # per passage: row of its vector in `previous`, or -1
        old_by_hash: dict[str, int] = {}
        if previous is not None:
            old_by_hash = {p.content_hash: i for i, p in enumerate(previous.passages)}
        for i, f in enumerate(files):
            if progress:
                progress("read", i + 1, len(files))
            old = previous.by_source.get(f.source) if previous else None
            if (
                old is not None
                and previous is not None
                and same_chunking
                and old.fingerprint == prints[f.source]
            ):
                doc_passages = previous.passages[old.first : old.first + old.count]
                rows = list(range(old.first, old.first + old.count))
                record = old
                report.unchanged += 1
            else:
                try:
                    doc = read_document(f, corpus_dir)
                except IngestError as exc:
                    report.skipped.append(str(exc))
                    continue
                doc_passages = chunk_document(doc, encoder.count_tokens, chunk)
                if not doc_passages:
                    report.skipped.append(f"{f.source}: no text to index")
                    continue
                rows = [old_by_hash.get(p.content_hash, -1) for p in doc_passages]
                record = DocumentRecord(
                    source=doc.source,
                    meta=doc.meta,
                    format=doc.format,
                    fingerprint=prints[f.source],
                    first=0,
                    count=0,
                    sections=tuple(doc.sections),
                    footnotes=dict(doc.footnotes),
                    links=doc.links,
                    size=f.size,
                )
                if old is None:
                    report.added.append(f.source)
                elif old.fingerprint != prints[f.source]:
                    report.changed.append(f.source)
                else:  # the same file, cut again under new chunking settings
                    report.unchanged += 1
            documents.append(
                DocumentRecord(
                    **{**record.__dict__, "first": len(passages), "count": len(doc_passages)}
                )
            )
            passages.extend(doc_passages)
            old_rows.extend(rows)
        if previous is not None:
            # A file that is still there but failed to read is "skipped", not "removed".
            report.removed = sorted(s for s in previous.by_source if s not in prints)
        if not passages:
            raise CorpusError(
                f"Nothing in {corpus_dir} could be indexed"
                + (f": {'; '.join(report.skipped[:3])}" if report.skipped else ".")
            )

        vectors, sentences = _vectors(passages, old_rows, previous, encoder, report, progress)
        if progress:
            progress("index", 0, 1)
        dense_kind = dense.resolve(len(passages))
        faiss_index = dense_index.build(vectors, dense)
        sparse = SparseIndex.build([lexical_text(p) for p in passages])
        if progress:
            progress("index", 1, 1)
        manifest = Manifest(
            format_version=store.FORMAT_VERSION,
            model=encoder.model_id,
            dimension=int(vectors.shape[1]),
            passage_count=len(passages),
            document_count=len(documents),
            corpus_fingerprint=corpus_print,
            chunking=chunk.as_dict(),
            dense={**asdict(dense), "kind": dense_kind},
            built_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            build_seconds=round(time.perf_counter() - started, 3),
            sentence_count=len(sentences),
            lexical={"sections": True},
        )
        vocabulary = build_vocabulary(passages, {d.source: d.footnotes for d in documents})
        data = IndexData(
            manifest,
            documents,
            passages,
            vectors,
            faiss_index,
            sparse,
            vocabulary_source=vocabulary,
            sentences=sentences,
        )
        if progress:
            progress("save", 0, 1)
        build = store.save(index_dir, data)
        if progress:
            progress("save", 1, 1)
        report.documents = len(documents)
        report.passages = len(passages)
        report.build = build.name
        report.seconds = time.perf_counter() - started
        return report


def lexical_text(p: Passage) -> str:
    """What BM25 indexes for a passage: its section's words too (a heading is matched
    through the passages under it), except an entry's, whose headword opens its text."""
    if p.section and p.kind != "entry":
        return f"{p.section}\n{p.text}"
    return p.text


def _vectors(
    passages: list[Passage],
    old_rows: list[int],
    previous: IndexData | None,
    encoder: Encoder,
    report: BuildReport,
    progress: ProgressFn | None,
) -> tuple[np.ndarray, SentenceTable]:
    """Passage vectors and sentence vectors, each text embedded at most once: a vector is
    taken from the previous build's passages or sentences, or this build's passages,
    whenever the same text had one."""
    rows = np.asarray(old_rows, dtype=np.int64)
    todo = np.flatnonzero(rows < 0)
    dim = previous.vectors.shape[1] if previous is not None else encoder.dimension
    vectors = np.empty((len(passages), dim), dtype=np.float32)
    reuse = np.flatnonzero(rows >= 0)
    if previous is not None and len(reuse):
        vectors[reuse] = previous.vectors[rows[reuse]]
    report.reused = len(reuse)
    report.encoded = len(todo)

    spans = sentence_spans(passages)
    texts = sentence_texts(passages, spans)
    sent_vectors = np.empty((len(spans), dim), dtype=np.float32)
    # Where a sentence's vector can come from: ("old-s", row), ("old-p", row), ("new-p", id).
    known: dict[str, tuple[str, int]] = {}
    if previous is not None:
        known.update((p.content_hash, ("old-p", i)) for i, p in enumerate(previous.passages))
        old_sent = previous.sentences
        if old_sent is not None:
            old_texts = sentence_texts(previous.passages, old_sent.spans)
            known.update((text_hash(t), ("old-s", r)) for r, t in enumerate(old_texts))
    known.update((passages[i].content_hash, ("new-p", int(i))) for i in todo)
    for i in reuse:
        known.setdefault(passages[i].content_hash, ("new-p", int(i)))
    new_texts: dict[str, int] = {}  # sentence text hash -> position among texts to embed
    sent_source: list[tuple[str, int]] = []
    for t in texts:
        h = text_hash(t)
        where = known.get(h)
        if where is None:
            where = ("enc", new_texts.setdefault(h, len(new_texts)))
        sent_source.append(where)
    unique = {pos: t for t in texts if (pos := new_texts.get(text_hash(t))) is not None}
    to_embed = [passages[i].text for i in todo] + [unique[k] for k in range(len(unique))]
    report.sentences = len(spans)
    report.sentences_encoded = len(unique)
    if to_embed:
        encoded = encoder.encode(
            to_embed,
            progress=(lambda d, t: progress("encode", d, t)) if progress else None,
        )
        vectors[todo] = encoded[: len(todo)]
        fresh = encoded[len(todo) :]
    else:
        fresh = np.empty((0, dim), dtype=np.float32)
    for r, (kind, at) in enumerate(sent_source):
        if kind == "enc":
            sent_vectors[r] = fresh[at]
        elif kind == "new-p":
            sent_vectors[r] = vectors[at]
        elif kind == "old-p" and previous is not None:
            sent_vectors[r] = previous.vectors[at]
        elif previous is not None and previous.sentences is not None:
            sent_vectors[r] = previous.sentences.vectors[at]
    return vectors, SentenceTable(spans, sent_vectors, len(passages))
