"""Quiz, card and plan quality, measured (issue 31, item 6): what the study loop asks is answerable from the passage
it cites, is not asked twice, has no item-writing flaw a rule can see, and its wrong options are wrong by their own
passages; a plan's every edge cites its line. Per topic, so a thin topic shows.

- answerability: typed quiz items whose key facts are all in the cited passage (an order item: the earlier section's
  heading), cards whose keys are, multiple-choice items whose every rationale quote is in its option's passage;
- duplicates: two items of one set (a topic's typed quiz, its cards, its multiple-choice items) whose normalised
  questions are the same or over 0.9 alike (difflib) and whose answers are the same;
- flaws: ``choice.flaws`` over the multiple-choice items;
- distractor validity: wrong options that ``choice.wrong_by_its_passage``.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field

from roadmap_rag.api import Assistant
from roadmap_rag.errors import QuestionError
from roadmap_rag.learn.cards import in_passage
from roadmap_rag.learn.choice import LEVELS, ChoiceItem, flaws, wrong_by_its_passage
from roadmap_rag.learn.plan import Plan
from roadmap_rag.learn.quiz import QuizItem
from roadmap_rag.text.words import bare

TOPICS = ("RLHF", "LoRA", "quantization", "tokenization", "transformers", "RAG", "evaluation")
GOALS = ("I want to fine-tune with LoRA; I know Python", "RLHF", "I want to build RAG apps")


@dataclass
class TopicQuality:
    topic: str
    quiz: int = 0
    quiz_answerable: int = 0
    cards: int = 0
    cards_answerable: int = 0
    choices: dict[str, int] = field(default_factory=dict)  # per level
    choices_answerable: int = 0
    distractors: int = 0
    distractors_valid: int = 0
    flaws: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)


@dataclass
class StudyQuality:
    topics: list[TopicQuality]
    plans: list[Plan]
    edges: int
    edges_cited: int

    def totals(self) -> dict[str, float]:
        def share(a: int, b: int) -> float:
            return a / b if b else 1.0

        t = self.topics
        return {
            "answerability": share(
                sum(x.quiz_answerable + x.cards_answerable + x.choices_answerable for x in t),
                sum(x.quiz + x.cards + sum(x.choices.values()) for x in t),
            ),
            "duplicates": float(sum(len(x.duplicates) for x in t)),
            "flaws": float(sum(len(x.flaws) for x in t)),
            "distractor_validity": share(sum(x.distractors_valid for x in t), sum(x.distractors for x in t)),
            "edges_cited": share(self.edges_cited, self.edges),
        }


def measure(assistant: Assistant, topics: Sequence[str] = TOPICS, goals: Sequence[str] = GOALS) -> StudyQuality:
    found = [_topic(assistant, topic) for topic in topics]
    plans = []
    for goal in goals:
        try:
            plans.append(assistant.plan(goal, 6, profile="eval-study-quality"))
        except QuestionError:
            continue
    edges = [s.why for p in plans for s in p.steps]
    cited = sum(1 for e in edges if e.quote and in_passage(e.quote, e.source))
    return StudyQuality(found, plans, len(edges), cited)


def _topic(assistant: Assistant, topic: str) -> TopicQuality:
    q = TopicQuality(topic)
    items = assistant.quiz(topic, 50)
    q.quiz, q.quiz_answerable = len(items), sum(_answerable(i) for i in items)
    cards = assistant.cards(topic)
    q.cards = len(cards)
    q.cards_answerable = sum(all(in_passage(k, c.source) for k in c.keys) for c in cards)
    choices: list[ChoiceItem] = []
    for level in LEVELS:
        drawn = assistant.choices(topic, level, 50)
        q.choices[level] = len(drawn)
        choices += drawn
    for item in choices:
        q.choices_answerable += all(o.quote and in_passage(o.quote, o.source) for o in item.options)
        q.flaws += [f"{item.question}: {flaw}" for flaw in flaws(item)]
        wrong = [o for o in item.options if not o.correct]
        q.distractors += len(wrong)
        q.distractors_valid += sum(wrong_by_its_passage(item, o) for o in wrong)
    # Within each set a learner meets at once (a card and a quiz item on the same fact are one fact in two forms).
    q.duplicates = _duplicates([(i.question, i.answer) for i in items])
    q.duplicates += _duplicates([(c.front, c.back) for c in cards])
    q.duplicates += _duplicates([(i.question, i.options[i.answer].text) for i in choices])
    return q


def _answerable(item: QuizItem) -> bool:
    keys = [group[0] for group in item.accepted][:1] if item.kind == "order" else [g[0] for g in item.accepted]
    return all(in_passage(k, item.citation) for k in keys)


def _duplicates(asked: Sequence[tuple[str, str]]) -> list[str]:
    """Pairs asked twice: the same answer to the same, or a nearly the same (over 0.9 alike), question."""
    found = []
    for i, (q1, a1) in enumerate(asked):
        for q2, a2 in asked[i + 1 :]:
            if bare(a1) != bare(a2):
                continue
            if bare(q1) == bare(q2) or difflib.SequenceMatcher(None, bare(q1), bare(q2)).ratio() > 0.9:
                found.append(f"{q1!r} / {q2!r}")
    return found


def report(quality: StudyQuality) -> str:
    """The measurement as Markdown: totals, a row per topic, and each plan as a learner reads it."""
    totals = quality.totals()
    lines = [
        "# Study quality",
        "",
        "Computed by `roadmap-rag eval study` over the shipped corpus; `pytest -m eval` gates on the totals.",
        "",
        f"- answerability: {totals['answerability']:.3f}",
        f"- duplicates: {totals['duplicates']:.0f}",
        f"- item-writing flaws a rule detects: {totals['flaws']:.0f}",
        f"- distractor validity (wrong by their own passage): {totals['distractor_validity']:.3f}",
        f"- plan edges that cite their line: {quality.edges_cited} of {quality.edges}",
        "",
        "| topic | cards | typed quiz | MCQ easy | MCQ medium | MCQ hard | distractors valid | flaws | duplicates |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for t in quality.topics:
        lines.append(
            f"| {t.topic} | {t.cards} | {t.quiz} | {t.choices.get('easy', 0)} | {t.choices.get('medium', 0)} | "
            f"{t.choices.get('hard', 0)} | {t.distractors_valid} of {t.distractors} | {len(t.flaws)} | "
            f"{len(t.duplicates)} |"
        )
    for t in quality.topics:
        lines += [f"- {t.topic}: {x}" for x in (*t.flaws, *t.duplicates)]
    for plan in quality.plans:
        lines += [
            "",
            f"## Plan: {plan.goal}",
            "",
            f"Toward **{plan.topic}** along {plan.roadmap}: {len(plan.steps)} steps, {plan.hours:g} h, "
            f"{len(plan.weeks)} weeks at {plan.hours_per_week:g} h a week"
            + (f" (knowing {', '.join(plan.known)})" if plan.known else "")
            + ".",
            "",
        ]
        for step in plan.steps:
            lines.append(f"{step.position}. **{step.name}**, {step.hours:g} h. {step.why.text}. Time: {step.basis}.")
        if plan.alternatives:
            lines += ["", f"Other roadmaps: {'; '.join(plan.alternatives)}."]
    return "\n".join(lines) + "\n"
