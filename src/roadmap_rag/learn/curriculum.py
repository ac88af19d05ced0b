"""The roadmaps as curricula: each roadmap's main sections in order, where a passage or a topic sits in
them, what comes before and after, the level or month the roadmap gives it, and what it asks a learner
to know first. Everything here is read from the documents' own structure; nothing is generated.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from roadmap_rag.retrieve.library import DocumentView, Library
from roadmap_rag.retrieve.questions import CORPUS_WORDS, GENERIC_STEMS, PATH_STEMS, Query, terms
from roadmap_rag.text.units import Unit, topic_text
from roadmap_rag.types import NAVIGATION, SECTION_SEPARATOR, Kind, Place, section_leaf

_LEVEL = re.compile(r"\b(beginner|intermediate|advanced|expert)\b(?:\s+level)?", re.IGNORECASE)
TIMELINE = re.compile(r"^((?:month|week|day|phase|step|stage)\s*\d+(?:\s*[–-]\s*\d+)?)\b", re.IGNORECASE)
_PREREQUISITE = re.compile(r"prerequisite", re.IGNORECASE)
T = TypeVar("T")
# "What should I study next?": answered from the learner's progress, not from retrieval.
NEXT_QUESTION = re.compile(r"\bwhat (?:should|do|can) i (?:study|learn|do|read) next\b", re.IGNORECASE)


@dataclass(frozen=True)
class Mention:
    """What one roadmap says where it names a topic: the line, its section and the resources beside it."""

    place: Place
    text: str  # the heading or item that names the topic
    unit_start: int  # where that unit starts in the roadmap's text (document order)
    resources: tuple[str, ...] = ()
    papers: tuple[str, ...] = ()  # catalog papers on the topic that this roadmap recommends
    is_section: bool = False  # a heading names the topic (the roadmap has a section for it)
    leads: bool = False  # the line starts with the topic ("Transformer Architecture: ..."), so it is about it


@dataclass(frozen=True)
class Lane:
    """One roadmap in a topic's path: its main sections in order, and where the topic is in them."""

    doc_id: str
    roadmap: str
    sections: tuple[str, ...]  # the roadmap's main sections, in document order
    mentions: tuple[Mention, ...]  # in document order; empty when the roadmap does not cover the topic

    @property
    def primary(self) -> Mention | None:
        """Where the roadmap teaches the topic: a section named for it, else its first mention."""
        ranked = sorted(self.mentions, key=lambda m: (not m.is_section, not m.leads))
        return ranked[0] if ranked else None


@dataclass(frozen=True)
class TopicPath:
    """A topic across the roadmaps, side by side."""

    topic: str
    lanes: tuple[Lane, ...]
    disagreements: tuple[str, ...] = ()
    nearest: tuple[str, ...] = ()  # when no roadmap covers the topic: the closest sections that exist

    @property
    def covered(self) -> bool:
        return any(lane.mentions for lane in self.lanes)


