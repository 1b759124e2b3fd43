"""Answer quality on the labelled queries: recall@5 and MRR@10 per corpus for BM25 alone,
dense alone and the engine, plus bare headings in the top 5, the relevance floor on
off-topic and other-language queries, and warm query latency.

    PYTHONPATH=<code> python bench/quality.py --index DIR --corpus DIR --split dev \
        [--config FILE] [--save FILE]
    python bench/quality.py --compare A.json B.json
    python bench/quality.py --assign-splits        # give new queries a split (seeded)
    PYTHONPATH=<code> python bench/quality.py --verify-labels --corpus DIR

It uses only what today's code and the new engine both have (settings, `App`, the
searcher's `search`, `quote_from` and the `/quote` command), so the same file measures
an old build and a new one: put the code to measure first on PYTHONPATH. bench/QUERIES.md
defines the fields of the query file, the split and what counts as a hit.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
QUERIES = HERE / "queries.jsonl"
CORPORA = ("seeds", "manifesto", "news-from-nowhere", "devils-dictionary", "kjv")
SYSTEMS = ("bm25", "dense", "engine")
FLOOR_KINDS = ("offtopic", "foreign")  # no labelled answer: they measure the floor
SPLIT_SEED = 10  # issue 10; changing it would reshuffle every split
# dev: for choosing anything; test: for the figures reported; holdout: written after the
# test half had judged many variants, kept for the decisions still to come (QUERIES.md).
SPLITS = ("dev", "test", "holdout")
K_RECALL, K_MRR = 5, 10

# A passage that overlaps an answer without containing it (a window cut through the
# answer's sentence) counts when the longest run of words they share is this much of
# the answer, and at least this many words: "Jesus wept." must be contained.
OVERLAP_FRACTION = 0.6
OVERLAP_MIN_WORDS = 5

HEADING_MAX_WORDS = 15
_ENUMERATOR = re.compile(r"^(?:[0-9]+|[IVXLC]+)\.\s+")
_SENTENCE_PUNCT = re.compile(r"[.!?;,]")
_LETTER = re.compile(r"[^\W\d_]")


# -- the query file -------------------------------------------------------------------------


def load_queries(path: Path = QUERIES) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def corpus_of(source: str) -> str:
    """The corpus a source file belongs to, as the table names it."""
    if source.startswith("seeds/"):
        return "seeds"
    if "/kjv/" in source:
        return "kjv"
    for name in CORPORA:
        if name in source:
            return name
    return "none"


def is_labelled(q: dict[str, Any]) -> bool:
    return q["kind"] not in FLOOR_KINDS


def stratum(q: dict[str, Any]) -> str:
    """Queries are split within their corpus (floor queries within their kind) ..."""
    return corpus_of(q["source"]) if is_labelled(q) else q["kind"]


def substratum(q: dict[str, Any]) -> str:
    """... and balanced as far as possible within its kind there."""
    if q["kind"] == "foreign":
        return "translating" if q.get("related") else "unrelated"
    return str(q["kind"])


def assign_splits(queries: list[dict[str, Any]], seed: int = SPLIT_SEED) -> list[dict[str, Any]]:
    """Give every query without a `split` one, keeping the splits already given.

    Within each stratum the new queries are taken kind by kind, shuffled within a kind by a
    generator seeded with the seed and the stratum, and each goes to the half with fewer
    queries of the stratum so far, else to the half with fewer of its kind there, else
    (a tie) to the half whose turn it is (alternating from a seeded start). On a file
    without splits this halves every corpus (±1) and every kind within it (±1); after
    queries are appended it balances them without moving the old ones.
    """
    out = [dict(q) for q in queries]
    by_stratum: dict[str, list[dict[str, Any]]] = {}
    for q in out:
        by_stratum.setdefault(stratum(q), []).append(q)
    for name in sorted(by_stratum):
        members = by_stratum[name]
        counts = Counter(q["split"] for q in members if q.get("split"))
        kinds = Counter((substratum(q), q["split"]) for q in members if q.get("split"))
        rng = random.Random(f"{seed}:{name}")
        new: list[dict[str, Any]] = []
        for kind in sorted({substratum(q) for q in members if not q.get("split")}):
            group = sorted(
                (q for q in members if not q.get("split") and substratum(q) == kind),
                key=lambda q: q["id"],
            )
            rng.shuffle(group)
            new += group
        turn = rng.choice(("dev", "test"))
        for q in new:
            kind = substratum(q)
            if counts["dev"] != counts["test"]:
                q["split"] = "dev" if counts["dev"] < counts["test"] else "test"
            elif kinds[kind, "dev"] != kinds[kind, "test"]:
                q["split"] = "dev" if kinds[kind, "dev"] < kinds[kind, "test"] else "test"
            else:
                q["split"] = turn
                turn = "test" if turn == "dev" else "dev"
            counts[q["split"]] += 1
            kinds[kind, q["split"]] += 1
    return out


def write_queries(queries: list[dict[str, Any]], path: Path) -> None:
    lines = [json.dumps(q, ensure_ascii=False) for q in queries]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def select(queries: list[dict[str, Any]], split: str) -> list[dict[str, Any]]:
    if split == "all":
        return list(queries)
    missing = [q["id"] for q in queries if q.get("split") not in SPLITS]
    if missing:
        raise SystemExit(f"queries without a split: {missing[:5]}; run --assign-splits")
    return [q for q in queries if q["split"] == split]


# -- relevance and headings ----------------------------------------------------------------


def norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def matches(text: str, answers: Iterable[str]) -> bool:
    """A returned text is a hit when it contains an answer (whitespace and case
    normalised), or shares with it a run of words covering OVERLAP_FRACTION of the answer
    and at least OVERLAP_MIN_WORDS words (a passage or window that cuts the answer)."""
    t = norm(text)
    twords: list[str] | None = None
    for answer in answers:
        a = norm(answer)
        if a in t:
            return True
        awords = a.split()
        need = max(OVERLAP_MIN_WORDS, OVERLAP_FRACTION * len(awords))
        if len(awords) < need:
            continue
        if twords is None:
            twords = t.split()
        m = SequenceMatcher(None, awords, twords, autojunk=False).find_longest_match(
            0, len(awords), 0, len(twords)
        )
        if m.size >= need:
            return True
    return False


def is_bare_heading(text: str, section: str = "") -> bool:
    """A result that is nothing but a heading: its text is its own section name, or it is
    one line of at most HEADING_MAX_WORDS words with a letter, no sentence punctuation
    (. ! ? ; ,) once a leading "1." or "IV." is set aside, and no colon at its end (a verse
    cut before its second half, "…by the hands of Paul:", is a fragment, not a heading).
    That is how plain-text headings (MIM's "Examples of connections MIM did not make") and
    the Devil's Dictionary's attribution lines ("Jamrach Holobom") look when they stand
    alone."""
    t = " ".join(text.split())
    if not t:
        return False
    if section and t.casefold() == " ".join(section.split()).casefold():
        return True
    if "\n" in text.strip() or len(t.split()) > HEADING_MAX_WORDS:
        return False
    body = _ENUMERATOR.sub("", t)
    return bool(_LETTER.search(body)) and not _SENTENCE_PUNCT.search(body) and t[-1] != ":"


def verify_labels(queries: list[dict[str, Any]], corpus: Path) -> list[str]:
    """Problems with the labels, checked against the corpus as the code on PYTHONPATH
    reads it (one block per paragraph or verse): an answer found in no block, or one
    whose blocks do not include the query's `source` (parallel KJV verses may live in
    other books; `note` says so)."""
    from embeddings.ingest import discover, read_document

    files, _ = discover(corpus)
    blocks: list[tuple[str, str]] = []
    for f in files:
        doc = read_document(f, corpus)
        blocks += [(doc.source, norm(b.text)) for b in doc.blocks]
    problems = []
    for q in queries:
        for answer in [*q["answers"], *q.get("related", [])]:
            a = norm(answer)
            where = {src for src, text in blocks if a in text}
            if not where:
                problems.append(f"{q['id']}: not in the corpus: {answer!r}")
            elif q["source"] not in where and corpus_of(q["source"]) != "kjv":
                problems.append(f"{q['id']}: found only in {sorted(where)}: {answer!r}")
            elif corpus_of(q["source"]) != "kjv" and len(where) > 1:
                problems.append(f"{q['id']}: in several works {sorted(where)}: {answer!r}")
    return problems


# -- metrics -------------------------------------------------------------------------------


@dataclass
class Result:
    """One system's top results for one query."""

    texts: list[str]
    sections: list[str]
    sources: list[str]
    # The engine's first result: its fused score and cosine, to study the floor with.
    top: dict[str, float] = field(default_factory=dict)

    def rank(self, answers: Sequence[str]) -> int | None:
        """1-based rank of the first hit in the top K_MRR (None: none)."""
        for i, text in enumerate(self.texts[:K_MRR]):
            if matches(text, answers):
                return i + 1
        return None

    def headings(self) -> list[str]:
        return [
            t
            for t, s in zip(self.texts[:K_RECALL], self.sections[:K_RECALL], strict=False)
            if is_bare_heading(t, s)
        ]


