"""How the Assistant answers one request: the request and its clock, an LLM's answer checked as it streams, and
the helpers that shape the answer and its messages."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from roadmap_rag.answer.citations import Checked, StreamCheck, verify
from roadmap_rag.answer.compose import Composition
from roadmap_rag.answer.coverage import note
from roadmap_rag.answer.generation import LLM
from roadmap_rag.answer.generation.base import Truncated
from roadmap_rag.errors import BackendUnavailable
from roadmap_rag.observe.tracing import Trace
from roadmap_rag.retrieve.library import Library
from roadmap_rag.settings import Settings
from roadmap_rag.text.words import acronyms
from roadmap_rag.types import Answer, Block, Kind, Place, Source, Timings, Turn, render_blocks

# An LLM's token budget, in multiples of setting max_tokens, by the shape of the question: a list, a comparison or
# a learning path takes more words than a fact.
BUDGET = {"fact": 2, "about": 3, "paper": 3, "list": 4, "compare": 5, "path": 5}


@dataclass(frozen=True)
class Request:
    """One question as ``stream`` received it, checked."""

    question: str
    history: list[Turn]
    llm: str | None
    k: int | None
    doc_ids: tuple[str, ...]
    kinds: tuple[str, ...]
    standalone: str  # the question answered: the question itself unless it is a follow-up

    def answer(self, text: str, **fields: Any) -> Answer:
        """The Answer to this request, its history extended by this turn (and where its answer sits)."""
        places: list[Place] = fields.get("places") or []
        first = next((p for p in places if p.section), None)
        turn = Turn(self.question, text, first.section if first else "", first.roadmap if first else "")
        standalone = self.standalone if self.standalone != self.question else ""
        return Answer(text=text, history=[*self.history, turn], standalone=standalone, **fields)


class Clock:
    """Seconds since the question arrived, recorded into Timings."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.timings = Timings()

    def now(self) -> float:
        return time.perf_counter() - self.started

    def first_token(self) -> None:
        """The first text is ready (the earliest call counts)."""
        self.timings.first_token = self.timings.first_token or self.now()

    def done(self) -> Timings:
        self.timings.total = self.now()
        self.timings.first_token = self.timings.first_token or self.timings.total
        return self.timings


def in_reading_order(checked: Checked) -> list[Source]:
    """The cited sources in the order the answer's statements first cite them."""
    by_number = {c.number: c.source for c in checked.citations}
    statements = (s for b in checked.blocks for s in ((b.lead,) if b.lead else ()) + b.statements)
    numbers = dict.fromkeys(n for statement in statements for n in statement.citations)
    return [by_number[n] for n in numbers if n in by_number]


def noted(checked: Checked, missing: list[str]) -> Checked:
    """The checked answer, opening with what its sources do not cover (a note of ours, citing nothing)."""
    if not missing:
        return checked
    blocks = [Block("note", title=note(missing)), *checked.blocks]
    return replace(checked, text=render_blocks(blocks), blocks=blocks)


def roadmap_names(library: Library) -> dict[str, str]:
    """Each roadmap's names: its aliases, short title, title, and title with the acronym it defines."""
    names: dict[str, str] = {}
    for doc_id in library.doc_ids(Kind.ROADMAP):
        view = library.view(doc_id)
        short = view.title  # "Large Language Models (LLM) Roadmap" is also "LLM Roadmap"
        for acronym, long in acronyms(view.title).items():
            short = re.sub(rf"{re.escape(long)}\s*\({re.escape(acronym)}s?\)", acronym, short)
        for name in (*view.aliases, view.short_title.removeprefix("the "), view.title, short):
            names.setdefault(name.casefold(), doc_id)
    return names


def listed(values: Sequence[str], most: int = 5) -> str:
    """Values as a message names them: quoted, escaped (a control character or a lone surrogate shows as
    its escape), each cut to 60 characters, at most ``most`` of them."""
    shown = ", ".join(repr(v[:60] + ("..." if len(v) > 60 else "")) for v in values[:most])
    return shown + (f" and {len(values) - most} more" if len(values) > most else "")


def by_statement(text: str, clock: Clock) -> Iterator[str]:
    """A checked answer as it is streamed: a statement (a line: a lead, a list item, a sentence) at a time, so
    a page shows it grow as an LLM's does. The pieces join to ``text``; the first marks the first token."""
    for n, line in enumerate(text.splitlines(keepends=True) or [text]):
        if n == 0:
            clock.first_token()
        yield line


def generate(
    backend: LLM,
    request: Request,
    composition: Composition,
    clock: Clock,
    notes: list[str],
    trace: Trace,
    settings: Settings,
    names: Callable[[], dict[str, str]],
) -> Generator[str, None, tuple[Checked, list[Source], str]]:
    """An LLM's answer, checked claim by claim as it streams: the learner sees each statement once it is
    checked, never the model's unchecked text; the composer's answer when nothing the model wrote is supported."""
    question, sources = request.standalone, composition.sources
    streaming = StreamCheck(sources, question, names())
    truncated = False
    budget = settings.max_tokens * BUDGET.get(composition.shape, BUDGET["fact"])
    with trace.stage("generate", backend=backend.name, budget=budget):
        try:
            hint = render_blocks(composition.blocks)
            for delta in backend.stream(question, sources, request.history, hint=hint, budget=budget):
                truncated = truncated or isinstance(delta, Truncated)
                shown = streaming.feed(delta)
                if shown:
                    clock.first_token()
                    yield shown
        except BackendUnavailable as exc:
            if (request.llm or settings.llm) == "ollama":
                raise
            notes.append(f"{backend.name} failed ({exc}); answered from the sources without an LLM.")
            streaming = StreamCheck(sources, question, names())
    with trace.stage("verify"):
        checked, rest = streaming.finish(truncated)
    if truncated:
        notes.append(
            f"{backend.name} reached its length limit ({budget} tokens), so its answer ends at its last complete "
            "sentence; ask for less at once, or raise ROADMAP_RAG_MAX_TOKENS."
        )
    if checked.citations:
        if rest:
            clock.first_token()
            yield rest
        return checked, sources, backend.name
    # Nothing the model said could be traced to a source: answer from the sources themselves.
    if streaming.text.strip():
        notes.append(f"{backend.name} gave no supported sentence; answered from the sources without an LLM.")
    with trace.stage("verify", fallback=True):
        checked = verify(composition.blocks, composition.sources, question, names=names())
    yield from by_statement(("\n\n" if streaming.shown else "") + checked.text, clock)
    return checked, composition.sources, f"extractive (after {backend.name})"
