"""Find the documents in a corpus folder, without ever leaving it."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

SUPPORTED_SUFFIXES = (".md", ".markdown", ".txt", ".text", ".html", ".htm")
SIDECAR_SUFFIX = ".meta.toml"
COMPANION_SUFFIX = ".companion.tsv"  # embeddings/companion.py
# The files that go with a work: removed, replaced and restored with it.
SIDECAR_SUFFIXES = (SIDECAR_SUFFIX, COMPANION_SUFFIX)
COLLECTION_FILE = "_collection.meta.toml"


@dataclass(frozen=True)
class CorpusFile:
    """A document file found under the corpus root; `source` is its stable id."""

    path: Path
    source: str  # relative to the root, forward slashes
    size: int
    mtime_ns: int

    def sha256(self) -> str:
        """Content hash, read on demand: size and mtime are enough to skip most files."""
        digest = hashlib.sha256()
        with self.path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
        return digest.hexdigest()


def is_sidecar(name: str) -> bool:
    """Metadata and companion files go with documents; they are not documents themselves."""
    return name == COLLECTION_FILE or name.endswith(SIDECAR_SUFFIXES)


def sidecars(source: str) -> list[str]:
    """The files that may go with the document `source`, itself first."""
    return [source] + [source + suffix for suffix in SIDECAR_SUFFIXES]


def discover(root: Path) -> tuple[list[CorpusFile], list[str]]:
    """The readable documents under `root` (sorted by source) and warnings about skipped files.

    Hidden entries and metadata sidecars are skipped silently. Symbolic links are followed
    only while they resolve inside the root, so a corpus cannot pull in files from
    elsewhere on the machine.
    """
    real_root = root.resolve()
    walker = _Walker(real_root)
    walker.walk(real_root, "")
    walker.files.sort(key=lambda f: f.source)
    return walker.files, walker.warnings


class _Walker:
    def __init__(self, real_root: Path) -> None:
        self.real_root = real_root
        self.files: list[CorpusFile] = []
        self.warnings: list[str] = []
        self._seen_dirs: set[Path] = {real_root}
        self._seen_files: dict[Path, str] = {}

    def walk(self, folder: Path, prefix: str) -> None:
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            self.warnings.append(f"{prefix or '.'}: cannot list folder ({exc.strerror or exc})")
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue
            source = f"{prefix}{entry.name}"
            self._visit(entry, source)

    def _visit(self, entry: os.DirEntry[str], source: str) -> None:
        path = Path(entry.path)
        try:
            # resolve() follows every link in the chain, `..` included, so the check
            # below sees where the file really is.
            real = path.resolve(strict=True)
        except (OSError, RuntimeError):
            self.warnings.append(f"{source}: skipped, broken or looping symbolic link")
            return
        if not real.is_relative_to(self.real_root):
            self.warnings.append(f"{source}: skipped, it points outside the corpus folder")
            return
        if entry.is_dir(follow_symlinks=True):
            if real in self._seen_dirs:
                self.warnings.append(
                    f"{source}: skipped, folder already visited through another path"
                )
                return
            self._seen_dirs.add(real)
            self.walk(path, f"{source}/")
            return
        if not entry.is_file(follow_symlinks=True):
            self.warnings.append(f"{source}: skipped, not a regular file")
            return
        if is_sidecar(entry.name):
            return
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            self.warnings.append(f"{source}: skipped, unsupported file type")
            return
        if real in self._seen_files:
            self.warnings.append(f"{source}: skipped, same file as {self._seen_files[real]}")
            return
        if not os.access(real, os.R_OK):
            self.warnings.append(f"{source}: skipped, not readable")
            return
        stat = real.stat()
        self._seen_files[real] = source
        self.files.append(CorpusFile(path, source, stat.st_size, stat.st_mtime_ns))
