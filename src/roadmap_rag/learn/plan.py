"""A study plan toward a goal: the main sections that lead there, in a roadmap's order, without what the learner has
mastered, ticked or says they know; why each step follows the last, with the line that says so; the time each takes,
with its basis; and a week-by-week schedule from an hours-per-week budget.

- The goal is read as a topic ("I want to fine-tune with LoRA; I know Python": LoRA, knowing Python): a term
  the corpus names (a glossary term, a paper's name) that the goal uses, else the longest run of its words that
  a roadmap covers.
- A step is left out when it is mastered, or a section like it (half its content words shared) is mastered in
  another roadmap, or ticked, or named by what the learner says they know.
- The plan follows one roadmap: by default the one that gives the goal a section of its own, else the one that
  names it most, else the one with fewest steps to it. The others are listed as alternatives.
- Each edge (this step after the last) cites the roadmap's order; it is "agreed" by each other roadmap that has
  sections like both (half their content words shared) in the same order, and "one roadmap only" otherwise. The
  first step's edge is the roadmap's prerequisites line, where it has one.
- Time: a roadmap's own timeline where it gives one ("Month 3: Deep learning + PyTorch", shared by the sections in
  that month, at PART_TIME_HOURS a week: how we read "part-time"); otherwise an estimate from the section's size:
  HOURS_PER_TOPIC for each topic it lists and HOURS_PER_RESOURCE for each resource it links, at least
  MIN_HOURS. The basis is stated with every figure.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from roadmap_rag.learn.curriculum import Curriculum, Lane
from roadmap_rag.learn.quiz import names_topic, topic_words
from roadmap_rag.retrieve.library import DocumentView, to_source
from roadmap_rag.retrieve.questions import terms
from roadmap_rag.text.units import Unit
from roadmap_rag.text.words import bare
from roadmap_rag.types import SECTION_SEPARATOR, Source, unnumbered

HOURS_PER_TOPIC = 3.0
HOURS_PER_RESOURCE = 2.0
MIN_HOURS = 2.0
PART_TIME_HOURS = 10.0
WEEKS_PER_MONTH = 4.345
_KNOW = re.compile(r"[;,.]?\s*\bI (?:already |do )?know\b\s*(?P<known>.*)$", re.IGNORECASE)
_WANT = re.compile(r"^\s*(?:I (?:want|would like|need|'d like) to |how (?:do|can) I |help me )", re.IGNORECASE)
_MONTHS = re.compile(r"^Month (?P<a>\d+)(?:\s*[–-]\s*(?P<b>\d+))?$")


@dataclass(frozen=True)
class Edge:
    """Why a step follows the one before it."""

    text: str
    quote: str  # the words it rests on, verbatim in ``source``
    source: Source
    agreed_by: tuple[str, ...] = ()  # other roadmaps that order the two the same way

    @property
    def one_roadmap(self) -> bool:
        return not self.agreed_by


@dataclass(frozen=True)
class Step:
    doc_id: str
    roadmap: str
    name: str  # the main section's heading
    section: str  # its path
    position: int  # 1-based among the roadmap's main sections
    hours: float
    basis: str  # where the hours come from
    status: str  # "todo", "mastered", "mastered as <another roadmap's section>", "ticked" or "known"
    why: Edge
    source: Source  # the section's first passage
    also: tuple[str, ...] = ()  # where other roadmaps teach the same ("the core roadmap: Prerequisites")


@dataclass(frozen=True)
class Week:
    number: int
    hours: float
    parts: tuple[tuple[str, float], ...]  # (step name, hours of it this week)


@dataclass(frozen=True)
class Plan:
    goal: str  # as the learner wrote it
    topic: str  # what the plan leads to
    known: tuple[str, ...]
    roadmap: str
    steps: tuple[Step, ...]  # what to study, in order
    skipped: tuple[Step, ...]  # mastered, ticked or known: left out
    hours_per_week: float
    weeks: tuple[Week, ...]
    alternatives: tuple[str, ...] = ()  # the other roadmaps that lead there, and in how many steps

    @property
    def hours(self) -> float:
        return round(sum(s.hours for s in self.steps), 1)


def parse_goal(text: str) -> tuple[str, tuple[str, ...]]:
    """("fine-tune with LoRA", ("Python",)) from "I want to fine-tune with LoRA; I know Python"."""
    known: tuple[str, ...] = ()
    match = _KNOW.search(text)
    if match:
        parts = re.split(r",|\band\b|;", match.group("known"))
        known = tuple(p.strip(" .") for p in parts if p.strip(" ."))
        text = text[: match.start()]
    return _WANT.sub("", text).strip(" .;,?"), known


def build_plan(
    curriculum: Curriculum,
    goal: str,
    known: Sequence[str] = (),
    done: set[tuple[str, str]] = frozenset(),  # type: ignore[assignment]
    mastered: set[tuple[str, str]] = frozenset(),  # type: ignore[assignment]
    hours_per_week: float = 6.0,
    roadmap: str | None = None,
    named: Sequence[str] = (),
) -> Plan | None:
    """The plan toward ``goal``, or None when no roadmap with sections covers it. ``done``: sections ticked;
    ``mastered``: main sections mastered (roadmap id, section path); ``roadmap``: a roadmap id to follow;
    ``named``: the terms the corpus names (the glossary's, the papers'), which name a goal before other words."""
    topic, lanes = _covered(curriculum, goal, named)
    if not lanes:
        return None
    chosen = next((lane for lane in lanes if lane.doc_id == roadmap), None) or _best(lanes)
    primary = chosen.primary
    assert primary is not None
    spine = curriculum.spine(chosen.doc_id)
    view = curriculum.library.view(chosen.doc_id)
    wanted_known = [topic_words(k) for k in known]
    hours = _hours(curriculum, chosen.doc_id, spine, wanted_known)
    steps: list[Step] = []
    for index, head in enumerate(spine[: primary.place.position]):
        source = to_source(view.chunk_at(head.start), 1.0)
        elsewhere = [
            f"{curriculum.library.view(d).short_title}: {section.split(SECTION_SEPARATOR)[-1]}"
            for d, section in mastered
            if d != chosen.doc_id and _matches(head.text, section.split(SECTION_SEPARATOR)[-1])
        ]
        if any(_inside(section, head.section) for d, section in mastered if d == chosen.doc_id):
            status = "mastered"
        elif elsewhere:  # the same section in another roadmap, mastered there
            status = f"mastered as {elsewhere[0]}"
        elif any(
            _inside(section, head.section) or _inside(head.section, section)
            for d, section in done
            if d == chosen.doc_id
        ):
            status = "ticked"
        elif any(words and names_topic(head.text, words) for words in wanted_known):
            status = "known"
        else:
            status = "todo"
        edge = _edge(curriculum, chosen, spine, index, source)
        also = tuple(_also(curriculum, chosen.doc_id, head.text))
        steps.append(
            Step(
                chosen.doc_id,
                chosen.roadmap,
                head.text,
                head.section,
                index + 1,
                *hours[index],
                status,
                edge,
                source,
                also,
            )
        )
    todo = tuple(s for s in steps if s.status == "todo")
    alternatives = tuple(_alternative(lane) for lane in lanes if lane is not chosen)
    return Plan(
        goal,
        topic,
        tuple(known),
        chosen.roadmap,
        todo,
        tuple(s for s in steps if s.status != "todo"),
        hours_per_week,
        schedule(todo, hours_per_week),
        alternatives,
    )


def _alternative(lane: Lane) -> str:
    place = lane.primary.place if lane.primary else None
    if place is None:
        return lane.roadmap
    return f"{lane.roadmap}: {place.top or place.section} (section {place.position} of {place.sections})"


def schedule(steps: Sequence[Step], hours_per_week: float) -> tuple[Week, ...]:
    """The steps in order, ``hours_per_week`` at a time; a step longer than what is left of a week goes on into the
    next one."""
    weeks: list[Week] = []
    parts: list[tuple[str, float]] = []
    room = hours_per_week
    for step in steps:
        left = step.hours
        while left > 1e-9:
            take = min(left, room)
            parts.append((step.name, round(take, 1)))
            left -= take
            room -= take
            if room <= 1e-9:
                weeks.append(Week(len(weeks) + 1, round(hours_per_week, 1), tuple(parts)))
                parts, room = [], hours_per_week
    if parts:
        weeks.append(Week(len(weeks) + 1, round(hours_per_week - room, 1), tuple(parts)))
    return tuple(weeks)


def _covered(curriculum: Curriculum, goal: str, named: Sequence[str] = ()) -> tuple[str, list[Lane]]:
    """The part of the goal the plan leads to, and the roadmaps (with sections) that cover it: a term the
    corpus names (``named``: the glossary's terms, the papers' names) that the goal uses ("fine-tune with LoRA":
    LoRA); else the longest run of the goal's words that a roadmap covers, more roadmaps and then rarer words
    first on a tie. A run neither starts nor ends on a word that only says the learner wants to learn."""
    words = [w.strip(".,;:!?()") for w in goal.split()]
    spans = [
        " ".join(words[start:end])
        for start in range(len(words))
        for end in range(start + 1, len(words) + 1)
        if _names_a_topic(words[start]) and _names_a_topic(words[end - 1])
    ]
    vocabulary = curriculum.library.vocabulary(terms)
    best: tuple[tuple[int, int, int, float], str, list[Lane]] = ((0, 0, 0, 0.0), goal, [])
    for span in spans:
        lanes = [
            lane for lane in curriculum.path(span).lanes if lane.primary is not None and lane.primary.place.position > 0
        ]
        if not lanes:
            continue
        is_named = any(bare(span) == bare(n) for n in named)
        rarest = -min(vocabulary.get(t, 0) for t in terms(span)) if terms(span) else 0
        key = (int(is_named), len(span.split()), len(lanes), float(rarest))
        if key > best[0]:
            best = (key, span, lanes)
    return best[1], best[2]


_INTENT = frozenset(["learn", "understand", "study", "master", "know", "get", "start", "begin", "use", "make", "go"])


def _names_a_topic(word: str) -> bool:
    return bool(topic_words(word)) and word.casefold() not in _INTENT


def _best(lanes: list[Lane]) -> Lane:
    """A section of its own for the goal first, then the roadmap that names it most, then the fewest steps."""

    def rank(lane: Lane) -> tuple[bool, int, int]:
        assert lane.primary is not None
        return (not lane.primary.is_section, -len(lane.mentions), lane.primary.place.position)

    return min(lanes, key=rank)


def _inside(section: str, head: str) -> bool:
    return section == head or section.startswith(head + SECTION_SEPARATOR)


def _content(text: str) -> set[str]:
    generic = {"introduction", "level", "advanced", "core", "beginner", "intermediate", "understand", "learn"}
    return {w for w in topic_words(unnumbered(text)) if w not in generic and len(w) > 2}


def _matches(a: str, b: str) -> bool:
    """Two section names about the same thing: at least half of the shorter one's content words shared."""
    x, y = _content(a), _content(b)
    return bool(x and y) and len(x & y) >= max(1, min(len(x), len(y)) / 2)


