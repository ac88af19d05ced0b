"""The ``about`` and ``compare`` shapes: per roadmap, what it says or lists about the topic, with the papers."""

from __future__ import annotations

from roadmap_rag.answer.compose.builder import _Builder, _where
from roadmap_rag.answer.compose.paper import PaperShape, recommended_places
from roadmap_rag.retrieve.library import DocumentView
from roadmap_rag.retrieve.questions import Query, terms
from roadmap_rag.text.units import Unit, readable, topic_text
from roadmap_rag.types import NAVIGATION, Kind, Source, section_leaf, unnumbered


class AboutShape(PaperShape):
    """The about shape's methods."""

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
                and not NAVIGATION.search(u.section)
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
            for title, sections in recommended_places(card):
                view = library.by_title(title) if sections else None
                if view is None or not self.allowed(view.doc_id):
                    continue
                known = {(v.doc_id, u.start) for v, u in per_doc.get(view.doc_id, [])}
                for other in view.units:
                    if other.kind in ("heading", "intro") or (view.doc_id, other.start) in known:
                        continue
                    if any(unnumbered(other.section).endswith(sec) for sec in sections):
                        own = topic_text(other) if other.kind == "item" else other.text
                        if query.covers_topic(own) >= 0.6:
                            per_doc.setdefault(view.doc_id, []).append((view, other))


def _own(unit: Unit) -> str:
    return topic_text(unit) if unit.kind == "item" else unit.text
