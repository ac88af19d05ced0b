"""The paper catalog (corpus/papers/catalog.yaml): loading, lookups and paper cards."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from roadmap_rag.corpus.documents import Document, ManifestEntry
from roadmap_rag.errors import ConfigError
from roadmap_rag.types import Kind, unnumbered

ARXIV_ID = re.compile(r"^\d{4}\.\d{4,5}$")
_PDF_NAME = re.compile(r"^(\d{4}\.\d{4,5})(v\d+)?$")
CARD_PREFIX = "card-"
PAPER_PREFIX = "paper-"


@dataclass(frozen=True)
class SectionRef:
    """A place in a roadmap: document id and heading path."""

    doc: str
    section: str


@dataclass(frozen=True)
class Paper:
    id: str
    title: str
    short: str
    authors: tuple[str, ...]
    year: int
    introduces: str
    et_al: bool = False
    arxiv: str | None = None
    doi: str | None = None
    url: str | None = None
    names: tuple[str, ...] = ()
    cited_by: tuple[SectionRef, ...] = ()
    mentioned_in: tuple[SectionRef, ...] = ()

    @property
    def citation(self) -> str:
        """How answers cite it: 'LoRA (Hu et al., 2021)'."""
        surname = self.authors[0].split()[-1] if " " in self.authors[0] else self.authors[0]
        if len(self.authors) == 1 and not self.et_al:
            who = self.authors[0]  # a sole author is usually an organisation: "OpenAI", "BigScience Workshop"
        elif len(self.authors) == 2 and not self.et_al:
            who = f"{surname} and {self.authors[1].split()[-1]}"
        else:
            who = f"{surname} et al."
        return f"{self.short} ({who}, {self.year})"

    @property
    def link(self) -> str | None:
        if self.arxiv:
            return f"https://arxiv.org/abs/{self.arxiv}"
        return self.url or (f"https://doi.org/{self.doi}" if self.doi else None)

    @property
    def card_id(self) -> str:
        return f"{CARD_PREFIX}{self.id}"

    @property
    def doc_id(self) -> str:
        """The document id of the paper's full text."""
        return f"{PAPER_PREFIX}{self.id}"

    def all_names(self) -> tuple[str, ...]:
        return (self.title, self.short, *self.names)


@dataclass(frozen=True)
class Catalog:
    path: Path
    papers: tuple[Paper, ...]

    def get(self, paper_id: str) -> Paper | None:
        return next((p for p in self.papers if p.id == paper_id), None)

    def by_arxiv(self, arxiv_id: str) -> Paper | None:
        arxiv_id = re.sub(r"v\d+$", "", arxiv_id)
        return next((p for p in self.papers if p.arxiv == arxiv_id), None)

    def by_doi(self, doi: str) -> Paper | None:
        doi = doi.lower().rstrip(".")
        return next((p for p in self.papers if p.doi and p.doi.lower() == doi), None)

    def by_name(self, name: str) -> list[Paper]:
        """Papers whose title, short name or one of whose names equals ``name`` (normalised)."""
        key = name_key(name)
        return [p for p in self.papers if key and any(name_key(n) == key for n in p.all_names())]

    def for_pdf(self, path: Path) -> Paper | None:
        """The paper a PDF named by its arXiv id ('2106.09685.pdf') holds."""
        m = _PDF_NAME.match(path.stem)
        return self.by_arxiv(m.group(1)) if m and path.suffix.lower() == ".pdf" else None


def name_key(name: str) -> str:
    """Case, quotes, markup and the words 'paper', 'the original' do not matter in a name."""
    s = name.casefold()
    s = re.sub(r"[\"'“”‘’*_`]", "", s).replace("’s", "")
    s = re.sub(r"\((?:paper|[^()]*\bet al\.?[^()]*|\d{4})\)", " ", s)
    s = re.sub(r"\b(?:papers?|the original|original|the)\b", " ", s)
    s = re.sub(r"[\s\-–—:]+", " ", s)
    return s.strip(" .,;")


def _refs(value: Any, where: str) -> tuple[SectionRef, ...]:
    if value in (None, []):
        return ()
    if not isinstance(value, list) or not all(isinstance(v, dict) and "doc" in v for v in value):
        raise ConfigError(f"{where}: must be a list of {{doc: ..., section: ...}}")
    return tuple(SectionRef(str(v["doc"]), str(v.get("section") or "")) for v in value)


