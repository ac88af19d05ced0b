"""Chunks in Chroma: embedded (PersistentClient) or a Chroma server, written through llama-index.

The store speaks in ``Chunk`` objects; how a chunk is kept as a Chroma record (its metadata) is
decided in ``records`` (``chunk_record`` and ``chunk_from_record``), and nowhere else.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol, TypeVar

from roadmap_rag.corpus.chunking import Chunk
from roadmap_rag.errors import IndexUnavailable
from roadmap_rag.index.gate import _Gate
from roadmap_rag.index.records import _OPTIONAL_KEYS, _chunks, _kept, _passage_record, chunk_record
from roadmap_rag.index.slices import Slice
from roadmap_rag.settings import Settings

_log = logging.getLogger(__name__)
_BATCH = 500
_PAGE = 5000
# HNSW breadth when building and searching. Chroma's default search (ef 10) is approximate enough that two
# builds of the same corpus ranked a borderline passage 7th and 20th; at 200 every fresh build ranks the eval
# set identically (eval/README.md), and a 1M-chunk query stays in milliseconds (docs/benchmarks.md).
SEARCH_EF = 200
PASSAGES_SUFFIX = "-passages"
META_SUFFIX = "-meta"
_GENERATION = "generation"
# The generations this process wrote (set_generation): its own embedded client saw every write of those.
_WRITTEN: set[str] = set()
# A read that meets another process's writes fails with one of these while Chroma settles: "Error finding id"
# (an embedded client whose vectors are stale: reopened, then tried once more) or "Error executing plan" (a
# server compacting after deletes: tried again after these waits, 1.7 s in all, before the error is the answer).
_UNSETTLED = ("Error finding id", "Error executing plan")
_SERVER_WAITS = (0.2, 0.5, 1.0)


_T = TypeVar("_T")
Vectors = Sequence[Sequence[float]]
Where = dict[str, Any]


class VectorStore(Protocol):
    """Chunks with one vector each, plus one vector per passage (line) of each chunk."""

    location: str

    def count(self) -> int: ...
    def doc_sources(self) -> dict[str, str]: ...
    def document_chunks(self, doc_id: str) -> list[Chunk]: ...
    def add(self, chunks: Sequence[Chunk], embeddings: Vectors, passages: Sequence[Vectors]) -> None: ...
    def update_metadata(self, chunks: Sequence[Chunk]) -> None: ...
    def delete(self, ids: Iterable[str]) -> None: ...
    def all_chunks(self) -> list[Chunk]: ...
    def without_passages(self) -> set[str]: ...
    def query(self, embedding: Sequence[float], k: int, where: Where | None = None) -> list[tuple[Chunk, float]]: ...
    def query_passages(
        self, embedding: Sequence[float], k: int, where: Where | None = None
    ) -> list[tuple[str, float, str]]: ...
    def chunks_by_id(self, ids: Sequence[str]) -> list[Chunk]: ...
    def records(self) -> dict[str, Chunk]: ...
    def generation(self) -> str: ...
    def set_generation(self, value: str) -> None: ...
    def refresh(self, generation: str) -> None: ...
    def close(self) -> None: ...
    def sparse_search(self) -> tuple[bool, str]: ...
    def vectors(self, where: Where | None) -> Slice: ...


def _batches(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), _BATCH):
        yield items[i : i + _BATCH]


class ChromaStore:
    """Two Chroma collections: chunks (written through llama-index's ChromaVectorStore) and their passages.

    Passages are written before their chunk and deleted after it, so a chunk present in Chroma
    always has its passages; orphaned passages left by a crash are removed by the next ingest.
    Every operation turns a lost Chroma server into IndexUnavailable, reads and writes alike.
    """

    def __init__(self, settings: Settings, embedding_model: str, rebuild: bool = False) -> None:
        self.location = settings.store_location
        self._server = (settings.chroma_host, settings.chroma_port) if settings.chroma_host else None
        self._lock = threading.Lock()
        self._writer: Any = None  # llama-index's ChromaVectorStore, made on the first write
        self._sparse: tuple[bool, str] | None = None
        self._settings, self._model = settings, embedding_model
        self._gate = _Gate()
        try:
            self._open(settings, embedding_model, rebuild)
        except Exception as exc:
            hint = (
                f"is `chroma run --host {settings.chroma_host} --port {settings.chroma_port}` running?"
                if settings.chroma_host
                else f"is {settings.chroma_dir} writable and not used by another process?"
            )
            raise IndexUnavailable(f"cannot open Chroma at {self.location}: {exc}; {hint}") from exc
        self._seen = self.generation()  # the data this client loaded (embedded Chroma caches its vectors)
        built_with = (self._collection.metadata or {}).get("embedding_model")
        if built_with and built_with != embedding_model:
            raise IndexUnavailable(
                f"the index at {self.location} was built with embedding model "
                f"'{built_with}', not '{embedding_model}'; run `roadmap-rag ingest --rebuild` "
                "or set ROADMAP_RAG_EMBEDDING_MODEL (and ROADMAP_RAG_EMBEDDING_ADAPTATION) back"
            )

    def _open(self, settings: Settings, embedding_model: str, rebuild: bool) -> None:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        chroma_settings = ChromaSettings(anonymized_telemetry=False)
        if settings.chroma_host:
            self._client: Any = chromadb.HttpClient(
                host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings
            )
            self._client.heartbeat()
        else:
            settings.chroma_dir.mkdir(parents=True, exist_ok=True)
            self._client = chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)
        names = {c.name for c in self._client.list_collections()}
        passages_name = settings.collection + PASSAGES_SUFFIX
        for name in (settings.collection, passages_name):
            if rebuild and name in names:
                self._client.delete_collection(name)
        metadata = {
            "hnsw:space": "cosine",
            "embedding_model": embedding_model,
            "hnsw:search_ef": SEARCH_EF,
            "hnsw:construction_ef": SEARCH_EF,
        }
        # embedding_function=None: Chroma's default would download a model.
        self._collection: Any = self._client.get_or_create_collection(
            settings.collection, embedding_function=None, metadata=metadata
        )
        self._passages: Any = self._client.get_or_create_collection(
            passages_name, embedding_function=None, metadata=metadata
        )
        # One record: the generation of the data, changed by every ingest that writes (lexical.py).
        meta_name = settings.collection + META_SUFFIX
        if rebuild and meta_name in names:
            self._client.delete_collection(meta_name)
        self._meta: Any = self._client.get_or_create_collection(meta_name, embedding_function=None)

    @property
    def _vector_store(self) -> Any:
        """Writes go through llama-index; imported on first use, so answering never pays for it."""
        if self._writer is None:
            from llama_index.vector_stores.chroma import ChromaVectorStore

            self._writer = ChromaVectorStore(chroma_collection=self._collection)
        return self._writer

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """A Chroma server that went away is an IndexUnavailable with a hint, not a stack trace.
        The HTTP client holds no connection state: once the server is back, the next call works,
        and the next ingest repairs whatever a write left half done."""
        try:
            with self._gate.shared():
                yield
        except Exception as exc:
            if self._server is None or isinstance(exc, IndexUnavailable):
                raise
            host, port = self._server
            raise IndexUnavailable(
                f"the Chroma server at http://{host}:{port} stopped answering: is `chroma run --host {host} --port "
                f"{port}` still running? Retry once it is back (`roadmap-rag ingest` repairs an ingest it "
                f"interrupted). The error: {type(exc).__name__}: {exc}"
            ) from exc

    def count(self) -> int:
        with self._guard():
            return int(self._collection.count())

    def _pages(self, include: list[str]) -> Iterator[Any]:
        for offset in range(0, self.count(), _PAGE):
            with self._guard():
                page = self._collection.get(include=include, limit=_PAGE, offset=offset)
            yield page

    def doc_sources(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for page in self._pages(["metadatas"]):
            for meta in page["metadatas"] or []:
                if meta and "doc_id" in meta:
                    out[str(meta["doc_id"])] = str(meta.get("source", ""))
        return out

    def document_chunks(self, doc_id: str) -> list[Chunk]:
        """What the store holds for one document, in document order."""
        got = self._settled(lambda: self._get(where={"doc_id": doc_id}, include=["metadatas", "documents"]))
        return _chunks(got["ids"], got["documents"], got["metadatas"])

    def _get(self, **query: Any) -> Any:
        with self._guard():
            return self._collection.get(**query)

    def _generation(self) -> Any:
        with self._guard():
            return self._meta.get(ids=[_GENERATION], include=["documents"])

    def generation(self) -> str:
        """Changed by every ingest that writes: what readers compare their lexical index with."""
        got = self._settled(self._generation)
        return str(got["documents"][0]) if got["ids"] else ""

    def set_generation(self, value: str) -> None:
        with self._lock, self._guard():
            self._meta.upsert(ids=[_GENERATION], documents=[value], embeddings=[[0.0]])
        _WRITTEN.add(value)

    def refresh(self, generation: str) -> None:
        """See what another process wrote up to ``generation``. A Chroma server serves every client the same
        data; an embedded client keeps the vector index it loaded in memory, so after another process's ingest
        its searches miss the new chunks, and a filtered one fails ("Error finding id"): open it again."""
        if self._server is not None or generation in _WRITTEN or generation == self._seen:
            return
        self.reopen()
        self._seen = generation

    def reopen(self) -> None:
        """A new embedded client on the same path, reading the data as it is on disk now (once the operations
        in flight are done). Chroma shares one cached system per path among a process's clients and drops it
        with the last one: every store a command opens for a moment is closed (``close``)."""
        with self._lock, self._gate.exclusive():
            self._client.close()
            self._writer = None
            self._open(self._settings, self._model, rebuild=False)

    def close(self) -> None:
        """Let go of the client (an embedded one's files and cache, once no other store of the path holds them)."""
        with self._lock, self._gate.exclusive():
            self._client.close()

    def _settled(self, read: Callable[[], _T]) -> _T:
        """``read()``, tried again while it fails on another process's writes (``_UNSETTLED``): an embedded
        client is reopened and tried once more; a server is given ``_SERVER_WAITS`` to settle."""
        waits = iter(_SERVER_WAITS if self._server is not None else (0.0,))
        while True:
            try:
                return read()
            except Exception as exc:
                wait = next(waits, None)
                if wait is None or not any(sign in str(exc) for sign in _UNSETTLED):
                    raise
                _log.info("retrying a read that met another process's writes: %s", exc)
                if self._server is None:
                    self.reopen()
                else:
                    time.sleep(wait)

    def sparse_search(self) -> tuple[bool, str]:
        """Whether this Chroma serves BM25 (sparse) indexes for hybrid search in the server (the Search API
        with ``SparseVectorIndexConfig``): distributed Chroma and Chroma Cloud do; the embedded store and
        `chroma run` refuse them. Probed once with a throwaway collection; (answer, the store's words)."""
        if self._sparse is None:
            self._sparse = self._probe_sparse()
        return self._sparse

    def _probe_sparse(self) -> tuple[bool, str]:
        from chromadb.api.types import Schema, SparseVectorIndexConfig
        from chromadb.errors import InvalidArgumentError
        from chromadb.utils.embedding_functions import ChromaBm25EmbeddingFunction

        config = SparseVectorIndexConfig(
            source_key="#document", embedding_function=ChromaBm25EmbeddingFunction(), bm25=True
        )
        schema = Schema()
        schema.create_index(key="bm25_probe", config=config)
        name = f"{self._collection.name}-sparse-probe"
        with self._guard():
            try:
                self._client.create_collection(name, schema=schema, embedding_function=None)
            except InvalidArgumentError as exc:  # refused: in Chroma's words
                return False, str(exc)
            self._client.delete_collection(name)
        return True, "sparse indexes are enabled"

    def vectors(self, where: Where | None) -> Slice:
        """The chunks ``where`` selects (None: all), their passages and every vector, for exact search in memory."""
        return self._settled(lambda: self._vectors(where))

    def _vectors(self, where: Where | None) -> Slice:
        with self._guard():
            got = self._collection.get(where=where, include=["documents", "metadatas", "embeddings"])
            lines = self._passages.get(where=where, include=["documents", "metadatas", "embeddings"])
        kept = _kept(got["ids"], got["documents"], got["metadatas"])
        passages = [
            (str(meta["chunk_id"]), text or "", vector)
            for meta, text, vector in zip(lines["metadatas"], lines["documents"], lines["embeddings"], strict=True)
            if meta and "chunk_id" in meta
        ]
        return Slice.of([chunk for _, chunk in kept], [got["embeddings"][row] for row, _ in kept], passages)

    def chunks_by_id(self, ids: Sequence[str]) -> list[Chunk]:
        """The chunks with these ids, in the order given; ids the store lacks are left out."""
        if not ids:
            return []
        got = self._settled(lambda: self._get(ids=list(dict.fromkeys(ids)), include=["metadatas", "documents"]))
        found = {c.id: c for c in _chunks(got["ids"], got["documents"], got["metadatas"])}
        return [found[i] for i in ids if i in found]

    def records(self) -> dict[str, Chunk]:
        """Every chunk's record, without its text: the repair path's view of the store."""
        out: dict[str, Chunk] = {}
        for page in self._pages(["metadatas"]):
            out.update((c.id, c) for c in _chunks(page["ids"], None, page["metadatas"]))
        return out

    def all_chunks(self) -> list[Chunk]:
        chunks: list[Chunk] = []
        for page in self._pages(["documents", "metadatas"]):
            chunks.extend(_chunks(page["ids"], page["documents"], page["metadatas"]))
        chunks.sort(key=lambda c: (c.doc_id, c.ordinal))
        return chunks

    def _nodes(self, chunks: Sequence[Chunk], embeddings: Vectors | None) -> list[Any]:
        from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode

        nodes = []
        for i, chunk in enumerate(chunks):
            node = TextNode(
                id_=chunk.id,
                text=chunk.text,
                metadata=chunk_record(chunk),
                embedding=list(embeddings[i]) if embeddings is not None else None,
                start_char_idx=chunk.start,
                end_char_idx=chunk.end,
            )
            node.relationships[NodeRelationship.SOURCE] = RelatedNodeInfo(node_id=chunk.doc_id)
            nodes.append(node)
        return nodes

    def add(self, chunks: Sequence[Chunk], embeddings: Vectors, passages: Sequence[Vectors]) -> None:
        """Write ``chunks``; ``passages[i]`` holds the vectors of ``chunks[i].passages()``."""
        ids: list[str] = []
        vectors: list[list[float]] = []
        records: list[dict[str, str]] = []
        texts: list[str] = []
        for chunk, chunk_passages in zip(chunks, passages, strict=True):
            for n, (text, vector) in enumerate(zip(chunk.passages(), chunk_passages, strict=True)):
                ids.append(f"{chunk.id}#{n}")
                vectors.append(list(vector))
                records.append(_passage_record(chunk))
                texts.append(text)
        nodes = self._nodes(chunks, embeddings)
        with self._lock, self._guard():
            for i in range(0, len(ids), _BATCH):
                part = slice(i, i + _BATCH)
                self._passages.upsert(
                    ids=ids[part], embeddings=vectors[part], metadatas=records[part], documents=texts[part]
                )
            for batch in _batches(nodes):
                self._vector_store.add(list(batch))

    def update_metadata(self, chunks: Sequence[Chunk]) -> None:
        """Rewrite the records of chunks whose text is unchanged but whose place (section, offsets) moved."""
        from llama_index.core.vector_stores.utils import node_to_metadata_dict

        # As llama-index writes them (its node JSON included); None drops a key the chunk no longer has,
        # since Chroma merges metadata on update.
        records = [
            {key: None for key in _OPTIONAL_KEYS} | node_to_metadata_dict(node, remove_text=True, flat_metadata=True)
            for node in self._nodes(chunks, None)
        ]
        with self._lock, self._guard():
            for i in range(0, len(chunks), _BATCH):
                ids = [c.id for c in chunks[i : i + _BATCH]]
                self._collection.update(ids=ids, metadatas=records[i : i + _BATCH])
            for chunk in chunks:  # a document's kind may change; its passages follow
                got = self._passages.get(where={"chunk_id": chunk.id}, include=[])
                if got["ids"]:
                    self._passages.update(ids=got["ids"], metadatas=[_passage_record(chunk)] * len(got["ids"]))

    def delete(self, ids: Iterable[str]) -> None:
        ids = list(ids)
        with self._lock, self._guard():
            for batch in _batches(ids):
                self._collection.delete(ids=list(batch))
            for batch in _batches(ids):
                self._passages.delete(where={"chunk_id": {"$in": list(batch)}})

    def _passage_owners(self) -> set[str]:
        owners: set[str] = set()
        with self._guard():
            for offset in range(0, int(self._passages.count()), _PAGE):
                got = self._passages.get(include=["metadatas"], limit=_PAGE, offset=offset)
                owners.update(str(m["chunk_id"]) for m in got["metadatas"] or [] if m)
        return owners

    def without_passages(self) -> set[str]:
        """Chunks that have no passages (an index from before passages existed); orphans are dropped."""
        owners = self._passage_owners()
        chunk_ids: set[str] = set()
        for page in self._pages([]):
            chunk_ids.update(page["ids"])
        orphans = sorted(owners - chunk_ids)
        with self._lock, self._guard():
            for batch in _batches(orphans):
                self._passages.delete(where={"chunk_id": {"$in": list(batch)}})
        return chunk_ids - owners

    def _query(self, passages: bool, embedding: Sequence[float], k: int, where: Where | None) -> Any:
        # Chroma returns what it has when k exceeds the count (no count() call: 1.5 ms).
        return self._settled(lambda: self._query_once(passages, embedding, k, where))

    def _query_once(self, passages: bool, embedding: Sequence[float], k: int, where: Where | None) -> Any:
        with self._guard():
            return (self._passages if passages else self._collection).query(
                query_embeddings=[list(embedding)],
                n_results=k,
                where=where or None,
                include=["documents", "metadatas", "distances"],
            )

    def query(self, embedding: Sequence[float], k: int, where: Where | None = None) -> list[tuple[Chunk, float]]:
        got = self._query(False, embedding, k, where)
        distances = got["distances"][0]
        return [
            (chunk, 1.0 - float(distances[row]))
            for row, chunk in _kept(got["ids"][0], got["documents"][0], got["metadatas"][0])
        ]

    def query_passages(
        self, embedding: Sequence[float], k: int, where: Where | None = None
    ) -> list[tuple[str, float, str]]:
        """(chunk id, similarity, passage text) of the best-matching passages, best first; a chunk may repeat."""
        got = self._query(True, embedding, k, where)
        return [
            (str(meta["chunk_id"]), 1.0 - float(dist), text or "")
            for meta, dist, text in zip(got["metadatas"][0], got["distances"][0], got["documents"][0], strict=True)
            if meta and "chunk_id" in meta  # a passage deleted while it was read: left out
        ]


def make_store(settings: Settings, embedding_model: str, rebuild: bool = False) -> VectorStore:
    if settings.store == "chroma":
        return ChromaStore(settings, embedding_model, rebuild=rebuild)
    raise IndexUnavailable(f"unknown store '{settings.store}'; use 'chroma'")
