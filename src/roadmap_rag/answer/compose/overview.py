"""A question about a roadmap as a whole ("what's the core roadmap about?", "what does the curriculum cover?"):
what the roadmap says it is, then its main parts in order; what comes before a whole roadmap ("what do i need to
know before starting the curriculum?"): its own prerequisites; and what comes after it ("finished the curriculum,
what next?"): the parts it closes on, where it says what follows."""

from __future__ import annotations

import re

from roadmap_rag.answer.compose.builder import _Builder, _depth, _section_units, _where
from roadmap_rag.answer.compose.state import _State
from roadmap_rag.answer.compose.story import announced_steps, quote_steps
from roadmap_rag.retrieve.library import DocumentView
from roadmap_rag.retrieve.questions import CORPUS_WORDS, Query, terms, turn_of
from roadmap_rag.text.prose import asks_duration, asks_verdict, is_chatter
from roadmap_rag.text.units import Unit, is_bare_title
from roadmap_rag.types import NAVIGATION, Kind

# Words that ask for the whole rather than name a topic: "in short", "an overview of", "what it covers".
_WHOLE_WORDS = (
    "overview summary summarize summarise short brief briefly gist outline tldr cover covers about contents "
    "structure parts whole general give tell show describe explain walk"
)
_WHOLE = frozenset(stem for word in _WHOLE_WORDS.split() for stem in terms(word))
# What a roadmap's name leaves behind when typed loosely ("the 14 day llm roadmap"): no topic of its own.
_NAMING = CORPUS_WORDS | frozenset(terms("roadmap roadmaps guide curriculum"))
_BEFORE = re.compile(r"\b(?:before|prior to|prerequisites?)\b", re.IGNORECASE)
_PREREQUISITE = re.compile(r"\bprerequisites?\b", re.IGNORECASE)
# A part a roadmap closes on: one that says what follows it ("Career Paths After This Roadmap", "Next Steps"),
# else one that wraps it up ("Course Wrap-Up", "Final Notes"); at most _CLOSING_PARTS of them, the last ones.
_FOLLOWS = re.compile(r"\b(?:after|next|future|beyond|careers?)\b", re.IGNORECASE)
_CLOSES = re.compile(r"\b(?:wrap[- ]?up|final|conclusions?|closing|summary)\b", re.IGNORECASE)
_CLOSING_PARTS = 2
# "after finishing the curriculum": having done a roadmap is no topic of the question.
_DONE = frozenset(terms("finish finishing finished complete completing completed done"))
# The roadmap's own description: at most this many of its opening sentences.
_OPENING = 2
# Its main parts: the shallowest level of headings with at least _PARTS of them, at most _MOST_PARTS shown.
_PARTS = 3
_MOST_PARTS = 12


