"""The roadmaps' and paper cards' vectors kept beside the lexical index, one file per commit.

Every question that names no paper, and every question that names a roadmap, is searched among the roadmaps
and cards alone (a few hundred chunks), exactly and in memory (``Slice``). Reading their vectors from Chroma
makes an embedded store load the whole collection's vector index first: 1.7 s at 100,000 chunks, most of the
first answer's time at a million (docs/benchmarks.md). So the writer (an ingest, a repair) saves them with the
generation it commits, and a reader of that generation loads them in milliseconds; a file of another
generation, or none, is ignored and the store is read as before.
"""

from __future__ import annotations

import json
import logging
import os
import zipfile
from pathlib import Path
from typing import Any

from roadmap_rag.index.lexical import ROADMAP_KINDS
from roadmap_rag.index.records import chunk_from_record, chunk_record
from roadmap_rag.index.slices import Slice
from roadmap_rag.index.store import VectorStore

_log = logging.getLogger(__name__)
FILE = "guides.npz"
# What the file holds: every chunk of these kinds, with its passages.
GUIDES_WHERE: dict[str, Any] = {"kind": {"$in": [str(k) for k in ROADMAP_KINDS]}}


def save_guides(folder: Path, generation: str, store: VectorStore) -> int:
    """Read the roadmaps' and cards' chunks, passages and vectors from ``store`` and write them for
    ``generation`` (atomically: a reader sees the old file or the new one). Returns the chunks saved."""
    import numpy as np

    guides = store.vectors(GUIDES_WHERE)
    meta = {
        "generation": generation,
        "chunks": [[c.id, c.text, chunk_record(c)] for c in guides.chunks],
        "owners": guides.owners,
        "texts": guides.texts,
    }
    folder.mkdir(parents=True, exist_ok=True)
    temporary = folder / f".{FILE}.tmp.npz"
    np.savez(
        temporary,
        meta=np.frombuffer(json.dumps(meta, ensure_ascii=False).encode("utf-8"), dtype=np.uint8),
        chunks=np.asarray(guides.chunk_vectors, dtype=np.float32),
        passages=np.asarray(guides.passage_vectors, dtype=np.float32),
    )
    os.replace(temporary, folder / FILE)
    return len(guides.chunks)


def load_guides(folder: Path, generation: str) -> Slice | None:
    """The saved roadmaps and cards of ``generation``; None where there is no such file (an index written
    before this file existed, a writer that has not finished, a damaged file: the store is read instead)."""
    import numpy as np

    path = folder / FILE
    if not generation or not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(bytes(data["meta"]).decode("utf-8"))
            if meta.get("generation") != generation:
                return None
            chunks = [chunk_from_record(cid, text, record) for cid, text, record in meta["chunks"]]
            return Slice(chunks, data["chunks"], list(meta["owners"]), list(meta["texts"]), data["passages"])
    except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile) as exc:
        _log.warning("ignoring %s (%s): the roadmaps' vectors are read from the store instead", path, exc)
        return None
