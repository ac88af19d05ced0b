"""Ragas' LLM-judged metrics: the embedded judge end to end on 3 questions, and an Ollama judge over HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ragas.metrics.collections.context_precision.util import ContextPrecisionOutput
from ragas.metrics.collections.faithfulness.util import NLIStatementOutput, StatementGeneratorOutput

from roadmap_rag import Assistant
from roadmap_rag.errors import BackendUnavailable, ConfigError
from roadmap_rag.evaluation import load_dataset, run_eval
from roadmap_rag.evaluation.judge import (
    JUDGED_METRICS,
    UNRELIABLE,
    JudgeParseError,
    RagasJudged,
    make_judge,
    parse_judged,
    report_notes,
)
from roadmap_rag.evaluation.report import new_run_dir, write_run
from roadmap_rag.index.chroma_server import free_port
from tests.answer.generation.ollama_standin import MODEL, StandIn
from tests.evaluation.test_eval_command import DATASET


def test_parse_accepts_json_repairs_near_json_and_rejects_the_rest() -> None:
    assert parse_judged('{"statements": ["a", "b"]}', StatementGeneratorOutput).statements == ["a", "b"]
    # What the 270M judge writes: a trailing comma and an unclosed list, after some chatter.
    near = 'Output: {\n  "statements": ["LoRA trains low-rank matrices.", "It freezes weights.",'
    assert parse_judged(near, StatementGeneratorOutput).statements[0] == "LoRA trains low-rank matrices."
    for bad in ("1", "", '{"verdicts": "yes"}'):
        with pytest.raises(JudgeParseError, match="not a valid NLIStatementOutput"):
            parse_judged(bad, NLIStatementOutput)
    # Ragas types its 0/1 verdicts as ints; a verdict of 10 once pushed context precision to 9.99.
    assert parse_judged('{"reason": "useful", "verdict": 1}', ContextPrecisionOutput).verdict == 1
    with pytest.raises(JudgeParseError, match="verdict 10 is not 0 or 1"):
        parse_judged('{"reason": "useful", "verdict": 10}', ContextPrecisionOutput)


def test_unknown_judge_is_a_config_error(assistant: Assistant) -> None:
    with pytest.raises(ConfigError, match="ollama:MODEL"):
        make_judge(assistant.settings, "gpt-4")
    assert make_judge(assistant.settings, "none") is None


def test_embedded_judge_scores_three_questions(assistant: Assistant, tmp_path: Path) -> None:
    """The smoke run of issue 5: every judged metric returns a number or a counted failure, and the
    report says that the 270M judge is not reliable."""
    judge = make_judge(assistant.settings, "llamacpp")
    assert judge is not None
    judged = RagasJudged(judge, assistant.embedder)
    items = load_dataset(DATASET)[:3]
    run = run_eval(assistant, items, k=3, llm="extractive", extra=lambda item, result: judged.score(item, result))
    assert judge.calls >= 3 * 3  # faithfulness (2 calls), relevancy, precision (per context), recall
    for result in run.results:
        assert result.grounded
        for name in JUDGED_METRICS:
            value = result.metrics.get(name)
            if value is None:
                assert name in result.failures, (result.id, name)
            else:
                assert 0.0 <= value <= 1.0 and name not in result.failures
    summary = run.summary()
    for name in JUDGED_METRICS:
        scored = sum(1 for r in run.results if r.metrics.get(name) is not None)
        assert scored + summary[f"{name}_failures"] == 3

    run.judge = judge.name
    report = write_run(run, new_run_dir(tmp_path), notes=report_notes(judge)).read_text()
    assert UNRELIABLE in report and "judge `llamacpp:" in report
    failed = [name for name in JUDGED_METRICS if summary[f"{name}_failures"]]
    if failed:  # each metric that lost a question says how many and why
        assert "## Metrics without a number" in report and all(f"| {n} |" in report for n in failed)


def test_ollama_judge_sends_the_schema_and_counts_unparseable_answers(assistant: Assistant) -> None:
    item = load_dataset(DATASET)[2]
    with StandIn() as standin:
        settings = assistant.settings.model_copy(update={"ollama_host": standin.host})
        judge = make_judge(settings, f"ollama:{MODEL}")
        assert judge is not None and judge.name == f"ollama:{MODEL}" and report_notes(judge) == []

        standin.json_reply = json.dumps({"statements": ["Linear algebra is taught by MIT OpenCourseWare."]})
        assert judge.generate("Split into statements: ...", StatementGeneratorOutput).statements
        request = standin.requests[-1]
        assert request["stream"] is False and request["format"] == StatementGeneratorOutput.model_json_schema()
        assert request["options"]["temperature"] == 0.0

        standin.json_reply = "I cannot answer in JSON."
        (result,) = run_eval(
            assistant,
            [item],
            k=3,
            llm="extractive",
            extra=lambda i, r: RagasJudged(judge, assistant.embedder).score(i, r),
        ).results
        assert set(result.failures) == set(JUDGED_METRICS)
        assert all(result.failures[n].startswith("JudgeParseError") for n in JUDGED_METRICS)
        assert all(result.metrics[n] is None for n in JUDGED_METRICS)

    settings = assistant.settings.model_copy(update={"ollama_host": f"http://127.0.0.1:{free_port()}"})
    with pytest.raises(BackendUnavailable, match="not reachable"):
        make_judge(settings, "ollama:llama3.1:8b")
