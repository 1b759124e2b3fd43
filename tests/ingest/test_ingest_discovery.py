"""discover(): the documents under a root, never anything outside it."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from embeddings.ingest import SUPPORTED_SUFFIXES, discover


def touch(path: Path, content: str = "Text.\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)
    return path


# The documents of `root`, in discover()'s order: sorted, with forward slashes.
EVERY_DOCUMENT = ["README.md", "a.txt", "b.md", "sub/c.html", "sub/deeper/d.markdown"]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    for name in ("b.md", "a.txt", "sub/c.html", "sub/deeper/d.markdown", "README.md"):
        touch(root / name)
    return root


def test_sorted_sources_with_forward_slashes(root: Path) -> None:
    files, warnings = discover(root)
    assert [f.source for f in files] == EVERY_DOCUMENT
    assert warnings == []
    first = files[1]
    assert first.size == len("Text.\n")
    assert first.mtime_ns == (root / "a.txt").stat().st_mtime_ns
    assert first.sha256() == hashlib.sha256(b"Text.\n").hexdigest()


def test_supported_suffixes() -> None:
    assert SUPPORTED_SUFFIXES == (".md", ".markdown", ".txt", ".text", ".html", ".htm")


def test_hidden_and_sidecar_files_are_skipped_silently(root: Path) -> None:
    touch(root / ".hidden.md")
    touch(root / ".git" / "notes.md")
    touch(root / "b.md.meta.toml", 'title = "B"\n')
    touch(root / "b.md.companion.tsv", "1:1\tIn the beginning\n")
    touch(root / "sub" / "_collection.meta.toml", 'author = "X"\n')
    files, warnings = discover(root)
    assert len(files) == 5
    assert warnings == []


def test_unknown_extensions_are_warned_about(root: Path) -> None:
    touch(root / "picture.png")
    touch(root / "notes.md~")
    files, warnings = discover(root)
    assert len(files) == 5
    assert warnings == [
        "notes.md~: skipped, unsupported file type",
        "picture.png: skipped, unsupported file type",
    ]


def test_symlinks_that_escape_the_root_are_skipped(root: Path, tmp_path: Path) -> None:
    outside = touch(tmp_path / "outside" / "secret.md")
    os.symlink(outside, root / "link.md")
    os.symlink(outside.parent, root / "linked-folder")
    os.symlink(root / ".." / "outside" / "secret.md", root / "dotdot.md")
    os.symlink(root / "missing.md", root / "broken.md")
    files, warnings = discover(root)
    assert all("secret" not in str(f.path) for f in files)
    assert [f.source for f in files] == EVERY_DOCUMENT
    assert warnings == [
        "broken.md: skipped, broken or looping symbolic link",
        "dotdot.md: skipped, it points outside the corpus folder",
        "link.md: skipped, it points outside the corpus folder",
        "linked-folder: skipped, it points outside the corpus folder",
    ]


def test_symlinks_inside_the_root_are_followed_once(root: Path) -> None:
    os.symlink(root / "sub", root / "zz-alias")  # same folder again
    os.symlink(root, root / "sub" / "loop")  # a loop back to the root
    files, warnings = discover(root)
    assert [f.source for f in files] == EVERY_DOCUMENT
    assert warnings == [
        "sub/loop: skipped, folder already visited through another path",
        "zz-alias: skipped, folder already visited through another path",
    ]


def test_root_given_through_dotdot(root: Path) -> None:
    files, _ = discover(root / "sub" / "..")
    assert len(files) == 5