@dataclass
class Scores:
    n: int = 0
    hits: int = 0
    rr: float = 0.0
    headings: int = 0

    def add(self, rank: int | None, headings: int) -> None:
        self.n += 1
        self.hits += rank is not None and rank <= K_RECALL
        self.rr += 1.0 / rank if rank else 0.0
        self.headings += headings

    @property
    def recall(self) -> float:
        return self.hits / self.n if self.n else 0.0

    @property
    def mrr(self) -> float:
        return self.rr / self.n if self.n else 0.0


ORIGINAL = 75  # q1-q75: the set bench/RESULTS.md measured before issue 10
KINDS = ("paraphrase", "question", "quote", "keyword")


def groups_of(qid: str, rec: dict[str, Any], by: str) -> tuple[str, ...]:
    """The table columns a query counts in: its corpus and "all", or (by kind) its kind,
    and "q1-q75" for the original queries."""
    if by == "corpus":
        return (rec["corpus"], "all")
    original = ("q1-q75",) if int(qid.lstrip("q") or 0) <= ORIGINAL else ()
    return (rec["kind"], *original)


def score_table(
    records: dict[str, dict[str, Any]], systems: Sequence[str], by: str = "corpus"
) -> dict[str, Any]:
    """recall@5, MRR@10 and bare headings in the top 5, per system and corpus (or kind)."""
    table: dict[str, dict[str, Scores]] = {s: {} for s in systems}
    for qid, rec in records.items():
        if not is_labelled(rec):
            continue
        for s in systems:
            run = rec["systems"].get(s)
            if run is None:
                continue
            for group in groups_of(qid, rec, by):
                table[s].setdefault(group, Scores()).add(run["rank"], len(run["headings"]))
    return {
        s: {
            g: {"n": v.n, "recall@5": v.recall, "mrr@10": v.mrr, "headings": v.headings}
            for g, v in groups.items()
        }
        for s, groups in table.items()
    }


