"""Multiple-choice questions that teach: real alternatives, each option's rationale quoted from its own passage.

Three levels, each a different kind of knowing:
- ``easy`` (recognise): "Which of these does the curriculum list under “RLHF”?" The right option is an item of
  that list; the others are items the same roadmap lists under its neighbouring sections, so each wrong option's
  rationale quotes where the roadmap really puts it.
- ``medium`` (recall): "What did LoRA (Hu et al., 2021) introduce?" among what other catalog papers introduced,
  "What does the complete roadmap say about “Healthcare”?" among the explanations of the same list's other
  terms, or "What does BPE stand for?" among the roadmaps' other acronyms; a wrong option's rationale quotes
  what that option is really about.
- ``hard`` (order): "Which of these sections comes first in the curriculum?" among four of its main sections;
  each rationale gives the section's place in the roadmap.
A wrong option is never in the right option's passage (so it is wrong by its own passage, not by our say-so),
never the right one's text, and never in the stem; options are of comparable length, none is "all of the above".
The right option's place among the options is drawn from the item's seed, so it is not always first.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from roadmap_rag.learn.curriculum import Curriculum
from roadmap_rag.learn.glossary import GlossaryEntry
from roadmap_rag.learn.quiz import DEFINITION_LINE, introduced, names_topic, topic_words
from roadmap_rag.retrieve.library import DocumentView, to_source
from roadmap_rag.text.units import Unit
from roadmap_rag.text.words import bare
from roadmap_rag.types import SECTION_SEPARATOR, Kind, Source, unnumbered

LEVELS = ("easy", "medium", "hard")
_CONTENTS = re.compile(r"\b(?:table of )?contents\b", re.IGNORECASE)
OPTIONS = 4
MAX_LENGTH_RATIO = 3.0
_NEGATIVE = re.compile(r"\b(?:not|except|never|least)\b", re.IGNORECASE)
_CATCH_ALL = re.compile(r"\b(?:all|none|both) of the (?:above|these)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Option:
    text: str
    correct: bool
    rationale: str  # why it is right or wrong, with the quote that shows it
    quote: str  # the words of ``source`` the rationale rests on (verbatim, whitespace aside)
    source: Source


@dataclass(frozen=True)
class ChoiceItem:
    question: str
    options: tuple[Option, ...]
    level: str  # one of LEVELS
    citation: Source  # the right option's passage
    placement: bool = field(default=False, compare=False)  # asked in a placement check

    @property
    def answer(self) -> int:
        """The index of the right option."""
        return next(i for i, o in enumerate(self.options) if o.correct)


def flaws(item: ChoiceItem) -> list[str]:
    """The item-writing flaws a rule can see: the answer given away in the stem, a catch-all option, a negative
    stem, options of very different lengths (the right one the longest by half again, or lengths over
    MAX_LENGTH_RATIO apart), repeated options, not exactly one right option."""
    found = []
    if sum(o.correct for o in item.options) != 1:
        return ["not exactly one right option"]
    right = item.options[item.answer]
    if bare(right.text) in bare(item.question):
        found.append("the answer is in the stem")
    if any(_CATCH_ALL.search(o.text) for o in item.options):
        found.append("a catch-all option")
    if _NEGATIVE.search(item.question):
        found.append("a negative stem")
    lengths = sorted(len(o.text) for o in item.options if not o.correct)
    every = [*lengths, len(right.text)]
    if max(every) > MAX_LENGTH_RATIO * min(every):
        found.append("options of very different lengths")
    elif len(right.text) > 1.5 * lengths[-1]:
        found.append("the right option is by far the longest")
    if len({bare(o.text) for o in item.options}) < len(item.options):
        found.append("repeated options")
    return found


def wrong_by_its_passage(item: ChoiceItem, option: Option) -> bool:
    """Whether a wrong option's own passage shows it wrong: its quote is another line than the right option's
    and is in its own passage; for "listed under" questions, it is not in the right list's passage either."""
    right = item.options[item.answer]
    if option.correct or bare(option.quote) == bare(right.quote) or not _in_passage(option.quote, option.source):
        return False
    return item.level != "easy" or not _in_passage(option.text, right.source)


@dataclass(frozen=True)
class _Candidate:
    text: str
    quote: str
    source: Source
    where: str  # the section it is under, as the learner reads it