def load_catalog(path: Path) -> Catalog:
    """Read and check the catalog; every problem names the entry and field to fix."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc}); fix the file") from exc
    items = data.get("papers") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise ConfigError(f"{path}: expected a top-level 'papers:' list")
    papers: list[Paper] = []
    seen: set[str] = set()
    for i, item in enumerate(items):
        where = f"{path}: papers[{i}]" + (f" ({item.get('id')})" if isinstance(item, dict) and item.get("id") else "")
        if not isinstance(item, dict):
            raise ConfigError(f"{where}: each entry must be a mapping with id, title, ...")
        for key in ("id", "title", "short", "authors", "year", "introduces"):
            if not item.get(key):
                raise ConfigError(f"{where}: field '{key}' is missing; add it")
        if item["id"] in seen:
            raise ConfigError(f"{where}: id '{item['id']}' is used twice; ids must be unique")
        seen.add(item["id"])
        arxiv = item.get("arxiv")
        if arxiv is not None and not ARXIV_ID.match(str(arxiv)):
            raise ConfigError(f"{where}: arxiv '{arxiv}' is not an arXiv id like \"2106.09685\" (quote it)")
        if not isinstance(item["year"], int):
            raise ConfigError(f"{where}: year must be a number like 2021")
        authors, names = item["authors"], item.get("names") or []
        if not isinstance(authors, list) or not isinstance(names, list):
            raise ConfigError(f"{where}: authors and names must be lists, e.g. [Edward J. Hu, Yelong Shen]")
        papers.append(
            Paper(
                id=str(item["id"]),
                title=str(item["title"]),
                short=str(item["short"]),
                authors=tuple(str(a) for a in authors),
                year=item["year"],
                introduces=str(item["introduces"]),
                et_al=bool(item.get("et_al", False)),
                arxiv=str(arxiv) if arxiv else None,
                doi=item.get("doi"),
                url=item.get("url"),
                names=tuple(str(n) for n in names),
                cited_by=_refs(item.get("cited_by"), f"{where}: cited_by"),
                mentioned_in=_refs(item.get("mentioned_in"), f"{where}: mentioned_in"),
            )
        )
    return Catalog(path=path, papers=tuple(papers))


def _places(verb: str, refs: Iterable[SectionRef], titles: dict[str, str]) -> list[str]:
    """One line per roadmap: 'Recommended in <title> under <section>; <section>'."""
    by_doc: dict[str, list[str]] = {}
    for ref in refs:
        sections = by_doc.setdefault(ref.doc, [])
        if (path := unnumbered(ref.section)) and path not in sections:
            sections.append(path)
    lines = []
    for doc, sections in by_doc.items():
        where = f" under {'; '.join(sections)}" if sections else ""
        lines.append(f"{verb} {titles.get(doc, doc)}{where}")
    return lines


def card_text(paper: Paper, titles: dict[str, str]) -> str:
    """A short, searchable description: what the paper is and where the roadmaps point to it."""
    authors = ", ".join(paper.authors) + (" et al" if paper.et_al else "")
    lines = [
        f"# {paper.title}",  # the heading puts the paper's name in front of every line's passage
        f"{paper.citation}. This paper introduced {paper.introduces}.",
        f"Authors: {authors} ({paper.year})",
    ]
    if paper.arxiv:
        lines.append(f"arXiv {paper.arxiv}: https://arxiv.org/abs/{paper.arxiv}")
    elif paper.link:
        lines.append(f"Link: {paper.link}")
    lines += _places("Recommended in", paper.cited_by, titles)
    # Mentions stay in the catalog only: their section names pull cards into questions about those sections.
    return "\n".join(lines)


def card_documents(catalog: Catalog, titles: dict[str, str]) -> list[Document]:
    """One small document per catalog entry, kind 'paper-card'."""
    return [
        Document(
            id=p.card_id,
            title=p.citation,
            kind=Kind.PAPER_CARD,
            source=catalog.path,
            text=card_text(p, titles),
            url=p.link,
            is_markdown=True,
        )
        for p in catalog.papers
    ]


def pdf_manifest(catalog: Catalog, files: Iterable[Path]) -> dict[Path, ManifestEntry]:
    """Manifest entries for PDFs named by arXiv id, so they are titled and cited like the paper."""
    entries: dict[Path, ManifestEntry] = {}
    for file in files:
        paper = catalog.for_pdf(file)
        if paper is not None:
            entries[file.resolve()] = ManifestEntry(
                id=paper.doc_id, title=paper.citation, kind=Kind.PAPER, path=file.resolve(), url=paper.link
            )
    return entries
