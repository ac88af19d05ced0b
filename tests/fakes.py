"""Small, real implementations of our Protocols for the fast test tier (`make test-fast`).

Like llm's ``MockModel``, these are working backends, not mocks of internals: ``MemoryStore`` keeps chunks
as the Chroma store does (the same records, through ``records.chunk_record``, and the same ``where``
filters), and ``HashingEmbedder`` turns words into deterministic vectors, so that ingest, retrieval and
the composer run end to end in milliseconds. `make test` runs the same logic against the real model
and Chroma.
"""

from __future__ import annotations

import hashlib
import math
import shutil
from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import pairwise
from pathlib import Path
from typing import Any

from roadmap_rag.corpus.chunking import Chunk
from roadmap_rag.index.records import chunk_from_record, chunk_record
from roadmap_rag.index.slices import Slice
from roadmap_rag.index.store import Vectors, Where
from roadmap_rag.text.words import words as text_words


class HashingEmbedder:
    """Each word and word pair of a text hashed into one of ``dimension`` buckets, then L2-normalised:
    texts that share words are close, and the same text always gets the same vector."""

    def __init__(self, dimension: int = 256) -> None:
        self.dimension = dimension
        self.name = f"hashing-{dimension}"

    def _vector(self, text: str) -> list[float]:
        words = text_words(text)
        vector = [0.0] * self.dimension
        for feature in [*words, *(f"{a} {b}" for a, b in pairwise(words))]:
            digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
            vector[int.from_bytes(digest[:4], "little") % self.dimension] += 1.0 if digest[4] % 2 else -1.0
        norm = math.sqrt(sum(v * v for v in vector)) or 1.0
        return [v / norm for v in vector]

    def embed_documents(self, texts: Sequence[str], on_batch: Callable[[int], None] | None = None) -> list[list[float]]:
        vectors = [self._vector(t) for t in texts]
        if on_batch:
            on_batch(len(texts))
        return vectors

    def embed_query(self, text: str) -> list[float]:
        return self._vector(text)


def matches(record: Mapping[str, Any], where: Where | None) -> bool:
    """Chroma's metadata filter, for the operators we use ($and, $or, $in, $nin, $eq, $ne, a plain value)."""
    if not where:
        return True
    for key, condition in where.items():
        if key == "$and":
            ok = all(matches(record, part) for part in condition)
        elif key == "$or":
            ok = any(matches(record, part) for part in condition)
        elif isinstance(condition, dict):
            ok = all(_compare(record.get(key), op, value) for op, value in condition.items())
        else:
            ok = record.get(key) == condition
        if not ok:
            return False
    return True


def _compare(actual: Any, op: str, value: Any) -> bool:
    if op == "$in":
        return actual in value
    if op == "$nin":
        return actual not in value
    if op == "$eq":
        return bool(actual == value)
    if op == "$ne":
        return bool(actual != value)
    raise ValueError(f"MemoryStore does not implement the filter operator {op}")


def _cosine(a: Sequence[float], b: Sequence[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))  # both are unit vectors


