"""`roadmap-rag eval import-feedback`: a learner's thumbs-down becomes a draft eval case, which the eval
refuses until an evaluator completes it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from roadmap_rag import Assistant, Settings
from roadmap_rag.errors import InputFileError
from roadmap_rag.evaluation import load_dataset
from roadmap_rag.evaluation.drafts import import_feedback
from roadmap_rag.observe.feedback import FeedbackStore
from tests.fakes import HashingEmbedder, MemoryStore, with_lexical_index

FakeIndex = tuple[Settings, HashingEmbedder, MemoryStore]


def _rate(fake_index: FakeIndex, data_dir: Path, query_log: bool = True) -> Settings:
    """Three answers rated in the app: a disliked answer, a liked one, and a disliked refusal."""
    base, embedder, store = fake_index
    data_dir = with_lexical_index(base.data_dir, data_dir)
    settings = base.model_copy(update={"data_dir": data_dir, "min_passage_score": 0.15, "query_log": query_log})
    assistant = Assistant(settings, embedder=embedder, store=store)
    strict = Assistant(settings.model_copy(update={"min_passage_score": 1.0}), embedder=embedder, store=store)
    feedback = FeedbackStore(settings)
    feedback.record("What is LoRA?", assistant.ask("What is LoRA?"), 0, comment="it never says what rank means")
    feedback.record("What is RLHF?", assistant.ask("What is RLHF?"), 1)
    feedback.record("What is QLoRA?", strict.ask("What is QLoRA?"), 0)
    return settings


@pytest.mark.fast
def test_fast_thumbs_down_answers_become_drafts_once(fake_index: FakeIndex, tmp_path: Path) -> None:
    settings = _rate(fake_index, tmp_path / "data")
    out = tmp_path / "drafts.jsonl"
    report = import_feedback(settings, out)
    assert (report.thumbs_down, report.drafts, report.already, report.unlogged) == (2, 2, 0, 0)
    lora, qlora = (json.loads(line) for line in out.read_text().splitlines())
    logged = [json.loads(line) for line in (settings.data_dir / "queries.jsonl").read_text().splitlines()]
    assert lora["draft"] is True and lora["question"] == "What is LoRA?" and lora["type"] == "factual"
    assert (lora["reference"], lora["contexts"], lora["facts"]) == ("", [], [])  # the evaluator's to write
    assert lora["feedback"]["comment"] == "it never says what rank means"
    assert lora["feedback"]["query_id"] == logged[0]["id"] and lora["feedback"]["answer"] == logged[0]["answer"]
    assert lora["feedback"]["sources"] == logged[0]["sources"]  # with each lane's rank, from the log
    assert lora["doc_ids"] and set(lora["doc_ids"]) <= {s["doc_id"] for s in logged[0]["sources"]}
    assert qlora["type"] == "unanswerable" and qlora["feedback"]["grounded"] is False

    again = import_feedback(settings, out)
    assert (again.drafts, again.already) == (0, 2) and len(out.read_text().splitlines()) == 2


@pytest.mark.fast
def test_fast_the_eval_refuses_a_draft_until_it_is_completed(fake_index: FakeIndex, tmp_path: Path) -> None:
    out = tmp_path / "drafts.jsonl"
    import_feedback(_rate(fake_index, tmp_path / "data"), out)
    with pytest.raises(InputFileError, match=r"line 1 \('What is LoRA\?'\) is a draft.*remove \"draft\": true"):
        load_dataset(out)
    completed = []
    for line in out.read_text().splitlines():
        row = json.loads(line)
        del row["draft"]
        row |= {"reference": "LoRA trains low-rank update matrices.", "contexts": ["Low-Rank Adaptation"]}
        completed.append(json.dumps(row | {"facts": [["low-rank"]]} if row["type"] == "factual" else row))
    out.write_text("\n".join(completed) + "\n")
    items = load_dataset(out)
    assert [i.question for i in items] == ["What is LoRA?", "What is QLoRA?"] and items[0].facts == (("low-rank",),)


@pytest.mark.fast
def test_fast_golden_questions_are_not_drafted_and_unlogged_answers_still_are(
    fake_index: FakeIndex, tmp_path: Path
) -> None:
    settings = _rate(fake_index, tmp_path / "data", query_log=False)
    golden = tmp_path / "golden.jsonl"
    golden.write_text(json.dumps({"id": "q1", "question": "what is  LoRA?", "type": "factual"}) + "\n")
    report = import_feedback(settings, tmp_path / "drafts.jsonl", (golden,))
    assert (report.drafts, report.already, report.unlogged) == (1, 1, 1)
    (draft,) = (json.loads(line) for line in (tmp_path / "drafts.jsonl").read_text().splitlines())
    assert draft["question"] == "What is QLoRA?" and draft["feedback"]["sources"]  # the feedback's own sources


def test_import_feedback_command_prints_what_it_did(fake_index: FakeIndex, tmp_path: Path) -> None:
    settings = _rate(fake_index, tmp_path / "data")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROADMAP_RAG_")}
    env["ROADMAP_RAG_DATA_DIR"] = str(settings.data_dir)
    out = tmp_path / "drafts.jsonl"
    cmd = [sys.executable, "-m", "roadmap_rag", "eval", "import-feedback", "--out", str(out)]
    done = subprocess.run(cmd, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "2 thumbs-down answers: 2 new drafts" in done.stdout and len(out.read_text().splitlines()) == 2
