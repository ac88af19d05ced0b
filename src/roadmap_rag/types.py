"""The public data model: what a question returns."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Source:
    """A retrieved passage, as shown to the model and to the user."""

    id: str
    doc_id: str
    title: str
    section: str
    text: str
    score: float
    kind: str = "roadmap"
    page: int | None = None
    url: str | None = None
    start: int = 0
    end: int = 0

    def label(self) -> str:
        """'Roadmap title — section', or for a paper 'LoRA (Hu et al., 2021), p. 4 — section'."""
        where = f" — {self.section}" if self.section else ""
        page = f", p. {self.page}" if self.page is not None else ""
        return f"{self.title}{page}{where}" if self.kind == "paper" else f"{self.title}{where}{page}"


@dataclass(frozen=True)
class Citation:
    number: int  # the [n] in the answer text; 1-based index into Answer.sources
    source: Source
    quote: str  # the span of the source that supports the cited sentence


@dataclass(frozen=True)
class Turn:
    question: str
    answer: str


@dataclass
class Answer:
    text: str
    citations: list[Citation]
    sources: list[Source]
    grounded: bool
    backend: str
    timings: dict[str, float] = field(default_factory=dict)
    history: list[Turn] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # e.g. "Ollama unreachable; answered with llamacpp"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
