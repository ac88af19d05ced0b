"""The ``path`` shape: where the topic sits in each roadmap's order, and what comes before or after it."""

from __future__ import annotations

import re

from roadmap_rag.answer.compose.builder import _Builder, _depth, _section_units, _where
from roadmap_rag.answer.compose.state import _State
from roadmap_rag.answer.compose.story import announced_steps, quote_steps
from roadmap_rag.retrieve.followups import subject_of
from roadmap_rag.retrieve.library import DocumentView
from roadmap_rag.retrieve.questions import NTH, ORDER, Query, asks_where_to_start, turn_of
from roadmap_rag.text.units import Unit
from roadmap_rag.types import NAVIGATION, SECTION_SEPARATOR, Kind, Source, Statement

_ORDERED = re.compile(r"learning path|timeline|progression|in order|steps", re.I)
# "what order are the levels in": the parts a question asks the order of, by the word the headings use for them.
_PARTS = re.compile(r"\b(level|module|phase|stage|step|part|month|week|day|chapter|unit)s\b", re.I)
# "what order do the subtopics go in", "the order of the topics in the nlp section": the order inside one part.
_INSIDE = re.compile(
    r"\bsub(?:topics?|sections?|parts?)\b|\b(?:topics|lessons|items|things)\s+(?:in|of|inside|within|under)\b"
    r"|\b(?:section|module|step|chapter|phase|stage)\b(?!s)",
    re.I,
)


