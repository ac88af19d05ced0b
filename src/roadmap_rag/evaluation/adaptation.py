"""The pairs the embedder is adapted on (index/adaptation.py), read from the shipped corpus's own structure:
no question and no generator. ``roadmap-rag eval adaptation-pairs`` writes them into the package."""

from __future__ import annotations

from roadmap_rag.index.adaptation import Pair
from roadmap_rag.retrieve.library import Library
from roadmap_rag.text.units import topic_text
from roadmap_rag.types import SECTION_SEPARATOR, Kind, unnumbered


def corpus_pairs(library: Library) -> list[Pair]:
    """Anchor -> positive, from the roadmaps and the paper cards, in document order, each pair once:
    - a section's heading (its leaf, with its parent heading) -> each sentence, item or row in it;
    - a list's introducing line -> each of its items;
    - a topic item ("Linear Algebra") -> each of its details ("Resource: 3Blue1Brown ...");
    - a card's short name and title -> what the paper introduced."""
    out: list[Pair] = []
    for doc_id in library.doc_ids(Kind.ROADMAP):
        for unit in library.view(doc_id).units:
            if unit.kind not in ("sentence", "item", "row") or len(unit.text.split()) < 3:
                continue
            parts = [p for p in unnumbered(unit.section).split(SECTION_SEPARATOR) if p]
            if parts:
                out.append((" ".join(parts[-2:]), topic_text(unit) if unit.kind == "item" else unit.text))
            if unit.kind == "item" and unit.intro and not unit.level:
                out.append((unit.intro, topic_text(unit)))
            if unit.kind == "item" and unit.level and unit.parent:
                out.append((unit.parent, unit.text))
    for doc_id in library.doc_ids(Kind.PAPER_CARD):
        units = library.view(doc_id).units
        title = next((u.text for u in units if u.kind == "heading"), "")
        introduced = next((u.text for u in units if "introduced" in u.text), "")
        if title and introduced:
            out.append((f"{library.title(doc_id).split(' (')[0]}: {title}", introduced))
    return list(dict.fromkeys(out))