def render_table(table: dict[str, Any], groups: Sequence[str] = (*CORPORA, "all")) -> str:
    lines = [
        "| system | metric | " + " | ".join(groups) + " |",
        "| --- | --- | " + " | ".join("---:" for _ in groups) + " |",
    ]
    for system, by_group in table.items():
        for metric, fmt in (("recall@5", "{:.3f}"), ("mrr@10", "{:.3f}"), ("headings", "{}")):
            cells = [fmt.format(by_group[g][metric]) if g in by_group else "–" for g in groups]
            lines.append(f"| {system} | {metric} | " + " | ".join(cells) + " |")
    counts = [str(table[next(iter(table))].get(g, {}).get("n", 0)) for g in groups]
    lines.append("| (queries) | n | " + " | ".join(counts) + " |")
    return "\n".join(lines)


# -- running the code under test -----------------------------------------------------------


@dataclass
class Runner:
    """The code on PYTHONPATH, loaded through its own settings and `App`."""

    app: Any
    searcher: Any = field(init=False)

    def __post_init__(self) -> None:
        self.app.index.load()
        self.searcher = self.app.index.searcher

    @classmethod
    def start(cls, index: Path, corpus: Path, config: Path | None) -> Runner:
        from bot.app import App
        from bot.settings import load_settings

        settings = load_settings(config, env=os.environ).with_paths(corpus=corpus, index=index)
        try:
            return cls(App(settings))
        except Exception as exc:  # the code under test says why (old format, other model ...)
            from bot.messages import describe
            from embeddings.errors import QuotebotError

            why = describe(exc) if isinstance(exc, QuotebotError) else str(exc)
            raise SystemExit(f"cannot load the index {index}: {why}") from exc

    def describe(self) -> dict[str, Any]:
        import bot

        data = self.searcher.index
        return {
            "code": str(Path(bot.__file__).resolve().parents[1]),
            "index": str(self.app.settings.index),
            "passages": len(data.passages),
            "model": data.manifest.model,
            "search": repr(self.app.settings.search),
        }

    def _results(self, ids: Iterable[int]) -> Result:
        passages = self.searcher.index.passages
        res = Result([], [], [])
        for i in ids:
            p = passages[int(i)]
            res.texts.append(p.text)
            res.sections.append(p.section)
            res.sources.append(p.source)
        return res

    def _dedupe(self, order: Iterable[int]) -> list[int]:
        """One result per paragraph and per identical text, as the engine shows them."""
        passages = self.searcher.index.passages
        seen: set[Any] = set()
        out: list[int] = []
        for i in order:
            p = passages[int(i)]
            keys = {("block", p.source, p.block), ("text", p.text)}
            if keys & seen:
                continue
            seen |= keys
            out.append(int(i))
            if len(out) >= K_MRR:
                break
        return out

    def bm25(self, query: str) -> Result:
        import numpy as np

        from embeddings.sparse import terms

        scores = self.searcher.index.sparse.scores(terms(self.searcher.prepare(query)))
        nonzero = np.flatnonzero(scores > 0)
        order = nonzero[np.argsort(-scores[nonzero], kind="stable")][: K_MRR * 20]
        return self._results(self._dedupe(order))

    def dense(self, query: str) -> Result:
        import numpy as np

        qvec = self.searcher.embeddings.get(self.searcher.prepare(query))
        sims = self.searcher.index.vectors @ qvec
        n = min(K_MRR * 20, len(sims))
        top = np.argpartition(-sims, n - 1)[:n]
        return self._results(self._dedupe(top[np.argsort(-sims[top], kind="stable")]))

    def engine(self, query: str) -> Result:
        """The engine's ranking as a reader can reach it: the hits above the relevance
        floor, then the weak ones below it, each turned into the quote it would show."""
        from bot.commands.results import quote_from

        result = self.searcher.search(query, k=K_MRR)
        res = Result([], [], [])
        first = [*result.hits, *result.weak][:1]
        if first:
            res.top = {
                key: round(float(getattr(first[0], key)), 4)
                for key in ("score", "cosine")
                if isinstance(getattr(first[0], key, None), float)
            }
        seen: set[str] = set()
        for hit in [*result.hits, *result.weak]:
            quote = quote_from(self.searcher, hit)
            if quote.text in seen:
                continue
            seen.add(quote.text)
            res.texts.append(quote.text)
            res.sections.append(quote.section)
            res.sources.append(quote.source)
        res.texts, res.sections, res.sources = (
            res.texts[:K_MRR],
            res.sections[:K_MRR],
            res.sources[:K_MRR],
        )
        return res

    def ask(self, query: str) -> tuple[float, bool]:
        """One /quote as a reader asks it (default count): milliseconds, and whether the
        answer was "no good match"."""
        from bot.commands.quote import QuoteRequest, quote

        t0 = time.perf_counter()
        answer = quote(self.app, QuoteRequest(query=query))
        return (time.perf_counter() - t0) * 1000, not answer.quotes

    def encode(self, query: str) -> float:
        """Milliseconds for the bare model to encode the query: the yardstick the /quote
        time is divided by, so runs on a busy shared machine stay comparable."""
        t0 = time.perf_counter()
        self.app.encoder.encode_queries([query])
        return (time.perf_counter() - t0) * 1000