class PathShape(_State):
    """The path shape's methods (the section reading lists a heading's contents with ``_path_statement``)."""

    def _path(self, query: Query, views: list[tuple[int, Source, DocumentView]], b: _Builder) -> bool:
        """Where the topic sits in each roadmap's order, and what comes before or after it."""
        text = query.text
        direction = "order" if ORDER.search(text) else turn_of(text) or "at"
        docs = self._path_docs(views)
        nth = NTH.search(text)
        answered = False
        if asks_where_to_start(text):
            return self._start(docs, b)
        pair = _pair(text)
        if pair and self._between(pair, docs, b):
            return True
        if direction == "order":
            choice = _CHOICE.search(text)
            if choice and not self._in_one_order(choice, docs):
                return False  # "pytorch or tensorflow, which one first?": a choice, not an order
            if query.topic and _INSIDE.search(text) and self._within(query, docs, b):
                return True
            return self._order(docs, b, _PARTS.search(text))
        for view, retrieved in docs:
            if nth:
                spots = [_nth_item(view, nth.group(1), int(nth.group(2)))]
            elif direction in ("before", "after"):
                # The roadmap's next (or earlier) section, with its contents, and its own learning path or
                # timeline where one places the topic too: each answers "what comes after X" in its own way.
                spots = [_position(query, view, retrieved, kind) for kind in ("heading", "item")]
            else:
                spots = [_position(query, view, retrieved)]
            placed = False
            for spot in spots:
                if spot is not None and self._place(spot, direction, bool(nth), view, b):
                    placed = answered = True
            if placed and (nth or (self.named and len(self.named) == 1)):
                break
        return answered

    def _place(self, spot: tuple[Unit, list[Unit]], direction: str, nth: bool, view: DocumentView, b: _Builder) -> bool:
        """The units around ``spot`` that answer ``direction``, under where they sit; whether there were any."""
        unit, siblings = spot
        i = siblings.index(unit)
        next_to = _NEXT_TO.search(self.text) is not None  # "just before", "right after": the one beside it
        if unit.kind == "heading" and direction in ("before", "after") and not nth:
            edge = i == 0 if direction == "before" else i == len(siblings) - 1
            up = _parent_spot(view, unit) if edge else None
            if up is not None:  # "7.1 Prompt Engineering" opens its part: before it, the part before "7."
                unit, siblings = up
                i = siblings.index(unit)
        if direction == "before":  # what comes before, ending on where the topic sits
            chosen = siblings[max(0, i - (1 if next_to else 5)) : i + 1] if i else []
        elif direction == "after":
            chosen = siblings[i + 1 : i + (2 if unit.kind == "heading" or next_to else 3)]
        elif nth:
            chosen = [unit]
        else:
            chosen = siblings[max(0, i - 1) : i + 2]
        if not chosen:
            return False
        b.heading(_where(view, unit.section if unit.kind != "heading" else _parent(unit.section)))
        b.listing([self._path_statement(view, u, b) for u in chosen])
        return True

    def _order(self, docs: list[tuple[DocumentView, bool]], b: _Builder, parts: re.Match[str] | None = None) -> bool:
        """A roadmap's own order: the sections that name the parts asked for ("levels": "Beginner Level — ...",
        "Intermediate Level — ..."), else its learning-path or timeline list, else its numbered top-level sections."""
        answered = False
        for view, retrieved in docs:
            if not retrieved:
                continue
            named = _named_parts(view, parts.group(1)) if parts else []
            if named:
                b.heading(_where(view, _parent(named[0].section)))
                b.listing([b.statement(view, u) for u in named])
                answered = True
                continue
            items = _learning_path(view)
            story = announced_steps(view) if not items else None
            if items:
                intro = _intro(view, items[0])
                b.heading(_where(view, items[0].section))
                b.listing([b.statement(view, u) for u in items], lead=b.statement(view, intro) if intro else None)
            elif story:
                b.heading(_where(view, story[0].section))
                quote_steps(b, view, story, self.text)
            else:
                tops = [u for u in view.units if u.kind == "heading" and _depth(u) == 1 and re.match(r"\d", u.text)]
                if len(tops) < 3:
                    continue
                b.heading(_where(view, ""))
                b.listing([b.statement(view, u) for u in tops[:20]])
            answered = True
        return answered

    def _within(self, query: Query, docs: list[tuple[DocumentView, bool]], b: _Builder) -> bool:
        """ "getting started nlp step, what order do the subsections go": the parts of the section that names the
        topic (its subsections, else its items), in the roadmap's order; whether a roadmap had such a section."""
        subject = subject_of(query.text)  # "getting started nlp step, what order ...": nlp
        asked = Query.of(subject, self.library) if subject else query
        for view, retrieved in docs:
            spot = _position(asked if asked.topic else query, view, retrieved, kind="heading")
            if spot is None:
                continue
            unit = spot[0]
            body = _section_units(view, unit)
            parts = [u for u in body if u.kind == "heading" and _depth(u) == _depth(unit) + 1]
            parts = parts or [u for u in body if u.kind == "item" and not u.level and u.section == unit.section]
            if len(parts) < 2:
                continue
            b.heading(_where(view, unit.section))
            b.listing([self._path_statement(view, u, b) for u in parts[:12]])
            return True
        return False

    def _in_one_order(self, choice: re.Match[str], docs: list[tuple[DocumentView, bool]]) -> bool:
        """Whether a roadmap places both things of "X or Y, which first" at different places of one order (NLP
        and transformers: months 4 and 5), rather than side by side as alternatives (PyTorch or TensorFlow)."""
        first, second = (Query.of(choice.group(g), self.library) for g in ("a", "b"))
        for view, _ in docs:
            one, other = _position(first, view, True), _position(second, view, True)
            if one is not None and other is not None and one[0] is not other[0]:
                return True
        return False

    def _between(self, pair: tuple[str, str], docs: list[tuple[DocumentView, bool]], b: _Builder) -> bool:
        """ "rlhf first or evaluation first?", "nlp before or after deep learning?": in each roadmap that places
        both in one order, the two parts and those between them (only the two where more than _BETWEEN lie
        between), in its order; whether any roadmap did."""
        first, second = (Query.of(part, self.library) for part in pair)
        answered = False
        for view, retrieved in docs:
            if not retrieved and answered:
                continue
            # where both sit in one order, the order that holds the most between them: the roadmap's own parts
            # ("2. Machine Learning Fundamentals" ... "4. Transformers Architecture") or its learning path's steps
            spans = []
            for kind in ("", "heading"):
                one, other = _position(first, view, retrieved, kind), _position(second, view, retrieved, kind)
                if one is not None and other is not None and one[0] is not other[0] and one[1] == other[1]:
                    at = sorted((one[1].index(one[0]), one[1].index(other[0])))
                    spans.append((at[1] - at[0], at[0], at[1], one[1]))
            if not spans:
                continue
            _, lo, hi, siblings = max(spans, key=lambda span: span[0])
            chosen = siblings[lo : hi + 1] if hi - lo <= _BETWEEN + 1 else [siblings[lo], siblings[hi]]
            unit = chosen[0]
            b.heading(_where(view, unit.section if unit.kind != "heading" else _parent(unit.section)))
            b.listing([self._path_statement(view, u, b) for u in chosen])
            answered = True
            if self.named:
                break
        return answered

    def _start(self, docs: list[tuple[DocumentView, bool]], b: _Builder) -> bool:
        """Where the roadmaps begin (the one named, else those retrieval brought first): each one's first part
        with what it holds, and the first steps of its own learning path or timeline, at most _STARTS roadmaps."""
        shown = 0
        for view, _ in docs:
            first = _first_part(view)
            steps = _learning_path(view)
            if first is None and not steps:
                continue
            if first is not None:
                b.heading(_where(view, _parent(first.section)))
                b.listing([self._path_statement(view, first, b)])
            if steps:
                intro = _intro(view, steps[0])
                b.heading(_where(view, steps[0].section))
                lead = b.statement(view, intro) if intro else None
                b.listing([b.statement(view, u) for u in steps[:_FIRST_STEPS]], lead=lead)
            shown += 1
            if shown == _STARTS:
                break
        return shown > 0

    def _path_docs(self, views: list[tuple[int, Source, DocumentView]]) -> list[tuple[DocumentView, bool]]:
        """The roadmaps to place the topic in: those named, else those retrieved, then the others."""
        if self.named:
            return [(self.library.view(d), True) for d in self.named if d in self.library]
        docs: list[tuple[DocumentView, bool]] = []
        for _, source, view in views:
            if source.kind == Kind.ROADMAP and all(view is not v for v, _ in docs):
                docs.append((view, True))
        for doc_id in self.doc_ids(Kind.ROADMAP):
            view = self.library.view(doc_id)
            if all(view is not v for v, _ in docs):
                docs.append((view, False))
        return docs

    def _path_statement(self, view: DocumentView, unit: Unit, b: _Builder) -> Statement:
        if unit.kind != "heading":
            return b.statement(view, unit)
        # Its numbered subsections ("6.1 Alignment & Safety; 6.2 ..."), else its top-level items (their sub-items are in
        # _compact's details already)
        body = _section_units(view, unit)
        subsections = [
            u for u in body if u.kind == "heading" and _depth(u) == _depth(unit) + 1 and re.match(r"\d+\.\d", u.text)
        ]
        children = (
            subsections
            if len(subsections) >= 2
            else [u for u in body if (u.kind == "heading" and u.level <= 2) or (u.kind == "item" and not u.level)]
        )[:6]
        statement = b.statement(view, unit)
        if not children:
            return statement
        numbers = set(statement.citations)
        for child in children:
            numbers.add(b.number(view, child))
        names = "; ".join(_compact(c) for c in children)
        return Statement(f"{unit.text}: {names}", tuple(sorted(numbers)))


