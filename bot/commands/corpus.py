"""/corpus add and /corpus remove: change the corpus folder, then reindex incrementally.

Plain functions over an `App`, so the console or a script can call them as Discord does.
Every path is kept inside the corpus folder: an upload's name is reduced to a safe file
name (bot/commands/upload.py) and written in the folder itself, never through a symbolic
link; a removed work's files are unlinked only where the index found them inside it.
Both are logged with who did it.
"""

from __future__ import annotations

import logging
import os
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

from bot.app import App
from bot.commands import source as sources
from bot.commands.sidecar import WorkMeta
from bot.commands.upload import UploadRefused, check_content, check_size, safe_name
from embeddings.build import BuildReport, ProgressFn
from embeddings.errors import NotFoundError, QuotebotError
from embeddings.ingest.discovery import SIDECAR_SUFFIX

log = logging.getLogger(__name__)

REPLACE_HINT = "pass replace: True to replace it"


@dataclass(frozen=True)
class Actor:
    """Who changed the corpus, as the log names them."""

    user_id: int
    user_name: str
    guild_id: int | None = None
    guild_name: str = ""

    def __str__(self) -> str:
        where = (
            f"in server {self.guild_id} ({self.guild_name})"
            if self.guild_id is not None
            else "in a direct message"
        )
        return f"user {self.user_id} ({self.user_name}) {where}"


@dataclass(frozen=True)
class Change:
    """What a corpus change did: the files written or removed, and the reindex after it."""

    work: str  # the work's title, or its file name
    files: tuple[str, ...]
    replaced: bool = False
    report: BuildReport | None = None
    index_error: str = ""  # the reindex failed: the files changed, the old index answers
    skipped: tuple[str, ...] = field(default=())  # the reindex's warnings about these files


def check_upload(
    app: App, filename: str, size: int, meta: WorkMeta, *, replace: bool = False
) -> str:
    """Everything that can be checked before downloading: the safe name (returned), the
    size Discord reports, and whether the name is free."""
    name = safe_name(filename)
    check_size(size, app.settings.upload_max_bytes)
    _check_target(Path(app.settings.corpus), name, replace=replace)
    return name


def add_work(
    app: App,
    filename: str,
    data: bytes,
    meta: WorkMeta,
    *,
    actor: Actor,
    replace: bool = False,
    progress: ProgressFn | None = None,
) -> Change:
    """Write an uploaded file (and its metadata sidecar) into the corpus and reindex."""
    root = Path(app.settings.corpus)
    name = safe_name(filename)
    check_size(len(data), app.settings.upload_max_bytes)
    check_content(data, name)
    existed = _check_target(root, name, replace=replace)
    _write(root / name, data, overwrite=replace)
    sidecar = root / (name + SIDECAR_SUFFIX)
    if not meta.empty:
        _write(sidecar, meta.to_toml().encode(), overwrite=True)
    elif not existed:
        # A new file starts with the metadata given, not with what an old file left behind.
        _unlink_inside(root, name + SIDECAR_SUFFIX)
    log.info(
        "corpus add: %s (%d bytes%s) by %s", name, len(data), ", replaced" if existed else "", actor
    )
    change = Change(work=meta.title or name, files=(name,), replaced=existed)
    return _reindex(app, change, progress)


def remove_work(app: App, name: str, *, actor: Actor, progress: ProgressFn | None = None) -> Change:
    """Delete a work's files and their sidecars from the corpus, then reindex."""
    root = Path(app.settings.corpus)
    everything = sources.works(app)
    work = _exactly_one(everything, name)
    if len(everything) == 1:
        raise UploadRefused("That is the only work in the corpus; add another before removing it.")
    for file in work.files:
        _unlink_inside(root, file)
        _unlink_inside(root, file + SIDECAR_SUFFIX)
    log.info("corpus remove: %s (%s) by %s", work.key, ", ".join(work.files), actor)
    return _reindex(app, Change(work=work.key, files=work.files), progress)


def find_work(app: App, name: str) -> sources.Work:
    """The one work `name` names exactly (title or file name), or a clear error."""
    return _exactly_one(sources.works(app), name)


def _exactly_one(works: list[sources.Work], name: str) -> sources.Work:
    """The work whose title or file name is `name` (any case); a removal never guesses."""
    needle = " ".join(name.split()).casefold()
    found = [
        w
        for w in works
        if needle in (w.key.casefold(), w.title.casefold())
        or any(needle == f.casefold() for f in w.files)
    ]
    if not found:
        shown = name.strip()[:100]
        raise NotFoundError(f"No work called “{shown}” is in the corpus; /source lists them.")
    if len(found) > 1:
        files = ", ".join(f for w in found for f in w.files[:1])
        raise UploadRefused(f"{len(found)} works have that title; name one by file: {files}.")
    return found[0]


def _check_target(root: Path, name: str, *, replace: bool) -> bool:
    """Whether `name` already exists; UploadRefused when it may not be written."""
    target = root / name
    if target.is_symlink() or (target.exists() and not target.is_file()):
        raise UploadRefused(f"{name} is a link or a folder in the corpus; I never write there.")
    if target.exists() and not replace:
        raise UploadRefused(f"{name} is already in the corpus; {REPLACE_HINT}.")
    return target.exists()


def _write(target: Path, data: bytes, *, overwrite: bool) -> None:
    """Atomically: a hidden temporary file (the indexer skips it), flushed, then moved into
    place. Without `overwrite` it is linked in, which fails if the name was taken meanwhile."""
    tmp = target.with_name(f".upload-{uuid.uuid4().hex[:12]}.tmp")
    try:
        with open(tmp, "xb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if overwrite:
            os.replace(tmp, target)
        else:
            os.link(tmp, target)
    except FileExistsError as exc:
        raise UploadRefused(f"{target.name} is already in the corpus; {REPLACE_HINT}.") from exc
    except OSError as exc:
        raise UploadRefused(
            f"I could not save {target.name} ({exc.strerror or exc}); the corpus is unchanged."
        ) from exc
    finally:
        tmp.unlink(missing_ok=True)


def _unlink_inside(root: Path, source: str) -> None:
    """Remove `source` (relative to the root) if it is there, never anything outside."""
    rel = PurePosixPath(source)
    if rel.is_absolute() or ".." in rel.parts:
        raise UploadRefused(f"{source} is not a path inside the corpus.")
    path = root.joinpath(*rel.parts)
    if not path.parent.resolve().is_relative_to(root.resolve()):
        raise UploadRefused(f"{source} is not inside the corpus folder.")
    try:
        path.unlink(missing_ok=True)  # a symbolic link is removed, not what it points to
    except OSError as exc:
        raise UploadRefused(f"I could not remove {source} ({exc.strerror or exc}).") from exc


def _reindex(app: App, change: Change, progress: ProgressFn | None) -> Change:
    """The incremental reindex after a change; a failure is reported, not raised: the
    files did change, and the admin must know the index does not show it yet."""
    try:
        report = app.index.reindex(progress=progress)
    except QuotebotError as exc:
        log.warning("reindex after a corpus change failed: %s", exc)
        return replace(change, index_error=str(exc))
    mine = tuple(w for w in report.skipped if any(w.startswith(f) for f in change.files))
    return replace(change, report=report, skipped=mine)
