"""A plan toward a goal as a learner reads it: the sections that lead there in order, each edge's reason cited,
time with its basis, weeks within the budget, and what the learner knows, ticked or mastered left out."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from roadmap_rag import Assistant
from roadmap_rag.errors import QuestionError
from roadmap_rag.learn.cards import in_passage
from roadmap_rag.learn.plan import Plan, parse_goal, schedule
from roadmap_rag.learn.progress import ProgressStore
from roadmap_rag.learn.study import StudyStore
from roadmap_rag.retrieve.library import to_source

pytestmark = pytest.mark.fast

DAY1 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _sound(plan: Plan) -> None:
    positions = [s.position for s in plan.steps]
    assert positions == sorted(positions) and plan.steps
    for step in plan.steps:
        assert step.hours > 0 and step.basis
        assert in_passage(step.why.quote, step.why.source), step.why
        assert step.why.one_roadmap == ("one roadmap only" in step.why.text) or step.position == 1
    assert sum(w.hours for w in plan.weeks) == pytest.approx(plan.hours, abs=0.05 * len(plan.weeks))
    assert all(w.hours <= plan.hours_per_week + 1e-6 for w in plan.weeks)


def test_a_goal_and_what_the_learner_knows_are_read_from_a_sentence() -> None:
    assert parse_goal("I want to fine-tune with LoRA; I know Python") == ("fine-tune with LoRA", ("Python",))
    assert parse_goal("RLHF") == ("RLHF", ())
    assert parse_goal("how do I learn transformers? I already know Python and PyTorch") == (
        "learn transformers",
        ("Python", "PyTorch"),
    )


def test_a_plan_toward_lora_leads_to_where_a_roadmap_teaches_it(fake_assistant: Assistant) -> None:
    plan = fake_assistant.plan("I want to fine-tune with LoRA; I know Python", 6, "plan-lora", now=DAY1)
    _sound(plan)
    assert plan.topic == "LoRA" and plan.known == ("Python",)
    path = fake_assistant.path("LoRA")
    lane = next(lane for lane in path.lanes if lane.roadmap == plan.roadmap)
    assert lane.primary is not None and plan.steps[-1].position == lane.primary.place.position  # ends at the goal
    assert plan.alternatives  # the other roadmaps that teach it are named
    # Knowing Python takes the prerequisites' programming topic off the estimate.
    without = fake_assistant.plan("LoRA", 6, "plan-lora", now=DAY1)
    assert plan.hours < without.hours
    assert any("less what you know" in s.basis for s in plan.steps)


def test_mastered_and_ticked_sections_are_left_out_and_said(fake_assistant: Assistant) -> None:
    profile = "plan-skips"
    base = fake_assistant.plan("RLHF", 8, profile, roadmap="the curriculum", now=DAY1)
    _sound(base)
    first, second = base.steps[0], base.steps[1]
    ProgressStore(fake_assistant.settings, profile).mark(first.doc_id, first.section)
    library = fake_assistant.retriever.library()
    chunk = next(c for c in library.chunks(second.doc_id) if c.section.startswith(second.section))
    store = StudyStore(fake_assistant.settings, profile)
    store.record(to_source(chunk), 1.0, DAY1, via="placement")
    after = fake_assistant.plan("RLHF", 8, profile, roadmap="the curriculum", now=DAY1)
    assert [s.name for s in after.skipped] == [first.name, second.name]
    assert [s.status for s in after.skipped] == ["ticked", "mastered"]
    assert after.hours == pytest.approx(base.hours - first.hours - second.hours)
    ProgressStore(fake_assistant.settings, profile).mark(first.doc_id, first.section, done=False)
    store.path.unlink()


def test_a_roadmaps_own_timeline_is_the_basis_where_it_gives_one(fake_assistant: Assistant) -> None:
    plan = fake_assistant.plan("RAG", 10, roadmap="the getting-started guide", now=DAY1)
    _sound(plan)
    timed = [s for s in plan.steps if "timeline gives it Month" in s.basis]
    assert timed and all("how we read part-time" in s.basis for s in timed)
    assert any("our estimate" in s.basis for s in plan.steps)  # the others say they are ours


def test_edges_cite_the_roadmap_and_name_the_roadmaps_that_agree(fake_assistant: Assistant) -> None:
    plan = fake_assistant.plan("RLHF", 6, roadmap="the curriculum", now=DAY1)
    assert "asks you to know first" in plan.steps[0].why.text  # the roadmap's prerequisites line
    agreed = [s for s in plan.steps if s.why.agreed_by]
    alone = [s for s in plan.steps[1:] if not s.why.agreed_by]
    assert agreed and alone
    assert all(" agree" in s.why.text for s in agreed)


def test_weeks_split_a_long_step_and_keep_to_the_budget(fake_assistant: Assistant) -> None:
    steps = fake_assistant.plan("RLHF", 6, roadmap="the curriculum", now=DAY1).steps
    weeks = schedule(steps[:2], 5)
    assert [round(sum(h for _, h in w.parts), 1) for w in weeks[:-1]] == [5.0] * (len(weeks) - 1)
    assert weeks[0].parts[0][0] == steps[0].name


def test_goals_no_roadmap_covers_and_impossible_budgets_say_what_to_do(fake_assistant: Assistant) -> None:
    with pytest.raises(QuestionError, match="no roadmap with sections covers"):
        fake_assistant.plan("sourdough baking")
    with pytest.raises(QuestionError, match="above 0 and at most 80"):
        fake_assistant.plan("LoRA", 0)


def test_a_section_mastered_in_another_roadmap_is_left_out_and_says_where(fake_assistant: Assistant) -> None:
    profile = "plan-elsewhere"
    base = fake_assistant.plan("LoRA", 6, profile, roadmap="the core roadmap", now=DAY1)
    assert [s.name for s in base.steps][:2] == ["Prerequisites", "Beginner Level — LLM Foundations"]
    library = fake_assistant.retriever.library()
    spine = fake_assistant.curriculum().spine("comprehensive-llm-curriculum")
    foundations = next(h for h in spine if h.text.endswith("Foundations of Neural Language Modeling"))
    chunk = next(c for c in library.chunks("comprehensive-llm-curriculum") if c.section == foundations.section)
    store = StudyStore(fake_assistant.settings, profile)
    store.record(to_source(chunk), 1.0, DAY1, via="placement")
    after = fake_assistant.plan("LoRA", 6, profile, roadmap="the core roadmap", now=DAY1)
    assert [s.name for s in after.skipped] == ["Beginner Level — LLM Foundations"]
    assert after.skipped[0].status == "mastered as the curriculum: 1. Foundations of Neural Language Modeling"
    store.path.unlink()