def _compact(unit: Unit) -> str:
    """An item inside a longer line: "Model Hosting (NVIDIA Triton, TGI)"."""
    return f"{unit.text} ({', '.join(unit.details)})" if unit.kind == "item" and unit.details else unit.text


# "nlp basics or transformers, which first": the two things an order question chooses between.
_CHOICE = re.compile(r"^\W*(?P<a>[^,?]+?)\s+or\s+(?P<b>[^,?]+?)\s*[,?]?\s*(?:which|wich|what)\b", re.IGNORECASE)
# Two things asked in order: "rlhf first or evaluation first", "nlp before or after deep learning", "X or Y, which
# (one) first", "which comes first, X or Y", "X or Y first". At most _BETWEEN parts are shown between them.
_THING = r"(?P<{}>[a-z0-9][\w&/+.' -]*?)"
_PAIRS = (
    re.compile(rf"{_THING.format('a')}\s+first\s+or\s+{_THING.format('b')}\s+first\b", re.I),
    re.compile(
        rf"{_THING.format('a')}\s+(?:before|after)\s+or\s+(?:before|after)\s+{_THING.format('b')}\s*(?:[?.!,]|$)", re.I
    ),
    re.compile(rf"{_THING.format('a')}\s+or\s+{_THING.format('b')}\s*,?\s*(?:which|wich|what)\b.*\bfirst\b", re.I),
    re.compile(rf"\bcomes?\s+first\b[^,?]*[,:]\s*{_THING.format('a')}\s+or\s+{_THING.format('b')}\s*(?:[?.!]|$)", re.I),
    re.compile(rf"{_THING.format('a')}\s+or\s+{_THING.format('b')}\s+first\b", re.I),
    re.compile(rf"{_THING.format('a')}\s+(?:before|after)\s+{_THING.format('b')}\s+or\s+(?:before|after)\b", re.I),
    re.compile(rf"\bbetween\s+{_THING.format('a')}\s+and\s+{_THING.format('b')}\s*(?:[?.!,]|$)", re.I),
    re.compile(
        rf"\b(?:does|do|is|are|should)\s+{_THING.format('a')}\s+(?:sit|go|come|fit|belong)\b.*?\b(?:before|after)\s+"
        rf"or\s+(?:before|after)\s+{_THING.format('b')}\s*(?:[?.!,]|$)",
        re.I,
    ),
)
# Where the question is asked, after a thing: "pretraining in the curriculum", "rag according to the guide".
_WHERE_ASKED = re.compile(r"\s+(?:in|according to|from|on)\s+the\b.*$", re.I)
_BETWEEN = 3
_NEXT_TO = re.compile(r"\b(?:just|right|immediately|directly)\s+(?:before|after)\b", re.IGNORECASE)
# What leads a question, not a thing it asks about: "curriculum:", "should i learn", "in the curriculum,".
_LEADS = re.compile(
    r"^.*[:,]\s*|^(?:(?:should|do|can|would)\s+(?:i|u|you)\s+)?(?:(?:learn|study|do|read|take)\s+)?", re.I
)
# "the transformers section": the thing, without the words that say it is a part.
_PART_WORDS = re.compile(r"^(?:the|a|an)\s+|\s+(?:section|module|part|step|stage|phase|level|chapter)s?$", re.I)
# "does rlhf come before or after ...": the thing without the verb around it.
_AROUND = re.compile(r"^(?:does|do|is|are|should)\s+|\s+(?:come|comes|go|goes|sit|sits|fit|fits|belong)$", re.I)


