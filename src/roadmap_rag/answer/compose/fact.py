"""The ``fact`` shape (and every shape's fallback): the most informative units, each as an answer says it."""

from __future__ import annotations

from roadmap_rag.answer.compose.builder import _Builder, _where
from roadmap_rag.answer.compose.section import SectionShape
from roadmap_rag.answer.compose.verdict import VerdictShape
from roadmap_rag.retrieve import paper_sentences
from roadmap_rag.retrieve.library import DocumentView
from roadmap_rag.retrieve.questions import DEFINE, SECTION, Query
from roadmap_rag.text.prose import asks_duration, asks_verdict
from roadmap_rag.text.units import Unit
from roadmap_rag.types import SECTION_SEPARATOR, Kind, Source, Statement

# Sentences an answer from a paper's text may quote (a roadmap answer: 3). Fact recall on the paper golden
# set: 3 sentences 0.479, 4 0.521, 5 0.548.
_PAPER_SENTENCES = 5
# The learned unit ranker (ranking.py) in the fact shape picks the units: the best _FEWEST whose chance reaches
# _POSSIBLE, then any up to _MOST_UNITS that reach _LIKELY (its chance also blends into the score: state._BLEND).
# Chosen on the read splits (twelfth pass: _LIKELY 0.15 -> 0.10 and _MOST_UNITS 6 -> 8 raised learner_dev7-12
# 0.631 -> 0.647 on average, answers 3 words longer at the median; a 4th unit always, or _LIKELY 0.07, stated
# more and lengthened answers by 10-20 words), never the frozen split (eval/README.md).
_POSSIBLE = 0.05
_LIKELY = 0.10
_FEWEST = 3
_MOST_UNITS = 8
# A list of at most _SHORT_LIST items of at most _SHORT_ITEM words is shown whole when one of its items is chosen.
_SHORT_LIST = 8
_SHORT_ITEM = 12
# A recommendation in a roadmap's prose comes with its reasons and limits in the sentences of its paragraph ("I
# suggest that you don't care about ... a strict deadline. ... it could last 1 month easily"): a verdict question
# is answered with the paragraph of each sentence chosen, this many sentences at most.
_VERDICT_PARAGRAPH = 6


