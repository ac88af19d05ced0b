"""The local query log: one JSON line per question in ``<data dir>/queries.jsonl``, size-capped with rotation
(queries.1.jsonl is the previous file, up to ``query_log_backups`` of them). Nothing leaves the data dir."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from roadmap_rag.observe import tracing
from roadmap_rag.observe.jsonl import JsonlFile
from roadmap_rag.observe.tracing import Trace
from roadmap_rag.redact import redact, redact_url
from roadmap_rag.settings import Settings
from roadmap_rag.types import Answer, Source

if TYPE_CHECKING:
    from opentelemetry.trace import TracerProvider

LOG_NAME = "queries.jsonl"
_log = logging.getLogger(__name__)


class QueryLog(JsonlFile):
    """Append-only and safe across threads; a torn last line (a crash mid-write) is skipped on reading."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings.data_dir / LOG_NAME, settings.query_log_max_bytes, settings.query_log_backups)


@dataclass(frozen=True)
class Asked:
    """One question as it ended: its trace, what was asked, the answer (None when it failed) and the error."""

    trace: Trace
    question: str
    query: str  # the standalone query retrieval read (a follow-up's includes the question before)
    requested: dict[str, Any]  # llm, k, filters, turn
    answer: Answer | None
    error: BaseException | str | None


def observe(settings: Settings, asked: Asked, provider: TracerProvider | None = None) -> None:
    """One finished (or failed, or abandoned) question: a line in the query log unless it is turned off,
    and spans when OpenTelemetry is configured. Neither may cost the learner the answer."""
    answer, error = asked.answer, asked.error
    if settings.query_log:
        QueryLog(settings).append_or_warn(record(asked), "the query log")
    try:
        to = tracing.tracer(settings.otel_endpoint, provider)
        if to is not None:
            attributes: dict[str, tracing.Attribute] = {
                "roadmap_rag.query_id": asked.trace.id,
                "roadmap_rag.question": asked.question,
                "roadmap_rag.backend": answer.backend if answer else str(asked.requested.get("llm", "")),
                "roadmap_rag.grounded": bool(answer and answer.grounded),
                "roadmap_rag.sources": len(answer.sources) if answer else 0,
            }
            tracing.export(asked.trace, to, attributes, None if error is None else error_text(error))
    except OSError as exc:  # the collector's endpoint is unusable
        _log.warning("the spans could not be exported to %s: %s", redact_url(settings.otel_endpoint or ""), exc)


def record(asked: Asked) -> dict[str, Any]:
    """One question as the log keeps it: what was asked, what each lane found, what was answered, and the
    milliseconds of each stage."""
    trace, answer, error = asked.trace, asked.answer, asked.error
    out: dict[str, Any] = {
        "id": trace.id,
        "at": datetime.fromtimestamp(trace.wall_ns / 1e9, UTC).isoformat(timespec="milliseconds"),
        "question": asked.question,
        "query": asked.query,
        **asked.requested,
    }
    if answer is not None:
        out |= {
            "backend": answer.backend,
            "grounded": answer.grounded,
            "sources": [_source(n, s, trace) for n, s in enumerate(answer.sources, start=1)],
            "cited": sorted({c.number for c in answer.citations}),
            "answer": answer.text,
            "removed": answer.unsupported,
            "notes": [redact(note) for note in answer.notes],
        }
    out["timings_ms"] = trace.timings_ms() | {"total": round(trace.now() * 1000, 3)}
    out["error"] = None if error is None else error_text(error)
    return out


def _source(n: int, source: Source, trace: Trace) -> dict[str, Any]:
    return {
        "rank": n,
        "id": source.id,
        "doc_id": source.doc_id,
        "kind": str(source.kind),
        "section": source.section,
        "page": source.page,
        "score": round(source.score, 5),
        "lanes": trace.ranks(source.id),
    }


def error_text(error: BaseException | str) -> str:
    """An error as the log and the spans keep it, with any credentials in it masked."""
    return redact(error if isinstance(error, str) else f"{type(error).__name__}: {error}")
