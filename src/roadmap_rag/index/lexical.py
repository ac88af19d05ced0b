"""The lexical (BM25) indexes, persisted beside the Chroma data and updated with it: tantivy, chosen by
measurement against bm25s on disk and SQLite FTS5 (docs/benchmarks.md, "Lexical engines").

Three indexes, each scored with its own term statistics, as retrieval reads them:
- ``chunks``: every chunk (its section path and text);
- ``roadmaps``: the roadmaps and the paper cards alone, so a question that names no paper is scored as if
  no paper were indexed;
- ``runs``: the papers' sentence runs (their passages), for a question that names a paper.

Text is tokenized here as llama-index's BM25Retriever does it (bm25s' tokenizer: English stopwords for
documents, PyStemmer's English stemmer, tokens of 2+ word characters), and stored as those tokens, so the
engine only counts them.

Ingest writes them in Chroma's order (add, update, delete) and commits once at the end with the store's
new generation (``Lexical.generation``); a reader whose generation differs from the store's reloads and
serves the last commit until it is in step again. Only a writer (an ingest, `doctor --repair`) reconciles
what a crash or another machine's ingest left behind (``reconcile``): readers never write.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
import shutil
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from roadmap_rag.corpus.chunking import Chunk
from roadmap_rag.errors import IndexUnavailable
from roadmap_rag.index.records import chunk_from_record, chunk_record
from roadmap_rag.index.store import VectorStore
from roadmap_rag.types import Kind

_TOKEN_PATTERN = r"(?u)\b\w\w+\b"
ROADMAP_KINDS = (Kind.ROADMAP, Kind.PAPER_CARD)
_HEAP = 50_000_000
# tantivy ranks candidates with its own BM25 (k1 1.2); the best of them are scored again as bm25s scores.
_CANDIDATES = 100
K1, B = 1.5, 0.75
_BATCH = 500
REGISTRY = "documents.json"


@functools.lru_cache(maxsize=1)
def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


def document_tokens(texts: Sequence[str]) -> list[str]:
    """Each text as its space-joined BM25 tokens (stopwords out, stemmed)."""
    import bm25s

    tokens = bm25s.tokenize(
        list(texts),
        stopwords="en",
        stemmer=_stemmer(),
        token_pattern=_TOKEN_PATTERN,
        show_progress=False,
        return_ids=False,
    )
    return [" ".join(t) for t in tokens]


def query_tokens(query: str) -> list[str]:
    """A question's BM25 tokens (stemmed; stopwords kept, as bm25s queries them)."""
    import bm25s

    (tokens,) = bm25s.tokenize(
        query, stemmer=_stemmer(), token_pattern=_TOKEN_PATTERN, show_progress=False, return_ids=False
    )
    return list(tokens)  # repeated words count again, as bm25s counts them


@dataclass(frozen=True)
class DocumentInfo:
    """What retrieval and the composer need to know of a document without reading its chunks."""

    title: str
    kind: str
    aliases: tuple[str, ...] = ()
    chunks: int = 0


