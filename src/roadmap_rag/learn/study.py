"""A learner's study record, per profile: each card's review schedule and every answer given, from which
mastery of each roadmap section is computed.

- Schedules are FSRS's (the ``fsrs`` package, the scheduler newer Anki versions use), without fuzz, so the same
  ratings at the same times give the same due dates. Ratings: again, hard, good, easy.
- An answer is a quiz grade (0 to 1), a multiple-choice answer (0 or 1) or a review rating (again 0, hard 0.5,
  good and easy 1), kept with the passage it was about. A roadmap's main section is mastered when the
  recency-weighted mean of the answers about it (half weight after 14 days) is at least 0.8 over at least two
  answers, or when a placement question on it was answered right and no answer since was wrong.
- Kept in ``<data dir>/study/<profile>.json``, written whole and atomically; a damaged file reads as empty.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from roadmap_rag.errors import ConfigError
from roadmap_rag.files import read_json, write_json
from roadmap_rag.learn.cards import Card
from roadmap_rag.learn.curriculum import Curriculum
from roadmap_rag.learn.progress import checked_profile
from roadmap_rag.settings import Settings
from roadmap_rag.types import Place, Source

RATINGS = ("again", "hard", "good", "easy")
RATING_SCORE = {"again": 0.0, "hard": 0.5, "good": 1.0, "easy": 1.0}
HALF_LIFE_DAYS = 14.0
MASTERED_AT = 0.8
MIN_ANSWERS = 2


@dataclass(frozen=True)
class Answered:
    """One answer about a passage: a quiz grade or a review rating, as a score from 0 to 1."""

    doc_id: str
    section: str
    score: float
    at: datetime
    via: str  # "quiz", "review", "choice:<level>" or "placement"


@dataclass(frozen=True)
class Mastery:
    """How well a learner knows one main section of a roadmap, from their answers about it."""

    doc_id: str
    section: str  # the main section's path in the roadmap
    name: str  # its heading
    score: float  # recency-weighted mean of the answers, 0 to 1
    answers: int
    last: datetime
    placed: bool = False  # a placement question on it was answered right, and no answer since was wrong

    @property
    def mastered(self) -> bool:
        return self.placed or (self.answers >= MIN_ANSWERS and self.score >= MASTERED_AT)


@dataclass(frozen=True)
class Due:
    """A card to review now: one seen before and due, or a new one."""

    card: Card
    new: bool
    due: datetime


@dataclass(frozen=True)
class Scheduled:
    """What a rating did: when the card comes back."""

    card_id: str
    rating: str
    due: datetime
    state: str  # "learning", "review" or "relearning"


def now_utc(now: datetime | None = None) -> datetime:
    """``now`` as an aware UTC time (a naive one is read as UTC), or the current time."""
    if now is None:
        return datetime.now(UTC)
    return now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)


class StudyStore:
    """One profile's schedules and answers."""

    _lock = threading.Lock()

    def __init__(self, settings: Settings, profile: str) -> None:
        self.profile = checked_profile(profile)
        self.path: Path = settings.data_dir / "study" / f"{profile}.json"

    def _read(self) -> dict[str, Any]:
        data = read_json(self.path)
        if not isinstance(data, dict):
            return {"cards": {}, "answers": []}
        cards = data.get("cards") if isinstance(data.get("cards"), dict) else {}
        answers = data.get("answers") if isinstance(data.get("answers"), list) else []
        return {"cards": cards, "answers": answers}

    def _write(self, data: dict[str, Any]) -> None:
        write_json(self.path, {"profile": self.profile, **data})

    def schedules(self) -> dict[str, Any]:
        """Each reviewed card's FSRS state, by card id."""
        import fsrs

        states = {}
        for card_id, row in self._read()["cards"].items():
            try:
                states[str(card_id)] = fsrs.Card.from_dict(row["fsrs"])
            except (KeyError, TypeError, ValueError):
                continue  # a damaged row: the card is new again
        return states

    def first_seen(self) -> dict[str, datetime]:
        """When each reviewed card was first shown, by card id."""
        seen = {}
        for card_id, row in self._read()["cards"].items():
            try:
                seen[str(card_id)] = datetime.fromisoformat(row["first"])
            except (KeyError, TypeError, ValueError):
                continue
        return seen

    def answers(self) -> list[Answered]:
        found = []
        for row in self._read()["answers"]:
            try:
                at = datetime.fromisoformat(row["at"])
                found.append(
                    Answered(str(row["doc_id"]), str(row["section"]), float(row["score"]), at, str(row["via"]))
                )
            except (KeyError, TypeError, ValueError):
                continue
        return found

    def rate(self, card: Card, rating: str, now: datetime | None = None) -> Scheduled:
        """Schedule ``card``'s next review from ``rating`` and count the rating as an answer about its passage."""
        import fsrs

        if rating not in RATINGS:
            raise ConfigError(f"rating {rating!r}: use one of {', '.join(RATINGS)}")
        at = now_utc(now)
        scheduler = fsrs.Scheduler(enable_fuzzing=False)
        with self._lock:
            data = self._read()
            row = data["cards"].get(card.id)
            try:
                state = fsrs.Card.from_dict(row["fsrs"]) if isinstance(row, dict) else fsrs.Card()
            except (KeyError, TypeError, ValueError):
                state = fsrs.Card()
            state, _ = scheduler.review_card(state, fsrs.Rating[rating.capitalize()], at)
            first = row.get("first") if isinstance(row, dict) else None
            data["cards"][card.id] = {"fsrs": state.to_dict(), "first": first or at.isoformat(), "rating": rating}
            data["answers"].append(_answer_row(card.source, RATING_SCORE[rating], at, "review"))
            self._write(data)
        return Scheduled(card.id, rating, state.due, state.state.name.lower())

    def record(self, source: Source, score: float, now: datetime | None = None, via: str = "quiz") -> None:
        """Count a graded answer (0 to 1) about ``source``'s passage."""
        with self._lock:
            data = self._read()
            data["answers"].append(_answer_row(source, score, now_utc(now), via))
            self._write(data)


