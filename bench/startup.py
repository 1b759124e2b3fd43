"""Start-up costs, measured as whole processes, as ratios to a baseline in the same run.

    .venv/bin/python -m bench.startup --index DIR [--corpus DIR] [--runs 5] [--json FILE]
        [--code DIR --code DIR ...]

- `python -c "import numpy"`: the baseline. On a busy machine everything slows down
  together, so the ratio to it is what compares across runs;
- `quotebot --help` (must not import torch);
- `quotebot quote QUERY --json` on a built index: process start to the first answer;
- `quotebot run`: process start to the gateway's READY, against the fake Discord in
  tests/fake_discord (started in this process; the bot loads the index and warms the
  model before it connects, so READY means ready to answer).

`--code` names checkouts of quotebot to measure side by side (default: this one), such
as main and a branch: before and after in one run. The cases take turns (one run of
each, then the next round), so a load that comes and goes hits all of them alike.
Medians are printed as Markdown.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUERY = "what makes a group a sect"
# The `quotebot` script, run from this checkout whatever the environment has installed.
QUOTEBOT = [sys.executable, "-c", "import sys\nfrom bot.cli import main\nsys.exit(main())"]
READY_TIMEOUT = 120.0


def environment(code: Path, **extra: str) -> dict[str, str]:
    path = os.pathsep.join(p for p in (str(code), os.environ.get("PYTHONPATH", "")) if p)
    return {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "PYTHONPATH": path,
        **extra,
    }


def timed(code: Path, cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, env=environment(code), cwd=code)
    return time.perf_counter() - t0


async def until_ready(code: Path, scope: list[str], work: Path) -> float:
    """Seconds from starting `quotebot run` to the fake Discord sending READY."""
    from bot.discord.runner import TEST_DISCORD_URL
    from tests.fake_discord import FAKE_TOKEN, FakeDiscord

    config = code / "config" / "settings.toml"
    args = ["run", "--config", str(config), *scope]
    async with FakeDiscord() as fake:
        env = environment(
            code,
            DISCORD_TOKEN=FAKE_TOKEN,
            QUOTEBOT_DATA=str(work / "data"),
            **{TEST_DISCORD_URL: fake.base_url},
        )
        log = work / "run.log"
        with open(log, "wb") as out:
            t0 = time.perf_counter()
            proc = subprocess.Popen(
                [*QUOTEBOT, *args], env=env, stdout=out, stderr=subprocess.STDOUT, cwd=work
            )
        try:
            while not fake.connected:
                if proc.poll() is not None:
                    raise RuntimeError(f"quotebot run exited:\n{log.read_text()[-2000:]}")
                if time.perf_counter() - t0 > READY_TIMEOUT:
                    raise RuntimeError(f"no READY in {READY_TIMEOUT} s:\n{log.read_text()[-2000:]}")
                await asyncio.sleep(0.005)
            return time.perf_counter() - t0
        finally:
            proc.send_signal(signal.SIGTERM)  # a clean disconnect, as `docker stop`
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--corpus", type=Path, help="the corpus the index was built from")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", type=Path, help="also write the timings here")
    parser.add_argument(
        "--code", type=Path, action="append", help="a quotebot checkout (default: this one)"
    )
    args = parser.parse_args()
    codes = [c.resolve() for c in args.code or [ROOT]]
    scope = ["--index", str(args.index.resolve())]
    if args.corpus:
        scope += ["--corpus", str(args.corpus.resolve())]
    baseline = "python -c 'import numpy' (baseline)"
    times: dict[str, list[float]] = {baseline: []}
    for _ in range(args.runs):
        times[baseline].append(timed(ROOT, [sys.executable, "-c", "import numpy"]))
        for code in codes:
            label = f" [{code.name}]" if len(codes) > 1 else ""
            cases = {
                "quotebot --help": [*QUOTEBOT, "--help"],
                "quotebot quote … --json: start to first answer": [
                    *QUOTEBOT,
                    "quote",
                    QUERY,
                    "--json",
                    *scope,
                ],
            }
            for name, cmd in cases.items():
                times.setdefault(name + label, []).append(timed(code, cmd))
            with tempfile.TemporaryDirectory() as work:
                ready = asyncio.run(until_ready(code, scope, Path(work)))
            times.setdefault("quotebot run: start to READY (fake Discord)" + label, []).append(
                ready
            )
    base = statistics.median(times[baseline])
    print("| process | median | × baseline | runs |\n| --- | --- | --- | --- |")
    for name, runs in times.items():
        median = statistics.median(runs)
        spread = ", ".join(f"{t:.2f}" for t in runs)
        print(f"| {name} | {median:.2f} s | {median / base:.1f} | {spread} |", flush=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"scope": scope, "times": times}, indent=2))


if __name__ == "__main__":
    main()
