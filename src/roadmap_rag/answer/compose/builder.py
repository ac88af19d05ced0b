"""What every shape builds with: the blocks and citations of an answer (``_Builder``) and where a quote sits."""

from __future__ import annotations

from dataclasses import dataclass, field

from roadmap_rag.answer.citations import looks_like_instruction
from roadmap_rag.retrieve.library import DocumentView, Library, to_source
from roadmap_rag.retrieve.questions import Shape
from roadmap_rag.text.units import Unit, topic_text
from roadmap_rag.types import SECTION_SEPARATOR, Block, Source, Statement


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
        return self._number_at(view, unit.start, unit.end)

    def _number_at(self, view: DocumentView, start: int, end: int) -> int:
        """The citation number of the source that holds ``view``'s text from ``start`` to ``end``; the chunk that
        holds ``start`` becomes a new source where none does."""
        for n, source in enumerate(self.sources, start=1):
            if source.doc_id == view.doc_id and source.start <= start and end <= source.end:
                return n
        self.sources.append(to_source(view.chunk_at(start)))
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
        if unit.kind == "row":  # a record reads its labels from the table's header: cite the header's chunk too
            first = next((u for u in view.group(unit.group) if u.kind == "row"), unit)
            if first.start > 0:
                header = view.chunk_at(first.start - 1).start
                numbers.add(self._number_at(view, header, header + 1))
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


def _section_units(view: DocumentView, heading: Unit) -> list[Unit]:
    i = view.index_of(heading)
    out = []
    for unit in view.units[i + 1 :]:
        if unit.kind == "heading" and unit.level <= heading.level:
            break
        out.append(unit)
    return out


def _depth(unit: Unit) -> int:
    return len([p for p in unit.section.split(SECTION_SEPARATOR) if p])
