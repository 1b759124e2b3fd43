"""A reindex killed at any moment, and an index swapped under running queries.

SIGKILL gives the process no chance to clean up: whatever moment it lands on (loading the
model, reading, embedding, writing the build, renaming it), the next start must serve an
intact index: the previous one, or the new one if the kill came after it was complete.
The moments are random but seeded, so a failure replays exactly.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable

import pytest

from bot.app import App
from bot.commands.quote import QuoteRequest, context, quote
from embeddings import store

SEED = 20261122
RANDOM_KILLS = 4
BUDGET_SECONDS = 60.0  # the loop stops early rather than run long on a slow machine


def reindex_command(app: App) -> list[str]:
    return [
        sys.executable,
        "-m",
        "bot.cli",
        "reindex",
        "--corpus",
        str(app.settings.corpus),
        "--index",
        str(app.settings.index),
    ]


def start(app: App) -> subprocess.Popen[bytes]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    return subprocess.Popen(
        reindex_command(app), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def builds_in(app: App) -> set[str]:
    return set(os.listdir(app.settings.index / "builds"))


def assert_next_start_serves_an_intact_index(app: App, allowed: set[str]) -> str:
    """What a restarted bot does: load, check every checksum, answer a query."""
    index_dir = app.settings.index
    current = store.read_current_name(index_dir)
    assert current in allowed, f"CURRENT names {current}, expected one of {allowed}"
    build = store.current_build(index_dir)
    store.verify(build, store.read_manifest(build))  # every file matches its checksum
    restarted = App(app.settings, app.encoder)
    restarted.index.load()
    assert restarted.index.warning == ""  # the current build itself, no fallback needed
    assert quote(restarted, QuoteRequest("what is a sect?")).quotes
    return current


def kill_when_writing(proc: subprocess.Popen[bytes], app: App) -> float:
    """SIGKILL as soon as the new build's temporary folder appears (or when it exits);
    returns how long that took."""
    began = time.monotonic()
    builds = app.settings.index / "builds"
    while proc.poll() is None and not any(n.startswith(".tmp-") for n in os.listdir(builds)):
        time.sleep(0.002)
    os.kill(proc.pid, signal.SIGKILL)  # harmless if it has just exited
    return time.monotonic() - began


@pytest.mark.slow
def test_killing_reindex_at_random_moments_always_leaves_an_intact_index(fresh_app: App) -> None:
    """`quotebot reindex` (incremental, as after an upload) killed while writing its build,
    then at RANDOM_KILLS seeded random moments between its start and that point."""
    rng = random.Random(SEED)
    deadline = time.monotonic() + BUDGET_SECONDS
    doc = fresh_app.settings.corpus / "mim-definition-of-sectarianism.txt"
    outcomes: list[str] = []

    def run_and_kill(i: int, kill: Callable[[subprocess.Popen[bytes]], float]) -> float:
        doc.write_text(doc.read_text() + f"\n\nA paragraph added before run {i}, on unity.\n")
        before = store.read_current_name(fresh_app.settings.index) or ""
        proc = start(fresh_app)
        elapsed = kill(proc)
        proc.wait()
        builds = builds_in(fresh_app)
        current = assert_next_start_serves_an_intact_index(fresh_app, {before, *builds})
        leftovers = any(n.startswith(".tmp-") for n in builds)
        outcomes.append("finished" if current != before else "mid-write" if leftovers else "early")
        return elapsed

    def after(delay: float) -> Callable[[subprocess.Popen[bytes]], float]:
        def kill(proc: subprocess.Popen[bytes]) -> float:
            time.sleep(delay)
            os.kill(proc.pid, signal.SIGKILL)  # harmless if it has already finished
            return delay

        return kill

    # First while it writes the build; how long it took to get there bounds the random
    # moments, so they land anywhere from the interpreter starting to the build's writing.
    until_write = run_and_kill(0, lambda proc: kill_when_writing(proc, fresh_app))
    for i in range(1, RANDOM_KILLS + 1):
        if time.monotonic() > deadline:
            break
        run_and_kill(i, after(rng.uniform(0.0, until_write * 1.1)))

    assert outcomes[0] == "mid-write" and len(outcomes) >= 2, outcomes
    # Then a normal reindex runs (the killed ones left no lock held) and clears leftovers.
    doc.write_text(doc.read_text() + "\n\nA last paragraph, after the kills.\n")
    fresh_app.index.reindex()
    assert not [n for n in builds_in(fresh_app) if n.startswith(".tmp")]
    assert_next_start_serves_an_intact_index(fresh_app, builds_in(fresh_app))


def test_no_query_fails_while_the_index_is_swapped_again_and_again(fresh_app: App) -> None:
    app = fresh_app
    stop = threading.Event()
    failures: list[BaseException] = []
    answered = [0]
    first = quote(app, QuoteRequest("what is a sect?")).quotes[0]  # from the first build

    def ask() -> None:
        while not stop.is_set():
            try:
                answer = quote(app, QuoteRequest("what is a sect?", count=3))
                assert answer.quotes and all(
                    q.build == answer.quotes[0].build for q in answer.quotes
                )
                assert context(app, first)  # a quote from an older build still locates
            except BaseException as exc:
                failures.append(exc)
            answered[0] += 1

    def wait_for_answers(count: int) -> None:
        goal = answered[0] + count
        limit = time.monotonic() + 30
        while answered[0] < goal and not failures and time.monotonic() < limit:
            time.sleep(0.01)

    askers = [threading.Thread(target=ask) for _ in range(2)]
    for thread in askers:
        thread.start()
    try:
        for i in range(4):
            wait_for_answers(3)  # swaps interleave with queries, whatever the machine's speed
            if i == 2:  # once with a real rebuild, the others reload the same build
                doc = app.settings.corpus / "new-note.txt"
                doc.write_text("A reading circle meets weekly to discuss one essay in depth.\n")
                app.index.reindex()
            else:
                app.index.load()
        wait_for_answers(3)
    finally:
        stop.set()
        for thread in askers:
            thread.join(30)
    assert failures == []
    assert answered[0] >= 15
