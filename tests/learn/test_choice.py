"""Multiple-choice questions that teach: one right option, real alternatives that their own passages show wrong,
rationales quoted from those passages, three levels; and the placement check that masters what a learner knows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from roadmap_rag import Assistant
from roadmap_rag.errors import QuestionError
from roadmap_rag.learn.cards import in_passage
from roadmap_rag.learn.choice import LEVELS, ChoiceItem, flaws, wrong_by_its_passage

pytestmark = pytest.mark.fast

TOPICS = ("RLHF", "LoRA", "quantization", "tokenization", "transformers", "RAG", "evaluation")
DAY1 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _check(item: ChoiceItem) -> None:
    assert flaws(item) == [], (item.question, [o.text for o in item.options], flaws(item))
    for option in item.options:
        assert option.quote and in_passage(option.quote, option.source), option  # the rationale's words are there
        assert option.quote in option.rationale
        assert option.correct or wrong_by_its_passage(item, option), (item.question, option)


@pytest.mark.parametrize("level", LEVELS)
def test_every_level_gives_sound_items_on_common_topics(fake_assistant: Assistant, level: str) -> None:
    counts = {}
    for topic in TOPICS:
        items = fake_assistant.choices(topic, level, n=20)
        counts[topic] = len(items)
        for item in items:
            assert item.level == level
            _check(item)
    assert sum(counts.values()) >= 5, counts
    assert sum(1 for n in counts.values() if n) >= 3, counts  # not one topic's luck


def test_the_right_option_is_not_always_in_the_same_place(fake_assistant: Assistant) -> None:
    places = {item.answer for topic in TOPICS for item in fake_assistant.choices(topic, "easy", n=20)}
    assert len(places) >= 3


def test_a_seed_draws_other_items_and_the_same_seed_the_same(fake_assistant: Assistant) -> None:
    first = fake_assistant.choices("LoRA", "easy", n=1, seed=0)
    assert fake_assistant.choices("LoRA", "easy", n=1, seed=0) == first
    assert fake_assistant.choices("LoRA", "easy", n=1, seed=1) != first


def test_wrong_levels_and_options_are_refused_with_what_to_do(fake_assistant: Assistant) -> None:
    with pytest.raises(QuestionError, match="use one of easy, medium, hard"):
        fake_assistant.choices("LoRA", "expert")
    item = fake_assistant.choices("LoRA", "medium", n=1)[0]
    with pytest.raises(QuestionError, match="choose 1 to 4"):
        fake_assistant.answer_choice(item, 7)


def test_a_placement_check_masters_the_sections_answered_right(fake_assistant: Assistant) -> None:
    profile = "choice-placement"
    path = fake_assistant.settings.data_dir / "study" / f"{profile}.json"
    path.unlink(missing_ok=True)
    items = fake_assistant.placement("the curriculum", sections=4)
    assert len(items) >= 3 and all(i.placement and i.level == "easy" for i in items)
    sections = {i.citation.section for i in items}
    assert len(sections) == len(items)  # one question per section
    for item in items:
        _check(item)
    before = fake_assistant.study_next(profile, now=DAY1)
    first = next(p.top for p in before.steps if p.doc_id == "comprehensive-llm-curriculum")
    # The first two answered right, the third wrong.
    for n, item in enumerate(items[:3]):
        chosen = item.answer if n < 2 else (item.answer + 1) % 4
        option = fake_assistant.answer_choice(item, chosen, profile, now=DAY1)
        assert option.correct == (n < 2) and option.rationale.startswith("Right" if n < 2 else "Not under")
    placed = [m for m in fake_assistant.mastery(profile, now=DAY1) if m.mastered]
    assert len(placed) == 2 and all(m.placed for m in placed)
    after = fake_assistant.study_next(profile, now=DAY1)
    steps = [p.top for p in after.steps if p.doc_id == "comprehensive-llm-curriculum"]
    assert first not in steps  # placed out of it: "next" starts after what the learner knows
    # A wrong answer later about a placed section undoes the placement.
    fake_assistant.answer_choice(items[0], (items[0].answer + 1) % 4, profile, now=DAY1 + timedelta(days=1))
    assert sum(m.mastered for m in fake_assistant.mastery(profile, now=DAY1 + timedelta(days=1))) == 1
    assert fake_assistant.levels(profile) == {}  # placement answers are not a level's
    medium = fake_assistant.choices("LoRA", "medium", n=1)[0]
    fake_assistant.answer_choice(medium, medium.answer, profile, now=DAY1)
    assert fake_assistant.levels(profile) == {"medium": (1, 1)}
    path.unlink(missing_ok=True)
