"""Self-check quizzes: built from the roadmaps' structure alone, every key in its cited passage, graded by
the eval's key-fact matching."""

from __future__ import annotations

import pytest

from roadmap_rag import Assistant
from roadmap_rag.curriculum import Curriculum
from roadmap_rag.library import Library
from roadmap_rag.quiz import QuizItem, build_quiz, grade
from roadmap_rag.text import contains

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
