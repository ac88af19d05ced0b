"""Documents to chunks that follow the document's structure.

Headings are found three ways: markdown ``#`` lines, numbered lines ("6." and
"6.2 Scaling & Efficiency") and short title-case lines followed by text. Each
section is packed into chunks of about ``chunk_size`` characters, cut between
lines (then sentences, then words), never right after a heading. A chunk's text
is always ``document.text[start:end]``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from roadmap_rag.corpus.documents import Document
from roadmap_rag.text.words import STOPWORDS
from roadmap_rag.types import SECTION_SEPARATOR, Kind

_MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_NUM_TOP = re.compile(r"^(\d{1,2})\.\s+(\S.*)$")
_NUM_SUB = re.compile(r"^(\d{1,2})\.(\d{1,2})\.?\s+(\S.*)$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+")
# Words a title leaves lower-case ("Tools for the Job").
_MINOR_WORDS = STOPWORDS | {"vs", "vs."}
# Part of every chunk id: when the way passages are read changes, the next ingest re-embeds every chunk
# (an id that changed is a new chunk) instead of keeping passages read the old way.
PASSAGE_RECIPE = "units-1"
# Papers' passages: runs of whole sentences of about this many characters (see Chunk.passages).
PAPER_RECIPE = "sentences-1"
PAPER_PASSAGE_CHARS = 280


@dataclass(frozen=True)
class Chunk:
    id: str
    doc_id: str
    doc_title: str
    kind: Kind
    section: str
    text: str
    start: int
    end: int
    ordinal: int
    page: int | None = None
    url: str | None = None
    aliases: tuple[str, ...] = ()  # the document's names (from the manifest), for questions that name it
    source: str = ""  # the file the document was read from

    def embedding_text(self) -> str:
        """What the embedder and BM25 read: the text under its section path.

        The document title is left out: it is shared by every chunk of a document and
        pulls unrelated chunks together (measured on the eval set: hit@5 0.646 -> 0.684, dense only).
        """
        return f"{self.section}\n{self.text}" if self.section else self.text

    def passages(self) -> list[str]:
        """One short passage per line, prefixed with the section, for line-level dense matching; each line
        read through the text units (``units``): links as their text, table rows as records, no markup.

        Roadmaps are lists: a question usually matches one line of a chunk, and a whole-chunk
        vector blurs it (measured: dense hit@5 0.646 -> 0.772 with the best line per chunk). One passage
        per sentence or item instead of per line measured worse (eval/README.md).

        A paper is prose: a line is a paragraph of 600 characters in which the sentence a question asks
        about is diluted ("How are LoRA's matrices initialized?" scored 0.29 against its paragraph). Its
        passages are runs of whole sentences of about PAPER_PASSAGE_CHARS, and its chunk vector is their mean
        (``pooled``), so each paper sentence is embedded once.
        """
        from roadmap_rag.text.units import parse

        prefix = f"{self.section}: " if self.section else ""
        if self.kind == Kind.PAPER:
            return [f"{prefix}{text}" for text in sentence_runs(self.text)]
        by_line: dict[int, list[str]] = {}
        for unit in parse(self.text):  # heading lines too: a chunk of headings alone still has passages
            by_line.setdefault(self.text.count("\n", 0, unit.start), []).append(unit.text)
        texts = (" ".join(parts) for _, parts in sorted(by_line.items()))
        return [f"{prefix}{text}" for text in texts if sum(ch.isalnum() for ch in text) >= 4]

    @property
    def pooled(self) -> bool:
        """The chunk's vector is the mean of its passages' vectors, not an embedding of its own."""
        return self.kind == Kind.PAPER


def sentence_runs(text: str, size: int = PAPER_PASSAGE_CHARS) -> list[str]:
    """Consecutive whole sentences of each paragraph of ``text`` (heading lines aside), about ``size`` long."""
    from roadmap_rag.text.sentences import sentence_spans

    runs: list[str] = []
    for line in text.split("\n"):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        current = ""
        for a, b in sentence_spans(line):
            sentence = line[a:b]
            if current and len(current) + len(sentence) > size:
                runs.append(current)
                current = ""
            current = f"{current} {sentence}" if current else sentence
        if current:
            runs.append(current)
    return [r for r in runs if sum(ch.isalnum() for ch in r) >= 4] or [text.strip()]


@dataclass(frozen=True)
class _Line:
    start: int
    end: int
    text: str


def _lines(text: str) -> list[_Line]:
    lines, pos = [], 0
    for raw in text.split("\n"):
        lines.append(_Line(pos, pos + len(raw), raw))
        pos += len(raw) + 1
    return lines


def _is_title_like(text: str) -> bool:
    s = text.strip()
    if not (2 <= len(s) <= 70) or s[0] in "-*+>|!([`" or ". " in s:
        return False
    if s.endswith((".", ",", ";")) or (":" in s[:-1]):
        return False
    words = [w for w in re.split(r"\s+", s.rstrip(":?")) if any(c.isalpha() for c in w)]
    if not words or len(words) > 9:
        return False
    significant = [w for i, w in enumerate(words) if i == 0 or w.lower() not in _MINOR_WORDS]
    capitalised = sum(1 for w in significant if not w[0].isalpha() or w[0].isupper())
    return capitalised == len(significant)


def _clean_title(text: str) -> str:
    return re.sub(r"[*_`]", "", text).strip().rstrip(":").strip()


def find_headings(doc: Document) -> dict[int, tuple[int, str]]:
    """Line index -> (level, title) for every heading line of ``doc``."""
    return text_headings(doc.text, doc.is_markdown)


def text_headings(text: str, is_markdown: bool = False) -> dict[int, tuple[int, str]]:
    """Line index -> (level, title) for every heading line of ``text`` (a document's, or a part of one)."""
    lines = _lines(text)
    if is_markdown:
        return _markdown_headings(lines)
    headings: dict[int, tuple[int, str]] = {}
    last_top = 0
    numbered_depth = 0
    for i, line in enumerate(lines):
        s = line.text.strip()
        if not s or i == 0:
            continue  # the first line is the document's title, not a section
        prev_blank = not lines[i - 1].text.strip()
        nxt = next((ln.text.strip() for ln in lines[i + 1 :] if ln.text.strip()), "")
        next_is_text = i + 1 < len(lines) and bool(lines[i + 1].text.strip())
        if (m := _NUM_SUB.match(s)) and len(s) <= 80 and int(m.group(1)) == last_top:
            headings[i] = (2, _clean_title(s))
            numbered_depth = 2
            continue
        if (m := _NUM_TOP.match(s)) and len(s) <= 80 and int(m.group(1)) == last_top + 1:
            opens_subsections = nxt.startswith(f"{m.group(1)}.1 ")
            if prev_blank or opens_subsections:
                headings[i] = (1, _clean_title(s))
                last_top = int(m.group(1))
                numbered_depth = 1
                continue
        if _is_title_like(s) and next_is_text and not _NUM_TOP.match(s):
            headings[i] = (numbered_depth + 1, _clean_title(s))
    return headings


def _markdown_headings(lines: list[_Line]) -> dict[int, tuple[int, str]]:
    headings: dict[int, tuple[int, str]] = {}
    in_fence = False
    for i, line in enumerate(lines):
        if _FENCE.match(line.text):
            in_fence = not in_fence
        elif not in_fence and (m := _MD_HEADING.match(line.text)):
            headings[i] = (len(m.group(1)), _clean_title(m.group(2)))
    return headings


def _split_long(start: int, text: str, limit: int) -> list[tuple[int, int]]:
    """Cut one over-long line into spans at sentence ends, then at spaces."""
    spans: list[tuple[int, int]] = []
    pieces = [(m.start(), m.end()) for m in re.finditer(r"\S.*?(?:[.!?;](?=\s)|$)", text)]
    for a, b in pieces or [(0, len(text))]:
        while b - a > limit:
            cut = text.rfind(" ", a, a + limit)
            cut = cut if cut > a else a + limit
            spans.append((start + a, start + cut))
            a = cut + 1 if text[cut : cut + 1] == " " else cut
        if b > a:
            spans.append((start + a, start + b))
    return spans


Units = list[tuple[int, int, bool]]  # (start, end, is_heading) of each line or line piece
Section = tuple[str, Units]  # section path and its units, in document order


def chunk_document(doc: Document, chunk_size: int = 600, chunk_max: int = 900) -> list[Chunk]:
    """Split ``doc`` into chunks with heading paths, offsets and stable ids."""
    sections = _merge_short_sections(_sections(doc, chunk_size, chunk_max), chunk_size, doc)
    spans: list[tuple[str, int, int]] = []
    for section in sections:
        _add_section(spans, _pack(section, doc, chunk_size, chunk_max), doc, chunk_size, chunk_max)
    return _chunks(doc, spans)


def _sections(doc: Document, chunk_size: int, chunk_max: int) -> list[Section]:
    """The document's lines grouped under their section paths; over-long lines cut at sentences."""
    headings = find_headings(doc)
    sections: list[Section] = []
    current: Units = []
    stack: list[tuple[int, str]] = []
    path = ""
    for i, line in enumerate(_lines(doc.text)):
        if i in headings:
            level, title = headings[i]
            if any(not h for _, _, h in current):
                sections.append((path, current))
                current = []
            # A heading with no body yet (e.g. "6." right before "6.1") stays with what follows.
            stack = [(lv, t) for lv, t in stack if lv < level]
            if title.casefold() != doc.title.casefold():  # an H1 repeating the title adds nothing
                stack.append((level, title))
            path = SECTION_SEPARATOR.join(t for _, t in stack)
            current.append((line.start, line.end, True))
        elif line.text.strip():
            if line.end - line.start > chunk_max:
                current.extend((a, b, False) for a, b in _split_long(line.start, line.text, chunk_max))
            else:
                current.append((line.start, line.end, False))
    if current:
        sections.append((path, current))
    # A preamble that is only the title line goes with the first section.
    if len(sections) > 1 and not sections[0][0]:
        units = sections[0][1]
        if units[-1][1] - units[0][0] < chunk_size // 4:
            sections[1] = (sections[1][0], units + sections[1][1])
            sections.pop(0)
    return sections


def _pack(section: Section, doc: Document, chunk_size: int, chunk_max: int) -> list[tuple[str, int, int]]:
    """(section, start, end) of each chunk of one section: about ``chunk_size`` long, at most ``chunk_max``,
    a new one at a page change, never one of headings alone."""
    path, units = section
    out: list[tuple[str, int, int]] = []
    start = end = -1
    only_headings = True
    for a, b, is_heading in units:
        if start >= 0:
            page_change = doc.pages and doc.page_at(a) != doc.page_at(start)
            full = end - start >= chunk_size or b - start > chunk_max or page_change
            if full and not only_headings:
                out.append((path, start, end))
                start, only_headings = -1, True
        start = a if start < 0 else start
        end = b
        only_headings = only_headings and is_heading
    if start >= 0:
        out.append((path, start, end))
    return out


def _add_section(
    spans: list[tuple[str, int, int]], packed: list[tuple[str, int, int]], doc: Document, size: int, limit: int
) -> None:
    """Append one section's chunks; a short last one joins the chunk before it (of the same section path)
    when they share a page and the two fit."""
    spans.extend(packed[:-1])
    path, start, end = packed[-1]
    if spans and spans[-1][0] == path:
        _, prev_start, _ = spans[-1]
        if end - start < size // 4 and end - prev_start <= limit and doc.page_at(prev_start) == doc.page_at(start):
            spans[-1] = (path, prev_start, end)
            return
    spans.append((path, start, end))


def _chunks(doc: Document, spans: list[tuple[str, int, int]]) -> list[Chunk]:
    """Chunks with ids from their content: the same text under the same section keeps its id across runs."""
    chunks: list[Chunk] = []
    seen: dict[str, int] = {}
    for section, start, end in spans:
        text = doc.text[start:end]
        recipe = PAPER_RECIPE if doc.kind == Kind.PAPER else PASSAGE_RECIPE
        digest = hashlib.sha256(f"{doc.id}\0{section}\0{text}\0{recipe}".encode()).hexdigest()[:16]
        repeat = seen.get(digest, 0)
        seen[digest] = repeat + 1
        chunks.append(
            Chunk(
                id=f"{doc.id}:{digest}" + (f"-{repeat + 1}" if repeat else ""),
                doc_id=doc.id,
                doc_title=doc.title,
                kind=doc.kind,
                section=section,
                text=text,
                start=start,
                end=end,
                ordinal=len(chunks),
                page=doc.page_at(start),
                url=doc.url,
                aliases=doc.aliases,
                source=str(doc.source),
            )
        )
    return chunks


def _merge_short_sections(sections: list[Section], chunk_size: int, doc: Document) -> list[Section]:
    """Fold a short section into the subsections that follow it, under the parent's path.

    "2. Deep Learning Foundations: you need to be fluent in:" alone is a chunk no question
    matches; with its first subsections it answers "do I need CNNs?". Subsection headings
    stay in the text. Merging stops at half a chunk, at a page change, or at a non-descendant.
    """
    merged: list[Section] = []
    for path, units in sections:
        if merged:
            parent, body = merged[-1]
            length = body[-1][1] - body[0][0]
            descendant = bool(parent) and path.startswith(parent + SECTION_SEPARATOR)
            same_page = not doc.pages or doc.page_at(body[0][0]) == doc.page_at(units[0][0])
            if descendant and same_page and length < chunk_size // 2 and units[-1][1] - body[0][0] <= chunk_size:
                merged[-1] = (parent, body + units)
                continue
        merged.append((path, units))
    return merged