class _Engine:
    """One tantivy index: documents with an id, their owning chunk and document, kind, and BM25 tokens;
    ``stored`` indexes also keep each chunk's record, so a hit needs no trip to Chroma."""

    def __init__(self, path: Path, stored: bool) -> None:
        import tantivy

        self.reset = False  # the folder held an index of another schema, now emptied
        builder = tantivy.SchemaBuilder()
        for name in ("id", "chunk", "doc_id", "kind"):
            builder.add_text_field(name, stored=name in ("id", "chunk"), tokenizer_name="raw")
        builder.add_text_field("body", stored=True, tokenizer_name="whitespace", index_option="freq")
        builder.add_integer_field("len", fast=True)  # tokens in the body, for the average length
        if stored:
            builder.add_text_field("record", stored=True, tokenizer_name="raw", index_option="basic")
            builder.add_text_field("sig", stored=True, tokenizer_name="raw", index_option="basic")
        self.schema = builder.build()
        path.mkdir(parents=True, exist_ok=True)
        try:
            self.index = tantivy.Index(self.schema, path=str(path), reuse=True)
        except ValueError:  # written by another version (another schema): derived data, so start again
            self.reset = True
            shutil.rmtree(path)
            path.mkdir(parents=True)
            self.index = tantivy.Index(self.schema, path=str(path), reuse=True)
        self._searcher: Any = None
        self._idf: dict[str | None, dict[str, float]] = {}  # per scope (None: the whole index)
        self._average: dict[str | None, tuple[int, float]] = {}

    def searcher(self) -> Any:
        if self._searcher is None:
            self.index.reload()
            self._searcher = self.index.searcher()
            self._idf = {}
            self._average = {}
        return self._searcher

    def reload(self) -> None:
        self._searcher = None

    def _statistics(
        self, searcher: Any, tokens: Sequence[str], scope: tuple[str, Any] | None = None
    ) -> tuple[dict[str, float], float]:
        """The terms' idf and the average body length, as bm25s computes them (cached until a reload): over
        the whole index, or over the documents a ``scope`` (its key, its query) selects."""
        import tantivy

        key, selected = scope if scope is not None else (None, tantivy.Query.all_query())
        if key not in self._average:
            n = searcher.num_docs if scope is None else searcher.search(selected, 1, count=True).count
            total = searcher.aggregate(selected, {"total": {"sum": {"field": "len"}}})
            self._average[key] = (n, float(total["total"]["value"] or 0.0) / max(n, 1))
        n, average = self._average[key]
        idf = self._idf.setdefault(key, {})
        for token in tokens:
            if token not in idf:
                if scope is None:
                    df = searcher.doc_freq("body", token)
                else:
                    term = tantivy.Query.term_query(self.schema, "body", token)
                    both = tantivy.Query.boolean_query([(tantivy.Occur.Must, term), (tantivy.Occur.Must, selected)])
                    df = searcher.search(both, 1, count=True).count
                idf[token] = math.log(1 + (n - df + 0.5) / (df + 0.5))
        return idf, average

    def search(
        self,
        tokens: Sequence[str],
        k: int,
        doc_ids: Sequence[str] = (),
        kinds: Sequence[str] = (),
        local: bool = False,
    ) -> list[tuple[Any, float]]:
        """(stored document, BM25 score) of the k best matches, best first; ``local``: scored with the term
        statistics of the documents the filters select, not the whole index's."""
        import tantivy

        if not tokens:
            return []
        should = [(tantivy.Occur.Should, tantivy.Query.term_query(self.schema, "body", t)) for t in tokens]
        clauses = [(tantivy.Occur.Must, tantivy.Query.boolean_query(should))]
        filters = []
        for field, values in (("doc_id", doc_ids), ("kind", kinds)):
            if values:
                filters.append((tantivy.Occur.Must, tantivy.Query.term_set_query(self.schema, field, list(values))))
        searcher = self.searcher()
        query = tantivy.Query.boolean_query(clauses + filters)
        hits = searcher.search(query, max(k * 5, _CANDIDATES), count=False).hits
        key = f"{sorted(doc_ids)}|{sorted(kinds)}"
        scope = (key, tantivy.Query.boolean_query(filters)) if local and filters else None
        idf, average = self._statistics(searcher, tokens, scope)
        scored = []
        for rank, (_, address) in enumerate(hits):
            doc = searcher.doc(address)
            body = doc["body"][0].split()
            scored.append((-_bm25(tokens, Counter(body), len(body), idf, average), rank, doc))
        scored.sort(key=lambda t: (t[0], t[1]))
        return [(doc, -score) for score, _, doc in scored[:k]]

    def matching(self, field: str, value: str) -> list[Any]:
        """Every stored document whose ``field`` is ``value``: a term lookup, whatever the index's size."""
        import tantivy

        searcher = self.searcher()
        query = tantivy.Query.term_query(self.schema, field, value)
        count = searcher.search(query, 1, count=True).count
        if not count:
            return []
        return [searcher.doc(address) for _, address in searcher.search(query, count, count=False).hits]

    def fields(self, key: str, value: str) -> dict[str, str]:
        """``key`` -> ``value`` of every document (the repair path reads the whole index this way)."""
        import tantivy

        searcher = self.searcher()
        if not searcher.num_docs:
            return {}
        hits = searcher.search(tantivy.Query.all_query(), searcher.num_docs, count=False).hits
        docs = (searcher.doc(address) for _, address in hits)
        return {doc[key][0]: doc[value][0] for doc in docs}


