"""Reindex progress on a terminal: a rich progress bar per stage, nothing when piped."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

from embeddings.build import ProgressFn

STAGE_LABELS = {
    "scan": "Hashing files",
    "read": "Reading documents",
    "encode": "Embedding passages",
    "index": "Building indexes",
    "save": "Saving",
    "waiting": "Waiting for another build to finish",
}


@contextlib.contextmanager
def terminal_progress() -> Iterator[ProgressFn | None]:
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    tasks: dict[str, object] = {}
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(STAGE_LABELS.get(stage, stage), total=total)
            bar.update(tasks[stage], completed=done, total=total)  # type: ignore[arg-type]

        yield update