class FactShape(VerdictShape, SectionShape):
    """The fact shape's methods: a section the question names first, else the best units (a verdict first)."""

    def _emit_unit(
        self, view: DocumentView, unit: Unit, b: _Builder, statements: list[Statement], whole_lists: bool = False
    ) -> None:
        """A unit as an answer says it: an intro with its list, an item with its details (with its whole
        list when the question asks for a list)."""
        if whole_lists and unit.kind == "item" and not unit.level:
            intro = next((u for u in view.group(unit.group) if u.kind == "intro"), None)
            unit = intro or unit
            if intro is None and len([u for u in view.group(unit.group) if u.kind == "item" and not u.level]) > 1:
                b.paragraph(statements[:])
                statements.clear()
                items = [u for u in view.group(unit.group) if u.kind == "item" and not u.level]
                b.listing([b.statement(view, u) for u in items if not b.is_used(view, u)])
                return
        if unit.kind == "intro":
            items = [u for u in view.group(unit.group) if u.kind == "item" and u.level == 0]
            if not items:
                items = _child_headings(view, unit)
                if not items:
                    return  # an introduction never appears without its list
            b.paragraph(statements[:])
            statements.clear()
            b.listing([_headed(view, u, b) for u in items], lead=b.statement(view, unit))
            return
        statements.append(b.statement(view, unit))

    def _fact(
        self,
        query: Query,
        views: list[tuple[int, Source, DocumentView]],
        b: _Builder,
        limit: int = 3,
        whole_lists: bool = False,
    ) -> bool:
        if self.papers:
            limit = max(limit, _PAPER_SENTENCES)  # a paper states a fact amid prose: room for the one that says it
        # A section's opening sentences answer "what is X?" in a roadmap; a paper's section opens on its motivation.
        asks_section = SECTION.search(query.text) or DEFINE.search(query.text)
        if asks_section and not self.papers and self._section(query, views, b):
            return True
        scored = self._scored(query, views)
        if not scored:
            return False
        best = scored[0][0]
        chosen = [t for t in scored if t[0] >= max(0.25, best * 0.6)][:limit] or scored[:1]
        if self.chances and not self.papers:
            # By the model's chance that a unit states a key fact: the best _FEWEST that reach _POSSIBLE, and
            # every further one up to _MOST_UNITS that reaches _LIKELY.
            ranked = sorted(scored, key=lambda t: -self.chances.get((t[2].doc_id, t[3].start), 0.0))
            chance = [self.chances.get((t[2].doc_id, t[3].start), 0.0) for t in ranked]
            chosen = [
                t for i, t in enumerate(ranked[:_MOST_UNITS]) if chance[i] >= (_POSSIBLE if i < _FEWEST else _LIKELY)
            ]
            chosen = chosen or ranked[:1]
        verdict = self._verdict(query, scored) if asks_verdict(query.text) and self.chances else None
        if verdict is not None and verdict not in chosen:
            chosen = [verdict, *chosen[: _MOST_UNITS - 1]]
        chosen += _what_cards_introduced(chosen)
        if self.papers or asks_verdict(query.text) or asks_duration(query.text):
            # The section that answers best first, each section's units in the document's order: a paper's, and
            # the recommendation or the duration that "should I ..." and "how long ..." ask for (verdict first).
            first: dict[tuple[str, str], float] = {}
            for score, _, view, unit in chosen:
                first.setdefault((view.doc_id, unit.section), score)
            if verdict is not None:  # the recommendation's section opens the answer
                first[(verdict[2].doc_id, verdict[3].section)] = float("inf")
            chosen.sort(key=lambda t: (-first[(t[2].doc_id, t[3].section)], t[3].start))
        else:
            chosen.sort(key=lambda t: (t[1], t[3].start))
        statements: list[Statement] = []
        place = None
        units = [(view, u) for _, _, view, unit in chosen for u in paper_sentences.in_context(view, unit)]
        if asks_verdict(query.text) and not self.papers:
            units = [(view, u) for view, unit in units for u in _paragraph(view, unit)]
        if len(units) == 1:
            units += _first_list_below(*units[0])
        for view, unit in units:
            if b.is_used(view, unit):
                continue
            if (view.doc_id, unit.section) != place:
                b.paragraph(statements)
                statements = []
                place = (view.doc_id, unit.section)
                b.heading(_card_title(view) if view.kind == Kind.PAPER_CARD else _where(view, unit.section))
            self._emit_unit(view, unit, b, statements, whole_lists or _short_list(view, unit))
        b.paragraph(statements)
        return bool(b.blocks)


def _first_list_below(view: DocumentView, unit: Unit) -> list[tuple[DocumentView, Unit]]:
    """An answer of one sentence that is all its section says ("Beginner Level — LLM Foundations: Understand how
    large language models work internally."), where the section goes on in subsections: the list that opens the
    first of them ("Core Concepts: Language Modeling, Tokenization, ..."), which says what the section holds. A
    list's intro, or its first item where the list is short (the item brings its whole list)."""
    if view.kind != Kind.ROADMAP or unit.kind != "sentence":
        return []
    i = view.index_of(unit)
    own = [u for u in view.units if u.section == unit.section and u.kind != "heading"]
    if own != [unit] or i + 1 >= len(view.units):
        return []
    below = view.units[i + 1]
    if below.kind != "heading" or not below.section.startswith(unit.section + SECTION_SEPARATOR):
        return []
    first = next((u for u in view.units[i + 2 :] if u.kind != "heading"), None)
    if first is None or first.section != below.section:
        return []
    if first.kind == "intro" or (first.kind == "item" and _short_list(view, first)):
        return [(view, first)]
    return []


_HEADED_WORDS = 25  # a subsection's one sentence shown beside its heading in a list of subsections