class MemoryStore:
    """The VectorStore Protocol in memory: chunks with one vector each, and one vector per passage."""

    def __init__(self) -> None:
        self.location = "memory"
        self._chunks: dict[str, tuple[str, dict[str, Any], list[float]]] = {}  # id -> text, record, vector
        self._passages: dict[str, tuple[str, dict[str, Any], list[float]]] = {}  # "<chunk id>#n" -> same
        self.writes = 0  # calls that changed something, for tests of what an ingest did
        self._generation = ""

    def count(self) -> int:
        return len(self._chunks)

    def generation(self) -> str:
        return self._generation

    def set_generation(self, value: str) -> None:
        self._generation = value

    def refresh(self, generation: str) -> None:
        """One process's memory: nothing to reload."""

    def close(self) -> None:
        """Nothing held."""

    def vectors(self, where: Where | None) -> Slice:
        chunks = [self._chunk(cid) for cid, (_, r, _) in self._chunks.items() if matches(r, where)]
        passages = [(str(r["chunk_id"]), text, v) for text, r, v in self._passages.values() if matches(r, where)]
        return Slice.of(chunks, [self._chunks[c.id][2] for c in chunks], passages)

    def sparse_search(self) -> tuple[bool, str]:
        return False, "an in-memory store has no sparse indexes"

    def chunks_by_id(self, ids: Sequence[str]) -> list[Chunk]:
        return [self._chunk(cid) for cid in ids if cid in self._chunks]

    def records(self) -> dict[str, Chunk]:
        return {cid: chunk_from_record(cid, "", r) for cid, (_, r, _) in self._chunks.items()}

    def doc_sources(self) -> dict[str, str]:
        return {str(r["doc_id"]): str(r.get("source", "")) for _, r, _ in self._chunks.values()}

    def _chunk(self, chunk_id: str) -> Chunk:
        text, record, _ = self._chunks[chunk_id]
        return chunk_from_record(chunk_id, text, record)

    def document_chunks(self, doc_id: str) -> list[Chunk]:
        return [self._chunk(cid) for cid, (_, r, _) in self._chunks.items() if r["doc_id"] == doc_id]

    def all_chunks(self) -> list[Chunk]:
        return sorted((self._chunk(cid) for cid in self._chunks), key=lambda c: (c.doc_id, c.ordinal))

    def add(self, chunks: Sequence[Chunk], embeddings: Vectors, passages: Sequence[Vectors]) -> None:
        for chunk, vector, vectors in zip(chunks, embeddings, passages, strict=True):
            for n, (text, passage) in enumerate(zip(chunk.passages(), vectors, strict=True)):
                record = {"chunk_id": chunk.id, "doc_id": chunk.doc_id, "kind": str(chunk.kind)}
                self._passages[f"{chunk.id}#{n}"] = (text, record, list(passage))
            self._chunks[chunk.id] = (chunk.text, dict(chunk_record(chunk)), list(vector))
        self.writes += 1

    def update_metadata(self, chunks: Sequence[Chunk]) -> None:
        for chunk in chunks:
            text, _, vector = self._chunks[chunk.id]
            self._chunks[chunk.id] = (text, dict(chunk_record(chunk)), vector)
        self.writes += 1

    def delete(self, ids: Iterable[str]) -> None:
        gone = set(ids)
        self._chunks = {k: v for k, v in self._chunks.items() if k not in gone}
        self._passages = {k: v for k, v in self._passages.items() if v[1]["chunk_id"] not in gone}
        self.writes += 1

    def without_passages(self) -> set[str]:
        owners = {r["chunk_id"] for _, r, _ in self._passages.values()}
        self._passages = {k: v for k, v in self._passages.items() if v[1]["chunk_id"] in self._chunks}
        return set(self._chunks) - owners

    def query(self, embedding: Sequence[float], k: int, where: Where | None = None) -> list[tuple[Chunk, float]]:
        scored = [(cid, _cosine(embedding, v)) for cid, (_, r, v) in self._chunks.items() if matches(r, where)]
        scored.sort(key=lambda p: (-p[1], p[0]))
        return [(self._chunk(cid), score) for cid, score in scored[:k]]

    def query_passages(
        self, embedding: Sequence[float], k: int, where: Where | None = None
    ) -> list[tuple[str, float, str]]:
        scored = [
            (str(r["chunk_id"]), _cosine(embedding, v), text)
            for text, r, v in self._passages.values()
            if matches(r, where)
        ]
        scored.sort(key=lambda p: (-p[1], p[0]))
        return scored[:k]


def with_lexical_index(indexed: Path, data_dir: Path) -> Path:
    """``data_dir`` holding the lexical half of the index built in ``indexed`` (the vectors are in MemoryStore),
    so an Assistant there retrieves as on the index, with its own logs."""
    if not (data_dir / "lexical").exists():
        shutil.copytree(indexed / "lexical", data_dir / "lexical")
    return data_dir
