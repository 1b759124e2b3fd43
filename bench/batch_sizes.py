"""What one forward pass costs per question, by batch size: the floor under a cold burst.

    .venv/bin/python -m bench.batch_sizes

Encodes the first N labelled questions (bench/queries.jsonl) in one `encode_queries` call
for several N, best of five, and prints the time per call and per question.
"""

from __future__ import annotations

import os
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")

SIZES = (1, 4, 8, 16, 32, 50, 64)


def main() -> None:
    from bench.load import labelled_queries
    from embeddings.encoder import Encoder

    encoder = Encoder("all-MiniLM-L6-v2")
    encoder.warm_up()
    questions = labelled_queries()
    print("| questions in one pass | ms per pass | ms per question |")
    print("| --- | --- | --- |")
    for n in SIZES:
        batch = questions[:n]
        best = float("inf")
        for _ in range(5):
            t0 = time.perf_counter()
            encoder.encode_queries(batch)
            best = min(best, (time.perf_counter() - t0) * 1000)
        print(f"| {len(batch)} | {best:.1f} | {best / len(batch):.2f} |")


if __name__ == "__main__":
    main()
