"""The replay eval (issue 28): a capable instruct model's recorded answers, clean and with planted errors, served
over the Ollama protocol on 127.0.0.1 and answered by the real Assistant. The frozen replay set
(eval/datasets/replay.jsonl) was written before the claim check changed and is never tuned on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from roadmap_rag import Assistant
from roadmap_rag.evaluation.replay import ReplayResult, load_replay, renumber, run_replay, summarise
from tests.conftest import CORPUS, REPO

FROZEN = REPO / "eval/datasets/replay.jsonl"


def _prompt(*sources: tuple[int, str, str]) -> list[dict[str, str]]:
    blocks = "\n".join(f'<source id="{n}" title="{title}">\n{text}\n</source>' for n, title, text in sources)
    return [{"role": "user", "content": f"Sources:\n{blocks}\n\nQuestion: q"}]


def test_recorded_citations_follow_their_sources_to_the_live_prompt() -> None:
    recorded = _prompt((1, "A — s", "alpha text"), (2, "B — t", "beta text"), (3, "C — u", "gamma text"))
    live = _prompt((1, "B — t", "beta text"), (2, "A — s", "alpha text"))
    answer = "Alpha [1]. Beta [2]. Both [1, 2]. Gamma [3]."
    assert renumber(answer, recorded, live) == "Alpha [2]. Beta [1]. Both [2, 1]. Gamma [99]."


def test_a_planted_error_that_is_not_in_its_answer_is_named(tmp_path: Path) -> None:
    row = json.loads(FROZEN.read_text(encoding="utf-8").splitlines()[0])
    row["errors"][0]["original"] = "a sentence the answer does not have"
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=rf"bad.jsonl:1 \({row['id']}\).*'original' is not in the answer"):
        load_replay(path)


def test_the_frozen_set_is_what_its_data_card_says() -> None:
    items = load_replay(FROZEN)
    kinds = {e.kind for item in items for e in item.errors}
    assert len(items) >= 40 and sum(len(item.errors) for item in items) >= 80
    assert len(kinds) >= 8 and {"negation", "swap", "qualifier", "outside", "wrong_roadmap"} <= kinds
    assert all(item.writer and item.messages and item.answer for item in items)


@pytest.mark.parametrize("path", sorted((REPO / "eval/datasets").glob("replay*.jsonl")), ids=lambda p: p.stem)
def test_every_replay_set_loads_with_each_planted_error_in_its_answer(path: Path) -> None:
    items = load_replay(path)  # raises, naming the line, where an error's original is not in its answer
    assert items and all(item.errors and item.messages for item in items)
    assert len({item.id for item in items}) == len(items)


def test_eval_replay_command_reports_the_claim_check(assistant: Assistant, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from roadmap_rag.cli import app

    env = {"ROADMAP_RAG_DATA_DIR": str(assistant.settings.data_dir), "ROADMAP_RAG_CORPUS_DIR": str(CORPUS)}
    out = tmp_path / "runs"
    done = CliRunner().invoke(app, ["eval", "--replay", "--limit", "2", "--out", str(out)], env=env, terminal_width=200)
    assert done.exit_code == 0, done.output
    assert "true statements kept" in done.output and "planted errors removed" in done.output
    (run,) = out.iterdir()
    report = (run / "replay.md").read_text(encoding="utf-8")
    assert "## Answers as a learner reads them" in report and "## Planted errors that reached the learner" in report
    assert len((run / "replay.jsonl").read_text(encoding="utf-8").splitlines()) == 2


@pytest.fixture(scope="module")
def frozen_replay(assistant: Assistant) -> list[ReplayResult]:
    return run_replay(assistant, load_replay(FROZEN))


@pytest.mark.eval
def test_replay_holds_what_it_holds_today(frozen_replay: list[ReplayResult]) -> None:
    """Gated today on the frozen replay set: no statement moved to a source the model did not cite, every removal
    with its reason, the check costs none of the key facts the model's own answers state, and no regression
    below the keep and catch rates this issue's work reached (the closing note of issue 28 gives the measured
    figures).

    The key facts were compared with the composer's until the composer, answering better (issue 27), stated more
    of them (0.720) than the recorded answers themselves do (0.710): no check could pass that comparison on these
    fixed recordings. What the check must not do is lose what the model stated, so that is what is compared."""
    summary: dict[str, Any] = summarise(frozen_replay)
    assert summary["recited"] == 0, [(r.id, s.text) for r in frozen_replay for s in r.recited]
    assert all(s.reason for r in frozen_replay for s in r.statements if not s.kept)
    assert summary["fact_recall"] >= summary["model_fact_recall"], summary
    assert summary["true_kept"] >= 0.90, summary["true_kept_by_role"]
    assert summary["errors_removed"] >= 0.70, summary["errors_removed_by_kind"]


@pytest.mark.eval
@pytest.mark.xfail(
    strict=True,
    reason="issue 28's bars on the frozen replay set are not met yet (true statements kept >= 0.95, planted errors "
    "removed >= 0.97 overall and >= 0.9 for every kind); the closing note gives today's figures",
)
def test_replay_meets_the_issue_bars(frozen_replay: list[ReplayResult]) -> None:
    summary: dict[str, Any] = summarise(frozen_replay)
    assert summary["true_kept"] >= 0.95, summary
    assert summary["errors_removed"] >= 0.97, summary
    assert all(removed >= 0.9 * total for removed, total in summary["errors_removed_by_kind"].values()), summary
