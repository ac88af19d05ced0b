"""Files to an up-to-date index, incrementally, in five phases: collect, plan, write, remove stale, record.

Chroma is the source of truth: chunk ids are derived from content, so each run
diffs what a document should hold against what Chroma holds for it, then adds
what is new, updates moved chunks' records (no re-embedding), and deletes what
is gone - in that order. A run killed at any point leaves only whole chunks
behind, and the next run repairs the rest.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from itertools import chain
from pathlib import Path
from typing import Any

from roadmap_rag.corpus.catalog import card_documents, load_catalog, pdf_manifest
from roadmap_rag.corpus.chunking import Chunk, chunk_document
from roadmap_rag.corpus.documents import (
    Document,
    LinkOutsideRoot,
    ManifestEntry,
    discover,
    iter_documents,
    load_manifest,
)
from roadmap_rag.errors import ConfigError, InputFileError
from roadmap_rag.files import resolved
from roadmap_rag.index.embeddings import Embedder, embedding_space, make_embedder
from roadmap_rag.index.guides import load_guides, save_guides
from roadmap_rag.index.lexical import DocumentInfo, Lexical, LexicalWrite, repair_lexical
from roadmap_rag.index.records import chunk_record
from roadmap_rag.index.state import Documents, count_by_kind, mark_running, read_state, write_state
from roadmap_rag.index.store import VectorStore, make_store
from roadmap_rag.settings import Settings
from roadmap_rag.types import Kind

# (stage, done, total): "documents" read, chunks "embedding", documents "written" to the store.
ProgressCallback = Callable[[str, int, int], None]


@dataclass
class IngestReport:
    documents_seen: int = 0
    added: int = 0
    passages_added: int = 0  # line-level passages embedded with the added chunks
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    documents_removed: int = 0
    seconds: float = 0.0
    embed_seconds: float = 0.0
    failures: list[InputFileError] = field(default_factory=list)
    lexical_repaired: int = 0  # chunks the lexical index lacked or held stale (a run killed mid-write)
    by_kind: dict[str, int] = field(default_factory=dict)  # chunks per kind after the run

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def embedded(self) -> int:
        return self.added

    def summary(self) -> str:
        return (
            f"{self.documents_seen} documents seen; chunks: {self.added} added, "
            f"{self.updated} updated, {self.removed} removed, {self.unchanged} unchanged; "
            f"{len(self.failures)} failed; {self.seconds:.2f} s"
        )

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self)}
        data["failures"] = [{"path": str(f.path), "reason": f.reason} for f in self.failures]
        return data


def ingest(
    settings: Settings,
    paths: Sequence[Path] | None = None,
    *,
    embedder: Embedder | None = None,
    store: VectorStore | None = None,
    rebuild: bool = False,
    progress: ProgressCallback | None = None,
) -> IngestReport:
    """Bring the index in line with ``paths`` (default: the corpus directory and the fetched papers)."""
    started = time.perf_counter()
    report = IngestReport()
    found = collect(settings, paths)
    report.failures.extend(found.failures)
    model = embedder.name if embedder else embedding_space(settings)
    with contextlib.ExitStack() as opened:
        if store is None:  # the run's own client, closed after it (store.reopen says why)
            store = opened.enter_context(contextlib.closing(make_store(settings, model, rebuild=rebuild)))
        plans = _run(settings, found, store, embedder, rebuild, progress, report, paths)
        tally(plans, report)
        report.seconds = time.perf_counter() - started
        indexed = record(settings, store, {p.doc.id: p.record() for p in plans})
        report.by_kind = count_by_kind(indexed, "chunks")
        write_state(settings, store.location, indexed, model, report.to_dict())
    return report


def _run(
    settings: Settings,
    found: Found,
    store: VectorStore,
    embedder: Embedder | None,
    rebuild: bool,
    progress: ProgressCallback | None,
    report: IngestReport,
    paths: Sequence[Path] | None,
) -> list[Plan]:
    """Plan and write under the lexical index's writer lock; the plans, for the record."""
    # One writer for the whole run, from the first reading of the store to the last commit: a second ingest
    # is refused here, before it plans from a store the first one is changing.
    with Lexical(settings.lexical_dir).writing() as lex:
        if not rebuild:
            report.lexical_repaired = repair_lexical(store, lex)
        sources = store.doc_sources()  # read once: each held document's file, before this run writes
        plans = plan(settings, found, store, sources, report, progress)
        stale = stale_documents(sources, found.roots, {p.doc.id for p in plans}, report)
        if rebuild or stale or any(p.to_add or p.to_update or p.to_delete for p in plans):
            mark_running(settings, paths)  # until write_state: a run killed from here on is doctor's to name
            generation = uuid.uuid4().hex
            store.set_generation(generation)  # first: a run killed from here on leaves a mismatch to repair
            if rebuild:
                lex.clear()
            write(settings, plans, store, embedder, report, progress, lex)
            remove_stale(store, stale, report, lex)
            lex.commit(generation)
        committed = lex.lexical.generation
        if committed and load_guides(settings.lexical_dir, committed) is None:  # written, repaired, or older
            save_guides(settings.lexical_dir, committed, store)
    return plans


