"""Spaced review and mastery as a learner lives them over days: FSRS schedules, new cards a day, mastery from
answers (not ticks), and "what next" that puts reviews first and skips what the learner has mastered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from roadmap_rag import Assistant
from roadmap_rag.errors import ConfigError, QuestionError
from roadmap_rag.learn.progress import ProgressStore
from roadmap_rag.learn.study import Answered, StudyStore, mastery

pytestmark = pytest.mark.fast

DAY1 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CURRICULUM = "comprehensive-llm-curriculum"


@pytest.fixture
def profile(request: pytest.FixtureRequest) -> str:
    """A profile of the test's own on the shared index, removed after it."""
    name = f"study-{request.node.name}"[:64].replace("[", "-").replace("]", "")
    yield name
    (request.getfixturevalue("fake_assistant").settings.data_dir / "study" / f"{name}.json").unlink(missing_ok=True)


def test_a_day_brings_new_cards_up_to_its_limit_and_rated_cards_come_back_when_due(
    fake_assistant: Assistant, profile: str
) -> None:
    first = fake_assistant.review_due(profile, new=3, now=DAY1)
    assert [d.new for d in first] == [True, True, True]
    # From the sections the learner studies next, a roadmap at a time.
    curriculum = fake_assistant.curriculum()
    steps = {(p.doc_id, p.top) for p in fake_assistant.study_next(profile, now=DAY1).steps}
    assert len({d.card.source.doc_id for d in first}) == 3
    for d in first:
        source = d.card.source
        assert (source.doc_id, curriculum.place(source.doc_id, source.section).top) in steps
    again, good, easy = (d.card.id for d in first)
    back = {
        "again": fake_assistant.rate(again, "again", profile, now=DAY1),
        "good": fake_assistant.rate(good, "good", profile, now=DAY1),
        "easy": fake_assistant.rate(easy, "easy", profile, now=DAY1),
    }
    assert DAY1 < back["again"].due < back["good"].due <= back["easy"].due
    assert back["again"].state == "learning" and back["easy"].state == "review"
    # The same day: the three new cards are spent, and the card rated "again" is back within minutes (FSRS's
    # first learning step), before the "good" one (its second).
    later = fake_assistant.review_due(profile, new=3, now=DAY1 + timedelta(minutes=5))
    assert [(d.card.id, d.new) for d in later] == [(again, False)]
    # The next day: the day's new cards again, after the reviews due; the "easy" card is not due yet.
    day2 = fake_assistant.review_due(profile, new=3, now=DAY1 + timedelta(days=1))
    reviews = [d.card.id for d in day2 if not d.new]
    assert again in reviews and easy not in reviews and sum(d.new for d in day2) == 3
    assert all(not d.new for d in day2[: len(reviews)])  # reviews first


def test_ratings_and_quiz_answers_make_mastery_and_old_answers_weigh_less(
    fake_assistant: Assistant, profile: str
) -> None:
    card = next(c for c in fake_assistant.cards() if c.source.doc_id == CURRICULUM)
    fake_assistant.rate(card.id, "good", profile, now=DAY1)
    known = fake_assistant.mastery(profile, now=DAY1)
    assert len(known) == 1 and known[0].doc_id == CURRICULUM and not known[0].mastered  # one answer is not enough
    item = next(i for i in fake_assistant.quiz("tokenization", 5) if i.citation.doc_id == CURRICULUM)
    fake_assistant.grade(item, item.answer, profile, now=DAY1)  # the key itself: a full answer
    fake_assistant.grade(item, "", profile, now=DAY1)  # a skip counts for nothing
    sections = {m.section: m for m in fake_assistant.mastery(profile, now=DAY1)}
    assert all(m.answers >= 1 for m in sections.values()) and sum(m.answers for m in sections.values()) == 2
    # A wrong answer today outweighs a right one a month ago, and the other way round.
    where = (item.citation.doc_id, item.citation.section)
    month_ago = DAY1 - timedelta(days=30)
    wrong_now = [Answered(*where, 1.0, month_ago, "quiz"), Answered(*where, 0.0, DAY1, "quiz")]
    right_now = [Answered(*where, 0.0, month_ago, "quiz"), Answered(*where, 1.0, DAY1, "quiz")]
    assert mastery(fake_assistant.curriculum(), wrong_now, DAY1)[0].score < 0.25
    assert mastery(fake_assistant.curriculum(), right_now, DAY1)[0].score > 0.75


