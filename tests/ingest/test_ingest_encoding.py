"""Decoding: BOMs, UTF-8, declared HTML charsets, cp1252, latin-1, line ends, NFC."""

from __future__ import annotations

import codecs

import pytest

from embeddings.ingest import IngestError
from embeddings.ingest.encoding import decode
from tests.ingest.ingest_helpers import Corpus


def test_cp1252_curly_quotes(corpus: Corpus) -> None:
    corpus.write("win.txt", b"He said \x93sect\x94 \x96 twice\x85 It\x92s so.\r\n")
    assert corpus.read("win.txt").blocks[0].text == "He said “sect” – twice… It’s so."


def test_latin1_when_cp1252_cannot_decode() -> None:
    # 0x81 is undefined in cp1252; latin-1 still decodes the rest of a long text.
    data = b"Caf\xe9 " * 40 + b"\x81"
    assert decode(data, "x.txt").startswith("Café Café")


def test_utf8_with_bom(corpus: Corpus) -> None:
    doc = corpus.document("bom.md", b"\xef\xbb\xbf# Titre\n\nD\xc3\xa9j\xc3\xa0 vu.\n")
    assert doc.meta.title == "Titre"
    assert doc.blocks[0].text == "Déjà vu."


def test_utf16_with_bom(corpus: Corpus) -> None:
    corpus.write("wide.txt", "Wide text, with a BOM.\n".encode("utf-16"))
    assert corpus.read("wide.txt").blocks[0].text == "Wide text, with a BOM."


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_is_read_too(corpus: Corpus, encoding: str) -> None:
    # As some Windows editors save it: refused as "binary file (contains NUL bytes)".
    corpus.write("wide.txt", "Wide text, déjà vu, no BOM.\n".encode(encoding))
    assert corpus.read("wide.txt").blocks[0].text == "Wide text, déjà vu, no BOM."


def test_html_meta_charset_is_honoured(corpus: Corpus) -> None:
    # In iso-8859-15 0xA4 is the euro sign (in cp1252 it would be "¤").
    corpus.write(
        "euro.html",
        b'<html><head><meta charset="iso-8859-15"></head><body><p>Price: 5 \xa4</p></body></html>',
    )
    assert corpus.read("euro.html").blocks[0].text == "Price: 5 €"


def test_iso_8859_1_label_is_read_as_cp1252(corpus: Corpus) -> None:
    corpus.write(
        "kjv.htm",
        b'<html><head><meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">'
        b"</head><body><p>\x93Quoted\x94 and na\xefve</p></body></html>",
    )
    assert corpus.read("kjv.htm").blocks[0].text == "“Quoted” and naïve"


def test_utf8_with_a_line_of_another_encoding_reads_each_line_as_it_was_written() -> None:
    # One stray byte made the whole file cp1252: every "préférer" read "prÃ©fÃ©rer".
    utf8 = "Le sectarisme, c'est préférer la secte au mouvement.\n".encode()
    data = utf8 * 3 + b"Un caf\xe9 \x93tr\xe8s\x94 ancien.\n" + "“Fin” é.\n".encode()
    assert decode(data, "mixed.txt").splitlines() == [
        "Le sectarisme, c'est préférer la secte au mouvement.",
    ] * 3 + ["Un café “très” ancien.", "“Fin” é."]


def test_utf16_of_another_script_without_its_mark_is_told_how_to_save_it() -> None:
    # Cyrillic in UTF-16 has no NUL on either side: "binary file" alone misled.
    data = "Секта — это группа.\n".encode("utf-16-le")
    with pytest.raises(IngestError, match="if it is text, save it as UTF-8"):
        decode(data, "ru.txt")


def test_stray_bytes_are_read_one_by_one_and_a_cp1252_file_stays_cp1252() -> None:
    # A line of both UTF-8 and a stray byte was mojibake; a byte-order mark with one was
    # refused as binary; a cp1252 file whose accents pair like UTF-8 stays cp1252.
    assert decode("Café ".encode() + b"\x92s\n", "a.txt") == "Café ’s\n"
    marked = codecs.BOM_UTF8 + "é ok\n".encode() + b"\x93q\x94\n"
    assert decode(marked, "b.txt") == "é ok\n“q”\n"
    cp1252 = "Ça coûte très cher, dit-il à l’élève.\n".encode("cp1252")
    assert decode(cp1252, "c.txt") == "Ça coûte très cher, dit-il à l’élève.\n"


def test_crlf_and_cr_become_lf() -> None:
    assert decode(b"one\r\ntwo\rthree\n", "x.txt") == "one\ntwo\nthree\n"


def test_unicode_is_nfc() -> None:
    assert decode("Cafe\u0301".encode(), "x.txt") == "Caf\u00e9"


@pytest.mark.parametrize("data", [b"text\x00with nul", bytes(range(256)) * 4])
def test_binary_is_refused(data: bytes) -> None:
    with pytest.raises(IngestError, match=r"^x\.bin: binary file"):
        decode(data, "x.bin")
