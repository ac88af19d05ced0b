"""Files to an up-to-date index, incrementally.

Chroma is the source of truth: chunk ids are derived from content, so each run
diffs what a document should hold against what Chroma holds for it, then adds
what is new, updates moved chunks' metadata (no re-embedding), and deletes what
is gone - in that order. A run killed at any point leaves only whole chunks
behind, and the next run repairs the rest.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from itertools import chain
from pathlib import Path
from typing import Any

from roadmap_rag.chunking import Chunk, chunk_document
from roadmap_rag.corpus import Document, discover, iter_documents, load_manifest
from roadmap_rag.embeddings import Embedder, embedding_space, make_embedder
from roadmap_rag.errors import ConfigError, InputFileError
from roadmap_rag.files import read_json, write_json
from roadmap_rag.papers.catalog import card_documents, load_catalog, pdf_manifest
from roadmap_rag.settings import Settings
from roadmap_rag.store import ALIAS_SEPARATOR, VectorStore, make_store
from roadmap_rag.types import Kind

# (stage, done, total): "documents" read, chunks "embedding", documents "written" to the store.
ProgressCallback = Callable[[str, int, int], None]

KIND_LABELS: dict[str, str] = {Kind.ROADMAP: "roadmap", Kind.PAPER_CARD: "paper card", Kind.PAPER: "paper"}
_COMPARED = ("doc_title", "kind", "section", "start", "end", "ordinal", "page", "url", "source", "aliases")


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


@dataclass
class _Plan:
    doc: Document
    chunks: list[Chunk]
    to_add: list[Chunk]
    to_update: list[Chunk]
    to_delete: list[str]

    @property
    def doc_meta(self) -> dict[str, str]:
        return _doc_meta(self.doc)


def _doc_meta(doc: Document) -> dict[str, str]:
    """Per-document fields stored on every chunk."""
    return {"doc_hash": doc.content_hash, "source": str(doc.source)}


def _count_by_kind(documents: dict[str, dict[str, Any]], key: str | None) -> dict[str, int]:
    """Documents (key None) or their chunks (key "chunks") per kind."""
    out: dict[str, int] = {}
    for info in documents.values():
        out[info["kind"]] = out.get(info["kind"], 0) + (int(info[key]) if key else 1)
    return out


def _differs(chunk: Chunk, stored: dict[str, Any], doc_meta: dict[str, str]) -> bool:
    want = {
        "doc_title": chunk.doc_title, "kind": chunk.kind, "section": chunk.section,
        "start": chunk.start, "end": chunk.end, "ordinal": chunk.ordinal,
        "page": chunk.page, "url": chunk.url or None, "source": doc_meta["source"],
        "aliases": ALIAS_SEPARATOR.join(chunk.aliases) or None,
    }  # fmt: skip
    return any(stored.get(key) != want[key] for key in _COMPARED)


def _plan(doc: Document, store: VectorStore, settings: Settings, unfinished: set[str]) -> _Plan:
    """What to write for ``doc``; chunks in ``unfinished`` (no passages yet) are written again."""
    chunks = chunk_document(doc, settings.chunk_size, settings.chunk_max)
    stored = store.chunk_ids(doc.id)
    wanted = {c.id for c in chunks}
    meta = _doc_meta(doc)
    return _Plan(
        doc=doc,
        chunks=chunks,
        to_add=[c for c in chunks if c.id not in stored or c.id in unfinished],
        to_update=[c for c in chunks if c.id in stored and _differs(c, stored[c.id], meta)],
        to_delete=sorted(set(stored) - wanted),
    )


def default_roots(settings: Settings) -> list[Path]:
    """The corpus, plus the papers `roadmap-rag papers fetch` downloaded."""
    return [settings.corpus_dir] + ([settings.papers_dir] if settings.papers_dir.is_dir() else [])


def kind_summary(documents: dict[str, dict[str, Any]]) -> str:
    """'5 roadmaps (107 chunks), 50 paper cards (51 chunks), 1 paper (12 chunks)' from the ingest state."""
    docs, chunks = _count_by_kind(documents, None), _count_by_kind(documents, "chunks")
    order = [k for k in KIND_LABELS if k in docs] + sorted(k for k in docs if k not in KIND_LABELS)
    parts = []
    for kind in order:
        singular = KIND_LABELS.get(kind, f"{kind} document")
        parts.append(f"{docs[kind]} {singular}{'' if docs[kind] == 1 else 's'} ({chunks[kind]} chunks)")
    return ", ".join(parts) or "nothing indexed yet"


def _under(path: str, roots: Sequence[Path]) -> bool:
    p = Path(path)
    return any(p == r or r in p.parents for r in roots)


def ingest(
    settings: Settings,
    paths: Sequence[Path] | None = None,
    *,
    embedder: Embedder | None = None,
    store: VectorStore | None = None,
    rebuild: bool = False,
    progress: ProgressCallback | None = None,
) -> IngestReport:
    """Bring the index in line with ``paths`` (default: the corpus directory)."""
    started = time.perf_counter()
    report = IngestReport()
    roots = [Path(p).resolve() for p in (paths or default_roots(settings))]
    manifest = {}
    for root in {settings.corpus_dir.resolve(), *[r for r in roots if r.is_dir()]}:
        manifest.update(load_manifest(root))
    files, errors = discover(roots, settings)
    report.failures.extend(errors)
    cards: list[Document] = []
    if settings.papers_catalog.exists():
        try:
            catalog = load_catalog(settings.papers_catalog)
        except ConfigError as exc:
            report.failures.append(InputFileError(settings.papers_catalog, str(exc)))
        else:
            manifest.update({k: v for k, v in pdf_manifest(catalog, files).items() if k not in manifest})
            if _under(str(catalog.path.resolve()), roots):
                titles = {e.id: e.title for e in manifest.values() if e.kind == Kind.ROADMAP}
                cards = card_documents(catalog, titles)

    model_name = embedder.name if embedder else embedding_space(settings)
    store = store or make_store(settings, model_name, rebuild=rebuild)

    unfinished = store.without_passages()
    plans: list[_Plan] = []
    failed_paths = {str(e.path.resolve()) for e in report.failures}
    for i, item in enumerate(chain(iter_documents(files, settings, manifest), cards)):
        if isinstance(item, InputFileError):
            report.failures.append(item)
            failed_paths.add(str(item.path.resolve()))
        else:
            plans.append(_plan(item, store, settings, unfinished))
        if progress:
            progress("documents", i + 1, len(files) + len(cards))
    report.documents_seen = len(plans)

    to_embed = sum(1 + len(c.passages()) for p in plans for c in p.to_add)
    if to_embed and embedder is None:
        embedder = make_embedder(settings)  # only loaded when something needs embedding
    done = 0
    for written, plan in enumerate(plans, start=1):
        if plan.to_add:
            assert embedder is not None
            t0 = time.perf_counter()

            def on_batch(n: int) -> None:
                nonlocal done
                done += n
                if progress:
                    progress("embedding", done, to_embed)

            texts = [c.embedding_text() for c in plan.to_add]
            passages = [c.passages() for c in plan.to_add]
            vectors = embedder.embed_documents(texts + [p for ps in passages for p in ps], on_batch)
            chunk_vectors, passage_vectors = vectors[: len(texts)], []
            offset = len(texts)
            for ps in passages:
                passage_vectors.append(vectors[offset : offset + len(ps)])
                offset += len(ps)
            report.embed_seconds += time.perf_counter() - t0
            store.add(plan.to_add, chunk_vectors, plan.doc_meta, passage_vectors)
        if plan.to_update:
            store.update_metadata(plan.to_update, plan.doc_meta)
        if plan.to_delete:
            store.delete(plan.to_delete)
        report.added += len(plan.to_add)
        report.passages_added += sum(len(c.passages()) for c in plan.to_add)
        report.updated += len(plan.to_update)
        report.removed += len(plan.to_delete)
        report.unchanged += len(plan.chunks) - len(plan.to_add) - len(plan.to_update)
        if progress:
            progress("written", written, len(plans))

    # Documents whose files are gone from the ingested roots lose their chunks;
    # a file that failed to load keeps what it had.
    seen_ids = {p.doc.id for p in plans}
    for doc_id, source in store.doc_sources().items():
        if doc_id in seen_ids or source in failed_paths or not _under(source, roots):
            continue
        stale = list(store.chunk_ids(doc_id))
        store.delete(stale)
        report.removed += len(stale)
        report.documents_removed += 1

    report.seconds = time.perf_counter() - started
    _write_state(settings, store, plans, report, model_name)
    return report


def _write_state(settings: Settings, store: VectorStore, plans: list[_Plan], report: IngestReport, model: str) -> None:
    """A human-readable record of the last run, for `status` and the app; Chroma stays authoritative."""
    state = read_state(settings)
    docs = state.get("documents", {})
    sources = store.doc_sources()
    docs = {k: v for k, v in docs.items() if k in sources}
    for plan in plans:
        docs[plan.doc.id] = {
            "title": plan.doc.title,
            "kind": plan.doc.kind,
            "source": str(plan.doc.source),
            "hash": plan.doc.content_hash,
            "chunks": len(plan.chunks),
        }
    report.by_kind = _count_by_kind(docs, "chunks")
    state = {
        "embedding_model": model,
        "store": store.location,
        "documents": docs,
        "last_ingest": {"at": datetime.now(UTC).isoformat(timespec="seconds"), **report.to_dict()},
    }
    write_json(settings.state_path, state)


def read_state(settings: Settings) -> dict[str, Any]:
    state = read_json(settings.state_path)
    return state if isinstance(state, dict) else {}


@dataclass(frozen=True)
class IndexStatus:
    """What is indexed, for `roadmap-rag status` and the app's sidebar."""

    store: str
    embedding_model: str
    chunks: int
    documents: dict[str, dict[str, Any]]
    last_ingest: dict[str, Any] | None

    @property
    def chunks_by_kind(self) -> dict[str, int]:
        return _count_by_kind(self.documents, "chunks")

    @property
    def documents_by_kind(self) -> dict[str, int]:
        return _count_by_kind(self.documents, None)


def index_status(settings: Settings, store: VectorStore | None = None) -> IndexStatus:
    state = read_state(settings)
    store = store or make_store(settings, state.get("embedding_model", embedding_space(settings)))
    return IndexStatus(
        store=store.location,
        embedding_model=state.get("embedding_model", embedding_space(settings)),
        chunks=store.count(),
        documents=state.get("documents", {}),
        last_ingest=state.get("last_ingest"),
    )
