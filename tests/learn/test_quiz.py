"""Self-check quizzes: built from the roadmaps' structure alone, every key in its cited passage, graded by
the eval's key-fact matching."""

from __future__ import annotations

import pytest

from roadmap_rag import Assistant
from roadmap_rag.learn.curriculum import Curriculum
from roadmap_rag.learn.quiz import QuizItem, build_quiz, grade, quiz_score
from roadmap_rag.retrieve.library import Library
from roadmap_rag.text.words import contains

pytestmark = pytest.mark.fast

TOPICS = ["LoRA", "RLHF", "RAG", "tokenization", "transformers", "LLM applications", "evaluation benchmarks"]


@pytest.fixture(scope="module")
def quizzes(library: Library) -> dict[str, list[QuizItem]]:
    curriculum = Curriculum(library)
    return {topic: build_quiz(curriculum, topic, n=8) for topic in TOPICS}


def test_every_expected_answer_is_in_its_cited_passage(quizzes: dict[str, list[QuizItem]]) -> None:
    items = [item for found in quizzes.values() for item in found]
    assert len(items) >= 30 and {i.kind for i in items} == {"list", "definition", "order", "paper"}
    for item in items:
        keys = item.accepted[:1] if item.kind == "order" else item.accepted  # order: the section to name
        for group in keys:
            assert contains(item.citation.text, group[0]), (item.question, group[0])
        if item.kind == "definition":
            assert contains(item.citation.text, item.answer)


def test_questions_are_on_the_topic_and_do_not_give_the_answer_away(quizzes: dict[str, list[QuizItem]]) -> None:
    for topic, items in quizzes.items():
        assert len(items) >= 2, topic
        for item in items:
            if item.kind == "paper":
                assert not any(contains(item.question, alt) for alt in item.accepted[0]), item.question


def test_grading_gives_full_partial_and_no_credit(quizzes: dict[str, list[QuizItem]]) -> None:
    listed = next(i for i in quizzes["RLHF"] if i.kind == "list" and "curriculum" in i.question)
    names = [group[0] for group in listed.accepted]
    assert grade(listed, "; ".join(names[:3])).score == 1.0
    partly = grade(listed, f"{names[0]}, and something about dogs")
    assert 0 < partly.score < 1 and partly.stated == (names[0],) and names[1] in partly.missed
    wrong = grade(listed, "Gradient boosting, decision trees and k-means")
    assert wrong.score == 0.0 and "Expected:" in wrong.feedback and listed.citation.title in wrong.feedback


def test_an_order_question_needs_the_earlier_section_named_first(quizzes: dict[str, list[QuizItem]]) -> None:
    order = next(i for i in quizzes["tokenization"] if i.kind == "order" and "curriculum" in i.question)
    first, later = order.accepted[0][0], order.accepted[1][0]
    assert grade(order, first).score == 1.0
    assert grade(order, f"{first} comes before {later}").score == 1.0
    assert grade(order, later).score == 0.0
    assert grade(order, f"{later}, then {first}").score == 0.0


def test_a_paper_question_accepts_the_title_or_the_authors(quizzes: dict[str, list[QuizItem]]) -> None:
    paper = next(i for i in quizzes["LoRA"] if i.kind == "paper")
    assert paper.question == "Which paper introduced LoRA?"
    assert grade(paper, "Hu et al. (2021)").score == 1.0
    assert grade(paper, "LoRA: Low-Rank Adaptation of Large Language Models").score == 1.0
    assert grade(paper, "the BERT paper").score == 0.0


def test_the_api_builds_and_grades(fake_assistant: Assistant) -> None:
    items = fake_assistant.quiz("RLHF", n=3)
    assert len(items) == 3 and len({i.kind for i in items}) >= 2
    assert fake_assistant.grade(items[0], items[0].answer).score == 1.0  # the key itself is a full answer


def test_a_paraphrased_reordered_answer_scores_full_marks(quizzes: dict[str, list[QuizItem]]) -> None:
    """Issue 30: "preference data, reward model, proximal policy optimization" scored 0.00 against its own key."""
    listed = next(i for i in quizzes["RLHF"] if i.kind == "list" and "curriculum" in i.question)
    assert "Proximal Policy Optimization (PPO)" in listed.answer and "Reward model training" in listed.answer
    for answer in (
        "preference data, reward model, proximal policy optimization",
        "PPO, reward models and collecting human preferences",  # reordered, an acronym, plurals
        "Optimizing the policy with proximal policy optimisation; training a reward model; preference data",
    ):
        graded = grade(listed, answer)
        assert graded.score == 1.0 and graded.feedback.startswith("Correct."), (answer, graded)


def test_a_half_answer_gets_partial_credit(quizzes: dict[str, list[QuizItem]]) -> None:
    listed = next(i for i in quizzes["RLHF"] if i.kind == "list" and "curriculum" in i.question)
    half = grade(listed, "reward models and proximal policy optimisation")
    assert 0 < half.score < 1 and half.feedback.startswith("Partly right.")
    assert "Human preference data collection" in half.missed
    assert grade(listed, "reinforcement learning from human feedback").score == 0.0  # the question's words


def test_an_empty_answer_is_a_skip_not_counted_in_the_score(quizzes: dict[str, list[QuizItem]]) -> None:
    items = quizzes["RLHF"][:3]
    skipped = grade(items[0], "  ")
    assert skipped.skipped and skipped.feedback.startswith("Skipped.") and "Expected:" in skipped.feedback
    grades = [skipped, grade(items[1], items[1].answer), grade(items[2], "no idea")]
    assert quiz_score(grades) == (1.0, 2)  # one right of the two answered


def test_a_retry_draws_other_items_and_a_seed_draws_the_same(library: Library) -> None:
    curriculum = Curriculum(library)
    first = [i.question for i in build_quiz(curriculum, "RLHF", n=2)]
    again = [i.question for i in build_quiz(curriculum, "RLHF", n=2, seed=1)]
    assert first and again and not set(first) & set(again)
    assert again == [i.question for i in build_quiz(curriculum, "RLHF", n=2, seed=1)]
    assert [i.question for i in build_quiz(curriculum, "RLHF", n=2, seed=0)] == first


def test_the_api_draws_other_items_on_a_retry(fake_assistant: Assistant) -> None:
    first = {i.question for i in fake_assistant.quiz("RLHF", n=2)}
    assert first.isdisjoint(i.question for i in fake_assistant.quiz("RLHF", n=2, seed=1))
