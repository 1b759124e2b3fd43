"""Which results are worth showing: one passage per paragraph (the windows of a long
paragraph overlap in meaning) and one per text (the same words recur across works and
editions). Shared by search and /define."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from embeddings.store import IndexData


class Distinct:
    """The paragraphs and texts of the passages kept so far."""

    def __init__(self, index: IndexData) -> None:
        self._index = index
        self._blocks: set[tuple[str, int]] = set()
        self._texts: set[int] = set()

    def new(self, passage_id: int) -> bool:
        """Whether no passage of the same paragraph, nor one of the same text, is kept."""
        p = self._index.passages[passage_id]
        text = int(self._index.text_ids[passage_id])
        return (p.source, p.block) not in self._blocks and text not in self._texts

    def keep(self, passage_id: int) -> None:
        p = self._index.passages[passage_id]
        self._blocks.add((p.source, p.block))
        self._texts.add(int(self._index.text_ids[passage_id]))
