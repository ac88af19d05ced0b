"""A section the question names ("what are scaling laws?"): its description, its lists and its subsections."""

from __future__ import annotations

from roadmap_rag.answer.compose.builder import _Builder, _depth, _section_units, _where
from roadmap_rag.answer.compose.path import PathShape
from roadmap_rag.retrieve.library import DocumentView
from roadmap_rag.retrieve.questions import Query
from roadmap_rag.text.units import Unit
from roadmap_rag.types import NAVIGATION, Kind, Source


class SectionShape(PathShape):
    """The section reading, which the fact and list shapes try first (a subsection's headings: PathShape)."""

    def _section(self, query: Query, views: list[tuple[int, Source, DocumentView]], b: _Builder) -> bool:
        """A question that names a section ("what are scaling laws?", "what does it list under deployment?")
        gets that section's own description and contents."""
        best: tuple[float, DocumentView, Unit] | None = None
        for n, source, view in views:
            if source.kind == Kind.PAPER_CARD:
                continue
            for unit in view.units:
                if unit.kind != "heading" or NAVIGATION.search(unit.text) or query.covers_topic(unit.text) < 0.99:
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
