"""Explain and /compare: quality on a labelled set, and latency against /quote in the same run.

    .venv/bin/python -m bench.explain --index DIR [--corpus DIR] [--rounds 3] [--json FILE]

`--index` is an index of all of ../shared/corpora (copy one rather than build one: a build
takes about ten minutes). The labelled set is bench/explain_set.jsonl: 36 passages across
the six works, each with the footnotes whose markers it carries (or, for a footnote, the
passages that cite it), the terms the corpus defines that a reader would want explained
(any of them counts), and passages of other works on the same idea (none: "nothing close"
is the right answer). Rows are split dev / test: the compare floor is chosen on dev.

Reports, per split:
- footnote recall: expected footnotes and citing passages shown / expected (target 1.0);
- term precision@3: shown terms (at most three) that are among the labelled ones / shown,
  and how many passages show at least one labelled term;
- compare hit rate: passages with labelled counterparts where one of the (at most three)
  other works shown is a labelled one; and, for passages labelled "nothing close", how
  often nothing is shown;
- the compare floor swept on dev;
- explain p50 over the labelled passages, /compare p50 and /quote p50 over the labelled
  queries of bench/queries.jsonl, warm (one pass first), each call with the query-vector
  and answer caches emptied so every call encodes its query, as a new question does.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

HERE = Path(__file__).resolve().parent
SET = HERE / "explain_set.jsonl"
QUERIES = HERE / "queries.jsonl"
FLOORS = (0.0, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6)


def _norm(text: str) -> str:
    return " ".join(text.split())


def find_passage(index: Any, source: str, starts: str) -> int:
    """The passage of `source` that starts with `starts` (else the first holding it)."""
    doc = index.by_source[source]
    ids = range(doc.first, doc.first + doc.count)
    want = _norm(starts)
    for i in ids:
        if _norm(index.passages[i].text).startswith(want):
            return i
    for i in ids:
        if want in _norm(index.passages[i].text):
            return i
    raise SystemExit(f"bench/explain_set.jsonl: no passage of {source} holds {starts!r}")


def _term_key(term: str) -> str:
    from embeddings.tokens import key_of

    key = key_of(term)
    return key[:-1] if key.endswith("s") and not key.endswith("ss") else key


def timed(call: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    out = call()
    return out, (time.perf_counter() - start) * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--corpus", type=Path, default=None)
    parser.add_argument("--rounds", type=int, default=3, help="timed passes")
    parser.add_argument("--json", type=Path, default=None, help="write the raw figures here")
    parser.add_argument("--quality-only", action="store_true", help="no latency runs")
    parser.add_argument(
        "--terms-tried", type=int, default=None, help="try another explain.terms_tried"
    )
    args = parser.parse_args(argv)

    from bot.app import App
    from bot.commands.compare import CompareRequest, compare
    from bot.commands.explain import explain
    from bot.commands.quote import QuoteRequest, quote
    from bot.settings import load_settings
    from embeddings.explain import PassageRef

    settings = load_settings(env={}).with_paths(args.corpus or args.index, args.index)
    app = App(replace(settings, data=args.index.parent / "bench-explain-data"))
    app.index.load()
    live = app.live_for(None)
    searcher = live.searcher
    index = searcher.index
    rows = [json.loads(line) for line in SET.read_text(encoding="utf-8").splitlines() if line]
    queries = [json.loads(line)["query"] for line in QUERIES.read_text().splitlines() if line]

    params = app.settings.explain
    if args.terms_tried is not None:
        params = replace(params, terms_tried=args.terms_tried)
    loose = replace(params, compare_floor=0.0)
    results: list[dict[str, Any]] = []
    for row in rows:
        pid = find_passage(index, row["source"], row["starts"])
        ref = str(PassageRef.of(index.passages[pid]))
        found = explain(app, ref, params=loose)
        shown_notes = [n.marker for n in found.notes]
        cited = [c.passage_id for c in found.cited_by]
        want_cited = [find_passage(index, row["source"], s) for s in row["cited_by"]]
        want_cmp = {find_passage(index, c["source"], c["starts"]) for c in row["compare"]}
        terms = [t.term for t in found.terms]
        wanted_terms = {_term_key(t) for t in row["terms"]}
        results.append(
            {
                "id": row["id"],
                "split": row["split"],
                "ref": ref,
                "notes_expected": len(row["footnotes"]) + len(want_cited),
                "notes_found": sum(m in shown_notes for m in row["footnotes"])
                + sum(i in cited for i in want_cited),
                "terms": terms,
                "terms_right": [_term_key(t) in wanted_terms for t in terms],
                "compare_labelled": bool(want_cmp),
                "compare": [(q.passage_id, round(q.cosine, 4)) for q in found.others],
                "compare_right": [q.passage_id in want_cmp for q in found.others],
            }
        )

    def quality(split: str, floor: float) -> dict[str, Any]:
        chosen = [r for r in results if r["split"] == split or split == "all"]
        notes_expected = sum(r["notes_expected"] for r in chosen)
        shown = sum(len(r["terms"]) for r in chosen)
        right = sum(sum(r["terms_right"]) for r in chosen)
        labelled = [r for r in chosen if r["compare_labelled"]]
        nothing = [r for r in chosen if not r["compare_labelled"]]

        def kept(r: dict[str, Any]) -> list[bool]:
            pairs = zip(r["compare"], r["compare_right"], strict=True)
            return [ok for (_, c), ok in pairs if c >= floor]

        return {
            "passages": len(chosen),
            "footnote_recall": (
                sum(r["notes_found"] for r in chosen) / notes_expected if notes_expected else None
            ),
            "footnotes_expected": notes_expected,
            "term_precision_at_3": right / shown if shown else 0.0,
            "terms_shown": shown,
            "passages_with_a_right_term": sum(any(r["terms_right"]) for r in chosen),
            "compare_hit_rate": (
                sum(any(kept(r)) for r in labelled) / len(labelled) if labelled else None
            ),
            "compare_labelled": len(labelled),
            "nothing_close_right": sum(not kept(r) for r in nothing),
            "nothing_close": len(nothing),
        }

    floor = app.settings.explain.compare_floor
    report: dict[str, Any] = {
        "floor": floor,
        "sweep_dev": {str(f): quality("dev", f) for f in FLOORS},
        "dev": quality("dev", floor),
        "test": quality("test", floor),
        "all": quality("all", floor),
    }

    if args.quality_only:
        print(render(report))
        return 0

    # -- latency ------------------------------------------------------------------------
    refs = [r["ref"] for r in results]

    def fresh() -> None:
        live.answers.clear()
        searcher.embeddings.clear()

    def run_quote(q: str) -> Any:
        fresh()
        return quote(app, QuoteRequest(q))

    def run_compare(q: str) -> Any:
        fresh()
        return compare(app, CompareRequest(q))

    for q in queries[:5]:  # warm: the model, the /define index, the vocabulary
        run_quote(q)
        run_compare(q)
    for ref in refs[:3]:
        explain(app, ref)
    times: dict[str, list[float]] = {"quote": [], "compare": [], "explain": []}
    for _ in range(args.rounds):
        for q in queries:  # interleaved: the same machine load for both
            times["quote"].append(timed(partial(run_quote, q))[1])
            times["compare"].append(timed(partial(run_compare, q))[1])
        for ref in refs:
            times["explain"].append(timed(partial(explain, app, ref))[1])
    p50 = {k: statistics.median(v) for k, v in times.items()}
    report["p50_ms"] = {k: round(v, 1) for k, v in p50.items()}
    report["ratio_to_quote"] = {k: round(v / p50["quote"], 2) for k, v in p50.items()}
    report["calls"] = {k: len(v) for k, v in times.items()}
    report["passages_in_index"] = len(index.passages)
    print(render(report))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"report": report, "rows": results}, indent=1))
    return 0


def _f(value: Any) -> str:
    return "—" if value is None else f"{value:.2f}" if isinstance(value, float) else str(value)


def render(report: dict[str, Any]) -> str:
    lines = [
        f"Compare floor (passage-to-passage cosine): {report['floor']}",
        "",
        "| split | passages | footnote recall | term precision@3 (shown) | passages with a "
        "right term | compare hit rate (labelled) | nothing close, right |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for split in ("dev", "test", "all"):
        q = report[split]
        lines.append(
            f"| {split} | {q['passages']} | {_f(q['footnote_recall'])} "
            f"({q['footnotes_expected']}) | {_f(q['term_precision_at_3'])} ({q['terms_shown']})"
            f" | {q['passages_with_a_right_term']} | {_f(q['compare_hit_rate'])} "
            f"({q['compare_labelled']}) | {q['nothing_close_right']} of {q['nothing_close']} |"
        )
    lines += ["", "Compare floor swept on dev:", "", "| floor | hit rate | nothing close, right |"]
    lines.append("| --- | --- | --- |")
    for floor, q in report["sweep_dev"].items():
        lines.append(
            f"| {floor} | {_f(q['compare_hit_rate'])} | "
            f"{q['nothing_close_right']} of {q['nothing_close']} |"
        )
    if "p50_ms" not in report:
        return "\n".join(lines)
    p50, ratio = report["p50_ms"], report["ratio_to_quote"]
    lines += [
        "",
        f"Latency, warm, {report['passages_in_index']:,} passages ({report['calls']} calls):",
        "",
        "| command | p50 ms | / quote p50 |",
        "| --- | --- | --- |",
    ]
    for name in ("quote", "explain", "compare"):
        lines.append(f"| {name} | {p50[name]} | {ratio[name]} |")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
