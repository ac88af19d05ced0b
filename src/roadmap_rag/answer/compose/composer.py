"""The grounded composer: the answer when no LLM is used, shaped like the question.

It reads the question's shape from its wording, finds in the retrieved chunks *where* the answer is,
and reads the answer from the document's structure there (``library``): a whole list with the line
that introduces it, a topic with its resources, the sections before or after a topic, each roadmap's
own words side by side. Every statement is a unit of a source and cites it; nothing is invented, and
the text between statements (headings naming a roadmap and section) is ours and cites nothing.

Shapes: ``list`` ("which ...", "name ...", "what are the ..."), ``about`` ("what does the roadmap say
about X"), ``compare`` (several roadmaps), ``path`` (before / after / next / order / month N),
``paper`` ("which paper ...", "where can I read ..."), and ``fact`` (the most informative sentences).
Each shape is a module of this package holding one mixin of ``_Compose``; this one picks the shape.
"""

from __future__ import annotations

from collections.abc import Sequence, Set
from dataclasses import replace
from typing import Literal

from roadmap_rag.answer import ranking
from roadmap_rag.answer.compose.about import AboutShape
from roadmap_rag.answer.compose.builder import Composition, _Builder
from roadmap_rag.answer.compose.fact import FactShape
from roadmap_rag.answer.compose.lists import ListShape
from roadmap_rag.answer.compose.overview import OverviewShape
from roadmap_rag.answer.compose.paper import PaperShape
from roadmap_rag.answer.compose.path import PathShape
from roadmap_rag.answer.compose.section import SectionShape
from roadmap_rag.answer.compose.verdict import VerdictShape
from roadmap_rag.retrieve import paper_sentences
from roadmap_rag.retrieve.followups import question_parts
from roadmap_rag.retrieve.library import Library
from roadmap_rag.retrieve.questions import question_shape
from roadmap_rag.retrieve.routing import asks_roadmaps, names_a_paper
from roadmap_rag.text.prose import asks_quantity, is_chatter
from roadmap_rag.types import Block, Kind, Source, Statement, without_bare_headings

# The shapes whose answer ends on the cards of the papers its quotes name (PaperShape._quoted_papers).
_QUOTED_PAPERS = ("fact", "about", "compare", "paper", "list")


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
        compositions = []
        for part in question_parts(question):  # "whats X and where do i learn it": each ask answered in turn
            composer = self._compose(library, named, lines, doc_ids, kinds)
            composer.cards_named = tuple(cards)
            compositions.append(composer.run(part, sources))
        return _merged(compositions)

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


class _Compose(AboutShape, PaperShape, ListShape, FactShape, VerdictShape, SectionShape, PathShape, OverviewShape):
    """One composition: the question's state (state._State), shared by the shape methods (one mixin per shape
    module), and the shape it picks."""

    def run(self, question: str, sources: Sequence[Source]) -> Composition:
        self.text = question
        library = self.library
        shape = question_shape(question, self.named)
        text_kinds = {s.kind for s in sources if s.kind != Kind.PAPER_CARD}
        if text_kinds == {Kind.PAPER} and shape in ("paper", "about", "list"):
            shape = "fact"  # a question routed to a paper's text asks what the paper says, not which paper
        elif self._card_answers(question, shape, text_kinds):
            shape = "paper"
        query = self.query(question, sources)
        builder = _Builder(library, list(sources))
        views = self._views(sources, library)
        if self._whole_roadmap(query, shape, builder):
            return Composition(_without_chatter(builder.blocks, question), builder.sources, shape)
        composed = {
            "list": self._list,
            "paper": self._paper,
            "about": self._about,
            "compare": self._about,
            "path": self._path,
            "fact": self._fact,
        }[shape](query, views, builder)
        if not composed or not any(b.statements or b.lead for b in _without_chatter(builder.blocks, question)):
            builder = _Builder(library, list(sources))  # nothing the failed attempt added stays
            self._fact(query, views, builder)
            composed = False
        if (shape in _QUOTED_PAPERS or not composed) and not self.papers:
            self._quoted_papers(query, builder)
        blocks = _without_chatter(builder.blocks, question)
        return Composition(blocks, builder.sources, shape)

    def _card_answers(self, question: str, shape: str, text_kinds: Set[Kind]) -> bool:
        """Whether the card of a paper the question names answers it: "the lora paper, what does it do?", "who
        wrote the bert paper?", "tell me about the gpt3 paper", "how big was the gpt3 model". A question about
        what the roadmaps say of the paper stays theirs."""
        if not self.cards_named:
            return False
        roadmaps = asks_roadmaps(question)
        as_paper = names_a_paper(question) and not text_kinds & {Kind.PAPER}
        if as_paper and (shape in ("fact", "list") or (shape == "about" and not roadmaps)):
            return True
        return shape in ("fact", "list") and asks_quantity(question) and not roadmaps


def _merged(compositions: list[Composition]) -> Composition:
    """The answers to each ask of a question one after the other, on one list of sources (a later answer's
    citations renumbered into it); a statement an earlier answer made is not made again, and what a later answer
    says under a heading an earlier one has (a paper's card, a roadmap's section) goes under that heading."""
    first, *rest = compositions
    sources = list(first.sources)
    said = {s.text for b in first.blocks for s in (*b.statements, *([b.lead] if b.lead else []))}
    sections = _sections(first.blocks)
    for composition in rest:
        numbers: dict[int, int] = {}
        for n, source in enumerate(composition.sources, start=1):
            at = next((i for i, s in enumerate(sources, start=1) if s.id == source.id), 0)
            if not at:
                sources.append(source)
                at = len(sources)
            numbers[n] = at

        blocks = []
        for block in composition.blocks:
            kept = tuple(_renumbered(s, numbers) for s in block.statements if s.text not in said)
            lead = _renumbered(block.lead, numbers) if block.lead and block.lead.text not in said else None
            if block.kind in ("heading", "note") or kept:
                blocks.append(Block(block.kind, kept, block.title, lead if kept else None))
                said |= {s.text for s in kept}
        for section in _sections(blocks):
            head = section[0]
            same = next((s for s in sections if head.kind == "heading" and head.title and s[0] == head), None)
            if same is None:
                sections.append(section)
            else:
                same.extend(section[1:])
    return Composition(without_bare_headings([b for section in sections for b in section]), sources, first.shape)


def _sections(blocks: Sequence[Block]) -> list[list[Block]]:
    """``blocks`` cut before each heading: each part opens on its heading (the first may open on none)."""
    sections: list[list[Block]] = []
    for block in blocks:
        if block.kind == "heading" or not sections:
            sections.append([])
        sections[-1].append(block)
    return sections


def _renumbered(statement: Statement, numbers: dict[int, int]) -> Statement:
    return replace(statement, citations=tuple(sorted({numbers[n] for n in statement.citations})))


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
