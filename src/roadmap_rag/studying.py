"""The Assistant's learning side: quizzes and their grading, multiple choice and placement, the glossary, flashcards
and their FSRS reviews, mastery from answers, what to study next, and plans. A mixin of the Assistant (``api``), which
gives it the settings, the curriculum, the outlines and the question check."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from roadmap_rag.errors import QuestionError
from roadmap_rag.learn.cards import Card, build_cards, cards_on
from roadmap_rag.learn.choice import LEVELS, ChoiceItem, Option, build_choices, placement
from roadmap_rag.learn.curriculum import Curriculum
from roadmap_rag.learn.glossary import GlossaryEntry, build_glossary, search
from roadmap_rag.learn.outline import Outline
from roadmap_rag.learn.plan import Plan, build_plan, parse_goal
from roadmap_rag.learn.progress import DEFAULT_PROFILE, ProgressStore
from roadmap_rag.learn.quiz import Grade, QuizItem, build_quiz, grade
from roadmap_rag.learn.study import (
    Due,
    Mastery,
    NextUp,
    Scheduled,
    StudyStore,
    due_cards,
    levels,
    mastery,
    next_sections,
    next_up,
)
from roadmap_rag.retrieve.library import Library
from roadmap_rag.settings import Settings
from roadmap_rag.types import Kind


class Studying:
    """What a learner studies with, over the Assistant's curriculum. Thread-safe like the Assistant."""

    settings: Settings
    _lock: threading.Lock
    _glossary: tuple[Library, list[GlossaryEntry]] | None
    _cards: tuple[Library, list[Card]] | None

    if TYPE_CHECKING:  # the Assistant's

        def curriculum(self) -> Curriculum: ...

        def outline(self, roadmap: str) -> Outline: ...

        def _validate(self, question: str) -> str: ...

    def quiz(self, topic: str, n: int = 5, seed: int | None = None) -> list[QuizItem]:
        """Up to ``n`` self-check questions on ``topic``, built from the roadmaps' lists, definitions and
        order and from the paper catalog; each expected answer comes from the passage it cites. A retry with
        the next ``seed`` draws other items where there are more; the same seed, the same items."""
        return build_quiz(self.curriculum(), self._validate(topic), n, seed)

    def grade(self, item: QuizItem, answer: str, profile: str | None = None, *, now: datetime | None = None) -> Grade:
        """A learner's answer to ``item``, scored by the key facts it states (partial credit for lists); with a
        ``profile``, the score counts toward that learner's mastery of the section the item cites."""
        result = grade(item, answer)
        if profile is not None and not result.skipped:
            StudyStore(self.settings, profile).record(item.citation, result.score, now)
        return result

    def glossary(self, query: str = "") -> list[GlossaryEntry]:
        """Every term the roadmaps define or expand (RLHF, LoRA, Context window), alphabetical, each with every
        roadmap's definition quoted from its passage and cited; with ``query``, the terms it names: the exact
        term first, then prefixes, then substrings of a term or its long form. Built once per state of the index."""
        curriculum = self.curriculum()
        with self._lock:
            if self._glossary is None or self._glossary[0] is not curriculum.library:
                self._glossary = (curriculum.library, build_glossary(curriculum))
            entries = self._glossary[1]
        return search(entries, query)  # every entry for an empty query

    def choices(self, topic: str, level: str = "medium", n: int = 5, seed: int | None = None) -> list[ChoiceItem]:
        """Up to ``n`` multiple-choice questions on ``topic``: ``easy`` (which of these is listed under a section),
        ``medium`` (which paper, what a term means) or ``hard`` (which section comes first). Every option's
        rationale quotes its own passage."""
        if level not in LEVELS:
            raise QuestionError(f"level {level!r}: use one of {', '.join(LEVELS)}")
        return build_choices(self.curriculum(), self._validate(topic), level, n, seed, self.glossary())

    def placement(self, roadmap: str, sections: int = 4) -> list[ChoiceItem]:
        """A placement check: one easy question on each of the roadmap's first ``sections`` main sections (that
        have a list to ask from). ``roadmap``: its id, title or a name a question would use."""
        return placement(self.curriculum(), self.outline(roadmap).doc_id, sections)

    def answer_choice(
        self, item: ChoiceItem, chosen: int, profile: str | None = None, *, now: datetime | None = None
    ) -> Option:
        """The option the learner chose (with its rationale); with a ``profile``, the answer counts toward
        mastery (a placement question answered right masters its section)."""
        if not 0 <= chosen < len(item.options):
            raise QuestionError(f"option {chosen + 1} does not exist; choose 1 to {len(item.options)}")
        option = item.options[chosen]
        if profile is not None:
            via = "placement" if item.placement else f"choice:{item.level}"
            StudyStore(self.settings, profile).record(item.citation, float(option.correct), now, via)
        return option

    # -- study: cards, reviews, mastery -------------------------------------------------------------
    def cards(self, topic: str = "") -> list[Card]:
        """Every flashcard the roadmaps and the paper catalog give (acronyms, defined terms, lists, papers),
        each answer quoted from the passage it cites; with ``topic``, those on it. Built once per index state."""
        curriculum, entries = self.curriculum(), self.glossary()
        with self._lock:
            if self._cards is None or self._cards[0] is not curriculum.library:
                self._cards = (curriculum.library, build_cards(curriculum, entries))
            cards = self._cards[1]
        return cards_on(cards, topic) if topic.strip() else list(cards)

    def review_due(
        self, profile: str = DEFAULT_PROFILE, *, topic: str = "", new: int = 10, now: datetime | None = None
    ) -> list[Due]:
        """The cards ``profile`` should review now: those due (earliest first), then up to ``new`` new ones a day,
        those from the sections it studies next (``study_next``) first."""
        curriculum, store = self.curriculum(), StudyStore(self.settings, profile)
        ticked = ProgressStore(self.settings, profile).done()
        steps, _ = next_sections(curriculum, store, ticked, now=now)
        studying = {(p.doc_id, p.top) for p in steps}

        def studied_next(card: Card) -> bool:
            source = card.source
            return (
                source.kind == Kind.ROADMAP
                and (source.doc_id, curriculum.place(source.doc_id, source.section).top) in studying
            )

        return due_cards(self.cards(topic), store, now, new, studying=studied_next)

    def rate(
        self, card_id: str, rating: str, profile: str = DEFAULT_PROFILE, *, now: datetime | None = None
    ) -> Scheduled:
        """Rate a reviewed card (again, hard, good or easy): FSRS schedules its next review, and the rating
        counts toward the learner's mastery of the card's section."""
        card = next((c for c in self.cards() if c.id == card_id), None)
        if card is None:
            raise QuestionError(
                f"no card has the id {card_id!r}; review_due() (or `roadmap-rag review`) gives the cards due"
            )
        return StudyStore(self.settings, profile).rate(card, rating, now)

    def mastery(self, profile: str = DEFAULT_PROFILE, *, now: datetime | None = None) -> list[Mastery]:
        """``profile``'s mastery of each main section it has answered about, from its quiz and review answers."""
        return mastery(self.curriculum(), StudyStore(self.settings, profile).answers(), now)

    def levels(self, profile: str = DEFAULT_PROFILE) -> dict[str, tuple[int, int]]:
        """How ``profile`` does at each multiple-choice level it has tried: (right, answered)."""
        return levels(StudyStore(self.settings, profile).answers())

    def plan(
        self,
        goal: str,
        hours_per_week: float = 6.0,
        profile: str = DEFAULT_PROFILE,
        *,
        known: Sequence[str] = (),
        roadmap: str | None = None,
        now: datetime | None = None,
    ) -> Plan:
        """A week-by-week plan toward ``goal`` ("LoRA", or "I want to fine-tune with LoRA; I know Python"): the
        main sections that lead there in a roadmap's order, without what ``profile`` has mastered or ticked or
        says it knows, each with its hours and their basis and why it follows the last (cited)."""
        if not 0 < hours_per_week <= 80:
            raise QuestionError(f"{hours_per_week:g} hours a week: give a number above 0 and at most 80")
        topic, said = parse_goal(self._validate(goal))
        curriculum = self.curriculum()
        library = curriculum.library
        named = [e.term for e in self.glossary()]
        named += [library.view(d).title.split(" (")[0] for d in library.doc_ids(Kind.PAPER_CARD)]
        follow = self.outline(roadmap).doc_id if roadmap else None
        ticked = ProgressStore(self.settings, profile).done()
        mastered = {(m.doc_id, m.section) for m in self.mastery(profile, now=now) if m.mastered}
        made = build_plan(curriculum, topic or goal, (*said, *known), ticked, mastered, hours_per_week, follow, named)
        if made is None:
            raise QuestionError(
                f"no roadmap with sections covers {goal!r}; try a topic they teach (`roadmap-rag glossary` "
                "lists the terms they define, `roadmap-rag path TOPIC` where one sits)"
            )
        return made

    def study_next(self, profile: str = DEFAULT_PROFILE, n: int = 2, *, now: datetime | None = None) -> NextUp:
        """What ``profile`` should study next: the reviews due first, then each roadmap's next main sections
        that are neither mastered (from answers) nor ticked (the learner's own claim)."""
        ticked = ProgressStore(self.settings, profile).done()
        store = StudyStore(self.settings, profile)
        return next_up(self.curriculum(), self.cards(), store, ticked, n, now)