def _pair(question: str) -> tuple[str, str] | None:
    """The two things a question asks the order of, or None."""
    for pattern in _PAIRS:
        match = pattern.search(question.strip())
        if match:
            a = _AROUND.sub("", _WHERE_ASKED.sub("", _LEADS.sub("", match.group("a"), count=1)).strip()).strip()
            b = _WHERE_ASKED.sub("", match.group("b")).strip()
            a, b = (_PART_WORDS.sub("", thing).strip() for thing in (a, b))  # "the transformers section"
            return (a, b) if a and b else None
    return None


# Where to start: at most this many roadmaps, and this many first steps of each one's own path.
_STARTS = 4
_FIRST_STEPS = 3
_BEGINS = re.compile(r"^\s*(?:1[.)]\s|prerequisites\b|getting started\b)", re.IGNORECASE)


def _first_part(view: DocumentView) -> Unit | None:
    """The part a roadmap begins with: its first heading numbered 1, or named prerequisites or getting started."""
    return next(
        (u for u in view.units if u.kind == "heading" and _BEGINS.match(u.text) and not NAVIGATION.search(u.text)),
        None,
    )


def _intro(view: DocumentView, item: Unit) -> Unit | None:
    """The line that introduces an item's list, if it has one."""
    return next((u for u in view.group(item.group) if u.kind == "intro"), None)


def _learning_path(view: DocumentView) -> list[Unit]:
    """The items of a roadmap's own learning path or timeline (a list under such an intro or section), in order."""
    for unit in view.units:
        if unit.kind == "item" and _ORDERED.search(f"{unit.intro} {unit.section.split(SECTION_SEPARATOR)[-1]}"):
            return [u for u in view.group(unit.group) if u.kind == "item" and not u.level]
    return []


