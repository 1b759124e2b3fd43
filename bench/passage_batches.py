"""Passages encoded per second by batch size, for texts of three lengths: how many passages
a reindex should put in one forward pass (`[model] batch_size`).

    .venv/bin/python -m bench.passage_batches --index /work/idx/new
    .venv/bin/python -m bench.passage_batches --index /work/idx/new --torch

Texts come from a built index, counted in word pieces and taken evenly from each length
band; each band is encoded in batches of each size as a reindex calls the model
(`Encoder.encode_batch`, texts of similar length together), the sizes in turn and in
reverse order on alternate rounds, so that a machine slowing down does not favour one.
The figure is the median over rounds. `--torch` keeps passages on torch (an encoder whose
model cache holds no ONNX export).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

# Word pieces: a KJV verse, a short paragraph, a passage cut at the model's limit.
BANDS = {"short (16-40)": (16, 40), "middle (60-120)": (60, 120), "long (200-254)": (200, 254)}


def band_texts(texts: Sequence[str], counts: Sequence[int], lo: int, hi: int, n: int) -> list[str]:
    """At most `n` texts of `lo`..`hi` word pieces, taken evenly across the band's lengths
    and sorted by length, as a reindex batches them."""
    inside = sorted((c, t) for c, t in zip(counts, texts, strict=True) if lo <= c <= hi)
    step = max(1, len(inside) // n)
    return [t for _, t in inside[::step]][:n]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, required=True, help="a built index folder")
    parser.add_argument("--texts", type=int, default=600, help="texts per band at most")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sizes", default="4,8,16,32,64", help="batch sizes, comma-separated")
    parser.add_argument("--torch", action="store_true", help="passages on torch, not ONNX")
    args = parser.parse_args()

    from embeddings import store
    from embeddings.encoder import DEFAULT_MODEL, Encoder

    sizes = [int(s) for s in args.sizes.split(",")]
    texts = [p.text for p in store.load(args.index).passages]
    no_export = Path(tempfile.mkdtemp(prefix="quotebot-no-export-")) if args.torch else None
    encoder = Encoder(DEFAULT_MODEL, cache_dir=no_export)
    encoder.warm_up()
    counts = encoder.count_tokens(texts)
    print(f"passages on {type(encoder.passage_backend).__name__}, {len(texts)} in the index")
    print("| length (word pieces) | texts | " + " | ".join(f"{b} a pass" for b in sizes) + " |")
    print("| --- | --- | " + " | ".join("---" for _ in sizes) + " |")
    for name, (lo, hi) in BANDS.items():
        band = band_texts(texts, counts, lo, hi, args.texts)
        rates: dict[int, list[float]] = {b: [] for b in sizes}
        for r in range(args.rounds):
            for b in sizes if r % 2 == 0 else sizes[::-1]:
                t0 = time.perf_counter()
                for i in range(0, len(band), b):
                    encoder.encode_batch(band[i : i + b])
                rates[b].append(len(band) / (time.perf_counter() - t0))
        cells = " | ".join(f"{statistics.median(rates[b]):.0f}/s" for b in sizes)
        print(f"| {name} | {len(band)} | {cells} |", flush=True)


if __name__ == "__main__":
    main()