def test_what_next_puts_due_reviews_first_and_skips_mastered_sections(fake_assistant: Assistant, profile: str) -> None:
    curriculum = fake_assistant.curriculum()
    before = fake_assistant.study_next(profile, now=DAY1)
    assert before.due == 0 and before.new > 0 and not before.mastery
    first = next(p for p in before.steps if p.doc_id == CURRICULUM)
    # Answer two quiz questions right about the curriculum's first main section: it is mastered.
    spine = curriculum.spine(CURRICULUM)
    head = next(h for h in spine if h.text == first.top)
    passage = next(
        c for c in fake_assistant.retriever.library().chunks(CURRICULUM) if c.section.startswith(head.section)
    )
    from roadmap_rag.retrieve.library import to_source

    store = StudyStore(fake_assistant.settings, profile)
    store.record(to_source(passage), 1.0, now=DAY1)
    store.record(to_source(passage), 0.9, now=DAY1)
    after = fake_assistant.study_next(profile, now=DAY1)
    assert any(m.mastered and m.name == first.top for m in after.mastery)
    steps = [p.top for p in after.steps if p.doc_id == CURRICULUM]
    assert first.top not in steps and steps[0] == spine[spine.index(head) + 1].text
    assert not ProgressStore(fake_assistant.settings, profile).done()  # nothing was ticked for the learner
    # A card rated today is due again within the day: "next" counts it as a review, first.
    card = fake_assistant.review_due(profile, now=DAY1)[0].card
    fake_assistant.rate(card.id, "again", profile, now=DAY1)
    assert fake_assistant.study_next(profile, now=DAY1 + timedelta(hours=1)).due == 1


def test_bad_ratings_unknown_cards_and_a_damaged_file(fake_assistant: Assistant, profile: str) -> None:
    card = fake_assistant.cards()[0]
    with pytest.raises(ConfigError, match="use one of again, hard, good, easy"):
        fake_assistant.rate(card.id, "perfect", profile, now=DAY1)
    with pytest.raises(QuestionError, match="no card has the id"):
        fake_assistant.rate("0000", "good", profile, now=DAY1)
    fake_assistant.rate(card.id, "good", profile, now=DAY1)
    path = fake_assistant.settings.data_dir / "study" / f"{profile}.json"
    path.write_text('{"cards": {"x": {"fsrs": 3}}, "answers": [{"at": "not a date"}', encoding="utf-8")
    assert fake_assistant.review_due(profile, new=2, now=DAY1)  # read as a fresh start, not a crash
    assert fake_assistant.mastery(profile, now=DAY1) == []
    with pytest.raises(ConfigError, match="use 1-64 letters"):
        fake_assistant.review_due("../x")


def test_next_steps_with_a_profile_skip_what_it_mastered(fake_assistant: Assistant, profile: str) -> None:
    first = next(p for p in fake_assistant.next_steps(set()) if p.doc_id == CURRICULUM)
    head = next(h for h in fake_assistant.curriculum().spine(CURRICULUM) if h.text == first.top)
    chunk = next(c for c in fake_assistant.retriever.library().chunks(CURRICULUM) if c.section == head.section)
    from roadmap_rag.retrieve.library import to_source

    StudyStore(fake_assistant.settings, profile).record(to_source(chunk), 1.0, via="placement")
    assert first.top in [p.top for p in fake_assistant.next_steps(set()) if p.doc_id == CURRICULUM]
    mine = [p.top for p in fake_assistant.next_steps(set(), profile=profile) if p.doc_id == CURRICULUM]
    assert first.top not in mine and mine
