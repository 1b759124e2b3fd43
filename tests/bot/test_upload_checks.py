"""What /corpus add does with whatever name and metadata it is given, for any input.

Property tests: a stored name never leaves the corpus folder, never hides, always has a
suffix the indexer reads; metadata is refused or written as TOML that reads back exactly.
"""

from __future__ import annotations

import tomllib
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.commands.sidecar import WorkMeta, checked_meta, toml_string
from bot.commands.upload import STEM_MAX, SUFFIXES, UploadRefused, check_content, safe_name

any_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)))
climbing = st.lists(st.sampled_from(["..", ".", "", "/", "\\", "~", "C:"]), max_size=6)


@given(prefix=climbing, stem=any_text, suffix=st.sampled_from([*SUFFIXES, ".TXT", ".exe", ""]))
def test_a_stored_name_is_one_visible_file_inside_the_folder(
    prefix: list[str], stem: str, suffix: str
) -> None:
    raw = "/".join(prefix) + stem + suffix
    try:
        name = safe_name(raw)
    except UploadRefused:
        return
    root = Path("/corpus")
    assert (root / name).parent == root and "/" not in name and "\\" not in name
    assert not name.startswith(".") and name not in (".", "..")
    assert Path(name).suffix in SUFFIXES
    assert len(name) <= STEM_MAX + max(len(s) for s in SUFFIXES)
    assert name.isprintable()


@given(any_text)
def test_any_text_becomes_a_toml_string_that_reads_back_exactly(text: str) -> None:
    assert tomllib.loads(f"value = {toml_string(text)}")["value"] == text


@given(title=any_text, author=any_text, date=any_text, url=any_text)
def test_metadata_is_refused_or_written_as_valid_toml(
    title: str, author: str, date: str, url: str
) -> None:
    try:
        meta = checked_meta(title, author, date, url)
    except UploadRefused:
        return
    written = tomllib.loads(meta.to_toml())
    assert written == {k: v for k, v in vars(meta).items() if v}
    for value in written.values():  # one line each, no control characters
        assert not any(unicodedata.category(ch) in ("Cc", "Zl", "Zp") for ch in value)


def test_metadata_keeps_what_was_typed_but_line_breaks_and_invisible_marks() -> None:
    meta = checked_meta(' A "quoted"\\ title\n\t', "Ann\u200b Lee\u202e", "1848", "https://x.org/a")
    assert meta == WorkMeta('A "quoted"\\ title', "Ann Lee", "1848", "https://x.org/a")


@pytest.mark.parametrize(
    "data",
    [
        "Plain text in UTF-8 with “curly quotes”.\n".encode(),
        "Text in UTF-16 with a byte-order mark.\n".encode("utf-16"),
        "Café in Windows-1252, as old files are.\n".encode("cp1252"),
    ],
    ids=["utf-8", "utf-16", "cp1252"],
)
def test_text_in_any_encoding_the_indexer_reads_is_accepted(data: bytes) -> None:
    check_content(data, "notes.txt")