@dataclass
class Curriculum:
    """The roadmaps of a library as ordered curricula. Built once per index; thread-safe."""

    library: Library
    _memos: dict[tuple[str, str], Any] = field(default_factory=dict)  # (what, roadmap id) -> what was read
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def roadmaps(self) -> list[str]:
        return self.library.doc_ids(Kind.ROADMAP)

    def _memo(self, what: str, doc_id: str, read: Callable[[str], T]) -> T:
        """``read(doc_id)`` once per roadmap: places are asked for on every answer."""
        key = (what, doc_id)
        with self._lock:
            if key not in self._memos:
                self._memos[key] = read(doc_id)
            value: T = self._memos[key]
            return value

    def spine(self, doc_id: str) -> list[Unit]:
        """The roadmap's main sections in document order: the headings of the shallowest level that has at
        least three (a title heading above them does not count); none for a roadmap without sections."""
        return self._memo("spine", doc_id, self._read_spine)

    def _read_spine(self, doc_id: str) -> list[Unit]:
        headings = [u for u in self.library.view(doc_id).units if u.kind == "heading"]
        headings = [h for h in headings if not NAVIGATION.search(h.text)]
        levels = sorted({h.level for h in headings})
        level = next((lv for lv in levels if sum(h.level == lv for h in headings) >= 3), None)
        return [h for h in headings if h.level == level]

    def place(self, doc_id: str, section: str) -> Place:
        """Where ``section`` (a section path) sits in the roadmap ``doc_id``."""
        view = self.library.view(doc_id)
        spine = self.spine(doc_id)
        # Chunks leave out a top heading that repeats the document's title; the parsed view keeps it.
        title = view.title + SECTION_SEPARATOR
        shown = section[len(title) :] if section.casefold().startswith(title.casefold()) else section
        if spine and spine[0].section.casefold().startswith(title.casefold()):
            section = title + shown
        index = next(
            (
                i
                for i, h in enumerate(spine)
                if section == h.section or section.startswith(h.section + SECTION_SEPARATOR)
            ),
            -1,
        )
        top = spine[index] if index >= 0 else None
        return Place(
            doc_id=doc_id,
            roadmap=_short(view),
            section=shown,
            top=top.text if top else "",
            position=index + 1,
            sections=len(spine),
            before=spine[index - 1].text if index > 0 else None,
            after=spine[index + 1].text if 0 <= index < len(spine) - 1 else None,
            stage=self._stage(view, top, section),
            prerequisites=self.prerequisites(doc_id),
        )

    def _stage(self, view: DocumentView, top: Unit | None, section: str) -> str | None:
        """The level the roadmap gives this section ("Intermediate Level"), or the step of its timeline whose
        words match the section's ("Month 5" for "Transformers")."""
        for text in (top.text if top else "", section):
            if level := _LEVEL.search(text):
                return f"{level.group(1).capitalize()} level"
        steps = self._memo("timeline", view.doc_id, self._read_timeline)
        # The section's own name first ("Transformers" -> "Month 5: Transformers and LLM architectures"),
        # then its main section's.
        for name in (section_leaf(section), top.text if top else ""):
            wanted = _topic_terms(name)
            shared = [(len(wanted & _topic_terms(what)), step) for step, what in steps]
            best = max(shared, default=(0, ""), key=lambda pair: pair[0])
            if best[0]:
                return best[1]
        return None

    def _read_timeline(self, doc_id: str) -> list[tuple[str, str]]:
        """The roadmap's timeline, if it has one: ("Month 5", "Transformers and LLM architectures"), ..."""
        units = self.library.view(doc_id).units
        timeline = (TIMELINE.match(u.text) for u in units if u.kind in ("item", "sentence"))
        return [(step.group(1), step.string[step.end() :]) for step in timeline if step]

    def prerequisites(self, doc_id: str) -> tuple[str, ...]:
        """What the roadmap asks a learner to know first: the parts of its prerequisites section."""
        return self._memo("prerequisites", doc_id, self._read_prerequisites)

    def _read_prerequisites(self, doc_id: str) -> tuple[str, ...]:
        units = self.library.view(doc_id).units
        heading = next((u for u in units if u.kind == "heading" and _PREREQUISITE.search(u.text)), None)
        if heading is not None:
            inside = [u for u in units if u.section.startswith(heading.section + SECTION_SEPARATOR)]
            parts = [u.text for u in inside if u.kind == "heading" and u.level == heading.level + 1]
            parts = parts or [
                u.text for u in units if u.kind == "item" and not u.level and u.section == heading.section
            ]
            return tuple(_clean_title(p) for p in parts[:8])
        item = next((u for u in units if u.kind == "item" and _PREREQUISITE.search(u.text) and len(u.text) < 40), None)
        if item is not None:
            return tuple(u.text for u in units if u.kind == "item" and u.parent == item.text)[:8]
        return ()

    def next_steps(
        self, done: set[tuple[str, str]], n: int = 2, after: set[tuple[str, str]] | None = None
    ) -> list[Place]:
        """For each roadmap with progress, its next ``n`` main sections not marked done, in order; for the
        others, their first ones. A main section counts as done when it or any section inside it is marked.
        The next ones come after the last of ``after`` (default: ``done``) in the roadmap: a learner who ticks
        section 5 has moved past 3; a section mastered from answers (in ``done``, not in ``after``) moves nothing,
        so a gap before it comes first."""
        moved = done if after is None else after
        steps: list[Place] = []
        started = {doc_id for doc_id, _ in done}
        for doc_id in sorted(self.roadmaps(), key=lambda d: d not in started):
            marked = {section for d, section in done if d == doc_id}
            spine = self.spine(doc_id)
            todo = [h for h in spine if not any(_inside(m, h.section) for m in marked)]
            passed = {section for d, section in moved if d == doc_id}
            last = max((i for i, h in enumerate(spine) if any(_inside(m, h.section) for m in passed)), default=-1)
            todo = [h for h in todo if spine.index(h) > last] or todo
            steps += [self.place(doc_id, h.section) for h in todo[:n]]
        return steps

    def path(self, topic: str) -> TopicPath:
        """Where each roadmap places ``topic``, what it lists beside it, and where the roadmaps differ."""
        query = Query.of(topic, self.library)
        lanes = []
        for doc_id in self.roadmaps():
            spine = tuple(h.text for h in self.spine(doc_id))
            lanes.append(Lane(doc_id, _short(self.library.view(doc_id)), spine, tuple(self._mentions(doc_id, query))))
        path = TopicPath(topic, tuple(lanes))
        if not path.covered:
            return TopicPath(topic, path.lanes, nearest=self._nearest(query))
        return TopicPath(topic, path.lanes, disagreements=_disagreements(path.lanes))

    def _mentions(self, doc_id: str, query: Query) -> list[Mention]:
        """The headings and items that name the whole topic, in document order. An item under a heading,
        or a resource line under an item, that already names it adds nothing."""
        view = self.library.view(doc_id)
        found: list[Mention] = []
        named: set[str] = set()  # sections and items already shown
        papers = functools.cache(lambda: self._papers(view, query))  # the same for every mention in this roadmap
        for unit in view.units:
            if (
                unit.kind not in ("heading", "item")
                or NAVIGATION.search(unit.section)
                or query.covers_topic(unit.text) < 0.99
            ):
                continue
            if unit.kind == "item" and (unit.level > 1 or unit.section in named or unit.parent in named):
                continue
            named.add(unit.section if unit.kind == "heading" else unit.text)
            place = self.place(doc_id, unit.section)
            links = tuple(link.text for link in unit.links if link.text != unit.text)
            text = topic_text(unit) if unit.kind == "item" else unit.text
            words = terms(_clean_title(unit.text))
            leads = bool(words) and words[0] in query.topic
            found.append(
                Mention(place, text, unit.start, (*unit.details, *links), papers(), unit.kind == "heading", leads)
            )
        if not found:  # a roadmap that names the topic only in its prose still covers it
            for unit in view.units:
                if unit.kind == "sentence" and query.covers_topic(unit.text) >= 0.99 and len(found) < 2:
                    found.append(Mention(self.place(doc_id, unit.section), unit.text, unit.start))
        return found[:4]

    def _papers(self, view: DocumentView, query: Query) -> tuple[str, ...]:
        """Catalog papers on the topic that this roadmap recommends (the cards' "Recommended in" lines)."""
        papers = []
        for card_id in self.library.doc_ids(Kind.PAPER_CARD):
            card = self.library.view(card_id)
            recommended = [u.text for u in card.units if u.text.startswith("Recommended in") and view.title in u.text]
            if recommended and query.covers_topic(card.title) >= 0.99:
                papers.append(card.title)
        return tuple(papers)

    def _nearest(self, query: Query) -> tuple[str, ...]:
        """The sections and topics whose words come closest to an uncovered topic."""
        scored = []
        for doc_id in self.roadmaps():
            view = self.library.view(doc_id)
            for unit in view.units:
                if unit.kind in ("heading", "item") and not NAVIGATION.search(unit.section) and len(unit.text) < 80:
                    score = sum(query.words.get(t, 0.0) for t in set(terms(unit.text)))
                    if score > 0:
                        scored.append((score, f"{unit.text} ({_short(view)})"))
        scored.sort(key=lambda s: -s[0])
        return tuple(dict.fromkeys(text for _, text in scored))[:5]


