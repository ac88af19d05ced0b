"""The public data model: what a question returns."""

from __future__ import annotations

import re
from collections.abc import Callable, Generator, Iterator
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any, Literal

from roadmap_rag.text.sentences import split_sentences
from roadmap_rag.text.units import SECTION_SEPARATOR as SECTION_SEPARATOR  # re-exported: part of the data model


class Kind(StrEnum):
    """What a document is. A str, so it compares, hashes and serialises as its value."""

    ROADMAP = "roadmap"
    PAPER = "paper"  # a paper's full text
    PAPER_CARD = "paper-card"  # a few catalog lines about a paper: title, authors, year, arXiv link


def section_parts(section: str) -> list[str]:
    """The headings of a section path, outermost first."""
    return [part for part in section.split(SECTION_SEPARATOR) if part]


def unnumbered(section: str) -> str:
    """'5. Large Language Models > 5.3 Training Techniques' -> 'Large Language Models > Training Techniques'."""
    parts = (re.sub(r"^\d+(?:\.\d+)*\.?\s+", "", part.strip()) for part in section.split(SECTION_SEPARATOR))
    return SECTION_SEPARATOR.join(p for p in parts if p)


# A document's table of contents: the names of its sections, which say nothing of what they hold.
NAVIGATION = re.compile(r"table of contents|^contents$", re.IGNORECASE)


def section_leaf(section: str) -> str:
    """The innermost heading of a section path ("" for none)."""
    parts = section_parts(section)
    return parts[-1] if parts else ""


@dataclass(frozen=True)
class Source:
    """A retrieved passage, as shown to the model and to the user."""

    id: str
    doc_id: str
    title: str
    section: str
    text: str
    score: float
    kind: Kind = Kind.ROADMAP
    page: int | None = None
    url: str | None = None
    start: int = 0
    end: int = 0

    def label(self) -> str:
        """'Roadmap title — section', or for a paper 'LoRA (Hu et al., 2021), p. 4 — section'."""
        where = f" — {self.section}" if self.section else ""
        page = f", p. {self.page}" if self.page is not None else ""
        return f"{self.title}{page}{where}" if self.kind == Kind.PAPER else f"{self.title}{where}{page}"


@dataclass(frozen=True)
class Citation:
    number: int  # the [n] in the answer text; 1-based index into Answer.sources
    source: Source
    quote: str  # the span of the source that supports the cited sentence


@dataclass(frozen=True)
class Statement:
    """One claim of an answer: a sentence or a list item, with the sources that support it."""

    text: str  # plain text, no markup
    citations: tuple[int, ...] = ()  # [n] numbers, 1-based into Answer.sources
    links: tuple[tuple[str, str], ...] = ()  # (text, url) pairs from the source, for the app to link


@dataclass(frozen=True)
class Removed:
    """A statement the claim check removed, and why ("'GPT-5' is not in source [2]")."""

    text: str
    reason: str


BlockKind = Literal["heading", "paragraph", "list", "note"]


@dataclass(frozen=True)
class Block:
    """A piece of an answer's structure. ``heading`` names where the next blocks come from (a roadmap
    and section: our words, no citation); ``paragraph`` is statements; ``list`` is an optional
    introducing ``lead`` and its items; ``note`` is a sentence of ours in ``title`` that claims nothing
    from a source ("The roadmaps do not mention Llama 3's release date.")."""

    kind: BlockKind
    statements: tuple[Statement, ...] = ()
    title: str = ""
    lead: Statement | None = None

    def render(
        self,
        statement: Callable[[Statement], str] | None = None,
        heading: Callable[[str], str] = lambda title: f"{title}:",
    ) -> str:
        """Plain text by default: a heading line ends with ':', items start with '- ', every claim carries
        its [n]. ``statement`` and ``heading`` render the leaves otherwise (the app's escaped Markdown)."""
        statement = statement or cite
        if self.kind == "heading":
            return heading(self.title)
        if self.kind == "note":
            return self.title
        if self.kind == "paragraph":
            return " ".join(statement(s) for s in self.statements)
        lines = [statement(self.lead)] if self.lead else []
        lines += [f"- {statement(s)}" for s in self.statements]
        return "\n".join(lines)