class OverviewShape(_State):
    """The overview's methods."""

    def _whole_roadmap(self, query: Query, shape: str, b: _Builder) -> bool:
        """Answer a question about one roadmap as a whole (its overview, or what comes before it), if it is one."""
        if shape in ("fact", "about", "list"):
            view = self._overview_of(query)
            return view is not None and self._overview(view, b)
        if shape != "path":
            return False
        after = self._after_roadmap(query)
        if after is not None:
            return self._closing(after, b)
        view = self._before_roadmap(query)
        return view is not None and self._prerequisites(view, b)

    def _overview_of(self, query: Query) -> DocumentView | None:
        """The roadmap a question asks about as a whole: it names one roadmap and, that name set aside, no word of
        its own but those that ask for the whole ("about", "in short", "overview": not "prerequisites", "book"),
        and asks neither how long nor whether to."""
        if set(query.words) - _WHOLE - _NAMING or asks_duration(query.text) or asks_verdict(query.text):
            return None
        return self._one_roadmap_named()

    def _before_roadmap(self, query: Query) -> DocumentView | None:
        """The roadmap a question asks what comes before ("what do i need to know before starting the
        curriculum"): it names one roadmap, asks what comes before, and names no topic of its own."""
        if query.topic or not _BEFORE.search(query.text) or turn_of(query.text) == "after":
            return None  # "what comes after the prerequisites" asks where they lead, not what they are
        return self._one_roadmap_named()

    def _after_roadmap(self, query: Query) -> DocumentView | None:
        """The roadmap a question asks what comes after ("what comes after the comprehensive curriculum"): it names
        one roadmap, asks what comes after, and names no topic of its own."""
        if query.topic - _DONE or turn_of(query.text) != "after" or _BEFORE.search(query.text):
            return None
        return self._one_roadmap_named()

    def _closing(self, view: DocumentView, b: _Builder) -> bool:
        """What comes after a whole roadmap: the parts it closes on that say what follows it ("Career Paths After
        This Roadmap", "Future Learning Paths" in its "Course Wrap-Up"), each with what it holds; else its last part."""
        parts = _main_parts(view, most=len(view.units))
        closing = [u for u in parts if _FOLLOWS.search(u.text)] or [u for u in parts if _CLOSES.search(u.text)]
        chosen = closing[-_CLOSING_PARTS:] or parts[-1:]
        for unit in chosen:
            body = [u for u in _section_units(view, unit) if u.section == unit.section]
            lead = next((u for u in body if u.kind in ("sentence", "intro")), None)
            items = [u for u in body if u.kind == "item" and not u.level]
            b.heading(_where(view, unit.section))
            if lead is not None and (lead.kind == "sentence" or not items):
                b.paragraph([b.statement(view, lead)])
                lead = None
            b.listing([b.statement(view, u) for u in items[:12]], lead=b.statement(view, lead) if lead else None)
        return bool(chosen)

    def _one_roadmap_named(self) -> DocumentView | None:
        """The roadmap the question names, where it names one only and the user's filters allow it."""
        if len(self.named) != 1:
            return None
        doc_id = self.named[0]
        if doc_id not in self.library or self.library.kind(doc_id) != Kind.ROADMAP or not self.allowed(doc_id):
            return None
        return self.library.view(doc_id)

    def _prerequisites(self, view: DocumentView, b: _Builder) -> bool:
        """What comes before a whole roadmap: its own prerequisites (a section, or an item with its details)."""
        named = [
            u
            for u in view.units
            if u.kind in ("heading", "item") and _PREREQUISITE.search(u.text) and not NAVIGATION.search(u.section)
        ]
        unit = next((u for u in named if u.kind == "heading"), None) or next(iter(named), None)
        if unit is None:
            return False
        b.heading(_where(view, unit.section))
        if unit.kind == "item":
            b.listing([b.statement(view, unit)])
            return True
        body = _section_units(view, unit)
        lead = next((u for u in body if u.kind in ("sentence", "intro") and u.section == unit.section), None)
        items = [u for u in body if u.kind == "item" and not u.level]
        if lead is not None and lead.kind == "sentence":
            b.paragraph([b.statement(view, lead)])
            lead = None
        b.listing([b.statement(view, u) for u in items[:12]], lead=b.statement(view, lead) if lead else None)
        return True

    def _overview(self, view: DocumentView, b: _Builder) -> bool:
        parts = _main_parts(view)
        opening = _opening(view, parts)
        steps = announced_steps(view) if not parts else None
        if not opening and not parts and not steps:
            return False
        b.heading(view.short_title[0].upper() + view.short_title[1:])
        b.paragraph([b.statement(view, u) for u in opening])
        b.listing([b.statement(view, u) for u in parts], lead=None)
        if steps:  # a roadmap told as a story: the steps it announces are its parts
            quote_steps(b, view, steps, self.text)
        return True


def _opening(view: DocumentView, parts: list[Unit]) -> list[Unit]:
    """The sentences that open the roadmap, before its first part: what it says it is (not its title, not the
    author's story)."""
    out: list[Unit] = []
    for unit in view.units:
        if unit.kind == "heading":
            if out or unit in parts:
                break
            continue
        if unit.kind != "sentence":
            if out:
                break
            continue
        if is_bare_title(unit.text) or unit.text.rstrip(".") == view.title or is_chatter(unit.text):
            continue
        out.append(unit)
        if len(out) == _OPENING:
            break
    return out


def _main_parts(view: DocumentView, most: int = _MOST_PARTS) -> list[Unit]:
    """The roadmap's parts in order: the shallowest level of headings that has at least _PARTS of them, the first
    ``most``."""
    headings = [u for u in view.units if u.kind == "heading" and not NAVIGATION.search(u.text)]
    for depth in sorted({_depth(u) for u in headings}):
        level = [u for u in headings if _depth(u) == depth]
        if len(level) >= _PARTS:
            return level[:most]
    return []
