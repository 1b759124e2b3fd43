"""Hybrid retrieval: dense (FAISS) and BM25 candidates, fused, filtered and de-duplicated.

Every candidate gets both scores exactly (a dense candidate's BM25 score is read from the
full BM25 score vector; a BM25 candidate's cosine is one dot product), so fusion
(embeddings/fusion.py) never guesses a missing score. Highlighting the best sentence of a
hit is embeddings/highlight.py's; the hits themselves are embeddings/hits.py's.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, Future, wait
from dataclasses import dataclass, field
from typing import Literal, TypeVar

import numpy as np

from embeddings import dense as dense_index
from embeddings import fusion as fusions
from embeddings import phrase as phrases
from embeddings import verse_refs
from embeddings.batching import MicroBatcher
from embeddings.cache import Lru
from embeddings.distinct import Distinct
from embeddings.documents import names
from embeddings.encoder import Encoder
from embeddings.errors import NoWorkMatching, WorkGone
from embeddings.highlight import Highlighter
from embeddings.hits import WINDOW_JOIN, HasPassages, Hit, result_text, window_spans
from embeddings.passes import Group, groups
from embeddings.query import DEFAULT_MAX_CHARS, clean, require_content
from embeddings.sentence_index import SentenceTable
from embeddings.signals import Neighbourhood, dense_scores, window_scores
from embeddings.store import DocumentRecord, IndexData
from embeddings.tokens import terms

# Re-exported: the front ends and benches import the hits from here.
__all__ = [
    "BEFORE_SIGNALS",
    "SUBSET_SCAN_LIMIT",
    "WINDOW_JOIN",
    "Filters",
    "HasPassages",
    "Hit",
    "QueryEmbeddings",
    "Ranking",
    "SearchParams",
    "SearchResult",
    "Searcher",
    "result_text",
    "window_spans",
]

# Above this many allowed passages (or a quarter of the index), dense search asks the FAISS
# index for the subset instead of scoring the subset's vectors one by one (~0.2 ms per 1,000).
SUBSET_SCAN_LIMIT = 20_000


_A = TypeVar("_A")
_B = TypeVar("_B")

Fusion = Literal["convex", "rrf", "dense", "bm25"]  # how dense and BM25 scores combine


@dataclass(frozen=True)
class SearchParams:
    """Defaults chosen on the dev queries (bench/RESULTS.md, "ranking signals");
    `BEFORE_SIGNALS` is the engine before them."""

    candidates: int = 100  # taken from each retriever before fusion
    fusion: Fusion = "convex"  # a name in embeddings.fusion.METHODS (a test keeps the two one)
    rrf_k: int = 60
    alpha: float = 0.8  # convex: weight of the cosine
    bm25_saturation: float = 10.0  # convex: κ in bm25 / (bm25 + κ)
    min_cosine: float = 0.38  # the relevance floor: below it, no good match ...
    min_cosine_lexical: float = 0.28  # ... unless BM25 also finds the passage strongly
    lexical_strength: float = 0.5  # BM25 / best BM25 needed for that exception
    # The floor when no word of the query is in the corpus (gibberish, a number, another
    # script): BM25 has nothing to say, and MiniLM's cosines for text it cannot read run
    # high (0.46: the lowest that left no such query of the dev half an answer; RESULTS).
    min_cosine_unanchored: float = 0.46
    max_query_chars: int = DEFAULT_MAX_CHARS
    query_cache: int = 1024
    # Questions per forward pass at most: a burst is encoded as a stream of passes
    # (embeddings/batching.py), its first answers out early.
    query_pass: int = 16
    # The dense score of a candidate: (1 - w) * passage cosine + w * its best sentence's
    # cosine (a passage of one sentence is its own best sentence).
    sentence_weight: float = 0.7
    # Passage cosine from the passage's vector blended with its neighbours' in the same
    # document: v + s * (v_before + v_after), normalised (0: the passage alone).
    smoothing: float = 0.0
    # Passages of fewer words than this, and verses, are also scored as windows of two or
    # three with their neighbours (same document and section) and shown as the window
    # that scored best (0: off).
    window_words: int = 0
    # Subtracted from a window's cosine before it competes: a sum of neighbours' vectors
    # scores higher than its passages alone, also against passages of other works.
    window_discount: float = 0.0
    # Passages of the sentences nearest the query join the dense candidates (0: none): a
    # passage whose one sentence answers may be far from the query as a whole.
    sentence_candidates: int = 50
    # Added to the fused score of a passage whose text holds the query word for word
    # (embeddings/phrase.py); such passages join the candidates and clear the floor (0: off).
    # 0.2 won on dev, won on the held-out queries, lost one KJV query on test.
    phrase_boost: float = 0.2
    # A passage with a line in its work's companion (embeddings/companion.py): its dense
    # score is (1 - w) * its own + w * its companion line's cosine, and the passages of the
    # companion lines nearest the query join the candidates (0: none). 0.5 won on dev and
    # on test, no corpus worse (bench/RESULTS.md, "Companions in the engine"). 50 candidates
    # gave the same top 10 as 100 on every split, for less search ("Companion lines' search,
    # cheaper").
    companion_weight: float = 0.5
    companion_candidates: int = 50


# The engine before sentence vectors, windows and the floor re-tuned for them.
BEFORE_SIGNALS = SearchParams(
    sentence_weight=0.0,
    window_words=0,
    sentence_candidates=0,
    min_cosine=0.28,
    min_cosine_lexical=0.18,
    min_cosine_unanchored=0.0,
    phrase_boost=0.0,
    companion_weight=0.0,
    companion_candidates=0,
)


@dataclass(frozen=True)
class Filters:
    author: str = ""  # names the author (`documents.names`: a part, or its words)
    title: str = ""  # names the title, the collection or the file name
    per_document: int = 0  # at most this many hits per work (0: no cap)
    # Documents (by source) a server has hidden: never candidates, whatever else matches.
    hidden: frozenset[str] = frozenset()
    # A book of a work whose passages are verses, named as a reference names it
    # (`verse_refs`): only its passages. A book is no work: the title is the Bible's.
    book: str = ""

    def matches(self, doc: DocumentRecord) -> bool:
        if doc.source in self.hidden:
            return False
        if self.author and not names(self.author, doc.meta.author):
            return False
        if self.title:
            hay = " ".join((doc.meta.title, doc.meta.collection, doc.source))
            if not names(self.title, hay):
                return False
        return True

    @property
    def active(self) -> bool:
        return bool(self.names or self.hidden)

    @property
    def names(self) -> bool:
        """Whether the reader named an author, a title or a book (an unmatched name is an
        error; hiding alone never is)."""
        return bool(self.author or self.title or self.book)


def title_filters(
    index: verse_refs.Readable, title: str, author: str = "", per_document: int = 0
) -> Filters:
    """What a source's title (and author) keep to. A title that names a book of verses
    ("Matthew", "1 Cor") keeps to that book: a reader of a Bible names its books, and each
    book's title is the whole Bible's. Unless a word of a work's title begins so: "Mic" is
    Anatomy of the Micro-Sect before it is Micah."""
    title = title.strip()
    books = verse_refs.book_parts(index, title) if title else []
    if books and not _begins_another_title_word(index, title, {b.doc.meta.title for b in books}):
        return Filters(author, per_document=per_document, book=books[0].name)
    return Filters(author, title, per_document)


def _begins_another_title_word(index: verse_refs.Readable, typed: str, bibles: set[str]) -> bool:
    """Whether a word of the title of a work other than the book's own (its Bible's: "Jam"
    begins "The King James Bible") begins as `typed` does."""
    start = re.compile(rf"(?<!\w){re.escape(typed)}", re.IGNORECASE)
    titles = {doc.meta.title for doc in index.documents} - bibles
    return any(start.search(title) for title in titles)


@dataclass(frozen=True)
class SearchResult:
    query: str
    hits: list[Hit]
    weak: list[Hit] = field(default_factory=list)  # below the relevance floor
    searched_passages: int = 0

    @property
    def no_good_match(self) -> bool:
        return not self.hits


@dataclass(frozen=True)
class Ranking:
    """Every candidate of both retrievers, best first, as parallel arrays: turning them
    into `Hit`s is left until a caller walks them, as most are never looked at."""

    ids: np.ndarray
    fused: np.ndarray
    cosines: np.ndarray
    bm25: np.ndarray
    first: np.ndarray | None = None  # window bounds per row (None: no windows)
    last: np.ndarray | None = None
    phrase: np.ndarray | None = None  # per row: its text holds the query word for word

    @classmethod
    def empty(cls) -> Ranking:
        none = np.empty(0, dtype=np.float32)
        return cls(np.empty(0, dtype=np.int64), none, none, none)

    def hits(self, rows: Iterable[int] | None = None) -> Iterator[Hit]:
        for j in range(len(self.ids)) if rows is None else rows:
            window = None
            if self.first is not None and self.last is not None:
                first, last = int(self.first[j]), int(self.last[j])
                window = (first, last) if first != last else None
            yield Hit(
                int(self.ids[j]),
                float(self.fused[j]),
                float(self.cosines[j]),
                float(self.bm25[j]),
                window=window,
            )


class QueryEmbeddings:
    """Query vectors: an LRU cache (repeated and paged queries skip the model) in front of
    a micro-batcher (concurrent queries share one forward pass). The same question asked
    again while its vector is being computed waits for that computation. The questions
    of one pass are remembered as groups (embeddings/passes.py), searched together."""

    def __init__(
        self, encoder: Encoder, size: int, *, batching: bool = True, max_batch: int = 64
    ) -> None:
        self._encoder = encoder
        self._cache: Lru[str, np.ndarray] = Lru(size)
        self.batcher = MicroBatcher(self._encode_pass, max_batch=max_batch) if batching else None
        self._pending: dict[str, Future[np.ndarray]] = {}
        self._lock = threading.Lock()
        self._groups: Lru[str, Group] = Lru(size)

    @classmethod
    def for_search(cls, encoder: Encoder, params: SearchParams) -> QueryEmbeddings:
        """Sized as the search settings say (`query_cache` vectors, `query_pass` a pass)."""
        return cls(encoder, params.query_cache, max_batch=params.query_pass)

    def clear(self) -> None:
        self._cache.clear()
        self._groups.clear()

    def group_of(self, query: str) -> Group | None:
        """The questions encoded in the same pass as `query` (None: none known)."""
        return self._groups.get(query.casefold())

    def _encode_pass(self, texts: Sequence[str]) -> np.ndarray:
        vectors = self._encoder.encode_queries(texts)
        # The pass's questions (not the highlight's sentences, which no search follows),
        # grouped before any waiter learns its vector, so its search finds its group.
        with self._lock:
            rows = [i for i, t in enumerate(texts) if t.casefold() in self._pending]
        if len(rows) > 1:
            keys = [texts[i].casefold() for i in rows]
            for group in groups(keys, vectors[rows]):
                for key in group.keys:
                    self._groups.put(key, group)
        return vectors

    def encode_many(self, texts: list[str], *, urgent: bool = True) -> np.ndarray:
        """Vectors for several texts (not cached), sharing batches with other callers;
        not `urgent`: only when no query is waiting for the model."""
        if self.batcher is None:
            return self._encoder.encode_queries(texts)
        futures = [self.batcher.submit(t, urgent=urgent) for t in texts]
        return np.stack([f.result() for f in futures])

    def submit(self, query: str) -> Future[np.ndarray]:
        """The query's vector, as a future: done at once when cached, else done when the
        batch it joined is encoded (then cached). Lets a caller wait without a thread."""
        key = query.casefold()
        vec = self._cache.get(key)
        if vec is not None:
            return self._done(vec)
        if self.batcher is None:
            vec = self._encoder.encode_queries([query])[0]
            self._cache.put(key, vec)
            return self._done(vec)
        with self._lock:
            future = self._pending.get(key)
            if future is not None:
                return future
            vec = self._cache.get(key)  # cached by a batch that finished meanwhile
            if vec is not None:
                return self._done(vec)
            future = self.batcher.submit(query)
            self._pending[key] = future
        future.add_done_callback(lambda f: self._settle(key, f))
        return future

    def _settle(self, key: str, future: Future[np.ndarray]) -> None:
        with self._lock:
            if not future.cancelled() and future.exception() is None:
                self._cache.put(key, future.result())
            self._pending.pop(key, None)

    def get(self, query: str) -> np.ndarray:
        return self.submit(query).result()

    @staticmethod
    def _done(vec: np.ndarray) -> Future[np.ndarray]:
        future: Future[np.ndarray] = Future()
        future.set_result(vec)
        return future


class Searcher:
    """Searches one loaded index. Cheap to make: build a new one after a swap.

    With a `side` executor (the application's: one worker), the sentences nearest the
    query are found there while this thread walks the passages' index: both release the
    GIL, so a lone query's dense search takes about the longer of the two instead of their
    sum (bench/RESULTS.md, "The sentence scan beside the passage search")."""

    def __init__(
        self,
        index: IndexData,
        encoder: Encoder,
        params: SearchParams | None = None,
        embeddings: QueryEmbeddings | None = None,
        side: Executor | None = None,
    ) -> None:
        self.index = index
        self.encoder = encoder
        self.params = params or SearchParams()
        self.embeddings = embeddings or QueryEmbeddings.for_search(encoder, self.params)
        self.side = side
        self.highlighter = Highlighter(index, self.embeddings)
        self._hood: Neighbourhood | None = None

    @property
    def hood(self) -> Neighbourhood:
        """Which passages may form windows (made on first use: one pass over the index)."""
        if self._hood is None:
            self._hood = Neighbourhood(self.index, self.params.window_words)
        return self._hood

    # -- filters ---------------------------------------------------------------------------

    def allowed(self, filters: Filters) -> np.ndarray | None:
        """Passage ids the filters allow (None: all of them)."""
        if not filters.active:
            return None
        docs = [d for d in self.index.documents if filters.matches(d)]
        spans = [range(d.first, d.first + d.count) for d in docs]
        if filters.book:  # by the book's passages: a file may hold several books
            kept = {d.source for d in docs}
            books = verse_refs.book_parts(self.index, filters.book)
            spans = [b.ids for b in books if b.doc.source in kept]
        if not spans and filters.names:
            raise NoWorkMatching(filters.author, filters.title, book=filters.book)
        if not spans:
            return np.empty(0, dtype=np.int64)
        return np.concatenate([np.arange(s.start, s.stop) for s in spans])

    # -- search ----------------------------------------------------------------------------

    def search(
        self,
        raw_query: str,
        k: int = 5,
        filters: Filters | None = None,
        *,
        anchored: bool | None = None,
    ) -> SearchResult:
        """The best passages for a query. `anchored`: whether the corpus holds a word of
        the query (a server's view asks all its parts; None: this index)."""
        filters = filters or Filters()
        query = self.prepare(raw_query)
        return self._search(query, k, self.allowed(filters), filters.per_document, anchored)

    def anchored(self, query: str, hidden: frozenset[str] = frozenset()) -> bool:
        """Whether a word of the (prepared) query is in this index, whatever the filters,
        outside the documents `hidden` (a server's view: their words are not its corpus's)."""
        sparse = self.index.sparse
        known = sparse.known_terms(terms(query))
        if not known or not hidden:
            return bool(known)
        # Only for a query the index knows a word of, in a view hiding works: a mask and
        # the query's known columns, 10-30 µs at 34,000 passages (a search takes ms).
        shown = self.index.shown(hidden)
        return any(shown[sparse.holding(t)].any() for t in known)

    def search_in(
        self, raw_query: str, source: str, k: int = 5, *, anchored: bool | None = None
    ) -> SearchResult:
        """Search within one document (`anchored` as for `search`)."""
        query = self.prepare(raw_query)
        doc = self.index.by_source.get(source)
        if doc is None:
            raise WorkGone(source)
        ids = np.arange(doc.first, doc.first + doc.count)
        return self._search(query, k, ids, 0, anchored)

    def prepare(self, raw_query: str) -> str:
        query = clean(raw_query, max_chars=self.params.max_query_chars)
        require_content(query)
        return query

    def _search(
        self,
        query: str,
        k: int,
        allowed: np.ndarray | None,
        per_document: int,
        anchored: bool | None = None,
    ) -> SearchResult:
        qvec = self.embeddings.get(query)
        ranking = self.ranking(query, qvec, allowed, self.params.fusion)
        ok = self._above_floor(ranking, self.anchored(query) if anchored is None else anchored)
        good = self.dedupe(ranking.hits(np.flatnonzero(ok)), per_document, k)
        weak = self.dedupe(ranking.hits(np.flatnonzero(~ok)), per_document, k)
        n = len(self.index.passages) if allowed is None else len(allowed)
        return SearchResult(query, good, weak, n)

    @property
    def build(self) -> str:
        return self.index.path.name if self.index.path else ""

    def locate(self, build: str, passage_id: int, source: str, text: str) -> int | None:
        """The id, in this index, of a passage seen in build `build` (None: gone)."""
        passages = self.index.passages
        if build == self.build and 0 <= passage_id < len(passages):
            return passage_id
        doc = self.index.by_source.get(source)
        if doc is None:
            return None
        for i in range(doc.first, doc.first + doc.count):
            if passages[i].text == text:
                return i
        return None

    def rank(
        self, query: str, qvec: np.ndarray, allowed: np.ndarray | None, fusion: str
    ) -> list[Hit]:
        """All candidates of both retrievers, best first, by the given fusion."""
        return list(self.ranking(query, qvec, allowed, fusion).hits())

    def ranking(
        self, query: str, qvec: np.ndarray, allowed: np.ndarray | None, fusion: str
    ) -> Ranking:
        """`rank` as arrays."""
        p = self.params
        method = fusions.method(fusion)
        dense_ids = self._dense_candidates(query, qvec, allowed)
        bm25, sparse_ids = self._lexical(query, allowed)
        if not method.lexical:
            sparse_ids = sparse_ids[:0]
        if not method.dense:
            dense_ids = dense_ids[:0]
        phrase_ids = (
            phrases.holding(self.index, query, bm25)
            if p.phrase_boost and method.lexical
            else np.empty(0, dtype=np.int64)
        )
        cand = np.unique(np.concatenate([dense_ids, sparse_ids, phrase_ids]).astype(np.int64))
        if len(cand) == 0:
            return Ranking.empty()
        cosines = dense_scores(
            self.index,
            cand,
            qvec,
            sentence_weight=p.sentence_weight,
            smoothing=p.smoothing,
            companion_weight=p.companion_weight,
        )
        lex = bm25[cand]
        first = last = None
        if p.window_words > 0:
            w_cos, w_first, w_last = window_scores(self.index, self.hood, cand, qvec)
            w_cos = w_cos - p.window_discount
            use = w_cos > cosines  # False where no window (NaN)
            cosines = np.where(use, w_cos, cosines).astype(np.float32)
            first, last = np.where(use, w_first, cand), np.where(use, w_last, cand)
            # A window's lexical score: its best passage's (the ids are at most 3 apart).
            lex = np.maximum(np.maximum(bm25[first], lex), bm25[last])
        fused = method.fuse(fusions.Scores(cand, cosines, lex, sparse_ids), p)
        holds = np.isin(cand, phrase_ids) if len(phrase_ids) else None
        if holds is not None:
            fused = (fused + p.phrase_boost * holds).astype(np.float32)
        order = np.argsort(-fused, kind="stable")
        return Ranking(
            cand[order],
            fused[order].astype(np.float32),
            cosines[order],
            lex[order],
            None if first is None else first[order],
            None if last is None else last[order],
            None if holds is None else holds[order],
        )

    def _dense_candidates(
        self, query: str, qvec: np.ndarray, allowed: np.ndarray | None
    ) -> np.ndarray:
        """The ids of the passages nearest the query (those of the nearest sentences and
        companion lines too), among `allowed` (None: all)."""
        if allowed is None:
            together = self._with_its_pass(query, qvec)
            if together is not None:
                return together
            return self._dense_candidates_of_many(qvec[None, :])[0]
        rendered = self._companion_candidates(qvec[None, :], allowed)[0]
        return np.concatenate([self._dense_candidates_among(qvec, allowed), rendered])

    def _dense_candidates_among(self, qvec: np.ndarray, allowed: np.ndarray) -> np.ndarray:
        """`_dense_candidates` among `allowed`, from the passages and sentences."""
        p = self.params
        index = self.index
        n_cand = p.candidates

        def passages() -> np.ndarray:
            if len(allowed) > SUBSET_SCAN_LIMIT or 4 * len(allowed) > len(index.passages):
                # Most of the index (a server hid a few works), or more than a scan costs:
                # the index itself, told which ids it may return, is cheaper than gathering
                # their vectors (and keeps its recall: most of what it visits is allowed).
                _, ids = dense_index.search_subset(index.dense, qvec[None, :], n_cand, allowed)
                return np.asarray(ids[0][ids[0] >= 0])
            sims = index.vectors[allowed] @ qvec
            return np.asarray(allowed[np.argsort(-sims)[:n_cand]])

        sentences = self._sentences()
        if sentences is None:
            return passages()
        dense_ids, more = self._beside(
            passages, lambda: sentences.nearest_passages(qvec, p.sentence_candidates, allowed)
        )
        return np.concatenate([dense_ids, more])

    def _with_its_pass(self, query: str, qvec: np.ndarray) -> np.ndarray | None:
        """The query's dense candidates (unfiltered), computed together with those of the
        other questions of its forward pass (embeddings/passes.py); None when it came
        alone, was searched already, or `qvec` is not the vector that pass gave it."""
        group = self.embeddings.group_of(query)
        key = query.casefold()
        if group is None or not np.array_equal(group.vector(key), qvec):
            return None
        return group.take(self, key, self._dense_candidates_of_many)

    def _dense_candidates_of_many(self, qvecs: np.ndarray) -> list[np.ndarray]:
        """`_dense_candidates` of several query vectors (unfiltered; one row: a query
        alone), the same ids in the same order as one by one: one FAISS call for all, the
        sentences as one product."""
        p = self.params
        index = self.index

        def passages() -> list[np.ndarray]:
            _, ids = dense_index.search(index.dense, qvecs, p.candidates)
            return [row[row >= 0] for row in ids]

        def passages_and_lines() -> tuple[list[np.ndarray], list[np.ndarray]]:
            # The companion's index is walked here too, while the side scans the sentences.
            return passages(), self._companion_candidates(qvecs)

        sentences = self._sentences()
        if sentences is None:
            found, rendered = passages_and_lines()
            return [np.concatenate(c) for c in zip(found, rendered, strict=True)]
        (found, rendered), more = self._beside(
            passages_and_lines,
            lambda: sentences.nearest_passages_of_many(qvecs, p.sentence_candidates),
        )
        return [np.concatenate(c) for c in zip(found, more, rendered, strict=True)]

    def _companion_candidates(
        self, qvecs: np.ndarray, allowed: np.ndarray | None = None
    ) -> list[np.ndarray]:
        """Per query vector: the passages of the companion lines nearest it, among
        `allowed` (None: all); none when the index has no companion or the search takes
        none."""
        table = self.index.companion
        k = self.params.companion_candidates if self.params.companion_weight else 0
        if table is None or not k:
            return [np.empty(0, dtype=np.int64) for _ in range(len(qvecs))]
        return table.nearest_passages(qvecs, k, allowed)

    def _sentences(self) -> SentenceTable | None:
        """The sentence table when its nearest sentences' passages join the candidates."""
        table = self.index.sentences
        if not self.params.sentence_candidates or table is None or not len(table):
            return None
        return table

    def _beside(self, main: Callable[[], _A], other: Callable[[], _B]) -> tuple[_A, _B]:
        """`main()` in this thread and `other()` on the side executor at the same time (one
        after the other without one)."""
        if self.side is None:
            return main(), other()
        future = self.side.submit(other)
        try:
            first = main()
        finally:
            wait([future])  # never left running on its own, whatever `main` raised
        return first, future.result()

    def _lexical(self, query: str, allowed: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """Every passage's BM25 score (0 outside `allowed`), and BM25's candidates: the
        best-scoring passages, best first."""
        n_cand = self.params.candidates
        bm25 = self.index.sparse.scores(terms(query))
        if allowed is not None:
            mask = np.zeros(len(bm25), dtype=bool)
            mask[allowed] = True
            bm25 = np.where(mask, bm25, 0.0)
        nonzero = np.flatnonzero(bm25 > 0)
        if len(nonzero) > n_cand:
            part = np.argpartition(-bm25[nonzero], n_cand)[:n_cand]
            nonzero = nonzero[part]
        return bm25, nonzero[np.argsort(-bm25[nonzero], kind="stable")]

    def _above_floor(self, ranking: Ranking, anchored: bool) -> np.ndarray:
        """Which candidates clear the relevance floor: a good cosine, or a fair one with
        a lexical match close to the best BM25 score of the query, or the query's words
        in order (whatever the model makes of a name it does not know). A query none of
        whose words the corpus holds (not only the works searched: a filter that keeps to
        one work must not raise the floor; in a server, the works it shows) needs a higher
        cosine."""
        p = self.params
        cos, lex = ranking.cosines, ranking.bm25
        floor = p.min_cosine if anchored else max(p.min_cosine, p.min_cosine_unanchored)
        top_bm25 = float(lex.max()) if len(lex) else 0.0
        lexical = lex >= p.lexical_strength * top_bm25 if top_bm25 > 0 else np.zeros_like(cos, bool)
        ok = (cos >= floor) | (lexical & (cos >= p.min_cosine_lexical))
        return ok if ranking.phrase is None else ok | ranking.phrase

    def dedupe(self, hits: Iterable[Hit], per_document: int = 0, limit: int = 0) -> list[Hit]:
        """One hit per paragraph (its windows overlap in meaning), one per identical text,
        none overlapping a window already shown, and at most `per_document` per work when
        asked; stops at `limit` hits (0: all)."""
        distinct = Distinct(self.index)
        shown: set[int] = set()  # passage ids already in a result
        per_work: dict[tuple[str, str], int] = {}
        out: list[Hit] = []
        for h in hits:
            if not distinct.new(h.passage_id):
                continue
            if not shown.isdisjoint(h.ids):
                continue
            if per_document:
                # A work, not a file: the Bible's 66 books were six "works" of one answer.
                work = self.index.document_of(h.passage_id).work
                if per_work.get(work, 0) >= per_document:
                    continue
                per_work[work] = per_work.get(work, 0) + 1
            distinct.keep(h.passage_id)
            shown.update(h.ids)
            out.append(h)
            if limit and len(out) >= limit:
                break
        return out

    # -- presentation helpers --------------------------------------------------------------

    def highlight(
        self, query: str, hits: list[Hit], *, dense_limit: int | None = None, urgent: bool = True
    ) -> list[Hit]:
        """Mark the best-matching sentence of each hit (embeddings/highlight.py)."""
        return self.highlighter.highlight(query, hits, dense_limit=dense_limit, urgent=urgent)

    def known_best_sentence(self, query: str, passage_id: int) -> tuple[int, int] | None:
        """The sentence the model chose earlier for this query and passage, if it did."""
        return self.highlighter.known(query, passage_id)

    def neighbours(self, passage_id: int, before: int = 1, after: int = 1) -> list[int]:
        """Ids of the passages around `passage_id` in the same document, in order."""
        doc = self.index.document_of(passage_id)
        lo = max(doc.first, passage_id - before)
        hi = min(doc.first + doc.count - 1, passage_id + after)
        return list(range(lo, hi + 1))