def _also(curriculum: Curriculum, doc_id: str, name: str) -> list[str]:
    found = []
    for other in curriculum.roadmaps():
        if other == doc_id:
            continue
        heads = [h for h in curriculum.spine(other) if _matches(name, h.text)]
        if heads:
            found.append(f"{curriculum.library.view(other).short_title}: {heads[0].text}")
    return found


def _edge(curriculum: Curriculum, lane: Lane, spine: list[Unit], index: int, source: Source) -> Edge:
    head = spine[index]
    if index == 0:
        prerequisites = curriculum.prerequisites(lane.doc_id)
        line = f"{lane.roadmap.capitalize()} starts here: section 1 of {len(spine)}, “{head.text}”"
        if prerequisites:
            line += f"; it asks you to know first: {', '.join(prerequisites)}"
        return Edge(line, head.text, source)
    before = spine[index - 1]
    agreed = []
    for other in curriculum.roadmaps():
        if other == lane.doc_id:
            continue
        theirs = curriculum.spine(other)
        first = next((i for i, h in enumerate(theirs) if _matches(before.text, h.text)), None)
        then = next((i for i, h in enumerate(theirs) if _matches(head.text, h.text)), None)
        if first is not None and then is not None and first < then:
            agreed.append(curriculum.library.view(other).short_title)
    text = (
        f"{lane.roadmap.capitalize()} puts “{unnumbered(before.text)}” (section {index}) before "
        f"“{unnumbered(head.text)}” (section {index + 1} of {len(spine)})"
    )
    text += f"; {', '.join(agreed)} agree{'s' if len(agreed) == 1 else ''}" if agreed else " (one roadmap only)"
    return Edge(text, head.text, source, tuple(agreed))


