"""From a learner's thumbs-down to an eval case: each disliked answer, joined with its query-log record,
becomes a draft golden-set entry (``"draft": true``) that an evaluator completes with the reference,
the corpus quotes and the key facts. The eval refuses drafts (dataset.py) until then."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from roadmap_rag.observe.feedback import Feedback, FeedbackStore
from roadmap_rag.observe.querylog import QueryLog
from roadmap_rag.settings import Settings
from roadmap_rag.text.words import fold

DEFAULT_DRAFTS = Path("eval/datasets/drafts.jsonl")
TODO = (
    "Write the correct 'reference', quote the corpus passages that hold it in 'contexts', list the key "
    "'facts' (groups of alternatives), set 'type' (factual, list, learning-path, cross-document, paraphrase, "
    'about, paper or unanswerable), then remove "draft" and move the line into a golden set.'
)


@dataclass
class ImportReport:
    drafts: int = 0  # new draft entries written
    thumbs_down: int = 0  # disliked answers found in the feedback
    already: int = 0  # skipped: a draft or golden question already has that question
    unlogged: int = 0  # drafted without a query-log record (the log was off, rotated away or predates it)
    path: Path = field(default_factory=lambda: DEFAULT_DRAFTS)

    def summary(self) -> str:
        return (
            f"{self.thumbs_down} thumbs-down answers: {self.drafts} new drafts in {self.path}, "
            f"{self.already} already drafted or in the golden set, {self.unlogged} without a query-log record"
        )


def draft_id(question: str) -> str:
    return "fb-" + hashlib.sha1(fold(question).encode("utf-8")).hexdigest()[:10]


def import_feedback(settings: Settings, out: Path = DEFAULT_DRAFTS, golden: tuple[Path, ...] = ()) -> ImportReport:
    """Append a draft to ``out`` for each thumbs-down answer whose question is not yet in ``out`` or in the
    ``golden`` sets; running it again adds only what is new."""
    report = ImportReport(path=out)
    logged: dict[str, dict[str, Any]] = {}
    for record in QueryLog(settings).records():
        logged[record.get("id", "")] = record
        logged.setdefault(_key(record.get("question", ""), record.get("answer", "")), record)
    known = {draft_id(q) for path in (out, *golden) for q in _questions(path)}
    lines = []
    for item in FeedbackStore(settings).read():
        if item.rating != 0:
            continue
        report.thumbs_down += 1
        if draft_id(item.question) in known:
            report.already += 1
            continue
        found = logged.get(item.query_id) or logged.get(_key(item.question, item.answer))
        report.unlogged += found is None
        known.add(draft_id(item.question))
        lines.append(json.dumps(_draft(item, found), ensure_ascii=False))
    if lines:
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("a", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
    report.drafts = len(lines)
    return report


def _draft(item: Feedback, record: dict[str, Any] | None) -> dict[str, Any]:
    """A golden-set line with what the evaluator needs to complete it: the answer given, the learner's
    comment, and the sources each retriever lane found (from the query log)."""
    sources = record.get("sources", []) if record else item.sources
    cited = set(record.get("cited", [])) if record else set()
    doc_ids = [s["doc_id"] for s in sources if not cited or s.get("rank") in cited]
    return {
        "id": draft_id(item.question),
        "draft": True,
        "todo": TODO,
        "question": item.question,
        "type": "factual" if item.grounded else "unanswerable",
        "reference": "",
        "contexts": [],
        "facts": [],
        "doc_ids": list(dict.fromkeys(doc_ids)),
        "feedback": {
            "at": item.at,
            "comment": item.comment,
            "answer": item.answer,
            "backend": item.backend,
            "grounded": item.grounded,
            "query_id": item.query_id or (record or {}).get("id", ""),
            "query": (record or {}).get("query", item.question),
            "removed": (record or {}).get("removed", []),
            "sources": sources,
        },
    }


def _key(question: str, answer: str) -> str:
    return f"{fold(question)}\n{answer}"


def _questions(path: Path) -> list[str]:
    """The questions of a JSONL file, drafts included; unreadable lines are the eval's to report."""
    if not path.is_file():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if isinstance(row, dict) and isinstance(row.get("question"), str):
            out.append(row["question"])
    return out
