"""Start-up costs, measured as whole processes.

    .venv/bin/python -m bench.startup --index DIR [--runs 3]

- `quotebot --help` (must not import torch);
- process start to the first answer: `quotebot quote QUERY --json` on a built index;
- the baseline in the same run: `python -c "import torch"` and the same with
  sentence_transformers, so a busy machine shows up in both.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def timed(cmd: list[str]) -> float:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, env=env)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    quotebot = str(BIN / "quotebot")
    cases = {
        "quotebot --help": [quotebot, "--help"],
        "python -c 'import torch' (baseline)": [sys.executable, "-c", "import torch"],
        "python -c 'import sentence_transformers' (baseline)": [
            sys.executable,
            "-c",
            "import sentence_transformers",
        ],
        "quotebot quote … --json: start to first answer": [
            quotebot,
            "quote",
            "what makes a group a sect?",
            "--json",
            "--index",
            str(args.index),
        ],
    }
    print("| process | median of runs |\n| --- | --- |")
    for name, cmd in cases.items():
        times = [timed(cmd) for _ in range(args.runs)]
        print(f"| {name} | {statistics.median(times):.2f} s |", flush=True)


if __name__ == "__main__":
    main()