WARM_UP = (
    "what the working class should do",
    "a short definition of friendship",
    "the sermon on the mount",
    "life without money in the future",
    "small socialist groups",
)


def measure(runner: Runner, queries: list[dict[str, Any]]) -> dict[str, Any]:
    """Latency and floor first, in a fresh process (nothing cached yet), then rankings."""
    for w in WARM_UP:
        runner.ask(w)
    records: dict[str, dict[str, Any]] = {}
    latencies, encodes = [], []
    for q in queries:
        encodes.append(runner.encode(q["query"]))  # interleaved: both see the same load
        ms, none = runner.ask(q["query"])
        latencies.append(ms)
        records[q["id"]] = {
            "query": q["query"],
            "kind": q["kind"],
            "split": q.get("split", ""),
            "corpus": corpus_of(q.get("source", "")),
            "no_good_match": none,
            "latency_ms": round(ms, 2),
            "systems": {},
        }
    systems: dict[str, Callable[[str], Result]] = {
        "bm25": runner.bm25,
        "dense": runner.dense,
        "engine": runner.engine,
    }
    for q in queries:
        answers = q["answers"] or q.get("related", [])
        for name, fn in systems.items():
            res = fn(q["query"])
            rank = res.rank(answers) if answers else None
            records[q["id"]]["systems"][name] = {
                "rank": rank,
                **({"first": res.top} if res.top else {}),
                "headings": res.headings(),
                "top": [
                    {"source": s, "section": sec, "text": t[:160]}
                    for t, sec, s in zip(
                        res.texts[:K_RECALL], res.sections, res.sources, strict=False
                    )
                ],
            }
    latencies.sort()
    p50 = statistics.median(latencies) if latencies else 0.0
    encode_p50 = statistics.median(encodes) if encodes else 0.0
    return {
        "records": records,
        "latency_ms": {
            "p50": p50,
            "p95": latencies[int(0.95 * (len(latencies) - 1))] if latencies else 0.0,
            "encode_p50": encode_p50,
            "ratio_to_encode_p50": p50 / encode_p50 if encode_p50 else 0.0,
            "n": len(latencies),
        },
    }