def _what_cards_introduced(
    chosen: list[tuple[float, int, DocumentView, Unit]],
) -> list[tuple[float, int, DocumentView, Unit]]:
    """A paper's card quoted for another of its lines ("Recommended in ...", its authors) says what the paper
    introduced too: a learner told where a paper is recommended learns nothing of what it is."""
    out: list[tuple[float, int, DocumentView, Unit]] = []
    for score, n, view, unit in chosen:
        if view.kind != Kind.PAPER_CARD or "introduced" in unit.text:
            continue
        intro = next((u for u in view.units if "introduced" in u.text), None)
        if intro is not None and not any(v is view and u is intro for _, _, v, u in chosen + out):
            out.append((score, n, view, intro))
    return out


def _paragraph(view: DocumentView, unit: Unit) -> list[Unit]:
    """A roadmap's sentence with the other sentences of its paragraph (its line), in order, when the paragraph has
    _VERDICT_PARAGRAPH sentences at most (a longer one is quoted for its chosen sentences); any other unit alone."""
    if view.kind != Kind.ROADMAP or unit.kind != "sentence":
        return [unit]
    i = view.index_of(unit)
    first = last = i
    while first > 0 and paper_sentences.on_one_line(view, view.units[first - 1], view.units[first]):
        first -= 1
    while last + 1 < len(view.units) and paper_sentences.on_one_line(view, view.units[last], view.units[last + 1]):
        last += 1
    return view.units[first : last + 1] if last + 1 - first <= _VERDICT_PARAGRAPH else [unit]


def _short_list(view: DocumentView, unit: Unit) -> bool:
    """An item of a short list of short items (a module's topics, the career paths): its list is the answer's
    unit, shown whole with its lead, since one item out of five reads as the whole answer."""
    if unit.kind != "item" or unit.level:
        return False
    items = [u for u in view.group(unit.group) if u.kind == "item" and not u.level]
    return 2 <= len(items) <= _SHORT_LIST and all(len(u.text.split()) <= _SHORT_ITEM for u in items)


def _child_headings(view: DocumentView, intro: Unit) -> list[Unit]:
    """An intro whose list is the subsections that follow ("three core areas:" then three headings)."""
    i = view.index_of(intro)
    depth = len(intro.section.split(SECTION_SEPARATOR))
    out = []
    for unit in view.units[i + 1 :]:
        if unit.kind != "heading":
            continue
        unit_depth = len(unit.section.split(SECTION_SEPARATOR))
        if unit_depth <= depth:
            break
        if unit_depth == depth + 1:
            out.append(unit)
    return out


def _headed(view: DocumentView, heading: Unit, b: _Builder) -> Statement:
    """A subsection listed by its heading, with what it says where that is one short sentence ("Text
    Preprocessing: Tokenization, stemming, lemmatization, stopword removal."): its name alone says what to
    study, not what it holds."""
    if heading.kind != "heading":
        return b.statement(view, heading)
    i = view.index_of(heading)
    body = []
    for unit in view.units[i + 1 :]:
        if unit.section != heading.section:
            break
        body.append(unit)
    if len(body) == 1 and body[0].kind == "sentence" and len(body[0].text.split()) <= _HEADED_WORDS:
        b.statement(view, heading)  # the heading is used, and its source cited
        return b.statement(view, body[0], f"{heading.text.rstrip(' :')}: {body[0].text}")
    return b.statement(view, heading)


def _card_title(card: DocumentView) -> str:
    """A paper card's heading: the paper's full title, by which a learner finds it, with who wrote it and when
    ("GloVe: Global Vectors for Word Representation (Pennington et al., 2014)"); the short name first where the
    title does not hold it ("Transformer — Attention Is All You Need (Vaswani et al., 2017)")."""
    short, _, who = card.title.partition(" (")
    full = next((u.text for u in card.units if u.kind == "heading"), "")
    if not full or not who or full.casefold() == short.casefold():
        return card.title
    named = full if short.casefold() in full.casefold() else f"{short} — {full}"
    return f"{named} ({who}"
