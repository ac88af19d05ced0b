"""The indexed documents as structure: each document's text rebuilt from its chunks, read into units.

The composer answers from this view: a retrieved chunk says *where* to look, and the document's
units say what is there (a list that runs past the chunk, the sections before and after a topic).
Every unit maps back to the chunk that holds it, so whatever an answer says cites a real source.
"""

from __future__ import annotations

import bisect
import functools
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from roadmap_rag.corpus.chunking import Chunk, find_headings
from roadmap_rag.corpus.documents import Document
from roadmap_rag.text.units import Unit, parse
from roadmap_rag.text.words import acronyms
from roadmap_rag.types import Kind, Source

_MD_HEADING_LINE = re.compile(r"^#{1,6}\s", re.MULTILINE)


def to_source(chunk: Chunk, score: float = 0.0) -> Source:
    return Source(
        id=chunk.id,
        doc_id=chunk.doc_id,
        title=chunk.doc_title,
        section=chunk.section,
        text=chunk.text,
        score=round(score, 6),
        kind=chunk.kind,
        page=chunk.page,
        url=chunk.url,
        start=chunk.start,
        end=chunk.end,
    )


@dataclass
class DocumentView:
    doc_id: str
    title: str
    kind: str
    aliases: tuple[str, ...]
    chunks: list[Chunk]  # in document order
    units: list[Unit] = field(default_factory=list)
    text: str = ""
    _starts: list[int] = field(default_factory=list)

    @classmethod
    def build(cls, chunks: Sequence[Chunk]) -> DocumentView:
        ordered = sorted(chunks, key=lambda c: c.start)
        first = ordered[0]
        size = max(c.end for c in ordered)
        buffer = ["\n"] * size
        for chunk in ordered:
            buffer[chunk.start : chunk.end] = list(chunk.text)
        text = "".join(buffer)
        markdown = bool(_MD_HEADING_LINE.search(text))
        # The text rebuilt from the chunks, read for its headings only: no file behind it.
        doc = Document(
            id=first.doc_id, title=first.doc_title, kind=first.kind, source=Path(), text=text, is_markdown=markdown
        )
        view = cls(first.doc_id, first.doc_title, first.kind, first.aliases, ordered)
        view.units = parse(text, headings=find_headings(doc))
        view.text = text
        view._starts = [c.start for c in ordered]
        return view

    def chunk_at(self, offset: int) -> Chunk:
        i = max(0, bisect.bisect_right(self._starts, offset) - 1)
        return self.chunks[i]

    def line_key(self, unit: Unit) -> str:
        """The end of the line that holds ``unit``, as the line passages index it (for their similarity)."""
        end = self.text.find("\n", unit.end)
        return line_key(self.text[self.text.rfind("\n", 0, unit.start) + 1 : end if end >= 0 else None])

    def units_between(self, start: int, end: int) -> list[Unit]:
        return [u for u in self.units if start <= u.start and u.end <= end]

    def index_of(self, unit: Unit) -> int:
        return next(i for i, u in enumerate(self.units) if u.start == unit.start and u.kind == unit.kind)

    def unit_at(self, start: int) -> Unit | None:
        """The unit that starts at ``start`` (the first, where a heading and its line share it)."""
        return next((u for u in self.units if u.start == start), None)

    def group(self, group: int) -> list[Unit]:
        return [u for u in self.units if u.group == group and group >= 0]

    @functools.cached_property
    def acronyms(self) -> dict[str, str]:
        """The acronyms the document defines, with their long forms ("RoPE" -> "rotary position embedding")."""
        return acronyms(self.text)

    def spelled_out(self, text: str) -> str:
        """``text`` with the long form of each acronym it uses and the acronym of each long form it spells,
        so that "rotary position embedding" and "RoPE" match each other."""
        longs = [long for short, long in self.acronyms.items() if mentions(text, short, case=True)]
        return _with_words(self.abbreviated(text), longs)

    def abbreviated(self, text: str, names: str = "") -> str:
        """``text`` with the acronym of each long form it spells ("reward model" -> "RM"), but for an acronym
        found in ``names`` (the document's own names: "rotary position embedding" is everywhere in RoFormer)."""
        shorts = [short for short, long in self.acronyms.items() if short not in names and mentions(text, long)]
        return _with_words(text, shorts)

    @property
    def short_title(self) -> str:
        """How a learner names it: the first alias ("complete roadmap"), else the title."""
        return f"the {self.aliases[0]}" if self.aliases else self.title


def mentions(text: str, phrase: str, case: bool = False) -> bool:
    """``phrase`` stands in ``text`` as whole words (``case``: with its own capitals only)."""
    return bool(re.search(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])", text, 0 if case else re.IGNORECASE))


def _with_words(text: str, extra: Sequence[str]) -> str:
    return " ".join([text, *extra]) if extra else text


def line_key(line: str) -> str:
    return re.sub(r"[^a-z0-9]", "", line.lower())[-40:]


