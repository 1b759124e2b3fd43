"""The query encoder's two passes on the same questions, alternating in one process: the
numpy BERT (one BLAS thread: what answers before torch is loaded) and the torch BERT
(what a long-running process moves its queries to once loaded).

    HF_HUB_OFFLINE=1 .venv/bin/python -m bench.query_backends [--rounds 4]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from bot.settings import load_settings
from embeddings.backends import EncoderBackend
from embeddings.encoder import Encoder

QUERIES = Path(__file__).resolve().parent / "queries.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    encoder = Encoder(load_settings().model)
    questions = [json.loads(line)["query"] for line in QUERIES.open()][:50]
    runs: dict[str, tuple[EncoderBackend, list[str]]] = {
        "numpy, 50 at once": (encoder.query_backend, questions),
        "torch, 50 at once": (encoder.passage_backend, questions),
        "numpy, one": (encoder.query_backend, questions[:1]),
        "torch, one": (encoder.passage_backend, questions[:1]),
    }
    for backend, texts in runs.values():
        backend.embed(texts[:2])  # first passes allocate
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(args.rounds):
        for name, (backend, texts) in runs.items():
            start = time.perf_counter()
            backend.embed(texts)
            times[name].append(time.perf_counter() - start)
    for name, seconds in times.items():
        shown = ", ".join(f"{1000 * s:.0f}" for s in seconds)
        print(f"{name}: median {1000 * statistics.median(seconds):.1f} ms ({shown})")


if __name__ == "__main__":
    main()
