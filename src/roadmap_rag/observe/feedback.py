"""Learners' thumbs up/down, kept locally as JSONL so evaluators can turn them into eval cases: capped and
rotated like the query log (settings query_log_max_bytes and query_log_backups; feedback.1.jsonl is the previous
file)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from roadmap_rag.observe.jsonl import JsonlFile
from roadmap_rag.settings import Settings
from roadmap_rag.types import Answer

COMMENT_MAX = 1000  # characters of a learner's comment kept: a note on the answer, not a document


@dataclass(frozen=True)
class Feedback:
    question: str
    answer: str
    rating: int  # 1 = thumbs up, 0 = thumbs down
    backend: str
    sources: list[dict[str, Any]]
    grounded: bool
    comment: str = ""
    query_id: str = ""  # the query log's record of the answer rated (querylog.py)
    at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))


class FeedbackStore:
    """Append-only JSONL under the data dir; one line per rating, safe across the app's threads."""

    def __init__(self, settings: Settings) -> None:
        self.file = JsonlFile(
            settings.data_dir / "feedback.jsonl", settings.query_log_max_bytes, settings.query_log_backups
        )
        self.path = self.file.path

    def record(self, question: str, answer: Answer, rating: int, comment: str = "") -> Feedback:
        if rating not in (0, 1):
            raise ValueError(f"rating must be 0 (down) or 1 (up), not {rating!r}")
        item = Feedback(
            question=question,
            answer=answer.text,
            rating=rating,
            backend=answer.backend,
            grounded=answer.grounded,
            sources=[{"id": s.id, "doc_id": s.doc_id, "section": s.section, "page": s.page} for s in answer.sources],
            comment=comment.strip()[:COMMENT_MAX],
            query_id=answer.id,
        )
        self.file.append(asdict(item))
        return item

    def read(self) -> list[Feedback]:
        """Every rating kept, oldest first; a torn line after a crash, or a record of another shape, is skipped."""
        out = []
        for record in self.file.records():
            try:
                out.append(Feedback(**record))
            except TypeError:
                continue
        return out