def cite(statement: Statement) -> str:
    """'text [1][2].' with the markers before the closing punctuation of every sentence."""
    markers = "".join(f" [{n}]" for n in statement.citations)
    out = []
    for sentence in split_sentences(statement.text) or [statement.text]:
        text = sentence.rstrip()
        out.append(f"{text[:-1]}{markers}{text[-1]}" if text[-1:] in ".!?:" and markers else text + markers)
    return " ".join(out)


def without_bare_headings(blocks: list[Block]) -> list[Block]:
    """The blocks less each heading with nothing under it (a heading says where what follows comes from)."""
    return [
        b
        for i, b in enumerate(blocks)
        if b.kind != "heading" or (i + 1 < len(blocks) and blocks[i + 1].kind != "heading")
    ]


def render_blocks(blocks: list[Block]) -> str:
    return "\n\n".join(b.render() for b in blocks if b.kind != "heading" or b.title).replace(":\n\n", ":\n")


@dataclass(frozen=True)
class Place:
    """Where a passage sits in one roadmap's order (curriculum.Curriculum.place)."""

    doc_id: str
    roadmap: str  # how a learner names it: "the complete roadmap"
    section: str  # the passage's section path
    top: str  # the main section that holds it ("4. Transformers Architecture"); "" before the first one
    position: int  # 1-based among the roadmap's main sections; 0 when outside them
    sections: int  # how many main sections the roadmap has
    before: str | None  # the main section before, and after, in the roadmap's order
    after: str | None
    stage: str | None = None  # the level or timeline step the roadmap gives it ("Intermediate level", "Month 5")
    prerequisites: tuple[str, ...] = ()  # what the roadmap asks a learner to know first


@dataclass(frozen=True)
class Turn:
    """One earlier turn of a conversation. ``section`` and ``roadmap``: where its answer's first cited roadmap
    passage sits ("and after that?" continues from there); empty when unknown (a history from a client)."""

    question: str
    answer: str
    section: str = ""
    roadmap: str = ""


@dataclass
class Timings:
    """Seconds from the question to each stage's end; ``first_token`` is when the first text was ready."""

    retrieve: float = 0.0
    first_token: float = 0.0
    generate: float = 0.0  # the backend's own time (0 for a refusal)
    total: float = 0.0


@dataclass
class Answer:
    text: str
    citations: list[Citation]
    sources: list[Source]
    grounded: bool
    backend: str
    timings: Timings = field(default_factory=Timings)
    history: list[Turn] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # e.g. "Ollama unreachable; answered with llamacpp"
    blocks: list[Block] = field(default_factory=list)  # the answer's structure; ``text`` renders it
    places: list[Place] = field(default_factory=list)  # where the cited roadmap passages sit, one per roadmap
    id: str = ""  # the query log's record of this answer (feedback refers to it)
    # A follow-up is answered as a standalone question ("what comes after Prerequisites in the complete
    # roadmap?"): that question, shown to the learner as "Answering: ..."; empty when asked as it stands.
    standalone: str = ""
    # What the question asks that none of the cited sources holds ("Llama 3", "a price"): the answer says so first.
    uncovered: list[str] = field(default_factory=list)
    removed: list[Removed] = field(default_factory=list)  # what the claim check removed, each with its reason

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class AnswerStream:
    """An answer being written: iterate it for the text as it comes, then read ``.answer``.

    Reading ``.answer`` first (or after a partial read) finishes the answer; iterating again replays
    the text already written.
    """

    def __init__(self, events: Generator[str, None, Answer]) -> None:
        self._events = events
        self._deltas: list[str] = []
        self._answer: Answer | None = None

    def __iter__(self) -> Iterator[str]:
        yield from self._deltas[:]
        while self._answer is None:
            delta = self._next()
            if delta is not None:
                yield delta

    def _next(self) -> str | None:
        try:
            delta = next(self._events)
        except StopIteration as done:
            self._answer = done.value
            return None
        self._deltas.append(delta)
        return delta

    @property
    def answer(self) -> Answer:
        """The checked answer, once the text is complete."""
        while self._answer is None:
            self._next()
        return self._answer