class Library:
    """Document views, built lazily and kept until the index changes: from a set of chunks, or
    (``Library.lazy``) from the registry of documents, loading a document's chunks when it is first read."""

    def __init__(self, chunks: Sequence[Chunk] = ()) -> None:
        self._by_doc: dict[str, list[Chunk]] = {}
        for chunk in chunks:
            self._by_doc.setdefault(chunk.doc_id, []).append(chunk)
        self._kinds = {d: str(cs[0].kind) for d, cs in self._by_doc.items()}
        self._titles = {d: cs[0].doc_title for d, cs in self._by_doc.items()}
        self._load: Callable[[str], list[Chunk]] | None = None
        self._views: dict[str, DocumentView] = {}
        self._lock = threading.RLock()
        self._df: dict[tuple[str, ...], tuple[dict[str, int], int]] = {}  # per document set: (df, units)
        self._spellings: frozenset[str] | None = None

    @classmethod
    def lazy(cls, documents: Mapping[str, tuple[str, str]], load: Callable[[str], list[Chunk]]) -> Library:
        """``documents``: doc id -> (kind, title); ``load`` reads one document's chunks from the store."""
        library = cls()
        library._kinds = {d: kind for d, (kind, _) in sorted(documents.items())}
        library._titles = {d: title for d, (_, title) in sorted(documents.items())}
        library._load = load
        return library

    def __contains__(self, doc_id: str) -> bool:
        return doc_id in self._kinds

    def doc_ids(self, kind: str | None = None) -> list[str]:
        return [d for d, k in self._kinds.items() if kind is None or k == kind]

    def kind(self, doc_id: str) -> str:
        return self._kinds[doc_id]

    def title(self, doc_id: str) -> str:
        return self._titles.get(doc_id, doc_id)

    def chunks(self, doc_id: str) -> list[Chunk]:
        with self._lock:
            if doc_id not in self._by_doc and self._load is not None and doc_id in self._kinds:
                self._by_doc[doc_id] = sorted(self._load(doc_id), key=lambda c: c.ordinal)
            return list(self._by_doc.get(doc_id, ()))

    def view(self, doc_id: str) -> DocumentView:
        """The document as units; an empty view for one the store no longer holds (the registry a reader
        serves lags behind an ingest that is deleting it)."""
        with self._lock:
            if doc_id not in self._views:
                chunks = self.chunks(doc_id)
                self._views[doc_id] = (
                    DocumentView.build(chunks)
                    if chunks
                    else DocumentView(doc_id, self._titles.get(doc_id, doc_id), self._kinds.get(doc_id, ""), (), [])
                )
            return self._views[doc_id]

    def by_title(self, title: str) -> DocumentView | None:
        for doc_id, doc_title in self._titles.items():
            if doc_title == title:
                return self.view(doc_id)
        return None

    def rarity(self, stem: str, terms: Callable[[str], list[str]], within: tuple[str, ...] = ()) -> float:
        """1.0 for a word that few units use, down to 0.2 for one that most use ("LLMs" in this corpus):
        a question's rare words are its topic. Counted over the roadmaps and cards (papers' prose aside), or
        over the documents ``within`` (a paper: "rotary" is in every other sentence of the RoPE paper)."""
        df, units = self._frequencies(terms, within)
        share = df.get(stem, 0) / units
        return max(0.2, min(1.0, 1.0 - (share - 0.03) * 6)) if share > 0.03 else 1.0

    def vocabulary(self, terms: Callable[[str], list[str]], within: tuple[str, ...] = ()) -> Mapping[str, int]:
        """Every stem the roadmaps and cards use (their units' text and headings), with how many units use it; or
        the stems of the documents ``within`` alone."""
        return self._frequencies(terms, within)[0]

    def spellings(self) -> frozenset[str]:
        """Every word the roadmaps and cards use, lower case, with each run of a repeated letter made one
        (``single_letters``): a learner's "begginer" and "acurate" are their "beginner" and "accurate"."""
        with self._lock:
            if self._spellings is None:
                self._spellings = frozenset(
                    single_letters(word)
                    for doc_id in self._kinds
                    if self._kinds[doc_id] != Kind.PAPER
                    for unit in self.view(doc_id).units
                    for word in _WHOLE_WORD.findall(unit.text.lower())
                )
            return self._spellings

    def _frequencies(self, terms: Callable[[str], list[str]], within: tuple[str, ...]) -> tuple[dict[str, int], int]:
        with self._lock:
            if within not in self._df:
                df: dict[str, int] = {}
                count = 0
                for doc_id in within or list(self._kinds):
                    if not within and self._kinds[doc_id] == Kind.PAPER:
                        continue  # papers' prose would shift the roadmaps' weights: rarity is the roadmaps'
                    for unit in self.view(doc_id).units:
                        count += 1
                        for word in set(terms(unit.text)):
                            df[word] = df.get(word, 0) + 1
                self._df[within] = (df, max(count, 1))
            return self._df[within]


_WHOLE_WORD = re.compile(r"[a-z][a-z0-9]+")
_REPEATED = re.compile(r"([a-z])\1+")


def single_letters(word: str) -> str:
    """ "begginer", "beginner" and "beginer" alike: each run of one repeated letter made one."""
    return _REPEATED.sub(r"\1", word.lower())
