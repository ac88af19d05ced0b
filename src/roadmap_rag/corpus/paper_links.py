"""Find the papers a roadmap refers to and resolve them through the catalog.

Explicit references are arXiv links and ids, DOIs, and names written as references:
"Resource: GPTQ Paper", "**Attention Is All You Need (Paper)**", the "original
transformer paper", "Attention is All You Need (Vaswani et al., 2017)". Each is
resolved by arXiv id, DOI or name; one that matches no catalog entry is reported as
unresolved rather than guessed. A catalog name appearing in running text ("LoRA",
"Chain-of-Thought") is a mention: the roadmap names the idea without recommending
the paper.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import yaml

from roadmap_rag.corpus.catalog import Catalog, Paper, SectionRef, load_catalog, name_key
from roadmap_rag.corpus.chunking import Chunk, chunk_document
from roadmap_rag.corpus.documents import Document, discover, iter_documents, load_manifest
from roadmap_rag.errors import InputFileError
from roadmap_rag.settings import Settings
from roadmap_rag.text.words import STOPWORDS
from roadmap_rag.types import Kind

RefKind = Literal["arxiv", "doi", "name", "mention"]

_ARXIV = re.compile(r"(?:arxiv\.org/(?:abs|pdf)/|\barXiv:\s?)(\d{4}\.\d{4,5})(?:v\d+)?", re.IGNORECASE)
_DOI = re.compile(r"\b(10\.\d{4,9}/[^\s\"<>)\]]+)")
_RESOURCE = re.compile(r"^\s*[-*]?\s*Resource:\s*(.+?)\s*$")
_QUOTED_PAPER = re.compile(r"[“\"]([^”\"]{3,120})[”\"]\s+paper\b", re.IGNORECASE)
_BOLD_PAPER = re.compile(r"\*\*([^*]{3,120}?)\s*\(paper\)\*\*", re.IGNORECASE)
_LINK_PAPER = re.compile(r"\[([^\]]{2,120}?\bpapers?)\]\(", re.IGNORECASE)
_WORD_PAPER = re.compile(r"\b(?:the\s+original\s+)?([A-Za-z][\w\-]*)\s+papers?\b", re.IGNORECASE)
_AUTHOR_YEAR = re.compile(r"([A-Z][^.:;()\n]{2,100}?)\s*\(([A-Z][\w\-]+(?: et al\.?| and [A-Z][\w\-]+)?),? (\d{4})\)")
# Words before "paper" that do not name one ("key papers", "survey papers", "read many papers").
_GENERIC = STOPWORDS | set(
    [
        "any",
        "arxiv",
        "each",
        "first",
        "good",
        "key",
        "many",
        "other",
        "read",
        "reading",
        "research",
        "same",
        "some",
        "such",
        "survey",
        "white",
        "original",
    ]
)


@dataclass(frozen=True)
class Reference:
    doc: str
    section: str
    text: str  # as written in the roadmap
    kind: RefKind
    papers: tuple[str, ...]  # catalog ids; empty when unresolved
    offset: int = 0

    @property
    def resolved(self) -> bool:
        return bool(self.papers)


@dataclass
class ScanResult:
    references: list[Reference] = field(default_factory=list)

    @property
    def explicit(self) -> list[Reference]:
        return [r for r in self.references if r.kind != "mention"]

    @property
    def unresolved(self) -> list[Reference]:
        return [r for r in self.explicit if not r.resolved]

    def cited_by(self, paper_id: str) -> list[SectionRef]:
        return _unique(SectionRef(r.doc, r.section) for r in self.explicit if paper_id in r.papers)

    def mentioned_in(self, paper_id: str) -> list[SectionRef]:
        cited = set(self.cited_by(paper_id))
        places = (SectionRef(r.doc, r.section) for r in self.references if r.kind == "mention" and paper_id in r.papers)
        return [s for s in _unique(places) if s not in cited]

    def resolved_papers(self) -> set[str]:
        return {p for r in self.explicit for p in r.papers}


def _unique(items: Iterable[SectionRef]) -> list[SectionRef]:
    return list(dict.fromkeys(items))


def _resolve_name(text: str, catalog: Catalog) -> list[Paper]:
    """By the whole name, then the part before a parenthesis, then each name listed inside it."""
    if found := catalog.by_name(text):
        return found
    head, _, rest = text.partition("(")
    if rest and (found := catalog.by_name(head)):
        return found
    inner = rest.rsplit(")", 1)[0]
    parts = [p for p in re.split(r",|\band\b", inner) if name_key(p) not in ("", "etc", "etc.")]
    return list(dict.fromkeys(p for part in parts for p in catalog.by_name(part)))


def _explicit(line: str, catalog: Catalog) -> Iterable[tuple[int, str, RefKind, list[Paper] | None]]:
    """(offset in line, text, kind, papers) for each reference written on ``line``; papers None
    means the line does not actually name a paper (a non-paper resource)."""
    for m in _ARXIV.finditer(line):
        paper = catalog.by_arxiv(m.group(1))
        yield m.start(), m.group(0), "arxiv", [paper] if paper else []
    for m in _DOI.finditer(line):
        paper = catalog.by_doi(m.group(1))
        yield m.start(), m.group(1), "doi", [paper] if paper else []
    if resource := _RESOURCE.match(line):
        name = resource.group(1)
        found = _resolve_name(name, catalog)
        if found or re.search(r"\bpapers?\b", name, re.IGNORECASE):
            yield resource.start(1), name, "name", found
        return  # the rest of a Resource line is its name
    spans: list[tuple[int, int]] = []
    for pattern in (_QUOTED_PAPER, _BOLD_PAPER, _LINK_PAPER, _AUTHOR_YEAR, _WORD_PAPER):
        for m in pattern.finditer(line):
            if any(a <= m.start() < b for a, b in spans):
                continue
            spans.append((m.start(), m.end()))
            name = m.group(1)
            if pattern is _WORD_PAPER and name_key(name) in _GENERIC | {""}:
                continue
            yield m.start(), name, "name", _resolve_name(name, catalog)


def _mentions(text: str, catalog: Catalog) -> Iterable[tuple[int, str, Paper]]:
    for paper in catalog.papers:
        for name in dict.fromkeys((paper.title, *paper.names)):
            flags = 0 if " " not in name.strip() else re.IGNORECASE
            pattern = re.compile(rf"(?<![\w-]){re.escape(name)}(?![\w-])", flags)
            for m in pattern.finditer(text):
                yield m.start(), m.group(0), paper


def _section_at(chunks: list[Chunk], offset: int) -> str:
    section = ""
    for chunk in chunks:
        if chunk.start > offset:
            break
        section = chunk.section
    return section


def scan_document(doc: Document, catalog: Catalog, chunk_size: int = 600, chunk_max: int = 900) -> list[Reference]:
    """Every reference in ``doc`` in text order, each placed in its section."""
    chunks = chunk_document(doc, chunk_size, chunk_max)
    refs: list[Reference] = []
    pos = 0
    for line in doc.text.split("\n"):
        for offset, text, kind, papers in _explicit(line, catalog):
            at = pos + offset
            ids = tuple(p.id for p in papers or [])
            refs.append(Reference(doc.id, _section_at(chunks, at), text.strip(), kind, ids, at))
        pos += len(line) + 1
    explicit_places = {(r.section, p) for r in refs for p in r.papers}
    for offset, text, paper in _mentions(doc.text, catalog):
        section = _section_at(chunks, offset)
        if (section, paper.id) not in explicit_places:
            refs.append(Reference(doc.id, section, text, "mention", (paper.id,), offset))
    return sorted(refs, key=lambda r: (r.offset, r.kind))


def scan(documents: Iterable[Document], catalog: Catalog, chunk_size: int = 600, chunk_max: int = 900) -> ScanResult:
    result = ScanResult()
    for doc in documents:
        if doc.kind == Kind.ROADMAP:
            result.references.extend(scan_document(doc, catalog, chunk_size, chunk_max))
    return result


def write_places(catalog: Catalog, result: ScanResult) -> int:
    """Rewrite each entry's cited_by / mentioned_in in the catalog file, keeping everything else
    (comments included) as it is. Returns the number of entries whose places changed."""
    lines = catalog.path.read_text(encoding="utf-8").split("\n")
    out: list[str] = []
    current: str | None = None
    changed = 0
    by_id = {p.id: p for p in catalog.papers}

    def flush() -> None:
        nonlocal changed
        if current is None or current not in by_id:
            return
        while out and not out[-1].strip():
            out.pop()
        cited, mentioned = result.cited_by(current), result.mentioned_in(current)
        paper = by_id[current]
        changed += (list(paper.cited_by), list(paper.mentioned_in)) != (cited, mentioned)
        for key, places in (("cited_by", cited), ("mentioned_in", mentioned)):
            if places:
                out.append(f"    {key}:")
                for place in places:
                    item = {"doc": place.doc, "section": place.section}
                    dumped = yaml.safe_dump(item, default_flow_style=True, width=10**6, allow_unicode=True).strip()
                    out.append(f"      - {dumped}")

    skipping = False
    for line in lines:
        if m := re.match(r"^  - id:\s*(\S+)", line):
            flush()
            current, skipping = m.group(1).strip("\"'"), False
        elif re.match(r"^    (cited_by|mentioned_in):", line):
            skipping = True
            continue
        elif skipping and line.startswith("      "):
            continue
        else:
            skipping = False
        out.append(line)
    flush()
    text = "\n".join(out).rstrip("\n") + "\n"
    Path(catalog.path).write_text(text, encoding="utf-8")
    return changed


def scan_corpus(settings: Settings) -> tuple[Catalog, ScanResult, list[InputFileError]]:
    """Scan the corpus's roadmaps against the catalog; unreadable roadmaps come back as errors."""
    catalog = load_catalog(settings.papers_catalog)
    papers_root = settings.papers_catalog.parent.resolve()
    files, errors = discover([settings.corpus_dir], settings)
    files = [f for f in files if papers_root not in f.parents]
    docs: list[Document] = []
    for item in iter_documents(files, settings, load_manifest(settings.corpus_dir)):
        if isinstance(item, InputFileError):
            errors.append(item)
        else:
            docs.append(item)
    return catalog, scan(docs, catalog, settings.chunk_size, settings.chunk_max), errors
