"""What is indexed: the record the last ingest left (``ingest_state.json``) and the status built on it.

Chroma stays the source of truth; this record is for people (`roadmap-rag status`, the app's sidebar).
"""

from __future__ import annotations

import contextlib
import os
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from roadmap_rag.files import read_json, write_json
from roadmap_rag.index.embeddings import embedding_space
from roadmap_rag.index.lexical import Lexical, lexical_mode
from roadmap_rag.index.store import VectorStore, make_store
from roadmap_rag.settings import Settings

# Per document: title, kind, source, hash and chunks.
Documents = dict[str, dict[str, Any]]


def read_state(settings: Settings) -> dict[str, Any]:
    state = read_json(settings.state_path)
    return state if isinstance(state, dict) else {}


def write_state(settings: Settings, store: str, documents: Documents, model: str, run: dict[str, Any]) -> None:
    """The record of what is indexed in ``store`` and of the run that left it so."""
    state = {
        "embedding_model": model,
        "store": store,
        "documents": documents,
        "last_ingest": {"at": datetime.now(UTC).isoformat(timespec="seconds"), **run},
    }
    write_json(settings.state_path, state)
    running_path(settings).unlink(missing_ok=True)  # the run finished: nothing to repair


def running_path(settings: Settings) -> Path:
    return settings.data_dir / "ingest_running.json"


def mark_running(settings: Settings, paths: Sequence[Path] | None) -> None:
    """Before an ingest's first write: which paths it reads (None: the defaults), so that if it is killed,
    `doctor` can say which ingest to run again, and `doctor --repair` runs it."""
    listed = [str(Path(p).absolute()) for p in paths] if paths else None
    write_json(running_path(settings), {"paths": listed, "pid": os.getpid()})


@dataclass(frozen=True)
class Interrupted:
    """An ingest that started writing and never finished: the paths it read (None: the defaults)."""

    paths: list[Path] | None

    def command(self) -> str:
        """The command that finishes it."""
        return "roadmap-rag ingest" + "".join(f" {shlex.quote(str(p))}" for p in self.paths or ())


def interrupted(settings: Settings) -> Interrupted | None:
    record = read_json(running_path(settings))
    if not isinstance(record, dict):
        return None
    paths = record.get("paths")
    return Interrupted([Path(p) for p in paths] if isinstance(paths, list) else None)


def count_by_kind(documents: Mapping[str, Mapping[str, Any]], key: str | None) -> dict[str, int]:
    """Documents (key None) or their chunks (key "chunks") per kind."""
    out: dict[str, int] = {}
    for info in documents.values():
        out[info["kind"]] = out.get(info["kind"], 0) + (int(info[key]) if key else 1)
    return out


@dataclass(frozen=True)
class IndexStatus:
    """What is indexed, for `roadmap-rag status` and the app's sidebar."""

    store: str
    embedding_model: str
    chunks: int
    documents: Documents
    last_ingest: dict[str, Any] | None
    lexical: str = ""  # which lexical (BM25) index serves, and why

    @property
    def chunks_by_kind(self) -> dict[str, int]:
        return count_by_kind(self.documents, "chunks")

    @property
    def documents_by_kind(self) -> dict[str, int]:
        return count_by_kind(self.documents, None)


def index_status(settings: Settings, store: VectorStore | None = None) -> IndexStatus:
    state = read_state(settings)
    model = state.get("embedding_model", embedding_space(settings))
    if store is None:
        with contextlib.closing(make_store(settings, model)) as made:
            return index_status(settings, made)
    return IndexStatus(
        store=store.location,
        embedding_model=model,
        chunks=store.count(),
        documents=state.get("documents", {}),
        last_ingest=state.get("last_ingest"),
        lexical=lexical_mode(Lexical(settings.lexical_dir), store),
    )