def levels(answers: Sequence[Answered]) -> dict[str, tuple[int, int]]:
    """For each multiple-choice level the learner has answered: (right, answered)."""
    counts: dict[str, tuple[int, int]] = {}
    for a in answers:
        if a.via.startswith("choice:"):
            right, total = counts.get(a.via[7:], (0, 0))
            counts[a.via[7:]] = (right + (a.score >= 1), total + 1)
    return counts


def _answer_row(source: Source, score: float, at: datetime, via: str) -> dict[str, Any]:
    return {
        "doc_id": source.doc_id,
        "section": source.section,
        "score": round(score, 3),
        "at": at.isoformat(),
        "via": via,
    }


def due_cards(
    cards: Sequence[Card],
    store: StudyStore,
    now: datetime | None = None,
    new: int = 10,
    limit: int = 50,
    studying: Callable[[Card], bool] | None = None,
) -> list[Due]:
    """The cards to review now: those seen before and due (earliest first), then up to ``new`` cards never seen
    less those first seen today (so a day brings at most ``new`` new cards): those ``studying`` picks (the
    sections the learner studies next) first, a document at a time in turn, then the others in the cards' order."""
    at = now_utc(now)
    schedules = store.schedules()
    by_id = {c.id: c for c in cards}
    due = sorted(
        (Due(by_id[i], False, s.due) for i, s in schedules.items() if i in by_id and s.due <= at),
        key=lambda d: d.due,
    )
    today = sum(1 for first in store.first_seen().values() if now_utc(first).date() == at.date())
    unseen = [c for c in cards if c.id not in schedules]
    if studying is not None:
        picked = _round_robin([c for c in unseen if studying(c)])
        unseen = picked + [c for c in unseen if c not in picked]
    fresh = [Due(c, True, at) for c in unseen][: max(0, new - today)]
    return (due + fresh)[:limit]


