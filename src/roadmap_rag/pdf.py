"""Page texts of a PDF to clean text: running headers and footers, page numbers and
line-end hyphenation removed, lines reflowed into paragraphs, numbered section titles
turned into markdown headings so the chunker can follow the paper's structure."""

from __future__ import annotations

import re
from collections import Counter

_PAGE_NUMBER = re.compile(r"^(?:page\s+)?\d{1,4}(?:\s*(?:/|of)\s*\d{1,4})?$", re.IGNORECASE)
_NUMBERED = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,2})\.?\s+([A-Z][^\n]{1,80})$")
_NAMED = re.compile(
    r"^(abstract|introduction|related work|background|method|methods|experiments|results|discussion|"
    r"conclusions?|limitations|acknowledge?ments|references|appendix)$",
    re.IGNORECASE,
)
_EDGE = 2  # lines at the top and bottom of a page where running headers/footers live


def _shape(line: str) -> str:
    """A line with its digits masked: 'Page 3' and 'Page 4' are the same running footer."""
    return re.sub(r"\d+", "#", line.strip().casefold())


def _running_lines(pages: list[list[str]]) -> set[str]:
    """Shapes of short lines that open or close at least half the pages (three pages or more)."""
    if len(pages) < 3:
        return set()
    counts: Counter[str] = Counter()
    for lines in pages:
        edges = {_shape(x) for x in lines[:_EDGE] + lines[-_EDGE:] if x.strip() and len(x) <= 80}
        counts.update(edges)
    return {shape for shape, n in counts.items() if n >= max(3, len(pages) / 2)}


def _heading(line: str, last_top: int) -> tuple[int, int] | None:
    """(level, new last top-level number) when ``line`` is a section title."""
    s = line.strip()
    if _NAMED.match(s):
        return 1, last_top
    m = _NUMBERED.match(s)
    if not m or s.endswith((".", ",", ";", ":")) or len(s.split()) > 12:
        return None
    numbers = [int(n) for n in m.group(1).split(".")]
    if sum(c.isdigit() for c in m.group(2)) > len(m.group(2)) / 3:
        return None  # a table row or an equation
    if len(numbers) == 1 and numbers[0] not in (last_top, last_top + 1):
        return None  # "2017 Conference ..." or a numbered list item out of sequence
    if len(numbers) > 1 and numbers[0] != last_top:
        return None
    return len(numbers), numbers[0]


def clean_pages(page_texts: list[str]) -> list[str]:
    """Cleaned text of each page (same count and order as ``page_texts``)."""
    pages = [[line.rstrip() for line in text.split("\n")] for text in page_texts]
    running = _running_lines(pages)
    last_top = 0
    out: list[str] = []
    for lines in pages:
        kept = [x for i, x in enumerate(lines) if not _dropped(x, i, len(lines), running)]
        width = sorted(len(x) for x in kept if x.strip())[len(kept) // 2] if kept else 0
        paragraphs: list[str] = []
        current = ""
        for line in kept:
            s = line.strip()
            if not s:
                current = _close(current, paragraphs)
                continue
            if (found := _heading(s, last_top)) is not None:
                level, last_top = found
                current = _close(current, paragraphs)
                paragraphs.append(f"{'#' * level} {s}")
                continue
            if current.endswith("-") and s[:1].islower():
                current = current[:-1] + s  # "adap-" + "tation"
            else:
                current = f"{current} {s}" if current else s
            if s.endswith((".", "!", "?", ":")) and len(s) < 0.8 * width:
                current = _close(current, paragraphs)  # a short line ending a sentence ends a paragraph
        _close(current, paragraphs)
        out.append("\n".join(paragraphs))
    return out


def _dropped(line: str, index: int, count: int, running: set[str]) -> bool:
    s = line.strip()
    at_edge = index < _EDGE or index >= count - _EDGE
    return bool(s) and at_edge and (_shape(s) in running or bool(_PAGE_NUMBER.match(s)))


def _close(current: str, paragraphs: list[str]) -> str:
    if current:
        paragraphs.append(current)
    return ""