class Lexical:
    """The three lexical indexes of one store, and the registry of its documents.

    One writer at a time (tantivy holds a lock file while a writer is open: ``writing``); readers in any
    number of processes. A write that is not committed leaves the indexes at the last commit; the store's
    generation then tells the two apart, and ``reconcile`` repairs."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.engines = {
                "chunks": _Engine(path / "chunks", stored=True),
                "roadmaps": _Engine(path / "roadmaps", stored=True),
                "runs": _Engine(path / "runs", stored=False),
            }
        except (OSError, ValueError) as exc:
            raise IndexUnavailable(
                f"cannot open the lexical index at {path}: {exc}; run `roadmap-rag ingest --rebuild` to build it again"
            ) from exc
        if any(e.reset for e in self.engines.values()):
            (path / REGISTRY).unlink(missing_ok=True)  # so the store's generation no longer matches: repair
        self._registry: dict[str, DocumentInfo] | None = None
        self._generation: str | None = None

    # -- reading ------------------------------------------------------------------------------
    @property
    def generation(self) -> str:
        """The store generation the committed indexes mirror ("" before the first commit)."""
        if self._generation is None:
            self._generation = str(self._read_registry().get("generation", ""))
        return self._generation

    def documents(self) -> dict[str, DocumentInfo]:
        """Every indexed document's title, kind, aliases and chunk count."""
        if self._registry is None:
            raw = self._read_registry().get("documents", {})
            self._registry = {
                d: DocumentInfo(v["title"], v["kind"], tuple(v.get("aliases", ())), v.get("chunks", 0))
                for d, v in raw.items()
            }
        return self._registry

    def _read_registry(self) -> dict[str, Any]:
        try:
            data = json.loads((self.path / REGISTRY).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def reload(self) -> None:
        """See the last commit (another process's, too)."""
        for engine in self.engines.values():
            engine.reload()
        self._registry = None
        self._generation = None

    def search(
        self,
        index: str,
        query: str,
        k: int,
        doc_ids: Sequence[str] = (),
        kinds: Sequence[str] = (),
        local: bool = False,
    ) -> list[tuple[Chunk, float]]:
        """The k best chunks of ``chunks`` or ``roadmaps`` for ``query``, with their BM25 scores."""
        hits = self.engines[index].search(query_tokens(query), k, doc_ids, kinds, local)
        return [(_chunk(doc), score) for doc, score in hits]

    def search_runs(
        self, query: str, k: int, doc_ids: Sequence[str] = (), kinds: Sequence[str] = (), local: bool = False
    ) -> list[tuple[str, float]]:
        """(chunk id, score) of the k papers' chunks whose best sentence run matches ``query`` best."""
        best: dict[str, float] = {}
        for doc, score in self.engines["runs"].search(query_tokens(query), k * 8, doc_ids, kinds, local):
            best.setdefault(doc["chunk"][0], score)
            if len(best) >= k:
                break
        return list(best.items())

    def document_chunks(self, doc_id: str) -> list[Chunk]:
        """One document's chunks as the last commit holds them (each with its text), in document order. The
        store's filtered read scans every record: 1-2 s a document at 100,000 chunks, where this takes a few
        milliseconds at any size (docs/benchmarks.md)."""
        chunks = [_chunk(doc) for doc in self.engines["chunks"].matching("doc_id", doc_id)]
        return sorted(chunks, key=lambda c: c.ordinal)

    def signatures(self) -> dict[str, str]:
        """Chunk id -> the signature of the record it was indexed with."""
        return self.engines["chunks"].fields("id", "sig")

    # -- writing ------------------------------------------------------------------------------
    @contextmanager
    def writing(self) -> Iterator[LexicalWrite]:
        """The writers of the three indexes, for one ingest or repair; nothing is visible until ``commit``,
        and a block left without it (an error, a crash) leaves the last commit in place."""
        try:
            writers = {name: e.index.writer(_HEAP, 1) for name, e in self.engines.items()}
        except ValueError as exc:  # tantivy's lock file: another process is writing
            raise IndexUnavailable(
                f"the lexical index at {self.path} is being written by another process (an ingest?); "
                "retry once it is done"
            ) from exc
        try:
            self.reload()  # the last commit, another process's too: what this writer starts from
            yield LexicalWrite(self, writers)
        finally:
            for writer in writers.values():
                writer.rollback()  # no-op after a commit; drops what an interrupted block wrote
                writer.wait_merging_threads()  # and lets go of the writer's lock


class LexicalWrite:
    """Writes to the three indexes, in the store's order (add, update, delete), and one commit."""

    def __init__(self, lexical: Lexical, writers: dict[str, Any]) -> None:
        self.lexical = lexical
        self.writers = writers
        self.documents = dict(lexical.documents())

    def add(self, chunks: Sequence[Chunk]) -> None:
        """Index ``chunks``, replacing whatever had their ids (a re-added chunk, an updated record)."""
        import tantivy

        self.delete(c.id for c in chunks)
        bodies = document_tokens([c.embedding_text() for c in chunks])
        for chunk, body in zip(chunks, bodies, strict=True):
            record = chunk_record(chunk)
            stored = json.dumps({"text": chunk.text, **record}, ensure_ascii=False)
            fields = {"id": chunk.id, "chunk": chunk.id, "doc_id": chunk.doc_id, "kind": str(chunk.kind)}
            length = len(body.split())
            document = tantivy.Document(**fields, body=body, len=length, record=stored, sig=signature(record))
            self.writers["chunks"].add_document(document)
            if chunk.kind in ROADMAP_KINDS:
                self.writers["roadmaps"].add_document(document)
        runs = [(c, n, run) for c in chunks if c.kind == Kind.PAPER for n, run in enumerate(c.passages())]
        for (chunk, n, _), body in zip(runs, document_tokens([run for _, _, run in runs]), strict=True):
            fields = {"id": f"{chunk.id}#{n}", "chunk": chunk.id, "doc_id": chunk.doc_id, "kind": str(chunk.kind)}
            self.writers["runs"].add_document(tantivy.Document(**fields, body=body, len=len(body.split())))

    update = add  # a record that moved: its tokens hold the section path

    def delete(self, chunk_ids: Iterable[str]) -> None:
        for chunk_id in chunk_ids:
            self.writers["chunks"].delete_documents_by_term("id", chunk_id)
            self.writers["roadmaps"].delete_documents_by_term("id", chunk_id)
            self.writers["runs"].delete_documents_by_term("chunk", chunk_id)

    def commit(self, generation: str) -> None:
        """Make the writes visible, then record ``generation`` and the document registry."""
        for writer in self.writers.values():
            writer.commit()
        registry = {"generation": generation, "documents": {d: asdict(i) for d, i in self.documents.items()}}
        target = self.lexical.path / REGISTRY
        temporary = target.with_suffix(".tmp")
        temporary.write_text(json.dumps(registry, ensure_ascii=False), encoding="utf-8")
        os.replace(temporary, target)  # atomic: readers see the old registry or the new one
        self.lexical.reload()

    def clear(self) -> None:
        for writer in self.writers.values():
            writer.delete_all_documents()
        self.documents = {}


def _bm25(tokens: Sequence[str], tf: Counter[str], length: int, idf: dict[str, float], average: float) -> float:
    """bm25s' "lucene" BM25 (k1 1.5, b 0.75), a repeated query word counting again: the scores the in-memory
    index gave, so the rankings (and the golden-set figures) stay as they were."""
    norm = K1 * (1 - B + B * length / average) if average else K1
    return sum(idf[t] * tf[t] / (tf[t] + norm) for t in tokens if tf[t])


def signature(record: dict[str, str | int]) -> str:
    return hashlib.sha1(json.dumps(record, sort_keys=True).encode("utf-8")).hexdigest()[:16]


def documents_of(chunks: Iterable[Chunk]) -> dict[str, DocumentInfo]:
    """The registry entries of the documents these chunks belong to."""
    counts: dict[str, int] = {}
    first: dict[str, Chunk] = {}
    for chunk in chunks:
        counts[chunk.doc_id] = counts.get(chunk.doc_id, 0) + 1
        first.setdefault(chunk.doc_id, chunk)
    return {d: DocumentInfo(c.doc_title, str(c.kind), c.aliases, counts[d]) for d, c in first.items()}


def reconcile(store: VectorStore, write: LexicalWrite, generation: str) -> int:
    """Bring the lexical indexes in line with the store (a crash between the two, another machine's
    ingest): index what they lack or hold with another record, drop what the store no longer has, and
    commit under ``generation``. The store is read after ``write`` took the writer's lock, so no ingest of
    this machine writes between that reading and the commit. Returns how many chunks that touched."""
    stored = store.records()
    wanted = {cid: signature(chunk_record(c)) for cid, c in stored.items()}
    held = write.lexical.signatures()
    stale = [cid for cid, sig in held.items() if wanted.get(cid) != sig]
    missing = [cid for cid, sig in wanted.items() if held.get(cid) != sig]
    write.delete(stale)
    for i in range(0, len(missing), _BATCH):
        write.add(store.chunks_by_id(missing[i : i + _BATCH]))
    write.documents = documents_of(stored.values())
    write.commit(generation)
    return len(set(stale) | set(missing))


def in_step(lexical: Lexical, store: VectorStore, generation: str | None = None) -> bool:
    """The lexical index's last commit mirrors the store's generation (``generation``: the store's, when the
    caller has just read it)."""
    generation = store.generation() if generation is None else generation
    return lexical.generation == generation and bool(generation or not store.count())


def repair_lexical(store: VectorStore, write: LexicalWrite) -> int:
    """The lexical index brought in line with the store when their generations differ (a run killed between
    the two, an ingest on another machine, an index from before the lexical index existed). Only a writer
    repairs (an ingest, `doctor --repair`): it holds ``write``, the writer's lock. Readers never write."""
    generation = store.generation()
    if in_step(write.lexical, store, generation):
        return 0
    if not generation:  # a store from before generations: give it one
        generation = uuid.uuid4().hex
        store.set_generation(generation)
    return reconcile(store, write, generation)


def _chunk(doc: Any) -> Chunk:
    record = json.loads(doc["record"][0])
    return chunk_from_record(doc["id"][0], record.pop("text"), record)


def lexical_mode(lexical: Lexical, store: VectorStore) -> str:
    """Which lexical index serves BM25, and why, for `roadmap-rag status` and the HTTP API."""
    sparse, reason = store.sparse_search()
    where = f"local tantivy index at {lexical.path} ({len(lexical.documents())} documents)"
    if sparse:
        return f"{where}; the Chroma server offers sparse (BM25) indexes, which roadmap-rag does not use yet"
    return f"{where}; server-side BM25 is not available: {reason}"
