"""A reader process for tests/reliability/test_concurrency.py: one Assistant kept open (as the app, `serve`
and `mcp` keep one), asking until the writer is done and its quota is met, each ask's outcome a JSON line.

    python -m tests.reliability.asker OUT DONE_FILE QUOTA DEADLINE_S

Settings come from the environment (ROADMAP_RAG_*), as the writer's CLI reads them.
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from roadmap_rag import Assistant, Settings
from roadmap_rag.errors import RoadmapRagError

# (question, kinds, doc_ids): plain, filtered by kind (the filter that failed with "Error finding id"), and
# filtered to a document that every drawn change keeps.
QUESTIONS: list[tuple[str, list[str], list[str]]] = [
    ("What is LoRA?", [], []),
    ("What should I study before transformers?", ["roadmap"], []),
    ("What does the core roadmap say about quantization?", [], ["core-llm-roadmap"]),
    ("What is zyzzyva tuning?", ["roadmap"], []),
    ("How long does the getting started guide take?", [], []),
    ("What is zyzzyva tuning?", [], []),
]


def outcome(assistant: Assistant, question: str, kinds: list[str], doc_ids: list[str]) -> dict[str, Any]:
    """ "answer" (with the sources' text), "retry" (one of our errors: a sentence with its remedy) or "crash"."""
    try:
        answer = assistant.ask(question, kinds=kinds, doc_ids=doc_ids)
    except RoadmapRagError as exc:
        return {"outcome": "retry", "message": str(exc)}
    except Exception:
        return {"outcome": "crash", "message": traceback.format_exc(limit=8)}
    if not answer.text.strip():
        return {"outcome": "crash", "message": "an empty answer"}
    return {"outcome": "answer", "sources": " ".join(s.text for s in answer.sources)}


def main(out: Path, done: Path, quota: int, deadline_s: float) -> None:
    assistant = Assistant(Settings())
    deadline = time.monotonic() + deadline_s
    asked = 0
    with out.open("w", encoding="utf-8") as log:
        while time.monotonic() < deadline and (asked < quota or not done.exists()):
            question, kinds, doc_ids = QUESTIONS[asked % len(QUESTIONS)]
            record = outcome(assistant, question, kinds, doc_ids)
            log.write(json.dumps({"question": question, "writer_done": done.exists(), **record}) + "\n")
            log.flush()
            asked += 1
        # The writer is done: the last document it added is seen at the next question, by this same Assistant.
        marker = done.read_text(encoding="utf-8").strip() if done.exists() else ""
        if marker:
            record = outcome(assistant, f"What is {marker} tuning?", [], [])
            seen = marker.lower() in record.get("sources", "").lower()
            log.write(json.dumps({"question": "final", "writer_done": True, "seen": seen, **record}) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]))
