"""The ``list`` shape: a topic item with its details, a named section, or the whole list that answers best."""

from __future__ import annotations

from roadmap_rag.answer.compose.builder import _Builder, _where
from roadmap_rag.answer.compose.fact import FactShape
from roadmap_rag.retrieve.library import DocumentView
from roadmap_rag.retrieve.questions import Query
from roadmap_rag.text.units import Unit, topic_text
from roadmap_rag.types import Source, section_leaf


class ListShape(FactShape):
    """The list shape's methods (the paper shape shows a topic item with ``_focus``); a fact answer else."""

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
