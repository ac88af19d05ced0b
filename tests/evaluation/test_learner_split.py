"""Issue 27's gates on the frozen learner split (eval/datasets/learner_qa.jsonl): questions phrased the way
learners type them, written from the corpus alone before the answering changes and never tuned on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from roadmap_rag import Assistant
from roadmap_rag.evaluation.dataset import contains, load_dataset
from roadmap_rag.evaluation.runner import EvalRun, by_kind, run_eval

LEARNER = Path("eval/datasets/learner_qa.jsonl")
CORPUS = Path("corpus")


@pytest.fixture(scope="module")
def learner_run(assistant: Assistant) -> EvalRun:
    return run_eval(assistant, load_dataset(LEARNER), k=5, llm="extractive")


def test_every_key_fact_of_the_split_is_in_the_corpus() -> None:
    """Each fact alternative lies literally in a roadmap or the paper catalog (folded as the eval folds)."""
    from roadmap_rag.corpus.documents import normalise

    texts = [normalise(p.read_text(encoding="utf-8")) for p in sorted((CORPUS / "roadmaps").iterdir())]
    texts.append((CORPUS / "papers" / "catalog.yaml").read_text(encoding="utf-8"))
    items = load_dataset(LEARNER)
    kinds = {str(item.extra.get("kind")) for item in items}
    assert len(items) >= 60 and {"follow-up", "near-miss", "paper-name", "verdict", "terse"} <= kinds
    missing = [
        (item.id, alt)
        for item in items
        for group in item.facts
        for alt in group
        if not any(contains(text, alt) for text in texts)
    ]
    assert not missing


def test_every_key_fact_of_the_second_dev_split_is_in_the_corpus() -> None:
    """learner_dev2.jsonl (90 questions written from the corpus alone): every fact alternative lies literally in
    a roadmap or the catalog, each follow-up has its history, each near-miss subject is absent."""
    from roadmap_rag.corpus.documents import normalise

    texts = [normalise(p.read_text(encoding="utf-8")) for p in sorted((CORPUS / "roadmaps").iterdir())]
    texts.append((CORPUS / "papers" / "catalog.yaml").read_text(encoding="utf-8"))
    items = load_dataset(Path("eval/datasets/learner_dev2.jsonl"))
    assert len(items) == 90
    missing = [
        (i.id, alt) for i in items for group in i.facts for alt in group if not any(contains(t, alt) for t in texts)
    ]
    assert not missing
    assert all(i.extra.get("history") for i in items if i.extra.get("kind") == "follow-up")
    subjects = [str(i.extra.get("subject")) for i in items if i.extra.get("kind") == "near-miss"]
    assert subjects and not [s for s in subjects if any(contains(t, s) for t in texts)]


@pytest.mark.parametrize("path", sorted(Path("eval/datasets").glob("learner_dev*.jsonl")), ids=lambda p: p.stem)
def test_every_learner_dev_split_is_what_its_card_says(path: Path) -> None:
    """Every learner dev split, written from the corpus alone: each fact alternative lies literally in a roadmap or
    the catalog, each follow-up has its history, no near-miss has a fact to state. A split whose facts no longer
    match the corpus measures nothing."""
    from roadmap_rag.corpus.documents import normalise

    texts = [normalise(p.read_text(encoding="utf-8")) for p in sorted((CORPUS / "roadmaps").iterdir())]
    texts.append((CORPUS / "papers" / "catalog.yaml").read_text(encoding="utf-8"))
    items = load_dataset(path)
    missing = [
        (i.id, alt) for i in items for group in i.facts for alt in group if not any(contains(t, alt) for t in texts)
    ]
    assert not missing
    assert all(i.extra.get("history") for i in items if i.extra.get("kind") == "follow-up")
    assert all(not i.facts for i in items if i.extra.get("kind") == "near-miss")


NEAR_MISS_DEV = Path("eval/datasets/learner_dev4.jsonl")


def test_the_near_miss_dev_split_is_what_its_card_says() -> None:
    """learner_dev4.jsonl (40 questions written from the corpus alone): 20 near-miss and 20 answerable look-alikes,
    every fact alternative literally in a roadmap or the catalog, every near-miss subject in its question."""
    from roadmap_rag.corpus.documents import normalise

    texts = [normalise(p.read_text(encoding="utf-8")) for p in sorted((CORPUS / "roadmaps").iterdir())]
    texts.append((CORPUS / "papers" / "catalog.yaml").read_text(encoding="utf-8"))
    items = load_dataset(NEAR_MISS_DEV)
    near = [i for i in items if i.extra.get("kind") == "near-miss"]
    assert len(items) == 40 and len(near) == 20 and all(not i.answerable for i in near)
    missing = [
        (i.id, alt) for i in items for group in i.facts for alt in group if not any(contains(t, alt) for t in texts)
    ]
    assert not missing
    assert all(str(i.extra.get("subject")) in i.question.lower() for i in near)


@pytest.mark.eval
def test_near_miss_questions_are_flagged_and_their_look_alikes_are_not(assistant: Assistant) -> None:
    """On the near-miss dev split: at least 18 of 20 near-miss questions refused or flagged (15 before issue 27's
    fifth pass), and no answerable look-alike flagged as not covered (2 were)."""
    run = run_eval(assistant, load_dataset(NEAR_MISS_DEV), k=5, llm="extractive")
    near = [r for r in run.results if not r.answerable]
    honest = [r for r in near if not r.grounded or r.flagged]
    assert len(honest) >= 18, [(r.id, r.question) for r in near if r not in honest]
    assert not [(r.id, r.answer[:120]) for r in run.results if r.answerable and r.flagged]


@pytest.mark.eval
def test_learner_split_answers_are_clean_and_honest(learner_run: EvalRun) -> None:
    """What holds today, gated: no narrative or meta sentence, no raw markup, no unsupported claim, at most 2% of
    answerable questions refused, and at most 2% flagged as not covered (the bar false refusals have)."""
    summary = learner_run.summary()
    assert summary["chatter_answers"] == 0, [(r.id, r.chatter) for r in learner_run.results if r.chatter]
    assert summary["raw_markup_rate"] == 0.0
    assert summary["unsupported_rate"] == 0.0, [(r.id, r.answer) for r in learner_run.results if r.claims_unsupported]
    assert summary["false_refusal_rate"] <= 0.02, summary
    assert summary["false_flag_rate"] <= 0.02, [
        (r.id, r.answer[:120]) for r in learner_run.results if r.flagged and r.answerable
    ]
    assert summary["fact_recall"] <= summary["fact_ceiling"]


@pytest.mark.eval
def test_learner_split_answers_state_three_quarters_of_the_key_facts(learner_run: EvalRun) -> None:
    """Issue 27's bar on the frozen split, met since the twelfth pass (eval/README.md): the answers state at least
    75% of the key facts, and at least 90% of those their sources hold."""
    summary: dict[str, Any] = learner_run.summary()
    assert summary["fact_recall"] >= 0.75, summary
    assert summary["fact_recall"] >= 0.9 * summary["fact_ceiling"], summary


@pytest.mark.eval
@pytest.mark.xfail(
    strict=True,
    reason="issue 27's bars on the frozen split are not met yet (follow-ups >= 0.80, near-miss honesty 100%); the "
    "closing note gives today's figures",
)
def test_learner_split_meets_the_issue_bars(learner_run: EvalRun) -> None:
    kinds = by_kind(learner_run.results, 5)
    assert kinds["follow-up"]["fact_recall"] >= 0.80, kinds["follow-up"]
    assert kinds["near-miss"]["near_miss_honesty"] == 1.0, kinds["near-miss"]