def floor_summary(records: dict[str, dict[str, Any]], queries: list[dict[str, Any]]) -> str:
    by_id = {q["id"]: q for q in queries}
    groups: dict[str, list[bool]] = {}
    related_hits: list[bool] = []
    for qid, rec in records.items():
        q = by_id[qid]
        if q["kind"] == "offtopic":
            groups.setdefault("off-topic", []).append(rec["no_good_match"])
        elif q["kind"] == "foreign":
            key = "foreign, translating a corpus passage" if q.get("related") else "foreign"
            groups.setdefault(key, []).append(rec["no_good_match"])
            if q.get("related"):
                rank = rec["systems"]["engine"]["rank"]
                related_hits.append(rank is not None and rank <= K_RECALL)
        else:
            groups.setdefault("labelled (should be answered)", []).append(rec["no_good_match"])
    lines = ['"no good match" (the /quote command, default count):']
    for name, values in groups.items():
        lines.append(f"  {name}: {sum(values)}/{len(values)} = {sum(values) / len(values):.2f}")
    cosines: dict[str, list[float]] = {}
    for qid, rec in records.items():
        first = rec["systems"]["engine"].get("first", {})
        if "cosine" in first:
            q = by_id[qid]
            kind = "labelled" if is_labelled(q) else q["kind"]
            if q["kind"] == "foreign":
                kind += " (translating)" if q.get("related") else " (unrelated)"
            cosines.setdefault(kind, []).append(first["cosine"])
    if cosines:
        lines.append("  cosine of the engine's first result, quartiles (min q1 median q3 max):")
        for kind, cos in sorted(cosines.items()):
            # inclusive: with two or three cosines the default (exclusive) method puts the
            # quartiles outside the least and greatest.
            quarts = statistics.quantiles(cos, n=4, method="inclusive") if len(cos) > 1 else cos * 3
            cells = " ".join(f"{v:.3f}" for v in (min(cos), *quarts, max(cos)))
            lines.append(f"    {kind}: {cells}  (n={len(cos)})")
    if related_hits:
        lines.append(
            f"  foreign translations whose passage is in the engine's top 5: "
            f"{sum(related_hits)}/{len(related_hits)}"
        )
    return "\n".join(lines)


