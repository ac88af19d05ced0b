"""Learners' thumbs up/down, kept locally as JSONL so evaluators can turn them into eval cases."""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from roadmap_rag.settings import Settings
from roadmap_rag.types import Answer


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

    _lock = threading.Lock()

    def __init__(self, settings: Settings) -> None:
        self.path: Path = settings.data_dir / "feedback.jsonl"

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
            comment=comment,
            query_id=answer.id,
        )
        line = json.dumps(asdict(item), ensure_ascii=False)
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as f:
                f.write(line + "\n")
        return item

    def read(self) -> list[Feedback]:
        if not self.path.is_file():
            return []
        out = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                out.append(Feedback(**json.loads(line)))
            except (ValueError, TypeError):
                continue  # a torn last line after a crash; the rest stays readable
        return out
