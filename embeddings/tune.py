"""`quotebot tune`: adapt the sentence model to the corpus, without labels.

Training pairs come from the corpus itself (inverse cloze, Lee et al. 2019): a sentence
against the rest of its paragraph, which is what a reader's question is to the passage
that answers it, a piece of an idea against its surroundings. A passage of one sentence
has no rest: a Bible verse is paired with its neighbouring verses of the same chapter
(a chapter carries one story or argument, and a saying often spans two verses), other
one-sentence paragraphs with their neighbours in the same section. Dictionary entries of
one sentence get no pair: their neighbours are the next headwords, unrelated.

The model is trained with sentence-transformers' `MultipleNegativesRankingLoss` (the other
pairs of a batch are the negatives) in a plain torch loop: the library's Trainer needs
`datasets` and `accelerate`, two dependencies for a loop of a few lines. The result is a
sentence-transformers folder, written aside and renamed, with `tune.json` saying how it
was made; `[model] name` or `QUOTEBOT_MODEL` can point to it.
"""

from __future__ import annotations

import json
import math
import os
import random
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from embeddings.documents import Block, Document, chapter
from embeddings.encoder import Encoder
from embeddings.errors import CorpusError, TuneError
from embeddings.ingest import IngestError, discover, read_document
from embeddings.sentences import split_sentences

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

ProgressFn = Callable[[str, int, int], None]  # (stage, done, total), as a reindex reports
RECORD_FILE = "tune.json"

# A query of fewer words says too little to be matched to anything ("Jesus wept.").
MIN_QUERY_WORDS = 5
MIN_CONTEXT_WORDS = 5


@dataclass(frozen=True)
class Pair:
    """One training example: `query` should come out closer to `context` than to the
    other contexts of its batch."""

    query: str
    context: str
    kind: str  # "sentence": a sentence and the rest of its paragraph; "neighbours"
    source: str


@dataclass(frozen=True)
class TuneParams:
    max_pairs: int = 5_000
    epochs: int = 1
    seed: int = 0
    batch_size: int = 32  # the in-batch negatives: more is a harder task, and slower
    learning_rate: float = 2e-5  # small: adapt the model, do not retrain it
    warmup: float = 0.1  # fraction of the steps with a rising learning rate
    max_tokens: int = 128  # word pieces per text while training (half the model's limit)
    threads: int = 0  # torch threads; 0: torch decides


@dataclass
class TuneReport:
    """What `tune.json` records in the model folder."""

    corpus: str
    base_model: str
    pairs: int
    available_pairs: int
    pair_kinds: dict[str, int]
    steps: int
    seconds: float
    params: TuneParams  # every setting, so that the folder says how to train it again
    out: str = ""
    documents: int = 0
    skipped: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        record = asdict(self)
        record.update(record.pop("params"))  # one flat record, as the file has always been
        return record

    def summary(self) -> str:
        kinds = ", ".join(f"{n} {k}" for k, n in sorted(self.pair_kinds.items()))
        return (
            f"Tuned {self.base_model} on {self.pairs} pairs ({kinds}) of {self.documents} "
            f"documents: {self.steps} steps in {self.seconds:.0f} s; model written to {self.out}."
        )


# -- training pairs (no model) -----------------------------------------------------------------


def chapter_of(block: Block) -> str:
    """The chapter of a verse: "6" of "6:34" (a verse without a locator is its own)."""
    return chapter(block.locator) or f"?{block.start}"


def _words(text: str) -> int:
    return len(text.split())


def sentence_pairs(block: Block, source: str) -> list[Pair]:
    """Each sentence of a paragraph against the paragraph without it (verbatim text)."""
    text = block.text
    spans = split_sentences(text)
    if len(spans) < 2:
        return []
    pairs = []
    for start, end in spans:
        query = text[start:end]
        context = f"{text[:start].rstrip()} {text[end:].lstrip()}".strip()
        if _words(query) >= MIN_QUERY_WORDS and _words(context) >= MIN_CONTEXT_WORDS:
            pairs.append(Pair(query, context, "sentence", source))
    return pairs


