"""The study loop's quality gate (issue 31, item 6): every quiz key, card key and rationale quote is in the passage
it cites, nothing is asked twice, no item has a flaw a rule detects, every wrong option is wrong by its own passage,
and every plan edge cites its line; measured over seven topics and three goals on the session index."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from roadmap_rag import Assistant
from roadmap_rag.cli import app
from roadmap_rag.evaluation.study_quality import GOALS, TOPICS, measure
from tests.conftest import CORPUS


@pytest.mark.eval
def test_study_quality_gate(assistant: Assistant) -> None:
    quality = measure(assistant)
    totals = quality.totals()
    detail = {t.topic: (t.flaws, t.duplicates) for t in quality.topics}
    assert totals["answerability"] == 1.0, totals
    assert totals["duplicates"] == 0 and totals["flaws"] == 0, detail
    assert totals["distractor_validity"] == 1.0, totals
    assert totals["edges_cited"] == 1.0 and quality.edges >= len(GOALS), totals
    assert len(quality.plans) == len(GOALS)  # every goal gets a plan
    for topic in quality.topics:  # no topic is left without something to study
        assert topic.cards and topic.quiz and sum(topic.choices.values()) >= 3, topic


def test_eval_study_writes_the_report(assistant: Assistant, tmp_path: Path) -> None:
    env = {"ROADMAP_RAG_DATA_DIR": str(assistant.settings.data_dir), "ROADMAP_RAG_CORPUS_DIR": str(CORPUS)}
    out = tmp_path / "study.md"
    done = CliRunner().invoke(app, ["eval", "study", "--out", str(out)], env=env, terminal_width=200)
    assert done.exit_code == 0, done.output
    report = out.read_text(encoding="utf-8")
    assert all(f"| {topic} |" in report for topic in TOPICS)
    assert report.count("## Plan:") == len(GOALS) and "answerability: 1.000" in report