def heading_list(records: dict[str, dict[str, Any]]) -> str:
    found = Counter(
        (system, text)
        for rec in records.values()
        for system, run in rec["systems"].items()
        for text in run["headings"]
    )
    if not found:
        return "bare headings in any top 5: none"
    lines = ["bare headings in top 5s, floor queries included (system, count, text):"]
    for (system, text), n in found.most_common(15):
        lines.append(f"  {system:6} {n:3}  {text[:80]!r}")
    return "\n".join(lines)


# -- comparing two runs --------------------------------------------------------------------


def bootstrap_interval(
    values: Sequence[float], *, seed: str, rounds: int = 2000, level: float = 0.95
) -> tuple[float, float]:
    """The central `level` interval of the mean of `values` resampled with replacement:
    how far a per-corpus difference could move with other queries of the same kind."""
    if not values:
        return 0.0, 0.0
    rng = random.Random(seed)
    n = len(values)
    means = sorted(sum(rng.choices(values, k=n)) / n for _ in range(rounds))
    tail = (1 - level) / 2
    return means[int(tail * (rounds - 1))], means[int((1 - tail) * (rounds - 1))]


def compare(a: dict[str, Any], b: dict[str, Any], system: str = "engine") -> str:
    """Per query, B against A: a win when B's reciprocal rank (top 10) is higher."""

    def rr(rec: dict[str, Any]) -> float:
        rank = rec["systems"][system]["rank"]
        return 1.0 / rank if rank else 0.0

    def hit5(rec: dict[str, Any]) -> float:
        rank = rec["systems"][system]["rank"]
        return 1.0 if rank is not None and rank <= K_RECALL else 0.0

    common = [q for q in a["records"] if q in b["records"] and is_labelled(a["records"][q])]
    per: dict[str, Counter[str]] = {}
    deltas: dict[str, list[tuple[float, float]]] = {}  # (Δ hit@5, Δ RR) per query
    changed = []
    for qid in common:
        ra, rb = rr(a["records"][qid]), rr(b["records"][qid])
        outcome = "win" if rb > ra else "loss" if rb < ra else "tie"
        delta = (hit5(b["records"][qid]) - hit5(a["records"][qid]), rb - ra)
        for group in (a["records"][qid]["corpus"], "all"):
            per.setdefault(group, Counter())[outcome] += 1
            deltas.setdefault(group, []).append(delta)
        if outcome != "tie":
            ranks = (
                a["records"][qid]["systems"][system]["rank"],
                b["records"][qid]["systems"][system]["rank"],
            )
            changed.append((outcome, qid, ranks, a["records"][qid]["query"]))
    lines = [
        f"{system}: B against A, {len(common)} labelled queries in both "
        "(Δ = B − A; 95 % interval: paired bootstrap over the queries)",
        "| corpus | wins | losses | ties | Δ recall@5 | 95 % | Δ MRR@10 | 95 % |",
        "| --- | ---: | ---: | ---: | ---: | --- | ---: | --- |",
    ]
    for group in [*CORPORA, "all"]:
        c = per.get(group)
        if c:
            d = deltas[group]
            cells = []
            for j in (0, 1):
                values = [x[j] for x in d]
                lo, hi = bootstrap_interval(values, seed=f"{system}:{group}:{j}")
                cells += [f"{sum(values) / len(values):+.3f}", f"[{lo:+.3f}, {hi:+.3f}]"]
            lines.append(
                f"| {group} | {c['win']} | {c['loss']} | {c['tie']} | " + " | ".join(cells) + " |"
            )
    lines.append("")
    for outcome, qid, (ra_, rb_), query in sorted(changed):
        lines.append(f"{outcome:4} {qid:5} rank {ra_} -> {rb_}  {query}")
    floor_changes = [
        (qid, a["records"][qid]["no_good_match"], b["records"][qid]["no_good_match"])
        for qid in a["records"]
        if qid in b["records"]
        and not is_labelled(a["records"][qid])
        and a["records"][qid]["no_good_match"] != b["records"][qid]["no_good_match"]
    ]
    for qid, na, nb in floor_changes:
        lines.append(f"floor {qid}: no good match {na} -> {nb}  {a['records'][qid]['query']}")
    return "\n".join(lines)