def _same_unit(a: Block, b: Block) -> bool:
    """May `b` stand as context for `a`: the same section, kind and (verses) chapter."""
    if a.section != b.section or a.kind != b.kind:
        return False
    return a.kind != "verse" or chapter_of(a) == chapter_of(b)


def neighbour_pair(blocks: Sequence[Block], i: int, source: str) -> Pair | None:
    """A one-sentence paragraph (a verse) against the one before and the one after it."""
    block = blocks[i]
    around = [blocks[j] for j in (i - 1, i + 1) if 0 <= j < len(blocks)]
    context = " ".join(b.text for b in around if _same_unit(block, b))
    if _words(block.text) < MIN_QUERY_WORDS or _words(context) < MIN_CONTEXT_WORDS:
        return None
    return Pair(block.text, context, "neighbours", source)


def document_pairs(doc: Document) -> list[Pair]:
    """The training pairs of one document, in document order."""
    pairs: list[Pair] = []
    blocks = doc.blocks
    for i, block in enumerate(blocks):
        if block.kind == "verse":
            pair = neighbour_pair(blocks, i, doc.source)
            pairs.extend([pair] if pair else [])
            continue
        found = sentence_pairs(block, doc.source)
        if found:
            pairs.extend(found)
        elif block.kind == "text":  # one sentence: entries and footnotes have no neighbours
            pair = neighbour_pair(blocks, i, doc.source)
            pairs.extend([pair] if pair else [])
    return pairs


def corpus_pairs(docs: Iterable[Document]) -> list[Pair]:
    """Every document's pairs, less those whose query occurs more than once in the corpus:
    a formula ("And the LORD spake unto Moses, saying,") has no one context to predict."""
    pairs = [p for doc in docs for p in document_pairs(doc)]
    counts = Counter(p.query for p in pairs)
    return [p for p in pairs if counts[p.query] == 1]


def sample_pairs(pairs: Sequence[Pair], max_pairs: int, seed: int) -> list[Pair]:
    """At most `max_pairs` pairs, drawn uniformly and shuffled: the same seed, the same list."""
    rng = random.Random(seed)
    return rng.sample(list(pairs), min(max_pairs, len(pairs)))


def read_corpus(corpus_dir: Path) -> tuple[list[Document], list[str]]:
    """The corpus's documents and a warning per file that could not be read."""
    if not corpus_dir.is_dir():
        raise CorpusError("not_folder" if corpus_dir.exists() else "missing", str(corpus_dir))
    files, warnings = discover(corpus_dir)
    docs: list[Document] = []
    for f in files:
        try:
            docs.append(read_document(f, corpus_dir))
        except IngestError as exc:
            warnings.append(str(exc))
    return docs, warnings


# -- the output folder -----------------------------------------------------------------------


def check_out(out: Path) -> None:
    """Refuse, before any training, a folder that exists or cannot be created."""
    if out.exists():
        raise TuneError("out_exists", str(out))
    parent = out.parent
    if not parent.is_dir():
        raise TuneError("out_not_folder", str(out), str(parent))
    if not os.access(parent, os.W_OK | os.X_OK):
        raise TuneError("out_not_writable", str(out), f"{parent} is not writable")


def _staging(out: Path) -> Path:
    try:
        return Path(tempfile.mkdtemp(prefix=f".tmp-{out.name}-", dir=out.parent))
    except OSError as exc:
        raise TuneError("out_not_writable", str(out), exc.strerror or str(exc)) from exc


def write_length(folder: Path, max_seq_length: int) -> None:
    """Name the model's input limit in sentence_bert_config.json too.

    sentence-transformers 6 saves it in tokenizer_config.json alone; older versions, the
    bundled model, `Encoder.max_tokens` and the lean encoder's eligibility check read it
    here. Both files then say the same, and sentence-transformers reads back the same limit.
    """
    file = folder / "sentence_bert_config.json"
    config = json.loads(file.read_text(encoding="utf-8")) if file.is_file() else {}
    config.setdefault("max_seq_length", max_seq_length)
    file.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")


