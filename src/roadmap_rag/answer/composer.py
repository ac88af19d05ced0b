"""The grounded composer: the answer when no LLM is used, shaped like the question.

It reads the question's shape from its wording, finds in the retrieved chunks *where* the answer is,
and reads the answer from the document's structure there (``library``): a whole list with the line
that introduces it, a topic with its resources, the sections before or after a topic, each roadmap's
own words side by side. Every statement is a unit of a source and cites it; nothing is invented, and
the text between statements (headings naming a roadmap and section) is ours and cites nothing.

Shapes: ``list`` ("which ...", "name ...", "what are the ..."), ``about`` ("what does the roadmap say
about X"), ``compare`` (several roadmaps), ``path`` (before / after / next / order / month N),
``paper`` ("which paper ...", "where can I read ..."), and ``fact`` (the most informative sentences).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from roadmap_rag.answer import ranking
from roadmap_rag.answer.citations import looks_like_instruction
from roadmap_rag.corpus.catalog import CARD_PREFIX, PAPER_PREFIX
from roadmap_rag.retrieve import paper_sentences
from roadmap_rag.retrieve.library import DocumentView, Library, to_source
from roadmap_rag.retrieve.questions import (
    AFTER,
    BEFORE,
    DEFINE,
    NTH,
    ORDER,
    SECTION,
    Query,
    Shape,
    question_shape,
    terms,
)
from roadmap_rag.retrieve.routing import names_a_paper
from roadmap_rag.text.prose import asks_duration, asks_verdict, is_advice, is_chatter
from roadmap_rag.text.units import Unit, is_bare_title, readable, topic_text
from roadmap_rag.types import (
    SECTION_SEPARATOR,
    Block,
    Kind,
    Source,
    Statement,
    section_leaf,
    unnumbered,
    without_bare_headings,
)

_ORDERED = re.compile(r"learning path|timeline|progression|in order|steps", re.I)
_SKIP_SECTIONS = re.compile(r"table of contents|^contents$", re.I)

# Sentences an answer from a paper's text may quote (a roadmap answer: 3). Fact recall on the paper golden
# set: 3 sentences 0.479, 4 0.521, 5 0.548.
_PAPER_SENTENCES = 5
# The learned unit ranker (ranking.py) in the fact shape: its chance blends into the lexical-and-dense score
# (_BLEND), and it picks the units: the best _FEWEST whose chance reaches _POSSIBLE, then any up to _MOST_UNITS
# that reach _LIKELY. Chosen on the golden set and the learner dev split (eval/README.md), never the frozen split.
_BLEND = 0.25
_POSSIBLE = 0.05
_LIKELY = 0.15
_FEWEST = 3
_MOST_UNITS = 6
# A verdict question's recommendation is looked for among the units the model finds likeliest, this many.
_VERDICT_POOL = 12
# A list of at most _SHORT_LIST items of at most _SHORT_ITEM words is shown whole when one of its items is chosen.
_SHORT_LIST = 8
_SHORT_ITEM = 12
# "Which papers are recommended for chain-of-thought prompting?": papers on a topic, in the roadmaps' words first.
_ON_A_TOPIC = re.compile(r"\bpapers\b|\brecommend", re.IGNORECASE)
_WHERE_RECOMMENDED = re.compile(r"\brecommend|\bwhere\b.*\broadmaps?\b|\bwhich roadmaps?\b", re.IGNORECASE)


@dataclass
class Composition:
    blocks: list[Block]
    sources: list[Source]  # the retrieved sources, plus any chunk the structure led to (appended)
    shape: Shape = "fact"


@dataclass
class _Builder:
    """Collects blocks and maps units to citation numbers, adding sources the structure led to."""

    library: Library
    sources: list[Source]
    blocks: list[Block] = field(default_factory=list)
    used: set[tuple[str, int]] = field(default_factory=set)
    show_links: bool = False  # paper questions: a link's URL is part of the answer

    def number(self, view: DocumentView, unit: Unit) -> int:
        for n, source in enumerate(self.sources, start=1):
            if source.doc_id == view.doc_id and source.start <= unit.start and unit.end <= source.end:
                return n
        chunk = view.chunk_at(unit.start)
        self.sources.append(to_source(chunk))
        return len(self.sources)

    def statement(self, view: DocumentView, unit: Unit, text: str | None = None, links: bool = True) -> Statement:
        self.used.add((view.doc_id, unit.start))
        numbers = {self.number(view, unit)}
        if unit.details:  # the details (resources, sub-items) are their own lines: cite their chunks too
            for other in view.units:
                detail = other.parent == unit.text and other.level == 1 and other.group == unit.group
                if detail and unit.start < other.start and (view.doc_id, other.start) not in self.used:
                    self.used.add((view.doc_id, other.start))
                    numbers.add(self.number(view, other))
        kept = tuple((link.text, link.url) for link in unit.links) if links else ()
        text = text or topic_text(unit)
        if self.show_links:
            urls = [url for _, url in kept if url not in text]
            text = f"{text} ({', '.join(urls)})" if urls else text
        return Statement(text, tuple(sorted(numbers)), kept)

    def is_used(self, view: DocumentView, unit: Unit) -> bool:
        return (view.doc_id, unit.start) in self.used

    def heading(self, title: str) -> None:
        self.blocks.append(Block("heading", title=title))

    def paragraph(self, statements: list[Statement]) -> None:
        if statements:
            self.blocks.append(Block("paragraph", tuple(statements)))

    def listing(self, items: list[Statement], lead: Statement | None = None) -> None:
        if items:
            self.blocks.append(Block("list", tuple(items), lead=lead))


def _where(view: DocumentView, section: str) -> str:
    # A heading that addresses the assistant is never part of the answer, not even as where a quote comes from.
    parts = [p for p in section.split(SECTION_SEPARATOR) if p and not looks_like_instruction(p)]
    place = SECTION_SEPARATOR.join(parts[-2:])
    name = view.short_title if not looks_like_instruction(view.short_title) else view.doc_id
    name = name[0].upper() + name[1:]
    return f"{name} — {place}" if place else name


class Composer:
    """The no-LLM backend (``extractive``). Stateless: one instance serves every thread."""

    name = "extractive"

    def __init__(self, max_sources: int = 5, ranker: ranking.Ranker | Literal["shipped"] | None = "shipped") -> None:
        """``ranker``: the model that scores roadmap and card units (default: the one shipped with the package;
        None: the lexical and dense scores alone, as before the model)."""
        self.max_sources = max_sources
        self.ranker = ranking.shipped() if ranker == "shipped" else ranker

    def compose(
        self,
        question: str,
        sources: Sequence[Source],
        library: Library,
        named: Sequence[str] = (),
        lines: Sequence[tuple[str, str, float]] = (),
        doc_ids: Sequence[str] = (),
        kinds: Sequence[str] = (),
        cards: Sequence[str] = (),
    ) -> Composition:
        """``lines``: the retriever's best-matching line passages (chunk id, text, similarity), whose
        similarity ranks units the question paraphrases rather than names. ``doc_ids`` and ``kinds``:
        the user's filters, which bind what the structure may add as much as what retrieval returned.
        ``cards``: the cards of the papers the question names (the retriever's ``cards_named``)."""
        composer = self._compose(library, named, lines, doc_ids, kinds)
        composer.cards_named = tuple(cards)
        return composer.run(question, sources)

    def candidates(
        self,
        question: str,
        sources: Sequence[Source],
        library: Library,
        named: Sequence[str] = (),
        lines: Sequence[tuple[str, str, float]] = (),
    ) -> list[ranking.Candidate]:
        """The units ``compose`` would choose among, with their features (``roadmap-rag eval train-ranker``)."""
        return self._compose(library, named, lines).candidates(question, sources)

    def _compose(
        self,
        library: Library,
        named: Sequence[str],
        lines: Sequence[tuple[str, str, float]],
        doc_ids: Sequence[str] = (),
        kinds: Sequence[str] = (),
    ) -> _Compose:
        dense = paper_sentences.similarities(lines)
        filters = (tuple(doc_ids), tuple(kinds))
        return _Compose(self.max_sources, library, dense, tuple(named), filters, self.ranker)


class _Compose:
    """One composition: the question's state, shared by the shape methods."""

    def __init__(
        self,
        max_sources: int,
        library: Library,
        dense: dict[str, float],
        named: tuple[str, ...],
        filters: tuple[tuple[str, ...], tuple[str, ...]] = ((), ()),
        ranker: ranking.Ranker | None = None,
    ) -> None:
        self.max_sources = max_sources
        self.library = library
        self.dense = dense
        self.named = named
        self.filters = filters
        self.papers: tuple[str, ...] = ()  # the papers whose text is all the answer reads (set by run)
        self.ranker = ranker
        self.chances: dict[tuple[str, int], float] = {}  # the ranker's chance per unit (doc id, start)
        self.cards_named: tuple[str, ...] = ()  # the cards of the papers the question names
        self.text = ""  # the question (set by run and candidates)

    def allowed(self, doc_id: str) -> bool:
        doc_ids, kinds = self.filters
        return (not doc_ids or doc_id in doc_ids) and (not kinds or self.library.kind(doc_id) in kinds)

    def doc_ids(self, kind: str) -> list[str]:
        """The library's documents of ``kind`` that the user's filters let an answer draw on."""
        return [d for d in self.library.doc_ids(kind) if self.allowed(d)]

    def query(self, question: str, sources: Sequence[Source]) -> Query:
        """The question's weighted words, as the sources are read (a paper's text: paper_sentences.question_for)."""
        library = self.library
        text_kinds = {s.kind for s in sources if s.kind != Kind.PAPER_CARD}
        # The name of a document the question names ("the complete roadmap") is not its topic.
        stop = {
            stem
            for doc_id in library.doc_ids(Kind.ROADMAP)
            for alias in library.view(doc_id).aliases
            if re.search(rf"\b{re.escape(alias)}\b", question, re.IGNORECASE)
            for stem in terms(alias)
        }
        if text_kinds == {Kind.PAPER}:  # read as the papers' text is: paper_sentences.question_for
            self.papers = tuple(sorted({s.doc_id for s in sources if s.kind == Kind.PAPER}))
            return paper_sentences.question_for(question, library, self.papers, stop)
        return Query.of(question, library, stop)

    def candidates(self, question: str, sources: Sequence[Source]) -> list[ranking.Candidate]:
        """Every roadmap or card unit the answer may quote, with the learned ranker's features."""
        self.text = question
        query = self.query(question, sources)
        return [
            ranking.Candidate(n, view, unit, ranking.features(query, view, unit, n, self.dense))
            for n, view, unit in self._units(self._views(sources, self.library))
            if view.kind != Kind.PAPER
        ]

    def run(self, question: str, sources: Sequence[Source]) -> Composition:
        self.text = question
        library = self.library
        shape = question_shape(question, self.named)
        text_kinds = {s.kind for s in sources if s.kind != Kind.PAPER_CARD}
        if text_kinds == {Kind.PAPER} and shape in ("paper", "about", "list"):
            shape = "fact"  # a question routed to a paper's text asks what the paper says, not which paper
        elif (
            self.cards_named and not text_kinds & {Kind.PAPER} and names_a_paper(question) and shape in ("fact", "list")
        ):
            shape = "paper"  # "the lora paper, what does it do?", "who wrote the bert paper?": its card answers
        query = self.query(question, sources)
        builder = _Builder(library, list(sources))
        views = self._views(sources, library)
        composed = {
            "list": self._list,
            "paper": self._paper,
            "about": self._about,
            "compare": self._about,
            "path": self._path,
            "fact": self._fact,
        }[shape](query, views, builder)
        blocks = _without_chatter(builder.blocks, question)
        if not composed or not any(b.statements or b.lead for b in blocks):
            builder = _Builder(library, list(sources))  # nothing the failed attempt added stays
            self._fact(query, views, builder)
            blocks = _without_chatter(builder.blocks, question)
        return Composition(blocks, builder.sources, shape)

    def _views(self, sources: Sequence[Source], library: Library) -> list[tuple[int, Source, DocumentView]]:
        out = []
        for n, source in enumerate(sources, start=1):
            if n > self.max_sources and source.kind != Kind.PAPER_CARD:
                continue
            if source.doc_id in library:
                out.append((n, source, library.view(source.doc_id)))
        return out

    # -- candidates --------------------------------------------------------------------------
    def _units(self, views: list[tuple[int, Source, DocumentView]]) -> list[tuple[int, DocumentView, Unit]]:
        seen: set[tuple[str, int]] = set()
        out = []
        for n, source, view in views:
            for unit in readable(view.units_between(source.start, source.end)):
                key = (view.doc_id, unit.start)
                if key in seen or _SKIP_SECTIONS.search(section_leaf(unit.section)):
                    continue
                if looks_like_instruction(unit.text) or (unit.is_link_only and unit.text.lower().startswith("see ")):
                    continue
                if unit.kind == "sentence" and (is_bare_title(unit.text) or unit.text.rstrip(".") == view.title):
                    continue  # a heading-like line ("Popular LLM Frameworks") is never a sentence of the answer
                if (
                    view.kind == Kind.ROADMAP
                    and unit.kind in ("sentence", "intro")
                    and is_chatter(unit.text, self.text)
                ):
                    continue  # the author's story, the article talking about itself, a reader's comment
                seen.add(key)
                out.append((n, view, unit))
        return out

    def _scored(
        self, query: Query, views: list[tuple[int, Source, DocumentView]]
    ) -> list[tuple[float, int, DocumentView, Unit]]:
        scored = []
        # The model was fitted on roadmap and card units: where a paper's text competes, its sentences' own score
        # (paper_sentences) and the roadmaps' lexical one stay comparable, so the model stays out.
        ranker = self.ranker if not any(view.kind == Kind.PAPER for _, _, view in views) else None
        self.chances = {}
        for n, view, unit in self._units(views):
            if view.kind == Kind.PAPER:
                paper = paper_sentences.score(query, view, unit, self.dense)
                if paper is None:
                    continue  # a signpost, a question, figure labels
                score = paper + 0.04 / n
            else:
                own = topic_text(unit) if unit.kind == "item" else unit.text
                similarity = 0.8 * self.dense.get(view.line_key(unit), 0.0)
                score = query.score(own, paper_sentences.context_of(unit)) + 0.04 / n + similarity
                if ranker is not None:  # the learned model: the chance that the unit states a key fact
                    chance = ranker.probability(ranking.features(query, view, unit, n, self.dense))
                    self.chances[(view.doc_id, unit.start)] = chance
                    score = (1 - _BLEND) * score + _BLEND * 2 * chance
            if unit.kind == "intro":
                score += 0.05 * bool(view.group(unit.group)[1:])  # an intro stands for its whole list
            scored.append((score, n, view, unit))
        scored.sort(key=lambda t: (-t[0], t[1], t[3].start))
        return scored

    # -- shapes ------------------------------------------------------------------------------
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
            b.listing([b.statement(view, u) for u in items], lead=b.statement(view, unit))
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
        for view, unit in units:
            if b.is_used(view, unit):
                continue
            if (view.doc_id, unit.section) != place:
                b.paragraph(statements)
                statements = []
                place = (view.doc_id, unit.section)
                b.heading(view.title if view.kind == Kind.PAPER_CARD else _where(view, unit.section))
            self._emit_unit(view, unit, b, statements, whole_lists or _short_list(view, unit))
        b.paragraph(statements)
        return bool(b.blocks)

    def _verdict(
        self, query: Query, scored: list[tuple[float, int, DocumentView, Unit]]
    ) -> tuple[float, int, DocumentView, Unit] | None:
        """For "should I ...", "do I need ...": the likeliest unit that advises (prose.is_advice) on one of the
        question's topic words, among the _VERDICT_POOL likeliest, so that the answer opens on a recommendation
        rather than on the topic's facts."""
        ranked = sorted(scored, key=lambda t: -self.chances.get((t[2].doc_id, t[3].start), 0.0))[:_VERDICT_POOL]
        return next(
            (
                t
                for t in ranked
                if t[3].kind in ("sentence", "item") and is_advice(t[3].text) and query.covers_topic(t[3].text) > 0
            ),
            None,
        )

    def _best_list(
        self, query: Query, views: list[tuple[int, Source, DocumentView]]
    ) -> tuple[float, DocumentView, int] | None:
        """The list (group of items) whose intro, section and items best match the question."""
        best: tuple[float, DocumentView, int] | None = None
        seen: set[tuple[str, int]] = set()
        for n, view, unit in self._units(views):
            if unit.kind not in ("item", "intro", "row") or (view.doc_id, unit.group) in seen:
                continue
            seen.add((view.doc_id, unit.group))
            members = view.group(unit.group)
            items = [u for u in members if u.kind in ("item", "row")]
            if len(items) < 2:
                continue
            intro = next((u.text for u in members if u.kind == "intro"), "")
            heading = section_leaf(items[0].section)
            body = " ".join(topic_text(u) for u in items)
            score = max(query.score(f"{intro} {heading}"), 0.8 * query.score(body)) + 0.04 / n
            if best is None or score > best[0]:
                best = (score, view, unit.group)
        return best

    def _focus(self, query: Query, views: list[tuple[int, Source, DocumentView]]) -> tuple[DocumentView, Unit] | None:
        """A topic item with details that the question names ("resources for linear algebra")."""
        best: tuple[float, DocumentView, Unit] | None = None
        for _, view, unit in self._units(views):
            if unit.kind != "item" or not unit.details or unit.level:
                continue
            cover = query.covers_topic(unit.text)
            if cover >= 0.99 or (cover >= 0.6 and len(query.topic) >= 3):
                score = cover + query.score(unit.text)
                if best is None or score > best[0]:
                    best = (score, view, unit)
        return (best[1], best[2]) if best else None

    def _emit_focus(self, view: DocumentView, unit: Unit, b: _Builder) -> None:
        b.heading(_where(view, unit.section) + f" > {unit.text}")
        details = [u for u in view.units if u.parent == unit.text and u.level == 1 and u.group == unit.group]
        b.used.add((view.doc_id, unit.start))
        b.listing([b.statement(view, u) for u in details])

    def _emit_list(self, view: DocumentView, group: int, b: _Builder) -> None:
        members = view.group(group)
        intro = next((u for u in members if u.kind == "intro"), None)
        items = [u for u in members if (u.kind == "item" and u.level == 0) or u.kind == "row"]
        b.heading(_where(view, items[0].section))
        lead = b.statement(view, intro) if intro else None
        b.listing([b.statement(view, u) for u in items], lead=lead)

    def _section(self, query: Query, views: list[tuple[int, Source, DocumentView]], b: _Builder) -> bool:
        """A question that names a section ("what are scaling laws?", "what does it list under deployment?")
        gets that section's own description and contents."""
        best: tuple[float, DocumentView, Unit] | None = None
        for n, source, view in views:
            if source.kind == Kind.PAPER_CARD:
                continue
            for unit in view.units:
                if unit.kind != "heading" or _SKIP_SECTIONS.search(unit.text) or query.covers_topic(unit.text) < 0.99:
                    continue
                inside = source.start <= unit.start < source.end
                score = 0.04 / n - 0.01 * _depth(unit) + 0.1 * inside + query.score(unit.text)
                if best is None or score > best[0]:
                    best = (score, view, unit)
        if best is None:
            return False
        _, view, heading = best
        body = _section_units(view, heading)
        depth = _depth(heading)
        b.heading(_where(view, heading.section))
        b.paragraph([b.statement(view, u) for u in body if u.kind == "sentence" and u.section == heading.section][:2])
        children = [u for u in body if u.kind == "heading" and _depth(u) == depth + 1]
        own = [u for u in body if u.section == heading.section]
        self._section_list(view, own, b)
        for child in children[:6]:
            b.heading(_where(view, child.section))
            units = _section_units(view, child)
            sentences = [u for u in units if u.kind == "sentence" and u.section == child.section][:1]
            b.paragraph([b.statement(view, u) for u in sentences])
            if not self._section_list(view, units, b):
                grand = [u for u in units if u.kind == "heading"]
                b.listing([self._path_statement(view, g, b) for g in grand[:6]])
        return True

    def _section_list(self, view: DocumentView, units: list[Unit], b: _Builder) -> bool:
        """Every list of a section, each with its own introducing line."""
        groups: dict[int, list[Unit]] = {}
        for unit in units:
            if (unit.kind == "item" and unit.level == 0) or unit.kind == "row":
                groups.setdefault(unit.group, []).append(unit)
        for group, items in groups.items():
            intro = next((u for u in units if u.kind == "intro" and u.group == group), None)
            lead = b.statement(view, intro) if intro else None
            b.listing([b.statement(view, u) for u in items[:12]], lead=lead)
        return bool(groups)

    def _list(self, query: Query, views: list[tuple[int, Source, DocumentView]], b: _Builder) -> bool:
        focus = self._focus(query, views)
        if focus:
            self._emit_focus(*focus, b)
            return True
        if self._section(query, views, b):
            return True
        found = self._best_list(query, views)
        scored = self._scored(query, views)
        sentence = next((t for t in scored if t[3].kind == "sentence"), None)
        if found and (sentence is None or found[0] >= sentence[0] - 0.25):
            self._emit_list(found[1], found[2], b)
            return True
        return self._fact(query, views, b, whole_lists=True)

    def _paper(self, query: Query, views: list[tuple[int, Source, DocumentView]], b: _Builder) -> bool:
        b.show_links = True
        if self.cards_named and names_a_paper(query.text) and not _ON_A_TOPIC.search(query.text):
            # "the chinchilla paper, whats it about?": its card answers (who, when, what it introduced, where
            # the roadmaps recommend it), not the roadmaps' sentences about LLMs in general.
            self._cards(query, views, b, named_only=True)
            if b.blocks:
                return True
        text_views = [v for v in views if v[1].kind != Kind.PAPER_CARD]
        focus = self._focus(query, text_views)
        if focus:
            self._emit_focus(*focus, b)
        else:
            self._fact(query, text_views, b, limit=2)
        self._cards(query, views, b)
        return bool(b.blocks)

    def _cards(
        self, query: Query, views: list[tuple[int, Source, DocumentView]], b: _Builder, named_only: bool = False
    ) -> None:
        """The catalog's card for each paper on the topic: title, authors and year, what it introduced, link.
        ``named_only``: the cards of the papers the question names, whole (their authors and where the roadmaps
        recommend them too)."""
        candidates: list[tuple[float, DocumentView]] = []
        # The card of a paper whose text the answer draws on comes first: "what does the BERT paper say about
        # X, and where do the roadmaps recommend BERT?" is about that paper, not the ones beside it.
        read = {s.doc_id.removeprefix(PAPER_PREFIX) for _, s, _ in views if s.kind == Kind.PAPER}
        for _, source, view in views:
            cover = query.covers_topic(f"{view.title} {source.text}")
            named = view.doc_id in self.cards_named
            if (
                source.kind == Kind.PAPER_CARD
                and (named or not named_only)
                and (cover >= 0.5 or named or view.doc_id.removeprefix(CARD_PREFIX) in read)
            ):
                candidates.append((cover + 0.5 + (view.doc_id.removeprefix(CARD_PREFIX) in read) + 2 * named, view))
        for doc_id in () if named_only else self.doc_ids(Kind.PAPER_CARD):
            view = self.library.view(doc_id)
            if all(view is not v for _, v in candidates) and query.covers_topic(view.title) >= 0.99:
                candidates.append((1.0, view))
        candidates.sort(key=lambda c: -c[0])
        items = []
        for _, view in candidates[:2]:
            units = view.units
            title = next((u for u in units if u.kind == "heading"), None)
            cite_line = next((u for u in units if u.kind == "sentence" and re.search(r"\(.*\d{4}\)", u.text)), None)
            intro = next((u for u in units if "introduced" in u.text), None)
            link = next((u for u in units if u.text.lower().startswith(("arxiv", "link"))), None)
            if title is not None and cite_line is not None and not b.is_used(view, title):
                who = re.search(r"\(([^()]*\d{4})\)", cite_line.text)
                text = f"{title.text} ({who.group(1)})" if who else title.text
                items.append(b.statement(view, title, text=text))
            authors = next((u for u in units if u.text.startswith("Authors:")), None) if named_only else None
            shown = (intro, authors, link)
            items += [b.statement(view, u) for u in shown if u is not None and not b.is_used(view, u)]
            if named_only or _WHERE_RECOMMENDED.search(query.text):  # where the roadmaps recommend it: the card says
                places = [u for u in units if u.text.startswith("Recommended in")]
                items += [b.statement(view, u) for u in places if not b.is_used(view, u)]
        if items:
            b.heading("Papers")
            b.listing(items)

    def _about(self, query: Query, views: list[tuple[int, Source, DocumentView]], b: _Builder) -> bool:
        """Per roadmap: where the topic sits and what that roadmap says or lists about it."""
        per_doc = self._about_units(query, views)
        self._recommended_in(query, views, per_doc)
        if query.topic and all(self.library.rarity(t, terms) >= 0.8 for t in query.topic) and not self.named:
            self._every_roadmap(query, per_doc)
        if not per_doc:
            return False
        for entries in per_doc.values():
            self._emit_about(sorted(entries, key=lambda e: e[1].start), b)
        self._cards(query, views, b)
        return True

    def _about_units(
        self, query: Query, views: list[tuple[int, Source, DocumentView]]
    ) -> dict[str, list[tuple[DocumentView, Unit]]]:
        """The retrieved units about the topic, per roadmap."""
        per_doc: dict[str, list[tuple[DocumentView, Unit]]] = {}
        for _, view, unit in self._units([v for v in views if v[1].kind != Kind.PAPER_CARD]):
            own = topic_text(unit) if unit.kind == "item" else unit.text
            # The nearest context counts: an item's intro or topic before the section it sits in.
            near = unit.intro or unit.parent or section_leaf(unit.section)
            cover = max(query.covers_topic(own), 0.8 * query.covers_topic(f"{own} {near}"))
            if cover >= 0.6 and unit.kind != "intro":
                per_doc.setdefault(view.doc_id, []).append((view, unit))
        return per_doc

    def _every_roadmap(self, query: Query, per_doc: dict[str, list[tuple[DocumentView, Unit]]]) -> None:
        """A rare topic ("LoRA", "RLHF"): what every roadmap says, not only the retrieved ones."""
        for doc_id in self.doc_ids(Kind.ROADMAP):
            view = self.library.view(doc_id)
            known = {u.start for _, u in per_doc.get(doc_id, [])}
            found = [
                u
                for u in readable(view.units)
                if u.kind not in ("intro", "heading")
                and u.start not in known
                and not _SKIP_SECTIONS.search(u.section)
                and query.covers_topic(_own(u)) >= 0.99
            ]
            if found or per_doc.get(doc_id):
                per_doc.setdefault(doc_id, []).extend((view, u) for u in found[:3])

    def _emit_about(self, entries: list[tuple[DocumentView, Unit]], b: _Builder) -> None:
        """One roadmap's units about the topic, under their sections: lists as lists, prose as paragraphs."""
        view = entries[0][0]
        by_section: dict[str, list[Unit]] = {}
        for _, unit in entries[:6]:
            if unit.level == 1 and any(u.text == unit.parent for _, u in entries):
                continue  # shown with its topic item
            by_section.setdefault(unit.section, []).append(unit)
        for section, units in by_section.items():
            b.heading(_where(view, section))
            statements = [b.statement(view, u) for u in units if not b.is_used(view, u)]
            if any(u.kind in ("item", "row") for u in units):
                b.listing(statements)
            else:
                b.paragraph(statements)

    def _recommended_in(
        self,
        query: Query,
        views: list[tuple[int, Source, DocumentView]],
        per_doc: dict[str, list[tuple[DocumentView, Unit]]],
    ) -> None:
        """A paper card on the topic says where each roadmap recommends the paper: read those sections too."""
        library = self.library
        for _, source, card in views:
            if source.kind != Kind.PAPER_CARD or query.covers_topic(f"{card.title} {source.text}") < 0.5:
                continue
            for unit in card.units:
                match = re.match(r"Recommended in (.+?) under (.+)$", unit.text)
                if not match or library is None:
                    continue
                view = library.by_title(match.group(1))
                if view is None or not self.allowed(view.doc_id):
                    continue
                sections = [unnumbered(p) for p in match.group(2).split(";")]
                known = {(v.doc_id, u.start) for v, u in per_doc.get(view.doc_id, [])}
                for other in view.units:
                    if other.kind in ("heading", "intro") or (view.doc_id, other.start) in known:
                        continue
                    if any(unnumbered(other.section).endswith(sec) for sec in sections):
                        own = topic_text(other) if other.kind == "item" else other.text
                        if query.covers_topic(own) >= 0.6:
                            per_doc.setdefault(view.doc_id, []).append((view, other))

    def _path(self, query: Query, views: list[tuple[int, Source, DocumentView]], b: _Builder) -> bool:
        """Where the topic sits in each roadmap's order, and what comes before or after it."""
        text = query.text
        direction = (
            "order"
            if ORDER.search(text)
            else "before"
            if BEFORE.search(text)
            else "after"
            if AFTER.search(text)
            else "at"
        )
        docs = self._path_docs(views)
        nth = NTH.search(text)
        answered = False
        if direction == "order":
            return self._order(docs, b)
        for view, retrieved in docs:
            spot = _nth_item(view, nth.group(1), int(nth.group(2))) if nth else _position(query, view, retrieved)
            if spot is None:
                continue
            unit, siblings = spot
            i = siblings.index(unit)
            if direction == "order":
                chosen = siblings[:12]
            elif direction == "before":  # what comes before, ending on where the topic sits
                chosen = siblings[max(0, i - 5) : i + 1] if i else []
            elif direction == "after":
                chosen = siblings[i + 1 : i + (2 if unit.kind == "heading" else 3)]
            elif nth:
                chosen = [unit]
            else:
                chosen = siblings[max(0, i - 1) : i + 2]
            if not chosen:
                continue
            b.heading(_where(view, unit.section if unit.kind != "heading" else _parent(unit.section)))
            b.listing([self._path_statement(view, u, b) for u in chosen])
            answered = True
            if nth or (self.named and len(self.named) == 1):
                break
        return answered

    def _order(self, docs: list[tuple[DocumentView, bool]], b: _Builder) -> bool:
        """A roadmap's own order: its learning-path or timeline list, else its numbered top-level sections."""
        answered = False
        for view, retrieved in docs:
            if not retrieved:
                continue
            ordered = next(
                (
                    view.group(u.group)
                    for u in view.units
                    if u.kind == "item" and _ORDERED.search(f"{u.intro} {u.section.split(' > ')[-1]}")
                ),
                None,
            )
            if ordered:
                items = [u for u in ordered if u.kind == "item" and not u.level]
                intro = next((u for u in ordered if u.kind == "intro"), None)
                b.heading(_where(view, items[0].section))
                b.listing([b.statement(view, u) for u in items], lead=b.statement(view, intro) if intro else None)
            else:
                tops = [u for u in view.units if u.kind == "heading" and _depth(u) == 1 and re.match(r"\d", u.text)]
                if len(tops) < 3:
                    continue
                b.heading(_where(view, ""))
                b.listing([b.statement(view, u) for u in tops[:20]])
            answered = True
        return answered

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
        # Top-level items (their sub-items are in _compact's details already) and subheadings
        children = [
            u
            for u in _section_units(view, unit)
            if (u.kind == "heading" and u.level <= 2) or (u.kind == "item" and not u.level)
        ][:6]
        statement = b.statement(view, unit)
        if not children:
            return statement
        numbers = set(statement.citations)
        for child in children:
            numbers.add(b.number(view, child))
        names = "; ".join(_compact(c) for c in children)
        return Statement(f"{unit.text}: {names}", tuple(sorted(numbers)))


def _without_chatter(blocks: list[Block], question: str) -> list[Block]:
    """Whatever shape picked them, the author's story, the article talking about itself and a reader's comment
    never answer (prose.is_chatter); a heading left with nothing under it goes too."""
    out: list[Block] = []
    for block in blocks:
        if block.kind in ("heading", "note"):
            out.append(block)
            continue
        kept = tuple(s for s in block.statements if not is_chatter(s.text, question))
        lead = block.lead if block.lead is None or not is_chatter(block.lead.text, question) else None
        if kept or (lead and block.kind == "paragraph"):
            out.append(Block(block.kind, kept, block.title, lead))
    return without_bare_headings(out)


def _short_list(view: DocumentView, unit: Unit) -> bool:
    """An item of a short list of short items (a module's topics, the career paths): its list is the answer's
    unit, shown whole with its lead, since one item out of five reads as the whole answer."""
    if unit.kind != "item" or unit.level:
        return False
    items = [u for u in view.group(unit.group) if u.kind == "item" and not u.level]
    return 2 <= len(items) <= _SHORT_LIST and all(len(u.text.split()) <= _SHORT_ITEM for u in items)


def _compact(unit: Unit) -> str:
    """An item inside a longer line: "Model Hosting (NVIDIA Triton, TGI)"."""
    return f"{unit.text} ({', '.join(unit.details)})" if unit.kind == "item" and unit.details else unit.text


def _parent(section: str) -> str:
    return SECTION_SEPARATOR.join(section.split(SECTION_SEPARATOR)[:-1])


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


def _section_units(view: DocumentView, heading: Unit) -> list[Unit]:
    i = view.index_of(heading)
    out = []
    for unit in view.units[i + 1 :]:
        if unit.kind == "heading" and unit.level <= heading.level:
            break
        out.append(unit)
    return out


def _own(unit: Unit) -> str:
    return topic_text(unit) if unit.kind == "item" else unit.text


def _depth(unit: Unit) -> int:
    return len([p for p in unit.section.split(SECTION_SEPARATOR) if p])


def _nth_item(view: DocumentView, word: str, number: int) -> tuple[Unit, list[Unit]] | None:
    """ "Month 6" in a timeline ("Month 1–2: ...", "Month 6: ..."), and its list."""
    for unit in view.units:
        match = re.match(rf"{word}s?\s+(\d+)(?:\s*[–-]\s*(\d+))?\b", unit.text, re.I)
        if unit.kind == "item" and match and int(match.group(1)) <= number <= int(match.group(2) or match.group(1)):
            return unit, [u for u in view.group(unit.group) if u.kind == "item" and not u.level]
    return None


def _position(query: Query, view: DocumentView, retrieved: bool = True) -> tuple[Unit, list[Unit]] | None:
    """The heading or ordered item that names the topic, and its siblings in document order. In a roadmap
    that retrieval did not bring, only a heading or item that names the whole topic counts."""
    best: tuple[float, Unit, list[Unit]] | None = None
    floor = 0.5 if retrieved else 0.99
    headings = [u for u in view.units if u.kind == "heading" and not _SKIP_SECTIONS.search(u.text)]
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
    for unit in view.units:
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