def _hours(
    curriculum: Curriculum, doc_id: str, spine: list[Unit], known: Sequence[list[str]] = ()
) -> list[tuple[float, str]]:
    """Each main section's hours and their basis: the roadmap's timeline, else its size, less the topics in it
    that the learner says they know (a topic, or a line under it, names what they know)."""
    view = curriculum.library.view(doc_id)
    stages = [curriculum.place(doc_id, h.section).stage or "" for h in spine]
    out = []
    for index, head in enumerate(spine):
        months = _MONTHS.match(stages[index])
        if months:
            span = int(months.group("b") or months.group("a")) - int(months.group("a")) + 1
            sharing = sum(1 for s in stages if s == stages[index])
            hours = span * WEEKS_PER_MONTH * PART_TIME_HOURS / sharing
            basis = (
                f"{view.short_title}'s timeline gives it {stages[index]} ({span} month{'s' if span > 1 else ''} of "
                f"part-time study{f', shared by {sharing} sections' if sharing > 1 else ''}); at {PART_TIME_HOURS:g} h "
                "a week (how we read part-time)"
            )
            out.append((round(hours, 1), basis))
            continue
        topics, resources = _size(view, head, spine[index + 1] if index + 1 < len(spine) else None)
        knew = [t for t in topics if any(w and names_topic(" ".join((t.text, *t.details)), w) for w in known)]
        count = len(topics) - len(knew)
        hours = max(MIN_HOURS, count * HOURS_PER_TOPIC + resources * HOURS_PER_RESOURCE)
        basis = (
            f"our estimate: {_count(count, 'topic')} × {HOURS_PER_TOPIC:g} h + {_count(resources, 'resource')} × "
            f"{HOURS_PER_RESOURCE:g} h (at least {MIN_HOURS:g} h); the roadmap gives no time for it"
        )
        if knew:
            basis += f"; less what you know: {', '.join(t.text for t in knew)}"
        out.append((round(hours, 1), basis))
    return out


def _size(view: DocumentView, head: Unit, after: Unit | None) -> tuple[list[Unit], int]:
    """The topics a main section lists (its top-level items and sub-headings) and how many resources it links."""
    end = after.start if after is not None else 1 << 60
    inside = [u for u in view.units if head.start < u.start < end]
    topics = [u for u in inside if (u.kind == "item" and not u.level and not u.is_link_only) or u.kind == "heading"]
    resources = len({link.url for u in inside for link in u.links})
    return topics, resources


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