def _save(model: SentenceTransformer, staging: Path, report: TuneReport, out: Path) -> None:
    try:
        model.save(str(staging), create_model_card=False)
        if model.max_seq_length:
            write_length(staging, model.max_seq_length)
        (staging / RECORD_FILE).write_text(json.dumps(report.to_json(), indent=2) + "\n")
    except OSError as exc:  # a full disk, most likely
        raise TuneError("out_not_writable", str(out), exc.strerror or str(exc)) from exc


def _publish(staging: Path, out: Path) -> None:
    try:
        staging.rename(out)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise TuneError("out_not_writable", str(out), exc.strerror or str(exc)) from exc


# -- training ----------------------------------------------------------------------------------


def _batches(pairs: Sequence[Pair], params: TuneParams) -> list[list[Pair]]:
    """Every epoch's pairs in a fresh seeded order, cut into batches (the last may be short)."""
    rng = random.Random(params.seed)
    out: list[list[Pair]] = []
    for _ in range(params.epochs):
        order = list(pairs)
        rng.shuffle(order)
        out.extend(
            order[i : i + params.batch_size] for i in range(0, len(order), params.batch_size)
        )
    return out


def train(
    model: SentenceTransformer,
    pairs: Sequence[Pair],
    params: TuneParams,
    progress: ProgressFn | None = None,
) -> int:
    """Fine-tune `model` in place on `pairs`; the number of optimiser steps taken."""
    import torch
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

    torch.manual_seed(params.seed)  # dropout: the same seed gives the same weights
    batches = _batches(pairs, params)
    loss_fn = MultipleNegativesRankingLoss(model)
    optimiser = torch.optim.AdamW(model.parameters(), lr=params.learning_rate)
    warmup = max(1, math.ceil(params.warmup * len(batches)))

    def rate(step: int) -> float:  # linear warm-up, then linear decay to zero
        if step < warmup:
            return (step + 1) / warmup
        return max(0.0, (len(batches) - step) / max(1, len(batches) - warmup))

    schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, rate)
    full_length = model.max_seq_length
    model.max_seq_length = min(full_length or params.max_tokens, params.max_tokens)
    model.train()
    no_labels = torch.empty(0)  # the loss's labels are the diagonal: none are given
    try:
        for step, batch in enumerate(batches):
            queries = model.preprocess([p.query for p in batch])
            contexts = model.preprocess([p.context for p in batch])
            loss = loss_fn([queries, contexts], no_labels)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            schedule.step()
            optimiser.zero_grad(set_to_none=True)
            if progress:
                progress("train", step + 1, len(batches))
    finally:
        model.max_seq_length = full_length  # the saved model keeps the limit it had
        model.eval()
    return len(batches)


def tune(
    corpus_dir: Path,
    out: Path,
    base_model: str,
    params: TuneParams,
    progress: ProgressFn | None = None,
) -> TuneReport:
    """Train a copy of `base_model` on pairs from `corpus_dir` and write it to `out`."""
    started = time.perf_counter()
    out = out.expanduser().absolute()
    check_out(out)
    docs, skipped = read_corpus(corpus_dir)
    available = corpus_pairs(docs)
    if not available:
        raise TuneError("nothing_to_train", str(corpus_dir))
    pairs = sample_pairs(available, params.max_pairs, params.seed)
    staging = _staging(out)
    try:
        # Loaded as the encoder loads it: offline, the bundled name resolved, one error type.
        model = Encoder(base_model, threads=params.threads or None).model
        steps = train(model, pairs, params, progress)
        report = TuneReport(
            corpus=str(corpus_dir),
            base_model=base_model,
            pairs=len(pairs),
            available_pairs=len(available),
            pair_kinds=dict(Counter(p.kind for p in pairs)),
            steps=steps,
            seconds=round(time.perf_counter() - started, 1),
            params=params,
            out=str(out),
            documents=len(docs),
            skipped=skipped,
        )
        _save(model, staging, report, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _publish(staging, out)
    return report
