"""How a chunk is kept as a Chroma record (its metadata), and read back: decided here and nowhere else."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from roadmap_rag.corpus.chunking import Chunk
from roadmap_rag.types import Kind

ALIAS_SEPARATOR = "|"

# Keys a chunk's record may lack; an update sets them to None so that Chroma drops a stale value.
_OPTIONAL_KEYS = ("page", "url", "aliases")


def chunk_record(chunk: Chunk) -> dict[str, str | int]:
    """A chunk's Chroma metadata. Chroma cannot hold None: an absent key means "unknown"."""
    record: dict[str, str | int] = {
        "doc_id": chunk.doc_id,
        "doc_title": chunk.doc_title,
        "kind": str(chunk.kind),
        "section": chunk.section,
        "start": chunk.start,
        "end": chunk.end,
        "ordinal": chunk.ordinal,
        "source": chunk.source,
    }
    if chunk.page is not None:
        record["page"] = chunk.page
    if chunk.url:
        record["url"] = chunk.url
    if chunk.aliases:
        record["aliases"] = ALIAS_SEPARATOR.join(chunk.aliases)
    return record


def chunk_from_record(chunk_id: str, text: str, meta: Mapping[str, Any]) -> Chunk:
    return Chunk(
        id=chunk_id,
        doc_id=str(meta["doc_id"]),
        doc_title=str(meta.get("doc_title", "")),
        kind=Kind(str(meta.get("kind", Kind.ROADMAP))),
        section=str(meta.get("section", "")),
        text=text,
        start=int(meta.get("start", 0)),
        end=int(meta.get("end", 0)),
        ordinal=int(meta.get("ordinal", 0)),
        page=int(meta["page"]) if meta.get("page") not in (None, "") else None,
        url=meta.get("url") or None,
        aliases=tuple(a for a in str(meta.get("aliases", "")).split(ALIAS_SEPARATOR) if a),
        source=str(meta.get("source", "")),
    )


def _passage_record(chunk: Chunk) -> dict[str, str]:
    return {"chunk_id": chunk.id, "doc_id": chunk.doc_id, "kind": str(chunk.kind)}


def _chunks(ids: Sequence[str], texts: Sequence[str | None] | None, metas: Sequence[Any] | None) -> list[Chunk]:
    return [chunk for _, chunk in _kept(ids, texts, metas)]


def _kept(
    ids: Sequence[str], texts: Sequence[str | None] | None, metas: Sequence[Any] | None
) -> list[tuple[int, Chunk]]:
    """(row, chunk) of each row that holds a whole record: one another process deleted while it was read comes
    back without its metadata (a vector index that still holds the id), and is left out like any deleted chunk."""
    texts = texts or [None] * len(ids)
    metas = metas or [None] * len(ids)
    return [
        (row, chunk_from_record(cid, text or "", cast(Mapping[str, Any], meta)))
        for row, (cid, text, meta) in enumerate(zip(ids, texts, metas, strict=True))
        if meta and "doc_id" in meta
    ]