def build_choices(
    curriculum: Curriculum,
    topic: str,
    level: str = "medium",
    n: int = 5,
    seed: int | None = None,
    glossary: Sequence[GlossaryEntry] = (),
) -> list[ChoiceItem]:
    """Up to ``n`` multiple-choice questions on ``topic`` at ``level``; a seed draws other items (a retry).
    ``glossary``: the roadmaps' terms, for "what does BPE stand for?" at the medium level."""
    wanted = topic_words(topic)
    if level == "easy":
        found = _memberships(curriculum, wanted, seed or 0)
    elif level == "hard":
        found = _orders(curriculum, topic, seed or 0)
    else:
        found = _interleave(
            _papers(curriculum, wanted, seed or 0),
            _meanings(curriculum, wanted, seed or 0),
            _expansions(glossary, wanted, seed or 0),
        )
    found = [item for item in found if not flaws(item)]  # an item a rule finds flawed is not asked
    if seed and found:
        step = (seed * n) % len(found)
        found = found[step:] + found[:step]
    return found[:n]


def placement(curriculum: Curriculum, doc_id: str, sections: int = 4) -> list[ChoiceItem]:
    """One easy question for each of the roadmap's first ``sections`` main sections that has a list to ask from:
    answered right, the section counts as mastered."""
    spine = curriculum.spine(doc_id)
    items = []
    for head in spine[:sections]:
        inside = [
            i
            for i in _memberships(curriculum, None, 0, doc_id)
            if _within(i.citation.section, head.section) and not flaws(i)
        ]
        if inside:
            item = inside[0]
            items.append(ChoiceItem(item.question, item.options, item.level, item.citation, placement=True))
    return items


def _within(section: str, head: str) -> bool:
    return section == head or section.startswith(head + SECTION_SEPARATOR)


def _interleave(*lists: list[ChoiceItem]) -> list[ChoiceItem]:
    out: list[ChoiceItem] = []
    for row in zip(*lists, strict=False):
        out += row
    longest = max((len(x) for x in lists), default=0)
    shortest = min((len(x) for x in lists), default=0)
    for x in lists:
        out += x[shortest:longest]
    return out


def _shuffled(right: Option, wrong: Sequence[Option], key: str, seed: int) -> tuple[Option, ...]:
    options = [right, *wrong]
    random.Random(f"{key}|{seed}").shuffle(options)
    return tuple(options)


def _comparable(right: str, candidates: Sequence[_Candidate], stem: str) -> list[_Candidate]:
    """Up to three wrong options: of comparable length (a third to three times the right one's), sharing the most
    words with the right option (plausible alternatives: other fine-tuning methods for LoRA), then the closest in
    length; none in the stem, no repeats."""
    seen = {bare(right)}
    near = set(topic_words(right))
    fitting = [c for c in candidates if 1 / MAX_LENGTH_RATIO <= len(c.text) / max(1, len(right)) <= MAX_LENGTH_RATIO]
    kept = []
    for c in sorted(fitting, key=lambda c: (-len(near & set(topic_words(c.text))), abs(len(c.text) - len(right)))):
        if bare(c.text) in seen or bare(c.text) in bare(stem):
            continue
        seen.add(bare(c.text))
        kept.append(c)
    return kept[: OPTIONS - 1]


def _in_passage(text: str, source: Source) -> bool:
    return bare(text) in bare(source.text)


def _leaf(section: str) -> str:
    return unnumbered(section.split(SECTION_SEPARATOR)[-1]) if section else ""


def _labels(view: DocumentView) -> dict[str, str]:
    """Each section's name as a question can use it: its own title, or with its parent's where another section
    has the same title ("Beginner Level — LLM Foundations > Core Concepts")."""
    sections = list(dict.fromkeys(u.section for u in view.units if u.section))
    leaves = Counter(_leaf(s) for s in sections)
    return {
        s: _leaf(s)
        if leaves[_leaf(s)] == 1
        else SECTION_SEPARATOR.join(unnumbered(p) for p in s.split(SECTION_SEPARATOR)[-2:])
        for s in sections
    }


def _items(view: DocumentView) -> dict[int, list[Unit]]:
    """The roadmap's lists of two to twelve short top-level items, by group."""
    lists: dict[int, list[Unit]] = {}
    for unit in view.units:
        if unit.kind == "item" and unit.group >= 0 and not unit.level:
            lists.setdefault(unit.group, []).append(unit)
    return {g: units for g, units in lists.items() if 2 <= len(units) <= 12 and all(len(_name(u)) <= 60 for u in units)}


def _name(unit: Unit) -> str:
    match = DEFINITION_LINE.match(unit.text)
    return (match.group("term") if match else unit.text).strip()