# -- command line --------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path)
    parser.add_argument("--corpus", type=Path)
    parser.add_argument("--config", type=Path, help="a settings file (default: the code's own)")
    parser.add_argument("--queries", type=Path, default=QUERIES)
    parser.add_argument("--split", choices=(*SPLITS, "all"), default="dev")
    parser.add_argument("--save", type=Path, help="write every query's results here (JSON)")
    parser.add_argument("--compare", nargs=2, type=Path, metavar=("A", "B"))
    parser.add_argument("--assign-splits", action="store_true")
    parser.add_argument("--verify-labels", action="store_true", help="check answers in --corpus")
    args = parser.parse_args(argv)

    if args.compare:
        a, b = (json.loads(p.read_text()) for p in args.compare)
        for system in SYSTEMS:
            print(compare(a, b, system), end="\n\n")
        return
    if args.assign_splits:
        queries = assign_splits(load_queries(args.queries))
        write_queries(queries, args.queries)
        print(Counter((stratum(q), q["split"]) for q in queries))
        return
    if args.verify_labels:
        if not args.corpus:
            parser.error("--verify-labels needs --corpus")
        queries = load_queries(args.queries)
        problems = verify_labels(queries, args.corpus)
        print("\n".join(problems) or f"all answers of {len(queries)} queries found")
        sys.exit(1 if problems else 0)
    if not (args.index and args.corpus):
        parser.error("--index and --corpus are needed (or --compare / --assign-splits)")

    queries = select(load_queries(args.queries), args.split)
    runner = Runner.start(args.index, args.corpus, args.config)
    t0 = time.perf_counter()
    out = measure(runner, queries)
    table = score_table(out["records"], SYSTEMS)
    kinds = score_table(out["records"], SYSTEMS, by="kind")
    out.update(
        meta={
            **runner.describe(),
            "split": args.split,
            "queries": len(queries),
            "seconds": round(time.perf_counter() - t0, 1),
        },
        table=table,
        by_kind=kinds,
    )
    print(f"{out['meta']}\n")
    print(render_table(table))
    print("\nBy kind of query (and the original 75):\n")
    print(render_table(kinds, (*KINDS, "q1-q75")))
    print()
    print(floor_summary(out["records"], queries))
    print(heading_list(out["records"]))
    lat = out["latency_ms"]
    print(
        f"warm /quote latency, one at a time: p50 {lat['p50']:.1f} ms, "
        f"p95 {lat['p95']:.1f} ms (n={lat['n']}); bare encode p50 {lat['encode_p50']:.1f} ms, "
        f"/quote p50 = {lat['ratio_to_encode_p50']:.1f}x encode"
    )
    if args.save:
        args.save.write_text(json.dumps(out, indent=1, ensure_ascii=False))
        print(f"saved {args.save}")


if __name__ == "__main__":
    main()
