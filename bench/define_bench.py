"""/define benchmark over the shared corpora (The Devil's Dictionary among 71 documents).

    .venv/bin/python -m bench.define_bench [--corpora ../shared/corpora] [--index DIR] [--write]

Indexes a copy of the corpora (or reuses `--index`, built from such a copy, when it is up
to date), then measures:

- for every headword of The Devil's Dictionary, whether `define WORD` (the command the
  bot and the CLI run, with the term's vector) returns WORD's own entry first; WORD is
  the headword's first form ("BABE or BABY" -> "BABE"), and every other form is checked
  too; the figure, the misses and the latency of each answer;
- completion latency, p50 and p99, over a few hundred prefixes of known terms (1 to 8
  characters) and misspellings of them, after one warm-up call;
- what the four seed-corpus terms return first with the whole corpus indexed;
- the vocabulary's size and the seconds it adds to a reindex.

Prints Markdown; with --write, also replaces the "## /define" section of bench/RESULTS.md
(other sections are left as they are). Raw figures go to bench/out/define.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from bench.run import DEFAULT_CORPORA, ROOT, prepare_corpus

DICTIONARY = "gutenberg/devils-dictionary.txt"
SEED_TERMS = ("sectarianism", "sect", "sect-socialist", "working-class party")
SECTION = "## /define"
KINDS = {"defined": "defined terms", "headword": "headwords", "phrase": "key phrases"}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def headword_entries(index: Any) -> dict[str, set[int]]:
    """Each headword of the dictionary and the passages that hold its entry."""
    from embeddings.define.entries import dictionary_entries

    entries: dict[str, set[int]] = {}
    for pid, _, _, headword in dictionary_entries(index.passages):
        if index.passages[pid].source == DICTIONARY:
            entries.setdefault(headword, set()).add(pid)
    return entries


def dictionary_figure(app: Any) -> dict[str, Any]:
    from bot.commands.define import define
    from embeddings.define.entries import headword_forms

    index = app.index.searcher.index
    entries = headword_entries(index)
    first_forms, other_forms = 0, 0
    first_hits, other_hits = 0, 0
    misses: list[dict[str, str]] = []
    latencies: list[float] = []
    encodings: list[float] = []
    for headword, pids in sorted(entries.items()):
        for n, form in enumerate(headword_forms(headword)):
            # The term's vector first, timed apart: the model's share is not /define's.
            started = time.perf_counter()
            app.index.searcher.embeddings.get(form)
            encodings.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            answer = define(app, form, 3)
            latencies.append((time.perf_counter() - started) * 1000)
            hit = bool(answer.quotes) and answer.quotes[0].passage_id in pids
            if n == 0:
                first_forms += 1
                first_hits += hit
            else:
                other_forms += 1
                other_hits += hit
            if not hit:
                top = answer.quotes[0] if answer.quotes else None
                misses.append(
                    {
                        "headword": headword,
                        "asked": form,
                        "first": f"{top.source}: {' '.join(top.text.split())[:90]}" if top else "",
                        "label": top.label if top else "",
                    }
                )
    return {
        "headwords": first_forms,
        "entry_first": first_hits,
        "figure": first_hits / first_forms,
        "other_forms": other_forms,
        "other_forms_entry_first": other_hits,
        "misses": misses,
        "latency_ms": {
            "p50": statistics.median(latencies),
            "p99": percentile(latencies, 0.99),
            "max": max(latencies),
        },
        "encode_ms": {"p50": statistics.median(encodings), "p99": percentile(encodings, 0.99)},
    }


def completion_prefixes(terms: list[str], n: int, seed: int = 13) -> list[str]:
    """Prefixes of known terms (1-8 characters) and, for one in four, a misspelling."""
    rng = random.Random(seed)
    out = []
    for text in rng.sample(terms, min(n, len(terms))):
        prefix = text[: rng.randint(1, min(8, len(text)))]
        if len(prefix) >= 4 and rng.random() < 0.25:
            i = rng.randrange(len(prefix))
            prefix = prefix[:i] + rng.choice("aeioustr") + prefix[i + 1 :]
        out.append(prefix)
    return out


def completion_latency(app: Any, prefixes: list[str]) -> dict[str, Any]:
    from bot.commands.define import complete
    from embeddings.vocabulary import Vocabulary, vocabulary_of

    # The sorted keys are built once per loaded index, by the first /define or completion.
    in_use = vocabulary_of(app.index.searcher.index)
    started = time.perf_counter()
    Vocabulary(list(in_use.terms), list(in_use.sources)).warm()
    first_ms = (time.perf_counter() - started) * 1000
    latencies, most = [], 0
    for prefix in prefixes:
        started = time.perf_counter()
        found = complete(app, prefix)
        latencies.append((time.perf_counter() - started) * 1000)
        most = max(most, len(found))
    return {
        "prefixes": len(prefixes),
        "p50": statistics.median(latencies),
        "p99": percentile(latencies, 0.99),
        "max": max(latencies),
        "most_suggestions": most,
        "first_call_ms": first_ms,
    }


def seed_terms(app: Any) -> list[dict[str, str]]:
    from bot.commands.define import define

    out = []
    for term in SEED_TERMS:
        top = define(app, term, 3).quotes[0]
        shown = top.highlighted or top.text
        out.append(
            {
                "term": term,
                "label": top.label,
                "author": top.author,
                "source": top.source,
                "section": top.section,
                "first": " ".join(shown.split())[:110],
            }
        )
    return out


def vocabulary_cost(app: Any) -> dict[str, Any]:
    from embeddings.vocabulary import build_vocabulary, vocabulary_of

    index = app.index.searcher.index
    started = time.perf_counter()
    built = build_vocabulary(index.passages, {d.source: d.footnotes for d in index.documents})
    seconds = time.perf_counter() - started
    kinds: dict[str, int] = {}
    for t in built.terms:
        kinds[t.kind] = kinds.get(t.kind, 0) + 1
    return {
        "terms": len(built),
        "kinds": kinds,
        "build_seconds": seconds,
        "stored_with_index": len(index.vocabulary) > 0,
        "in_use": len(vocabulary_of(index)),
        "terms_list": [t.text for t in built.terms],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    parser.add_argument("--index", type=Path, help="reuse (or keep) the index in this folder")
    parser.add_argument("--prefixes", type=int, default=300)
    parser.add_argument("--write", action="store_true", help="update bench/RESULTS.md")
    args = parser.parse_args()

    from bot.app import App
    from bot.settings import load_settings
    from embeddings.build import reindex
    from embeddings.encoder import Encoder

    work = Path(tempfile.mkdtemp(prefix="quotebot-define-"))
    corpus = prepare_corpus(args.corpora, work / "corpus")
    index_dir = args.index or work / "index"
    encoder = Encoder("all-MiniLM-L6-v2")
    started = time.perf_counter()
    report = reindex(corpus, index_dir, encoder)
    results: dict[str, Any] = {
        "command": " ".join([".venv/bin/python -m bench.define_bench", *sys.argv[1:]]),
        "machine": {"cpus": os.cpu_count(), "load_average": os.getloadavg()},
        "index": {
            "documents": report.documents,
            "passages": report.passages,
            "reused_index": report.up_to_date,
            "reindex_seconds": time.perf_counter() - started,
        },
    }
    settings = replace(load_settings(env={}), corpus=corpus, index=index_dir)
    app = App(settings, encoder)
    app.index.load()
    app.index.searcher.embeddings.get("warm up")

    results["vocabulary"] = vocabulary_cost(app)
    terms = results["vocabulary"].pop("terms_list")
    results["dictionary"] = dictionary_figure(app)
    results["completion_ms"] = completion_latency(app, completion_prefixes(terms, args.prefixes))
    results["seed_terms"] = seed_terms(app)

    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / "define.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
    text = render(results)
    print(text)
    if args.write:
        write_section(ROOT / "bench" / "RESULTS.md", text)
    if args.index is None:
        shutil.rmtree(work, ignore_errors=True)
    else:
        shutil.rmtree(corpus, ignore_errors=True)


def render(r: dict[str, Any]) -> str:
    d, c, v, ix = r["dictionary"], r["completion_ms"], r["vocabulary"], r["index"]
    load = ", ".join(f"{x:.1f}" for x in r["machine"]["load_average"])
    lines = [
        SECTION,
        "",
        f"Command: `{r['command']}` (`--index DIR`: build the index there, or reuse it when it"
        " is an up-to-date index of the same corpora; without it, a temporary index).",
        f"Corpus: `../shared/corpora`, {ix['documents']} documents, {ix['passages']:,} passages; "
        f"{r['machine']['cpus']} CPUs, load average {load} while measuring.",
        "",
        "| measure | value |",
        "| --- | --- |",
        f"| Devil's Dictionary: `define WORD` returns WORD's own entry first | "
        f"**{d['entry_first']} / {d['headwords']} = {d['figure']:.1%}** (target ≥ 98%) |",
        f'| ... other forms of multi-form headwords (BABY of "BABE or BABY") | '
        f"{d['other_forms_entry_first']} / {d['other_forms']} |",
        f"| `define` latency over those terms, term vector cached | "
        f"p50 {d['latency_ms']['p50']:.0f} ms, p99 {d['latency_ms']['p99']:.0f} ms, "
        f"max {d['latency_ms']['max']:.0f} ms |",
        f"| ... plus embedding the term (model, once per term) | "
        f"p50 {d['encode_ms']['p50']:.0f} ms, p99 {d['encode_ms']['p99']:.0f} ms |",
        f"| completion latency, {c['prefixes']} prefixes (a quarter misspelt) | "
        f"p50 {c['p50']:.2f} ms, p99 {c['p99']:.2f} ms, max {c['max']:.1f} ms; "
        f"at most {c['most_suggestions']} suggestions |",
        f"| completion: sorted keys, built once per loaded index | {c['first_call_ms']:.0f} ms |",
        f"| vocabulary | {v['terms']:,} terms ("
        + ", ".join(f"{n:,} {KINDS.get(k, k)}" for k, n in sorted(v["kinds"].items()))
        + f"); adds {v['build_seconds']:.1f} s to a reindex; "
        + ("stored with the index" if v["stored_with_index"] else "built at load (old index)")
        + " |",
        "",
    ]
    if d["misses"]:
        lines += ["Misses (what came first instead):", ""]
        lines += [
            f"- {m['headword']} (asked “{m['asked']}”): {m['label'] or 'nothing'} — {m['first']}"
            for m in d["misses"]
        ]
    else:
        lines.append("Misses: none.")
    lines += ["", "The seed-corpus terms with the whole corpus indexed (first result):", ""]
    lines += ["| term | first result | label |", "| --- | --- | --- |"]
    for s in r["seed_terms"]:
        where = ", ".join(p for p in (s["author"] or s["source"], s["section"]) if p)
        lines.append(f"| {s['term']} | {where}: “{s['first']}…” | {s['label']} |")
    return "\n".join(lines) + "\n"


def write_section(path: Path, section: str) -> None:
    """Replace our section (up to the next "## " heading) or append it."""
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    pattern = re.compile(rf"^{re.escape(SECTION)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _: section + "\n", text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text.rstrip("\n") + "\n")


if __name__ == "__main__":
    main()
