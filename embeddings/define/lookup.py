"""The index as /define reads it: made once per loaded index, kept with it."""

from __future__ import annotations

import bisect
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from embeddings.define import grammar
from embeddings.define.entries import dictionary_entries, headword_forms
from embeddings.define.shapes import ENTRY, FOOTNOTE, FOOTNOTE_PLAIN, INFLECTED, STEM_ONLY, Signal
from embeddings.define.terms import Mention, Term, confirm, find_mentions, inflections, related
from embeddings.tokens import WORD, spelled, stem

if TYPE_CHECKING:
    from embeddings.store import IndexData

MAX_MATCHES = 10_000  # mentions read per query ("lord": 8,000; "I" is everywhere)


@dataclass(frozen=True)
class Entry:
    passage_id: int
    start: int
    end: int
    words: tuple[str, ...]


@dataclass(frozen=True)
class Note:
    passage_id: int
    start: int
    end: int
    marker: str
    anchor: str


class DefinitionIndex:
    """What /define reads besides the passages: all text in one string (one regex scan
    finds every mention), dictionary entries by headword, footnotes with their anchors,
    and the work each passage belongs to."""

    def __init__(self, index: IndexData) -> None:
        # Weakly: the build keeps this lookup (IndexData.derived), and a cycle between them
        # outlived every swap in a process whose start-up heap is frozen (bot/heap.py),
        # keeping the first build, its memory and its deleted files, for good.
        self._index = weakref.ref(index)
        passages = index.passages
        self.text = grammar.PASSAGE_BREAK.join(p.text for p in passages)
        folded = self.text.lower()
        # Lower-casing keeps offsets unless some letter lower-cases to two ("İ").
        self.folded = folded if len(folded) == len(self.text) else None
        self.offsets: list[int] = []  # where each passage starts in `text`
        pos = 0
        for p in passages:
            self.offsets.append(pos)
            pos += len(p.text) + len(grammar.PASSAGE_BREAK)
        self.entries: dict[tuple[str, ...], list[Entry]] = {}
        for pid, start, end, headword in dictionary_entries(passages):
            for form in headword_forms(headword):
                words = tuple(w.lower() for w in WORD.findall(form))
                if words:
                    key = tuple(stem(spelled(w)) for w in words)
                    self.entries.setdefault(key, []).append(Entry(pid, start, end, words))
        self.notes = self._notes()
        self.stipulating = {
            self._passage_at(m.start()) for m in grammar.STIPULATION.finditer(self.text)
        }
        works: dict[tuple[str, str], int] = {}
        self.work = np.zeros(len(passages), dtype=np.int32)
        for d in index.documents:
            # A work as /source groups them (the 66 books of one Bible are one).
            self.work[d.first : d.first + d.count] = works.setdefault(d.work, len(works))

    @property
    def index(self) -> IndexData:
        index = self._index()
        if index is None:  # only its build holds it, and whoever asks holds the build
            raise RuntimeError("a /define lookup used after its index build was dropped")
        return index

    def _notes(self) -> list[Note]:
        notes: list[Note] = []
        passages = self.index.passages
        for d in self.index.documents:
            for marker, note in d.footnotes.items():
                if not note.anchor or not note.text.strip():
                    continue
                probe = note.text.strip()[:60]
                for pid in range(d.first, d.first + d.count):
                    p = passages[pid]
                    at = p.text.find(probe) if p.kind == "footnote" else -1
                    if p.note_id == marker or at >= 0:
                        start = max(at, 0)
                        end = min(len(p.text), start + len(note.text.strip()))
                        notes.append(Note(pid, start, end, marker, note.anchor))
                        break
        return notes

    def _passage_at(self, offset: int) -> int:
        return bisect.bisect_right(self.offsets, offset) - 1

    def mentions(self, term: Term) -> dict[int, list[Mention]]:
        """Every passage that mentions the term, with the mentions (passage offsets)."""
        found: dict[int, list[Mention]] = {}
        seen: dict[str, bool | None] = {}
        matches = (
            term.scan.finditer(self.folded)
            if self.folded is not None
            else term.pattern.finditer(self.text)
        )
        for n, m in enumerate(matches):
            if n >= MAX_MATCHES:
                break
            pid = self._passage_at(m.start())
            base = self.offsets[pid]
            text = self.index.passages[pid].text
            mention = confirm(term, text, m.start() - base, m.end() - base, seen)
            if mention is not None:
                found.setdefault(pid, []).append(mention)
        return found

    def entry_signals(self, term: Term) -> dict[int, Signal]:
        out: dict[int, Signal] = {}
        for entry in self.entries.get(term.stems, []):
            pairs = [(spelled(g), spelled(w)) for g, w in zip(entry.words, term.words, strict=True)]
            exact = True
            if all(got == want for got, want in pairs):
                strength = ENTRY  # "LABOR" when "labour" was asked: one word
            elif all(got in inflections(want) for got, want in pairs):
                strength = ENTRY * INFLECTED  # "RICHES" when "rich" was asked
            elif all(related(got, want) for got, want in pairs):
                strength, exact = ENTRY * STEM_ONLY, False  # "ACCUSER" when "accuse" was asked
            else:
                continue  # POLITENESS when "politics" was asked: one stem, two words
            old = out.get(entry.passage_id)
            if old is None or old.strength < strength:
                span = (entry.start, entry.end)
                out[entry.passage_id] = Signal("entry", strength, span, exact)
        return out

    def note_signals(self, term: Term) -> dict[int, tuple[Signal, Note]]:
        """Footnotes attached right after the term: they explain it."""
        out: dict[int, tuple[Signal, Note]] = {}
        for note in self.notes:
            anchor = note.anchor.rstrip().rstrip("”\"’',")
            tail = [m for m in find_mentions(term, anchor) if m.whole and m.end == len(anchor)]
            if not tail:
                continue
            text = self.index.passages[note.passage_id].text[note.start : note.end]
            strength = FOOTNOTE if grammar.TERM_TALK.search(text) else FOOTNOTE_PLAIN
            exact = tail[-1].exact
            strength *= 1.0 if exact else STEM_ONLY
            signal = Signal("footnote", strength, (note.start, note.end), exact)
            out[note.passage_id] = (signal, note)
        return out


def definition_index(index: IndexData) -> DefinitionIndex:
    """The index's `DefinitionIndex`, made on first use and kept with the index."""
    return index.derived(DefinitionIndex)
