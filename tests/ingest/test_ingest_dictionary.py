"""Dictionary entries in plain text, as in The Devil's Dictionary."""

from __future__ import annotations

import re

from embeddings.documents import Document
from embeddings.ingest import read_document
from embeddings.ingest.dictionary import loose_headword, strict_headword
from tests.ingest.ingest_helpers import Corpus, corpus_file, shared_file


def test_headword_and_part_of_speech_open_an_entry() -> None:
    assert strict_headword("ABASEMENT, n.  A decent and customary mental attitude") == "ABASEMENT"
    assert strict_headword("EMBALM, v.i.  To cheat vegetation") == "EMBALM"
    assert strict_headword("ENOUGH, pro.  All there is in the world") == "ENOUGH"
    assert strict_headword("APRIL FOOL, n.  The March fool") == "APRIL FOOL"
    assert strict_headword("IN'ARDS, n.  The stomach") == "IN'ARDS"
    assert strict_headword("BABE or BABY, n.  A misshapen creature") == "BABE or BABY"
    assert strict_headword("TZETZE (or TSETSE) FLY, n.  An African insect") == (
        "TZETZE (or TSETSE) FLY"
    )
    assert strict_headword("IMPOSTOR n.  A rival aspirant") == "IMPOSTOR"
    assert strict_headword("I.  Communism is already acknowledged") is None
    assert strict_headword("MANIFESTO OF THE COMMUNIST PARTY") is None


def test_entries_without_part_of_speech_need_a_dictionary_context() -> None:
    assert loose_headword("HABEAS CORPUS.  A writ by which") == "HABEAS CORPUS"
    assert loose_headword("R.I.P.  A careless abbreviation") == "R.I.P."
    assert loose_headword("CUI BONO?  [Latin]  What good") == "CUI BONO"
    assert loose_headword("ABRACADABRA.") == "ABRACADABRA"
    assert loose_headword("G.J.") is None  # an attribution
    assert loose_headword("II.  It is high time") is None  # a numeral


def entries(doc: Document) -> dict[str, str]:
    return {b.headword: b.text for b in doc.blocks if b.kind == "entry"}


def test_devils_dictionary_excerpt(corpus: Corpus) -> None:
    corpus.copy_fixture("devils-dictionary-excerpt.txt")
    doc = corpus.read("devils-dictionary-excerpt.txt")
    found = entries(doc)

    assert found["ABASEMENT"] == (
        "ABASEMENT, n. A decent and customary mental attitude in the presence of wealth or "
        "power. Peculiarly appropriate in an employee when addressing an employer."
    )
    for headword in ("ABATIS", "ABNORMAL", "HABEAS CORPUS", "R.I.P.", "TZETZE (or TSETSE) FLY"):
        assert found[headword].startswith(headword)
    assert "A" not in doc.sections or all(b.section != "A" for b in doc.blocks)

    # The verse and its attribution belong to the entry above them.
    abdication = [b for b in doc.blocks if b.section == "ABDICATION"]
    assert [b.kind for b in abdication] == ["entry", "text", "text"]
    assert abdication[1].text.startswith("Poor Isabella's Dead, whose abdication\nSet all tongues")
    assert abdication[2].text == "G.J."

    # A verse title inside an entry is not a heading.
    tortoise = [b for b in doc.blocks if b.section == "TORTOISE"]
    assert tortoise[1].text == "TO MY PET TORTOISE"

    # The letter sections are headings, and a letter's own paragraph is its entry.
    assert not any(b.text == "A" for b in doc.blocks)
    assert found["I"].startswith("I is the first letter of the alphabet")


def test_devils_dictionary_headword_recall() -> None:
    path = shared_file("gutenberg/devils-dictionary.txt")
    doc = read_document(corpus_file(path.parent, path.name), path.parent)
    raw = path.read_text(encoding="ascii").replace("\r\n", "\n")
    expected = [m.group(1) for m in re.finditer(r"(?m)^([A-Z][A-Z' -]+), [a-z.]+", raw)]
    found = entries(doc)
    recalled = [h for h in expected if h in found]
    assert len(expected) > 950
    assert len(recalled) / len(expected) >= 0.98, sorted(set(expected) - set(recalled))
    for headword, text in found.items():
        assert text.startswith(headword)
