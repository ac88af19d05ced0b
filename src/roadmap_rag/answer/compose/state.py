"""One composition's state: the question, the user's filters, and the units an answer may quote, scored."""

from __future__ import annotations

import re
from collections.abc import Sequence

from roadmap_rag.answer import ranking
from roadmap_rag.answer.citations import looks_like_instruction
from roadmap_rag.retrieve import paper_sentences
from roadmap_rag.retrieve.library import DocumentView, Library
from roadmap_rag.retrieve.query_text import loose_name
from roadmap_rag.retrieve.questions import Query, respelt, terms
from roadmap_rag.text.prose import is_chatter
from roadmap_rag.text.units import Unit, is_bare_title, readable, topic_text
from roadmap_rag.types import NAVIGATION, Kind, Source, section_leaf

# The learned unit ranker (ranking.py): its chance blends into the lexical-and-dense score (_BLEND); the fact
# shape picks the units by it too (fact.py). Chosen on the golden set and the learner dev split (eval/README.md),
# never the frozen split.
_BLEND = 0.25


class _State:
    """One composition: the question's state, and the units every shape chooses among, scored."""

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
        question = respelt(question, library.vocabulary(terms).keys())  # "curiculum": the curriculum
        text_kinds = {s.kind for s in sources if s.kind != Kind.PAPER_CARD}
        # The name of a document the question names ("the complete roadmap") is not its topic; a word outside
        # the name is, though it shares a stem with one inside ("compression" in the comprehensive roadmap).
        names = [
            _with_title_words(match, library.view(doc_id).title, question)
            for doc_id in library.doc_ids(Kind.ROADMAP)
            for alias in library.view(doc_id).aliases
            for match in re.finditer(rf"\b{loose_name(alias)}\b", question, re.IGNORECASE)
        ]
        rest = question
        for name in names:
            rest = rest.replace(name, " ")
        stop = {stem for name in names for stem in terms(name)} - set(terms(rest))
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

    def _views(self, sources: Sequence[Source], library: Library) -> list[tuple[int, Source, DocumentView]]:
        out = []
        for n, source in enumerate(sources, start=1):
            if n > self.max_sources and source.kind != Kind.PAPER_CARD:
                continue
            if source.doc_id in library:
                out.append((n, source, library.view(source.doc_id)))
        return out

    def _units(self, views: list[tuple[int, Source, DocumentView]]) -> list[tuple[int, DocumentView, Unit]]:
        seen: set[tuple[str, int]] = set()
        out = []
        for n, source, view in views:
            for unit in readable(view.units_between(source.start, source.end)):
                key = (view.doc_id, unit.start)
                if key in seen or NAVIGATION.search(section_leaf(unit.section)):
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
            if unit.kind != "intro" and is_chatter(unit.text, query.text):
                continue  # never quoted (composer._without_chatter): chosen, it would leave the answer empty
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


def _with_title_words(match: re.Match[str], title: str, question: str) -> str:
    """A name as the question writes it, with the words of the document's title typed beside it ("the
    comprehensive curriculum": "Comprehensive ... Roadmap" is named "curriculum")."""
    own = set(re.findall(r"[a-z0-9-]+", title.lower()))
    start, end = match.start(), match.end()
    while (before := re.search(r"([A-Za-z0-9-]+)\s+$", question[:start])) and before.group(1).lower() in own:
        start = before.start(1)
    while (after := re.match(r"\s+([A-Za-z0-9-]+)", question[end:])) and after.group(1).lower() in own:
        end += after.end(1)
    return question[start:end]
