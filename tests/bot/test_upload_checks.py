"""What /corpus add does with whatever name, metadata and content it is given.

Property tests: a stored name never leaves the corpus folder, never hides, always has a
suffix the indexer reads, and a name any person would give a text file is accepted;
metadata is refused or written as TOML that reads back exactly, and ordinary metadata is
accepted; a date is accepted in any form the indexer reads as a date, and only then.
Content: every kind of file people upload by mistake is named in the refusal, whatever its
name claims; text in any encoding the indexer reads is accepted.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.commands import upload
from bot.commands.sidecar import (
    MAX_CHARS,
    UNREADABLE_DATE,
    WorkMeta,
    checked_meta,
    toml_string,
)
from bot.commands.upload import (
    STEM_MAX,
    STEM_MAX_BYTES,
    SUFFIXES,
    UploadRefused,
    check_content,
    check_size,
    safe_name,
)
from bot.settings import Settings, load_settings
from embeddings.ingest.values import date_value
from tests.fake_discord.rules import well_formed_url

any_text = st.text(alphabet=st.characters(codec="utf-8"))
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
    stem_bytes = len(name.encode("utf-8")) - len(Path(name).suffix)
    assert stem_bytes <= STEM_MAX_BYTES  # room left in 255 bytes for the sidecars' suffixes
    assert name.isprintable()


def test_a_long_name_in_letters_of_four_bytes_is_cut_to_what_a_file_system_holds(
    tmp_path: Path,
) -> None:
    name = safe_name("\U00020000" * STEM_MAX + ".txt")  # 320 bytes before the cut
    assert name.endswith(".txt") and len(name.encode("utf-8")) <= STEM_MAX_BYTES + 4
    (tmp_path / (name + ".meta.toml")).write_text("")  # a sidecar's name fits as well


def test_two_long_names_alike_at_first_are_two_stored_names() -> None:
    # Cut to the same 80 characters, the second upload was told to replace the first.
    head = "A very long title for an essay about the many sects of the nineteenth century, "
    first, second = safe_name(head + "part one.txt"), safe_name(head + "part two.txt")
    assert first != second and len(first) == len(second) <= STEM_MAX + len(".txt")
    assert safe_name(head + "part one.txt") == first  # the same name stored the same way
    assert safe_name("short.txt") == "short.txt"


def alphanumerics(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFC", text) if ch.isalnum())


word = st.text(alphabet=st.characters(categories=("Lu", "Ll", "Nd")), min_size=1, max_size=12)
readable_stem = st.lists(
    st.tuples(word, st.sampled_from([" ", "-", "_", ".", " (", ") ", ", ", "—", "'"])),
    min_size=1,
    max_size=12,
).map(lambda parts: "".join(w + sep for w, sep in parts))


@given(
    prefix=climbing,
    stem=readable_stem,
    suffix=st.sampled_from(SUFFIXES),
    shout=st.booleans(),
)
def test_a_name_with_letters_and_a_text_suffix_is_accepted_and_keeps_them(
    prefix: list[str], stem: str, suffix: str, shout: bool
) -> None:
    folders = "".join(f"{part}/" for part in prefix)  # whatever path it claims to be in
    name = safe_name(
        folders + stem + (suffix.upper() if shout else suffix)
    )  # accepted: no UploadRefused
    assert name.endswith(suffix)
    # In order, cut only at the end; a name cut short ends with a tag of the whole name.
    kept = alphanumerics(re.sub(r"-[0-9a-f]{8}$", "", name[: -len(suffix)]))
    assert kept and alphanumerics(stem).startswith(kept)
    assert len(name) <= STEM_MAX + len(suffix)


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


# NFC can make a character three; these stay within the limits whatever is typed.
def within(limit: int) -> st.SearchStrategy[str]:
    return st.text(alphabet=st.characters(codec="utf-8"), max_size=limit // 3)


web_address = st.builds(
    lambda scheme, host, path: f"{scheme}://{host}.org/{path}",
    st.sampled_from(["http", "https"]),
    st.from_regex(r"[a-z0-9](?:[a-z0-9-]{0,18}[a-z0-9])?", fullmatch=True),  # a host's name
    st.from_regex(r"[A-Za-z0-9_.~%/?=&#-]{0,60}", fullmatch=True),
)


# A date as people write one, and how much of the day it says (characters of ISO 8601).
DATE_FORMS = [
    ("%Y", 4),
    ("%Y-%m", 7),
    ("%Y-%m-%d", 10),
    ("%B %Y", 7),
    ("%B %d, %Y", 10),
    ("%d %B %Y", 10),
    ("%b. %d, %Y", 10),
    ("(%Y)", 4),
]
days = st.dates(min_value=dt.date(1000, 1, 1))


@given(
    title=within(MAX_CHARS["title"]),
    author=within(MAX_CHARS["author"]),
    date=st.one_of(
        st.just(""),
        st.builds(dt.date.strftime, days, st.sampled_from(DATE_FORMS).map(lambda f: f[0])),
    ),
    url=st.one_of(st.just(""), web_address),
)
def test_metadata_within_the_limits_with_a_web_address_is_accepted(
    title: str, author: str, date: str, url: str
) -> None:
    meta = checked_meta(title, author, date, url)  # accepted: no UploadRefused
    assert meta.url == url
    assert not url or well_formed_url(url)  # and a link the fake Discord takes too
    for typed, kept in ((title, meta.title), (author, meta.author), (date, meta.date)):
        # What was typed, on one line: only spacing, control and invisible marks differ.
        assert alphanumerics(kept) == alphanumerics(typed)
    assert tomllib.loads(meta.to_toml()) == {k: v for k, v in vars(meta).items() if v}


@pytest.mark.parametrize(
    "url",
    [
        "http://[oops",
        "https://a:99999999/",
        "https://%",
        "https://-",
        "ftp://x.org/a",
        "https://example.org:/essay",
        "https://example.org:0/essay",
        "https://[v1.x]/",
    ],
)
def test_a_link_discord_would_refuse_is_refused_at_upload(url: str) -> None:
    with pytest.raises(UploadRefused, match="must be a web address"):
        checked_meta(url=url)


@given(day=days, form=st.sampled_from(DATE_FORMS))
def test_a_date_in_any_form_the_indexer_reads_is_accepted_and_read_as_that_day(
    day: dt.date, form: tuple[str, int]
) -> None:
    pattern, iso_chars = form
    meta = checked_meta(date=day.strftime(pattern))
    # The sidecar's date as the indexer reads it (embeddings/ingest/metadata.py).
    assert date_value(tomllib.loads(meta.to_toml())["date"]) == day.isoformat()[:iso_chars]


@pytest.mark.parametrize(
    "date",
    ["next Tuesday", "27.9.2004", "February 30, 2002", "1848-13", "Smarch 1848", "c. 380 BCX"],
)
def test_a_date_the_indexer_cannot_read_is_refused_naming_the_forms_it_reads(date: str) -> None:
    with pytest.raises(UploadRefused) as refused:
        checked_meta(date=date)
    assert str(refused.value) == UNREADABLE_DATE
    for pattern, _ in DATE_FORMS[:6]:  # the refusal shows each common form
        assert dt.date(1848, 2, 21).strftime(pattern) in UNREADABLE_DATE


@pytest.mark.parametrize(
    "date", ["c. 380 BC", "circa 1600", "AD 30", "380", "5th century BC", "late 4th century"]
)
def test_a_date_known_only_roughly_is_kept_as_written(date: str) -> None:
    # A classic's date, which no ISO form holds: shown as written on cards and in Cite.
    assert checked_meta(date=date).date == date


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


# Every kind of file the upload check knows, as a real file's first bytes followed by
# text, renamed `.txt`: each must be refused by name, not accepted as text (or refused as
# mere noise). Written out by hand: deleting a signature from bot/commands/upload.py fails
# its row.
PROSE = b" This part reads like text: a small circle splits in two.\n" * 8
SIGNED: list[tuple[str, bytes, str]] = [
    ("png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "a PNG image"),
    ("jpeg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "a JPEG image"),
    ("gif87a", b"GIF87a\x01\x00\x01\x00", "a GIF image"),
    ("gif89a", b"GIF89a\x01\x00\x01\x00", "a GIF image"),
    ("tiff-intel", b"II*\x00\x08\x00\x00\x00", "a TIFF image"),
    ("tiff-motorola", b"MM\x00*\x00\x00\x00\x08", "a TIFF image"),
    ("pdf", b"%PDF-1.7\n", "a PDF document"),
    (
        "zip-docx-epub",
        b"PK\x03\x04\x14\x00\x06\x00",
        "a ZIP archive (or a Word, EPUB or OpenDocument file)",
    ),
    ("old-office", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Microsoft Office document"),
    ("rtf", b"{\\rtf1\\ansi\\deff0 {\\fonttbl {\\f0 Times;}}", "an RTF document"),
    ("gzip", b"\x1f\x8b\x08\x00", "a gzip archive"),
    ("7z", b"7z\xbc\xaf\x27\x1c\x00\x04", "a 7-Zip archive"),
    ("rar", b"Rar!\x1a\x07\x01\x00", "a RAR archive"),
    ("elf", b"\x7fELF\x02\x01\x01\x00", "a program"),
    ("sqlite", b"SQLite format 3\x00\x10\x00", "a database"),
    ("ogg", b"OggS\x00\x02", "an audio or video file"),
    ("flac", b"fLaC\x00\x00\x00\x22", "an audio file"),
    ("mp3-id3", b"ID3\x04\x00\x00", "an audio file"),
    ("riff-wav", b"RIFF\x24\x08\x00\x00WAVEfmt ", "an image, audio or video file"),
    ("mp4", b"\x00\x00\x00\x18ftypmp42", "a video or image file (MP4, MOV or HEIC)"),
    ("svg", b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg">', "an SVG image"),
]


@pytest.mark.parametrize(
    ("head", "kind"), [(h, k) for _, h, k in SIGNED], ids=[i for i, _, _ in SIGNED]
)
def test_a_known_kind_of_file_renamed_txt_is_refused_by_name(head: bytes, kind: str) -> None:
    with pytest.raises(UploadRefused) as refused:
        check_content(head + PROSE, "renamed.txt")
    assert (
        str(refused.value) == f"That file is {kind}, not text; I only add .txt, .md or .html files."
    )


def test_every_signature_the_check_knows_has_a_row_above() -> None:
    heads = [head for _, head, _ in SIGNED]
    untested = [
        kind for sig, kind in upload._SIGNATURES if not any(h.startswith(sig) for h in heads)
    ]
    assert untested == []


def test_the_default_upload_cap_is_2_mib(tmp_path: Path) -> None:
    cap = 2 * 1024 * 1024
    assert load_settings(env={}).upload_max_bytes == cap  # config/settings.toml
    silent = tmp_path / "settings.toml"
    silent.write_text("[bot]\n")
    assert load_settings(silent, env={}).upload_max_bytes == cap  # a file that says nothing
    assert Settings(corpus=Path("c"), index=Path("i")).upload_max_bytes == cap  # the code's own
    check_size(cap, cap)  # exactly 2 MiB is accepted
    with pytest.raises(
        UploadRefused, match=r"^That file is 2\.0 MB; the largest file I accept is 2\.0 MB\."
    ):
        check_size(cap + 1, cap)