def _memberships(
    curriculum: Curriculum, wanted: list[str] | None, seed: int, only: str | None = None
) -> list[ChoiceItem]:
    """Easy: which of these does the roadmap list under this section? The section or its list's intro names the
    topic, or one of its items does (then that item is the right option). Wrong options: items of the lists of
    the nearest other sections, never one in this list's passage."""
    found = []
    for doc_id in [only] if only else curriculum.roadmaps():
        view = curriculum.library.view(doc_id)
        labels = _labels(view)
        lists = {g: units for g, units in _items(view).items() if not _CONTENTS.search(units[0].section)}
        order = list(lists)
        for position, group in enumerate(order):
            units = lists[group]
            section = units[0].section
            leaf = labels.get(section, "")
            if len(units) < 3 or not leaf:
                continue
            stem = f"Which of these does {view.short_title} list under “{leaf}”?"
            # The right option shares no word with the stem ("PPO for RLHF" under "RLHF" would give itself away).
            fair = [u for u in units if not set(topic_words(_name(u))) & set(topic_words(stem))]
            if names_topic(f"{section} {units[0].intro}", wanted):
                pool = fair
            else:
                pool = [u for u in fair if names_topic(u.text, wanted)]
            if not pool:
                continue
            right_unit = pool[(seed + position) % len(pool)]
            right = _name(right_unit)
            source = to_source(view.chunk_at(units[0].start), 1.0)
            names = {bare(_name(u)) for u in units}
            others = [g for g in order if g != group and lists[g][0].section != section]
            nearest = sorted(others, key=lambda g: abs(order.index(g) - position))[:3]
            candidates = [
                _Candidate(_name(u), u.text, to_source(view.chunk_at(u.start), 1.0), labels.get(u.section, ""))
                for g in nearest
                for u in lists[g]
                if not _in_passage(_name(u), source) and bare(_name(u)) not in names
            ]
            wrong = _comparable(right, candidates, stem)
            if len(wrong) < OPTIONS - 1:
                continue
            said = f"{view.short_title} lists it under “{leaf}”: “{right_unit.text}”"
            right_option = Option(right, True, f"Right: {said}", right_unit.text, source)
            wrong_options = [
                Option(
                    c.text,
                    False,
                    f"Not under “{leaf}”: {view.short_title} lists it under “{c.where}”: “{c.quote}”",
                    c.quote,
                    c.source,
                )
                for c in wrong
            ]
            options = _shuffled(right_option, wrong_options, stem + right, seed)
            found.append(ChoiceItem(stem, options, "easy", source))
    return found


def _meanings(curriculum: Curriculum, wanted: list[str] | None, seed: int) -> list[ChoiceItem]:
    """Medium: what does the roadmap say about this term? Wrong options: its list's other terms' explanations."""
    found = []
    for doc_id in curriculum.roadmaps():
        view = curriculum.library.view(doc_id)
        for units in _items(view).values():
            defined = [(u, m) for u in units if (m := DEFINITION_LINE.match(u.text))]
            if len(defined) < OPTIONS:
                continue
            for unit, match in defined:
                term, meaning = match.group("term").strip(), match.group("meaning").strip()
                if not names_topic(unit.text, wanted):
                    continue
                source = to_source(view.chunk_at(unit.start), 1.0)
                stem = f"What does {view.short_title} say about “{term}”?"
                candidates = [
                    _Candidate(
                        m.group("meaning").strip(), u.text, to_source(view.chunk_at(u.start), 1.0), m.group("term")
                    )
                    for u, m in defined
                    if u is not unit
                ]
                wrong = _comparable(meaning, candidates, stem)
                if len(wrong) < OPTIONS - 1:
                    continue
                right = Option(meaning, True, f"Right: “{unit.text}”", unit.text, source)
                wrong_options = [
                    Option(
                        c.text, False, f"That is what it says about “{c.where.strip()}”: “{c.quote}”", c.quote, c.source
                    )
                    for c in wrong
                ]
                found.append(ChoiceItem(stem, _shuffled(right, wrong_options, stem, seed), "medium", source))
    return found


@dataclass(frozen=True)
class _Paper:
    title: str  # "LoRA (Hu et al., 2021)"
    heading: str  # the paper's own title
    name: str  # what it introduced, by name: "LoRA"
    described: str  # what it introduced, described: "fine-tuning through trainable low-rank ..."
    line: str  # "This paper introduced LoRA, ...": the card's words
    source: Source


def _paper_cards(curriculum: Curriculum) -> list[_Paper]:
    found = []
    for card_id in curriculum.library.doc_ids(Kind.PAPER_CARD):
        view = curriculum.library.view(card_id)
        heading = next((u for u in view.units if u.kind == "heading"), None)
        what = introduced(view)
        if heading is not None and what is not None:
            described = what[1][len(what[0]) :].lstrip(" ,;")
            line = f"This paper introduced {what[1]}."
            source = to_source(view.chunk_at(heading.start), 1.0)
            found.append(_Paper(view.title, heading.text, what[0], described, line, source))
    return found


