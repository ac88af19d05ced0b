"""Exact search in memory: the chunks a filter selects with their vectors (Slice), ranked by cosine similarity."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from roadmap_rag.corpus.chunking import Chunk


@dataclass(frozen=True)
class Slice:
    """The chunks a filter selects, with their vectors and their passages' vectors, for exact search in
    memory: Chroma's filtered HNSW search of a few hundred chunks among 100k took 45 ms (chunks) and 126 ms
    (passages) where this takes well under one (docs/benchmarks.md)."""

    chunks: list[Chunk]
    chunk_vectors: Any  # numpy (n, d), rows normalised
    owners: list[str]  # each passage's chunk id
    texts: list[str]
    passage_vectors: Any

    @classmethod
    def of(cls, chunks: list[Chunk], chunk_vectors: Any, passages: list[tuple[str, str, Any]]) -> Slice:
        import numpy as np

        def normalised(rows: Any) -> Any:
            if not len(rows):  # a filter that selects nothing: searches find nothing
                return np.zeros((0, 0), dtype=np.float32)
            matrix = np.asarray(rows, dtype=np.float32).reshape(len(rows), -1)
            norms = np.linalg.norm(matrix, axis=1, keepdims=True)
            return matrix / np.where(norms == 0, 1, norms)

        return cls(
            chunks,
            normalised(chunk_vectors),
            [owner for owner, _, _ in passages],
            [text for _, text, _ in passages],
            normalised([vector for _, _, vector in passages]),
        )

    def subset(self, keep: Callable[[Chunk], bool]) -> Slice:
        """The chunks ``keep`` accepts and their passages, without reading the store again: one slice of the
        roadmaps and cards, loaded once, serves every filter among them (a named roadmap, a card)."""
        rows = [i for i, chunk in enumerate(self.chunks) if keep(chunk)]
        wanted = {self.chunks[i].id for i in rows}
        lines = [i for i, owner in enumerate(self.owners) if owner in wanted]
        return Slice(
            [self.chunks[i] for i in rows],
            self.chunk_vectors[rows] if rows else self.chunk_vectors[:0],
            [self.owners[i] for i in lines],
            [self.texts[i] for i in lines],
            self.passage_vectors[lines] if lines else self.passage_vectors[:0],
        )

    @functools.cached_property
    def by_id(self) -> dict[str, Chunk]:
        return {c.id: c for c in self.chunks}

    def query(self, embedding: Sequence[float], k: int) -> list[tuple[Chunk, float]]:
        return [(self.chunks[i], score) for i, score in _best(self.chunk_vectors, embedding, k)]

    def query_passages(self, embedding: Sequence[float], k: int) -> list[tuple[str, float, str]]:
        return [(self.owners[i], score, self.texts[i]) for i, score in _best(self.passage_vectors, embedding, k)]

    def passages_of(self, chunk_ids: Sequence[str], embedding: Sequence[float]) -> list[tuple[str, str, float]]:
        """Every passage of these chunks with its similarity to ``embedding``: (chunk id, text, similarity)."""
        wanted = set(chunk_ids)
        rows = [i for i, owner in enumerate(self.owners) if owner in wanted]
        if not rows:
            return []
        scores = _similarities(self.passage_vectors[rows], embedding)
        return [(self.owners[i], self.texts[i], float(score)) for i, score in zip(rows, scores, strict=True)]


def _similarities(matrix: Any, embedding: Sequence[float]) -> Any:
    """Each (normalised) row's cosine similarity to ``embedding``."""
    import numpy as np

    query = np.asarray(embedding, dtype=np.float32)
    return matrix @ (query / (np.linalg.norm(query) or 1.0))


def _best(matrix: Any, embedding: Sequence[float], k: int) -> list[tuple[int, float]]:
    """Rows by cosine similarity to ``embedding``, best first (ties in row order)."""
    import numpy as np

    if not len(matrix):
        return []
    scores = _similarities(matrix, embedding)
    order = np.argsort(-scores, kind="stable")[:k]
    return [(int(i), float(scores[i])) for i in order]
