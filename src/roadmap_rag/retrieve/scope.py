"""What a retrieval is asked for (Filters: the documents and kinds a caller chose) and what it gives back
(Retrieved: the sources, and what the grounding check and the composer read beside them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from roadmap_rag.corpus.chunking import Chunk
from roadmap_rag.types import Source


@dataclass(frozen=True)
class Filters:
    doc_ids: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()

    def where(self) -> dict[str, Any] | None:
        clauses: list[dict[str, Any]] = []
        if self.doc_ids:
            clauses.append({"doc_id": {"$in": list(self.doc_ids)}})
        if self.kinds:
            clauses.append({"kind": {"$in": list(self.kinds)}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def selects(self, doc_id: str, kind: str) -> bool:
        """Whether a document of this id and kind passes the filter."""
        return (not self.doc_ids or doc_id in self.doc_ids) and (not self.kinds or kind in self.kinds)

    def accepts(self, chunk: Chunk) -> bool:
        return self.selects(chunk.doc_id, chunk.kind)


@dataclass(frozen=True)
class Retrieved:
    sources: list[Source]
    best_passage: float = 0.0  # best cosine similarity among passage (line) hits, for the grounding check
    named: tuple[str, ...] = ()  # documents the question named, searched on their own
    # The best-matching lines (passages) of the candidate chunks: (chunk id, line text, similarity).
    lines: tuple[tuple[str, str, float], ...] = ()
    cards_named: tuple[str, ...] = ()  # the cards of the papers the question names ("the lora paper")
