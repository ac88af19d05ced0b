"""Learners' ratings in feedback.jsonl: any text they type is kept readable, and the file stays bounded."""

from __future__ import annotations

from pathlib import Path

import pytest

from roadmap_rag import Answer, Assistant, Settings
from roadmap_rag.observe.feedback import FeedbackStore

pytestmark = pytest.mark.fast  # the fake index: no model, no Chroma


@pytest.fixture(scope="module")
def answer(fake_assistant: Assistant) -> Answer:
    return fake_assistant.ask("What is LoRA?")


def test_any_text_a_learner_types_is_kept_and_read_back(answer: Answer, tmp_path: Path) -> None:
    """A lone surrogate (a browser can send one) and line separators other than \\n cost no rating."""
    store = FeedbackStore(Settings(data_dir=tmp_path))
    texts = ["lone \ud800 surrogate", "line\u2028separator", "para\u2029graph \x85 next line \x0c form feed"]
    for text in texts:
        store.record(text, answer, 0, comment=text)
    assert [(f.question, f.comment) for f in store.read()] == [(t, t) for t in texts]
    assert store.path.read_bytes().decode("utf-8")  # the file stays valid UTF-8


def test_the_file_is_capped_and_rotated_like_the_query_log(answer: Answer, tmp_path: Path) -> None:
    store = FeedbackStore(Settings(data_dir=tmp_path, query_log_max_bytes=5_000, query_log_backups=1))
    for n in range(40):
        store.record(f"question {n}", answer, n % 2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["feedback.1.jsonl", "feedback.jsonl"]
    assert all(p.stat().st_size <= 5_000 for p in tmp_path.iterdir())
    kept = [f.question for f in store.read()]
    assert kept == [f"question {n}" for n in range(40 - len(kept), 40)] and len(kept) < 40  # the newest, in order