# -- collect: what the run reads ---------------------------------------------------------------
@dataclass
class Found:
    """The files under the ingest roots, their manifest entries, the paper cards, and what failed to list."""

    roots: list[Path]
    files: list[Path]
    manifest: dict[Path, ManifestEntry]
    cards: list[Document]
    failures: list[InputFileError]

    def documents(self, settings: Settings) -> Iterator[Document | InputFileError]:
        return chain(iter_documents(self.files, settings, self.manifest), self.cards)


def default_roots(settings: Settings) -> list[Path]:
    """The corpus, plus the papers `roadmap-rag papers fetch` downloaded."""
    return [settings.corpus_dir] + ([settings.papers_dir] if settings.papers_dir.is_dir() else [])


def collect(settings: Settings, paths: Sequence[Path] | None) -> Found:
    # A path that loops stays as given: discover names it.
    roots = [resolved(Path(p)) or Path(p) for p in (paths or default_roots(settings))]
    manifest: dict[Path, ManifestEntry] = {}
    for root in {resolved(settings.corpus_dir) or settings.corpus_dir, *[r for r in roots if r.is_dir()]}:
        manifest.update(load_manifest(root))
    files, failures = discover(roots, settings)
    found = Found(roots, files, manifest, [], list(failures))
    if not settings.papers_catalog.exists():
        return found
    try:
        catalog = load_catalog(settings.papers_catalog)
    except ConfigError as exc:
        found.failures.append(InputFileError(settings.papers_catalog, str(exc)))
        return found
    manifest.update({k: v for k, v in pdf_manifest(catalog, files).items() if k not in manifest})
    if _under(str(catalog.path.resolve()), roots):
        titles = {e.id: e.title for e in manifest.values() if e.kind == Kind.ROADMAP}
        found.cards = card_documents(catalog, titles)
    return found


def _under(path: str, roots: Sequence[Path]) -> bool:
    p = Path(path)
    return any(p == r or r in p.parents for r in roots)


# -- plan: what each document needs ------------------------------------------------------------
@dataclass
class Plan:
    doc: Document
    chunks: list[Chunk]
    to_add: list[Chunk]
    to_update: list[Chunk]
    to_delete: list[str]

    @classmethod
    def of(cls, doc: Document, chunks: list[Chunk], stored: Sequence[Chunk], unfinished: set[str]) -> Plan:
        """Add what the store lacks (or holds without passages), update records that moved, delete the rest."""
        held = {c.id: c for c in stored}
        wanted = {c.id for c in chunks}
        return cls(
            doc=doc,
            chunks=chunks,
            to_add=[c for c in chunks if c.id not in held or c.id in unfinished],
            to_update=[c for c in chunks if c.id in held and chunk_record(c) != chunk_record(held[c.id])],
            to_delete=sorted(set(held) - wanted),
        )

    def record(self) -> dict[str, Any]:
        """The document as the ingest record lists it."""
        doc = self.doc
        return {
            "title": doc.title,
            "kind": doc.kind,
            "source": str(doc.source),
            "hash": doc.content_hash,
            "chunks": len(self.chunks),
            **({"pages": doc.page_count, "references": len(doc.references)} if doc.page_count else {}),
        }


def plan(
    settings: Settings,
    found: Found,
    store: VectorStore,
    sources: Mapping[str, str],
    report: IngestReport,
    progress: ProgressCallback | None,
) -> list[Plan]:
    unfinished = store.without_passages()
    plans: list[Plan] = []
    total = len(found.files) + len(found.cards)
    for i, item in enumerate(found.documents(settings), start=1):
        if isinstance(item, Document) and (held := held_elsewhere(item, sources)):
            item = InputFileError(
                item.source,
                f"has the document id '{item.id}', which {held} already holds in the index (ingested earlier); "
                "rename this file or give it another id in a manifest.yaml, or delete the other file and ingest "
                "its folder again",
            )
        if isinstance(item, InputFileError):
            report.failures.append(item)
        else:
            chunks = chunk_document(item, settings.chunk_size, settings.chunk_max)
            plans.append(Plan.of(item, chunks, store.document_chunks(item.id), unfinished))
        if progress:
            progress("documents", i, total)
    report.documents_seen = len(plans)
    return plans


def held_elsewhere(doc: Document, sources: Mapping[str, str]) -> str:
    """The file that holds ``doc``'s id in the index, when it is another file that still exists: ingesting
    ``doc`` would silently replace that document ("" otherwise; a file that moved takes its id with it)."""
    held = sources.get(doc.id, "")
    if not held or held == str(doc.source):
        return ""
    other = Path(held)
    try:
        return "" if not other.is_file() or other.samefile(doc.source) else held
    except OSError:
        return ""