def _named_parts(view: DocumentView, word: str) -> list[Unit]:
    """The headings, siblings of one another, whose text names ``word`` ("Level"), in document order; at least 2."""
    named = [
        u
        for u in view.units
        if u.kind == "heading" and not NAVIGATION.search(u.text) and re.search(rf"\b{word}s?\b", u.text, re.I)
    ]
    if not named:
        return []
    first = named[0]
    siblings = [u for u in named if u.level == first.level and _parent(u.section) == _parent(first.section)]
    return siblings if len(siblings) >= 2 else []


def _parent_spot(view: DocumentView, unit: Unit) -> tuple[Unit, list[Unit]] | None:
    """The heading ``unit`` sits under, and that heading's siblings in document order; None at the top."""
    above = _parent(unit.section)
    parent = next((u for u in view.units if u.kind == "heading" and u.section == above), None) if above else None
    if parent is None:
        return None
    siblings = [
        u
        for u in view.units
        if u.kind == "heading"
        and u.level == parent.level
        and _parent(u.section) == _parent(parent.section)
        and not NAVIGATION.search(u.text)
    ]
    return (parent, siblings) if len(siblings) > 1 else None


def _parent(section: str) -> str:
    return SECTION_SEPARATOR.join(section.split(SECTION_SEPARATOR)[:-1])


def _nth_item(view: DocumentView, word: str, number: int) -> tuple[Unit, list[Unit]] | None:
    """ "Month 6" in a timeline ("Month 1–2: ...", "Month 6: ..."), and its list."""
    for unit in view.units:
        match = re.match(rf"{word}s?\s+(\d+)(?:\s*[–-]\s*(\d+))?\b", unit.text, re.I)
        if unit.kind == "item" and match and int(match.group(1)) <= number <= int(match.group(2) or match.group(1)):
            return unit, [u for u in view.group(unit.group) if u.kind == "item" and not u.level]
    return None


def _position(
    query: Query, view: DocumentView, retrieved: bool = True, kind: str = ""
) -> tuple[Unit, list[Unit]] | None:
    """The heading or ordered item that names the topic, and its siblings in document order. In a roadmap
    that retrieval did not bring, only a heading or item that names the whole topic counts. ``kind``: only a
    "heading" or only an "item" (of an ordered list)."""
    best: tuple[float, Unit, list[Unit]] | None = None
    floor = 0.5 if retrieved else 0.99
    headings = (
        [] if kind == "item" else [u for u in view.units if u.kind == "heading" and not NAVIGATION.search(u.text)]
    )
    for unit in headings:
        cover = query.covers_topic(unit.text)
        if cover < floor:
            continue
        numbered = bool(re.match(r"\d", unit.text))
        siblings = [
            h
            for h in headings
            if h.level == unit.level
            and _parent(h.section) == _parent(unit.section)
            and bool(re.match(r"\d", h.text)) == numbered
        ]
        score = cover + 0.2 * (unit.level == 1) + 0.1 * numbered
        if best is None or score > best[0]:
            best = (score, unit, siblings)
    for unit in () if kind == "heading" else view.units:
        if unit.kind != "item" or unit.level:
            continue
        cover = query.covers_topic(unit.text)
        if cover < floor:
            continue
        siblings = [u for u in view.group(unit.group) if u.kind == "item" and not u.level]
        ordered = bool(re.search(r"path|timeline|progression|order|month|step", f"{unit.intro} {unit.section}", re.I))
        ordered = ordered or all(re.match(r"(month|week|day|step)\b", u.text, re.I) for u in siblings)
        if not ordered and not all(re.match(r"\d+[.)]\s", u.text) for u in siblings):
            continue  # a list of things ("So I studied: ...") has no order to place a topic in
        score = cover + (0.35 if ordered else 0.0) + 0.05 * bool(re.match(r"(month|week|day)\b", unit.text, re.I))
        if best is None or score > best[0]:
            best = (score, unit, siblings)
    return (best[1], best[2]) if best else None
