"""Each roadmap's heading tree, rebuilt from the indexed chunks' section paths (for the app's browser)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from roadmap_rag.corpus.chunking import Chunk
from roadmap_rag.types import SECTION_SEPARATOR


@dataclass
class Heading:
    title: str
    path: str  # "1. Foundations > 1.2 Linear Algebra"
    depth: int
    children: list[Heading] = field(default_factory=list)


@dataclass
class Outline:
    doc_id: str
    title: str
    kind: str
    url: str | None
    headings: list[Heading]

    def walk(self) -> list[Heading]:
        out: list[Heading] = []
        stack = list(reversed(self.headings))
        while stack:
            node = stack.pop()
            out.append(node)
            stack.extend(reversed(node.children))
        return out


def outlines(chunks: Sequence[Chunk]) -> list[Outline]:
    """One outline per document, headings in reading order."""
    by_doc: dict[str, list[Chunk]] = {}
    for chunk in chunks:
        by_doc.setdefault(chunk.doc_id, []).append(chunk)
    result = []
    for doc_id, doc_chunks in by_doc.items():
        doc_chunks.sort(key=lambda c: c.start)
        roots: list[Heading] = []
        seen: dict[str, Heading] = {}
        for chunk in doc_chunks:
            parts = [p.strip() for p in chunk.section.split(SECTION_SEPARATOR) if p.strip()]
            siblings = roots
            for depth in range(len(parts)):
                path = SECTION_SEPARATOR.join(parts[: depth + 1])
                if path not in seen:
                    seen[path] = Heading(parts[depth], path, depth)
                    siblings.append(seen[path])
                siblings = seen[path].children
        first = doc_chunks[0]
        result.append(Outline(doc_id, first.doc_title, first.kind, first.url, roots))
    return sorted(result, key=lambda o: (o.kind, o.title))
