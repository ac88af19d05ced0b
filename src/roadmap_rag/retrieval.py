"""Hybrid retrieval: dense (Chroma) + lexical (BM25) fused by reciprocal rank fusion."""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from roadmap_rag.chunking import Chunk
from roadmap_rag.embeddings import Embedder
from roadmap_rag.settings import Settings
from roadmap_rag.store import VectorStore
from roadmap_rag.types import Source

Mode = Literal["hybrid", "dense", "lexical"]
_WORD = re.compile(r"[a-z0-9]+")


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

    def accepts(self, chunk: Chunk) -> bool:
        return (not self.doc_ids or chunk.doc_id in self.doc_ids) and (not self.kinds or chunk.kind in self.kinds)


@dataclass(frozen=True)
class Retrieved:
    sources: list[Source]
    best_dense: float  # best cosine similarity among dense hits, for the grounding check


def _to_source(chunk: Chunk, score: float) -> Source:
    return Source(
        id=chunk.id, doc_id=chunk.doc_id, title=chunk.doc_title, section=chunk.section, text=chunk.text,
        score=round(score, 6), kind=chunk.kind, page=chunk.page, url=chunk.url,
        start=chunk.start, end=chunk.end,
    )  # fmt: skip


def _shingles(text: str) -> set[str]:
    words = _WORD.findall(text.lower())
    return {" ".join(words[i : i + 3]) for i in range(max(1, len(words) - 2))}


def near_duplicate(a: str, b: str, threshold: float = 0.8) -> bool:
    sa, sb = _shingles(a), _shingles(b)
    return bool(sa and sb) and len(sa & sb) / min(len(sa), len(sb)) >= threshold


class HybridRetriever:
    """Dense + BM25 over the same chunks; the BM25 index is rebuilt when the store changes."""

    def __init__(self, settings: Settings, store: VectorStore, embedder: Embedder) -> None:
        self.settings = settings
        self.store = store
        self.embedder = embedder
        self._lock = threading.Lock()
        self._bm25: Any = None
        self._bm25_count = -1
        self._chunks: dict[str, Chunk] = {}
        self._reranker: Any = None

    def _lexical_index(self) -> Any:
        count = self.store.count()
        with self._lock:
            if self._bm25 is None or count != self._bm25_count:
                from llama_index.core.schema import TextNode
                from llama_index.retrievers.bm25 import BM25Retriever

                chunks = self.store.all_chunks()
                self._chunks = {c.id: c for c in chunks}
                nodes = [TextNode(id_=c.id, text=c.embedding_text()) for c in chunks]
                self._bm25 = BM25Retriever.from_defaults(nodes=nodes, similarity_top_k=len(nodes)) if nodes else None
                self._bm25_count = count
            return self._bm25

    def lexical(self, query: str, k: int, filters: Filters) -> list[tuple[Chunk, float]]:
        index = self._lexical_index()
        if index is None:
            return []
        from llama_index.core.schema import QueryBundle

        with self._lock:
            hits = index.retrieve(QueryBundle(query_str=query))
        out = []
        for hit in hits:
            chunk = self._chunks.get(hit.node.node_id)
            if chunk is not None and filters.accepts(chunk) and (hit.score or 0) > 0:
                out.append((chunk, float(hit.score or 0)))
            if len(out) >= k:
                break
        return out

    def dense(self, query: str, k: int, filters: Filters) -> list[tuple[Chunk, float]]:
        return self.store.query(self.embedder.embed_query(query), k, filters.where())

    def retrieve(
        self, query: str, k: int | None = None, filters: Filters | None = None, mode: Mode = "hybrid"
    ) -> Retrieved:
        k = k or self.settings.top_k
        filters = filters or Filters()
        n = max(self.settings.candidate_k, k)
        dense = self.dense(query, n, filters) if mode != "lexical" else []
        lexical = self.lexical(query, n, filters) if mode != "dense" else []
        fused: dict[str, float] = {}
        chunks: dict[str, Chunk] = {}
        for ranking in (dense, lexical):
            for rank, (chunk, _) in enumerate(ranking):
                fused[chunk.id] = fused.get(chunk.id, 0.0) + 1.0 / (self.settings.rrf_k + rank + 1)
                chunks[chunk.id] = chunk
        order = sorted(fused, key=lambda cid: (-fused[cid], cid))
        if self.settings.reranker:
            order = self._rerank(query, [chunks[c] for c in order[:n]])
        picked: list[Source] = []
        for cid in order:
            chunk = chunks[cid]
            if any(near_duplicate(chunk.text, s.text) for s in picked):
                continue
            picked.append(_to_source(chunk, fused[cid]))
            if len(picked) >= k:
                break
        best = max((score for _, score in dense), default=0.0)
        return Retrieved(sources=picked, best_dense=best)

    def _rerank(self, query: str, candidates: Sequence[Chunk]) -> list[str]:
        if self._reranker is None:
            from sentence_transformers import CrossEncoder

            self._reranker = CrossEncoder(self.settings.reranker, device="cpu")
        with self._lock:
            scores = self._reranker.predict([(query, c.embedding_text()) for c in candidates])
        ranked = sorted(zip(candidates, scores, strict=True), key=lambda p: -float(p[1]))
        return [c.id for c, _ in ranked]