def _disagreements(lanes: tuple[Lane, ...]) -> tuple[str, ...]:
    """Where the roadmaps differ on a topic: who leaves it out, how early each puts it, and at what level."""
    out = []
    missing = [lane.roadmap for lane in lanes if not lane.mentions]
    if missing:
        out.append(f"Not covered by {', '.join(missing)}.")
    placed = [(lane, lane.primary.place) for lane in lanes if lane.primary and lane.primary.place.sections]
    if len(placed) >= 2:
        share = {lane.roadmap: place.position / place.sections for lane, place in placed}
        early, late = min(share, key=share.__getitem__), max(share, key=share.__getitem__)
        if share[late] - share[early] >= 0.25:
            out.append(
                f"{early.capitalize()} puts it early (section {_where(placed, early)}), "
                f"{late} late (section {_where(placed, late)})."
            )
    levels = {lane.roadmap: place.stage for lane, place in placed if place.stage and place.stage.endswith("level")}
    if len(set(levels.values())) >= 2:
        out.append("Levels differ: " + "; ".join(f"{r}: {s}" for r, s in levels.items()) + ".")
    return tuple(out)


def _where(placed: list[tuple[Lane, Place]], roadmap: str) -> str:
    place = next(p for lane, p in placed if lane.roadmap == roadmap)
    return f"{place.position} of {place.sections}"


def _short(view: DocumentView) -> str:
    return view.short_title


def _topic_terms(text: str) -> set[str]:
    return {t for t in terms(text) if t not in GENERIC_STEMS and t not in PATH_STEMS and t not in CORPUS_WORDS}


def _clean_title(text: str) -> str:
    return re.sub(r"^\d+(?:\.\d+)*\.?\s+", "", text).strip()


def _inside(marked: str, section: str) -> bool:
    """``marked`` is ``section`` or one of its subsections (paths compared without a repeated title)."""
    marked, section = marked.casefold(), section.casefold()
    return (
        marked == section
        or marked.startswith(section + SECTION_SEPARATOR)
        or section.endswith(SECTION_SEPARATOR + marked)
    )