# -- write: embed what is new, then add, update and delete -------------------------------------
def write(
    settings: Settings,
    plans: list[Plan],
    store: VectorStore,
    embedder: Embedder | None,
    report: IngestReport,
    progress: ProgressCallback | None,
    lexical: LexicalWrite,
) -> None:
    """Each document in turn: embed and add its new chunks, update moved records, delete what is gone,
    in the store and then in the lexical index."""
    to_embed = sum((not c.pooled) + len(c.passages()) for p in plans for c in p.to_add)
    if to_embed and embedder is None:
        embedder = make_embedder(settings)  # only loaded when something needs embedding
    embedded = 0

    def on_batch(n: int) -> None:
        nonlocal embedded
        embedded += n
        if progress:
            progress("embedding", embedded, to_embed)

    for written, p in enumerate(plans, start=1):
        if p.to_add:
            assert embedder is not None
            t0 = time.perf_counter()
            vectors, passage_vectors = _embed(embedder, p.to_add, on_batch)
            report.embed_seconds += time.perf_counter() - t0
            store.add(p.to_add, vectors, passage_vectors)
            lexical.add(p.to_add)
        if p.to_update:
            store.update_metadata(p.to_update)
            lexical.update(p.to_update)
        if p.to_delete:
            store.delete(p.to_delete)
            lexical.delete(p.to_delete)
        if p.chunks:
            lexical.documents[p.doc.id] = DocumentInfo(p.doc.title, str(p.doc.kind), p.doc.aliases, len(p.chunks))
        else:
            lexical.documents.pop(p.doc.id, None)
        if progress:
            progress("written", written, len(plans))


def tally(plans: list[Plan], report: IngestReport) -> None:
    """What the run did, chunk by chunk."""
    for p in plans:
        report.added += len(p.to_add)
        report.passages_added += sum(len(c.passages()) for c in p.to_add)
        report.updated += len(p.to_update)
        report.removed += len(p.to_delete)
        report.unchanged += len(p.chunks) - len(p.to_add) - len(p.to_update)


def _embed(
    embedder: Embedder, chunks: list[Chunk], on_batch: Callable[[int], None]
) -> tuple[list[list[float]], list[list[list[float]]]]:
    """One vector per chunk, and one per passage of each chunk, embedded in one call; a pooled chunk's
    vector is the normalised mean of its passages' (Chunk.pooled)."""
    own = [c for c in chunks if not c.pooled]
    passages = [c.passages() for c in chunks]
    texts = [c.embedding_text() for c in own] + [p for ps in passages for p in ps]
    vectors = embedder.embed_documents(texts, on_batch)
    by_chunk: list[list[list[float]]] = []
    offset = len(own)
    for ps in passages:
        by_chunk.append(vectors[offset : offset + len(ps)])
        offset += len(ps)
    mine = iter(vectors[: len(own)])
    return [_mean(ps) if c.pooled else next(mine) for c, ps in zip(chunks, by_chunk, strict=True)], by_chunk


def _mean(vectors: list[list[float]]) -> list[float]:
    import numpy as np

    mean = np.mean(np.asarray(vectors, dtype=np.float32), axis=0)
    norm = float(np.linalg.norm(mean))
    return [float(x) for x in (mean / norm if norm else mean)]


# -- remove stale: documents whose files are gone ----------------------------------------------
def stale_documents(
    sources: Mapping[str, str], roots: Sequence[Path], seen: set[str], report: IngestReport
) -> list[str]:
    """Documents whose files are gone from the ingested roots; a file that failed to load keeps what it had.
    A document read (before the corpus boundary) through a link that now leads out of its root goes too."""
    failed = {str(resolved(f.path) or f.path) for f in report.failures if not isinstance(f, LinkOutsideRoot)}
    refused = [f.target for f in report.failures if isinstance(f, LinkOutsideRoot)]
    return [
        doc_id
        for doc_id, source in sources.items()
        if doc_id not in seen and source not in failed and (_under(source, roots) or _under(source, refused))
    ]


def remove_stale(store: VectorStore, stale: Sequence[str], report: IngestReport, lexical: LexicalWrite) -> None:
    for doc_id in stale:
        chunk_ids = [c.id for c in store.document_chunks(doc_id)]
        store.delete(chunk_ids)
        lexical.delete(chunk_ids)
        lexical.documents.pop(doc_id, None)
        report.removed += len(chunk_ids)
        report.documents_removed += 1


# -- record: what is indexed now, for people ---------------------------------------------------
def record(settings: Settings, store: VectorStore, documents: Documents) -> Documents:
    """The documents this run read, on top of the last record's for what the store still holds."""
    state = read_state(settings)
    sources = store.doc_sources()
    kept = {k: v for k, v in state.get("documents", {}).items() if k in sources}
    return kept | documents