def _round_robin(cards: Sequence[Card]) -> list[Card]:
    """One card of each document in turn, each document's in their order: a day's new cards from every roadmap the
    learner studies, not ten from the first."""
    seen: dict[str, int] = {}
    ranked = []
    for position, card in enumerate(cards):
        turn = seen.get(card.source.doc_id, 0)
        seen[card.source.doc_id] = turn + 1
        ranked.append((turn, position, card))
    return [card for _, _, card in sorted(ranked, key=lambda r: (r[0], r[1]))]


def mastery(curriculum: Curriculum, answers: Sequence[Answered], now: datetime | None = None) -> list[Mastery]:
    """Each roadmap main section the answers are about, with its recency-weighted score, in roadmap order.
    Answers about a paper's card or about no main section (a roadmap's preface) count toward none."""
    at = now_utc(now)
    roadmaps = set(curriculum.roadmaps())
    groups: dict[tuple[str, str], list[Answered]] = {}
    heads: dict[tuple[str, str], tuple[str, int]] = {}
    for answer in answers:
        if answer.doc_id not in roadmaps:
            continue
        place = curriculum.place(answer.doc_id, answer.section)
        if not place.position:
            continue
        head = curriculum.spine(answer.doc_id)[place.position - 1]
        key = (answer.doc_id, head.section)
        groups.setdefault(key, []).append(answer)
        heads[key] = (head.text, place.position)
    found = []
    for key, group in groups.items():
        weights = [0.5 ** (max(0.0, (at - now_utc(a.at)).total_seconds()) / 86400 / HALF_LIFE_DAYS) for a in group]
        score = sum(w * a.score for w, a in zip(weights, group, strict=True)) / sum(weights)
        last = max(now_utc(a.at) for a in group)
        placed_at = max((now_utc(a.at) for a in group if a.via == "placement" and a.score >= 1), default=None)
        placed = placed_at is not None and all(a.score >= 0.5 for a in group if now_utc(a.at) > placed_at)
        found.append(Mastery(key[0], key[1], heads[key][0], round(score, 3), len(group), last, placed))
    order = {doc_id: i for i, doc_id in enumerate(sorted(roadmaps))}
    return sorted(found, key=lambda m: (order[m.doc_id], heads[(m.doc_id, m.section)][1]))


@dataclass(frozen=True)
class NextUp:
    """What to study next: the reviews due first, then each roadmap's next main sections that are neither
    mastered nor ticked, with the learner's mastery and ticks, each shown for what it is."""

    due: int  # cards seen before and due for review now
    new: int  # new cards the day still brings
    steps: list[Place]
    mastery: list[Mastery]
    ticked: set[tuple[str, str]]  # (roadmap id, section) the learner marked done: their own claim

    def of(self, place: Place) -> Mastery | None:
        """The learner's mastery of ``place``'s main section, if they have answered about it."""
        return next((m for m in self.mastery if m.doc_id == place.doc_id and m.name == place.top), None)


def next_sections(
    curriculum: Curriculum, store: StudyStore, ticked: set[tuple[str, str]], n: int = 2, now: datetime | None = None
) -> tuple[list[Place], list[Mastery]]:
    """In each roadmap's order, its first ``n`` main sections neither mastered nor ticked, after the last one
    ticked (the learner has moved past what comes before it; a gap between sections mastered from answers comes
    first); and the learner's mastery they come from."""
    known = mastery(curriculum, store.answers(), now)
    done = set(ticked) | {(m.doc_id, m.section) for m in known if m.mastered}
    return curriculum.next_steps(done, n, after=set(ticked)), known


def next_up(
    curriculum: Curriculum,
    cards: Sequence[Card],
    store: StudyStore,
    ticked: set[tuple[str, str]],
    n: int = 2,
    now: datetime | None = None,
) -> NextUp:
    """Due reviews first; then the next sections (``next_sections``)."""
    steps, known = next_sections(curriculum, store, ticked, n, now)
    due = due_cards(cards, store, now, limit=len(cards))
    reviews = sum(1 for d in due if not d.new)
    return NextUp(reviews, len(due) - reviews, steps, known, set(ticked))
