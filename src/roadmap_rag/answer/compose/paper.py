"""The ``paper`` shape: the catalog's cards of the papers on the topic or named, after what the roadmaps say."""

from __future__ import annotations

import re

from roadmap_rag.answer.compose.builder import _Builder
from roadmap_rag.answer.compose.lists import ListShape
from roadmap_rag.corpus.catalog import CARD_PREFIX, PAPER_PREFIX
from roadmap_rag.retrieve.library import DocumentView, mentions
from roadmap_rag.retrieve.questions import Query
from roadmap_rag.retrieve.routing import names_a_paper
from roadmap_rag.text.units import topic_text
from roadmap_rag.types import Kind, Source, Statement, section_leaf, unnumbered

# "Which papers are recommended for chain-of-thought prompting?": papers on a topic, in the roadmaps' words first.
_ON_A_TOPIC = re.compile(r"\bpapers\b|\brecommend", re.IGNORECASE)
_WHERE_RECOMMENDED = re.compile(r"\brecommend|\bwhere\b.*\broadmaps?\b|\bwhich roadmaps?\b", re.IGNORECASE)
# A card's title is "<short name> (<authors>, <year>)": the short name is how the roadmaps write it.
_CITATION = re.compile(r"\s*\([^()]*\d{4}\)$")
# The cards an answer adds for the papers its quotes name.
_QUOTED_CARDS = 3


class PaperShape(ListShape):
    """The paper shape's methods (the about shape adds the cards with ``_cards``)."""

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
            items += _card_items(view, b, named_only, named_only or bool(_WHERE_RECOMMENDED.search(query.text)))
        if items:
            b.heading("Papers")
            b.listing(items)

    def _quoted_papers(self, query: Query, b: _Builder) -> None:
        """The cards of the papers the answer's roadmap quotes name ("Quantization: LLM.int8() Paper; GPTQ
        Paper", a section "Retrieval-Augmented Generation (RAG)"), where the quote is on the question's topic:
        what each paper introduced, so a learner told to read it knows what it is."""
        # (text, roadmap title, section path unnumbered, whether its own label is the topic)
        quoted: list[tuple[str, str, str, bool]] = []
        for doc_id, start in sorted(b.used, key=lambda u: u[1]):
            if self.library.kind(doc_id) != Kind.ROADMAP:
                continue
            view = self.library.view(doc_id)
            unit = view.unit_at(start)
            if unit is not None:
                text = f"{topic_text(unit)} {section_leaf(unit.section)}"
                if query.covers_topic(text) >= 0.5:
                    # "Quantization: LLM.int8() Paper; GPTQ Paper" is about the topic, its papers its resources;
                    # "Multi-modal Models: GPT-4V; Claude 3 Opus Vision; CLIP Paper" only names it among them.
                    label = unit.text if unit.kind == "item" and unit.details else section_leaf(unit.section)
                    quoted.append((text, view.title, unnumbered(unit.section), query.covers_topic(label) >= 0.5))
        if not quoted:
            return
        found: list[tuple[int, DocumentView]] = []
        used_docs = {doc_id for doc_id, _ in b.used}
        for doc_id in self.doc_ids(Kind.PAPER_CARD):
            if doc_id in used_docs:
                continue
            name = _CITATION.sub("", self.library.title(doc_id))
            first = next((i for i, q in enumerate(quoted) if mentions(q[0], name, case=" " not in name)), None)
            if first is None:
                continue
            view = self.library.view(doc_id)
            _, title, section, labelled = quoted[first]
            # A quote about the topic whose section recommends the paper ("Quantization: LLM.int8() Paper" under
            # Scaling & Efficiency), or a paper on the topic itself: a quote on MoE naming Llama 2 brings no card.
            places = recommended_places(view) if labelled else []
            here = any(t == title and _within(section, sec) for t, sections in places for sec in sections)
            about = " ".join(u.text for u in view.units if u.kind == "heading" or "introduced" in u.text)
            if here or query.covers_topic(about) >= 0.5:
                found.append((first, view))
        items = []
        for _, view in sorted(found, key=lambda f: f[0])[:_QUOTED_CARDS]:
            items += _card_items(view, b)
        if not items:
            return
        headings = [block for block in b.blocks if block.kind == "heading"]
        if headings and headings[-1].title == "Papers" and b.blocks[-1].kind == "list":
            last = b.blocks.pop()  # the cards on the topic are listed already: one list of papers
            items = [*last.statements, *items]
        else:
            b.heading("Papers")
        b.listing(items)


def recommended_places(card: DocumentView) -> list[tuple[str, list[str]]]:
    """Where a card says the roadmaps recommend its paper: (roadmap title, its sections unnumbered), one per
    "Recommended in <title> under <section>; <section>" line (no sections: the roadmap as a whole)."""
    places = []
    for unit in card.units:
        match = re.match(r"Recommended in (.+?)(?: under (.+))?$", unit.text)
        if match:
            places.append((match.group(1), [unnumbered(p) for p in (match.group(2) or "").split(";") if p.strip()]))
    return places


def _within(section: str, place: str) -> bool:
    """``section`` is ``place`` or lies under it, or ends on it (a card may name a section without its roadmap's
    title heading: "Prerequisites" for "Large Language Models (LLM) Roadmap > Prerequisites")."""
    return f" > {place} > " in f" > {section} > " or section.endswith(place)


def _card_items(view: DocumentView, b: _Builder, authors: bool = False, places: bool = False) -> list[Statement]:
    """A card as a list: its title with who and when, what the paper introduced, its link (``authors``: all of
    them; ``places``: where the roadmaps recommend it)."""
    units = view.units
    items = []
    title = next((u for u in units if u.kind == "heading"), None)
    cite_line = next((u for u in units if u.kind == "sentence" and re.search(r"\(.*\d{4}\)", u.text)), None)
    intro = next((u for u in units if "introduced" in u.text), None)
    link = next((u for u in units if u.text.lower().startswith(("arxiv", "link"))), None)
    if title is not None and cite_line is not None and not b.is_used(view, title):
        who = re.search(r"\(([^()]*\d{4})\)", cite_line.text)
        text = f"{title.text} ({who.group(1)})" if who else title.text
        items.append(b.statement(view, title, text=text))
    who_wrote = next((u for u in units if u.text.startswith("Authors:")), None) if authors else None
    items += [b.statement(view, u) for u in (intro, who_wrote, link) if u is not None and not b.is_used(view, u)]
    if places:
        shown = [u for u in units if u.text.startswith("Recommended in")]
        items += [b.statement(view, u) for u in shown if not b.is_used(view, u)]
    return items