def _expansions(glossary: Sequence[GlossaryEntry], wanted: list[str] | None, seed: int) -> list[ChoiceItem]:
    """Medium: what does this acronym stand for? Wrong options: what the roadmaps' other acronyms stand for."""
    spelled = [(e, q) for e in glossary if e.expansion for q in e.sources[:1] if _in_passage(e.expansion, q.source)]
    found = []
    for entry, quoted in spelled:
        if not names_topic(f"{entry.term} {entry.expansion}", wanted):
            continue
        stem = f"What does {entry.term} stand for?"
        candidates = [
            _Candidate(other.expansion, q.quote, q.source, other.term)
            for other, q in spelled
            if other is not entry and not _in_passage(other.expansion, quoted.source)
        ]
        wrong = _comparable(entry.expansion, candidates, stem)
        if len(wrong) < OPTIONS - 1:
            continue
        right = Option(entry.expansion, True, f"Right: “{quoted.quote}”", quoted.quote, quoted.source)
        wrong_options = [
            Option(c.text, False, f"That is what {c.where} stands for: “{c.quote}”", c.quote, c.source) for c in wrong
        ]
        found.append(ChoiceItem(stem, _shuffled(right, wrong_options, stem, seed), "medium", quoted.source))
    return found


def _papers(curriculum: Curriculum, wanted: list[str] | None, seed: int) -> list[ChoiceItem]:
    """Medium: which paper introduced this? Wrong options: other catalog papers, each with what it introduced.
    Where the paper's name gives it away ("Which paper introduced LoRA?"), the other way round: what did it
    introduce? Wrong options: what other papers introduced."""
    cards = _paper_cards(curriculum)
    found = []
    for card in cards:
        if not names_topic(f"{card.title} {card.name} {card.described}", wanted):
            continue
        by_title = bare(card.title.split(" (")[0]) not in bare(card.name)
        if not by_title and not card.described:
            continue
        stem = f"Which paper introduced {card.name}?" if by_title else f"What did {card.title} introduce?"
        right_text = card.heading if by_title else card.described
        candidates = [
            _Candidate(other.heading if by_title else other.described, other.line, other.source, other.title)
            for other in cards
            if other is not card and (by_title or other.described)
        ]
        wrong = _comparable(right_text, [c for c in candidates if not _in_passage(c.text, card.source)], stem)
        if len(wrong) < OPTIONS - 1:
            continue
        right = Option(right_text, True, f"Right: {card.title}. “{card.line}”", card.line, card.source)
        wrong_options = [Option(c.text, False, f"That is {c.where}: “{c.quote}”", c.quote, c.source) for c in wrong]
        found.append(ChoiceItem(stem, _shuffled(right, wrong_options, stem, seed), "medium", card.source))
    return found


def _orders(curriculum: Curriculum, topic: str, seed: int) -> list[ChoiceItem]:
    """Hard: which of four nearby main sections comes first in the roadmap? Around each section where a roadmap
    teaches the topic (the learning path's primary place), the topic's own section among them but not always
    the first."""
    found = []
    for lane in curriculum.path(topic).lanes:
        primary = lane.primary
        spine = curriculum.spine(lane.doc_id)
        if primary is None or not primary.place.position or len(spine) < OPTIONS:
            continue
        view = curriculum.library.view(lane.doc_id)
        index = primary.place.position - 1
        head = spine[index]
        window = [h for h in spine[max(0, index - 3) : index + 4] if h is not head]
        if len(window) < OPTIONS - 1:
            continue
        stem = f"Which of these sections comes first in {view.short_title}?"
        for draw in range(8):  # draws until one has no flaw a rule can see (lengths, mostly)
            picks = [head, *random.Random(f"{lane.doc_id}|{index}|{seed}|{draw}").sample(window, OPTIONS - 1)]
            item = _order_item(view, spine, picks, stem, seed)
            if not flaws(item):
                found.append(item)
                break
    return found


def _order_item(view: DocumentView, spine: list[Unit], picks: list[Unit], stem: str, seed: int) -> ChoiceItem:
    first = min(picks, key=spine.index)
    options = []
    for h in picks:
        source = to_source(view.chunk_at(h.start), 1.0)
        place = f"section {spine.index(h) + 1} of {len(spine)}: “{h.text}”"
        if h is first:
            options.append(Option(unnumbered(h.text), True, f"Right: it is {place}", h.text, source))
        else:
            options.append(Option(unnumbered(h.text), False, f"It comes later: {place}", h.text, source))
    right = next(o for o in options if o.correct)
    wrong = [o for o in options if not o.correct]
    return ChoiceItem(stem, _shuffled(right, wrong, stem + picks[0].text, seed), "hard", right.source)
