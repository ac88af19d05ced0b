"""The JSON shapes the MCP server and the HTTP API return: one definition each, built from the API's own
types (an answer, its sources, a roadmap's outline, a topic's path, a quiz), so the two never drift.

A question echoed back loses its lone surrogates (questions.encodable): the reply must encode as JSON."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from pydantic import BaseModel, Field

from roadmap_rag.learn.curriculum import TopicPath
from roadmap_rag.learn.outline import Heading, Outline
from roadmap_rag.learn.plan import Plan
from roadmap_rag.learn.quiz import QuizItem
from roadmap_rag.retrieve.questions import encodable
from roadmap_rag.serve.display import page_link
from roadmap_rag.types import Answer, Source


class SourceOut(BaseModel):
    number: int = Field(description="The [n] an answer cites it by; its rank for retrieve.")
    label: str = Field(description="How to cite it: 'Roadmap — section', or 'Paper (Author, year), p. N — section'.")
    doc_id: str
    title: str
    kind: str = Field(description="roadmap, paper or paper-card")
    section: str
    page: int | None
    url: str | None = Field(description="The document's link; a paper's PDF opened at the page.")
    score: float
    text: str
    cited: bool = False

    @classmethod
    def of(cls, number: int, source: Source, cited: bool = False) -> SourceOut:
        return cls(
            number=number,
            label=source.label(),
            doc_id=source.doc_id,
            title=source.title,
            kind=str(source.kind),
            section=source.section,
            page=source.page,
            url=page_link(source),
            score=round(source.score, 5),
            text=source.text,
            cited=cited,
        )


class CitationOut(BaseModel):
    number: int
    label: str
    quote: str = Field(description="The span of the source that supports the cited sentence.")


class RemovalOut(BaseModel):
    text: str = Field(description="The sentence or list item the model wrote.")
    reason: str = Field(description="Why the claim check took it out, e.g. \"'GPT-5' is not in source [2]\".")


class AnswerOut(BaseModel):
    id: str = Field(description="The query log's record of this answer.")
    question: str
    answer: str = Field(description="Plain text; every claim carries its [n].")
    grounded: bool = Field(description="False when the corpus does not cover the question (a refusal).")
    backend: str
    citations: list[CitationOut]
    sources: list[SourceOut]
    removed: list[str] = Field(description="Sentences taken out because no source supports them.")
    removals: list[RemovalOut] = Field(default_factory=list, description="The same sentences, each with its reason.")
    notes: list[str]
    seconds: float

    @classmethod
    def of(cls, question: str, answer: Answer) -> AnswerOut:
        cited = {c.number for c in answer.citations}
        return cls(
            id=answer.id,
            question=encodable(question),
            answer=answer.text,
            grounded=answer.grounded,
            backend=answer.backend,
            citations=[CitationOut(number=c.number, label=c.source.label(), quote=c.quote) for c in answer.citations],
            sources=[SourceOut.of(n, s, n in cited) for n, s in enumerate(answer.sources, start=1)],
            removed=answer.unsupported,
            removals=[RemovalOut(text=r.text, reason=r.reason) for r in answer.removed],
            notes=answer.notes,
            seconds=round(answer.timings.total, 4),
        )


class RetrieveOut(BaseModel):
    question: str
    sources: list[SourceOut]

    @classmethod
    def of(cls, question: str, sources: list[Source]) -> RetrieveOut:
        sources_out = [SourceOut.of(n, s) for n, s in enumerate(sources, start=1)]
        return cls(question=encodable(question), sources=sources_out)


class HeadingOut(BaseModel):
    title: str
    path: str
    children: list[HeadingOut] = []

    @classmethod
    def of(cls, heading: Heading) -> HeadingOut:
        return cls(title=heading.title, path=heading.path, children=[cls.of(h) for h in heading.children])


class OutlineOut(BaseModel):
    doc_id: str
    title: str
    url: str | None
    headings: list[HeadingOut]

    @classmethod
    def of(cls, outline: Outline) -> OutlineOut:
        headings = [HeadingOut.of(h) for h in outline.headings]
        return cls(doc_id=outline.doc_id, title=outline.title, url=outline.url, headings=headings)


class PathOut(BaseModel):
    topic: str
    covered: bool
    roadmaps: list[dict[str, Any]] = Field(
        description="Per roadmap: its main sections in order and each place that names the topic (section, "
        "position, level, prerequisites, resources and papers)."
    )
    disagreements: list[str]
    nearest: list[str] = Field(description="When no roadmap covers the topic: the closest sections.")

    @classmethod
    def of(cls, path: TopicPath) -> PathOut:
        return cls(
            topic=path.topic,
            covered=path.covered,
            roadmaps=[asdict(lane) for lane in path.lanes],
            disagreements=list(path.disagreements),
            nearest=list(path.nearest),
        )


class QuizItemOut(BaseModel):
    question: str
    answer: str = Field(description="The expected answer, as the cited passage states it.")
    kind: str
    source: SourceOut

    @classmethod
    def of(cls, item: QuizItem) -> QuizItemOut:
        return cls(question=item.question, answer=item.answer, kind=item.kind, source=SourceOut.of(1, item.citation))


class QuizOut(BaseModel):
    topic: str
    items: list[QuizItemOut]


class PlanOut(BaseModel):
    goal: str
    topic: str = Field(description="What the plan leads to.")
    roadmap: str = Field(description="The roadmap whose order it follows.")
    hours: float
    hours_per_week: float
    steps: list[dict[str, Any]] = Field(
        description="In order: the section, its hours and their basis, why it follows the last (with the quote and "
        "the roadmaps that agree) and where other roadmaps teach it."
    )
    skipped: list[dict[str, Any]] = Field(description="Sections left out: mastered, ticked or already known.")
    weeks: list[dict[str, Any]]
    alternatives: list[str]

    @classmethod
    def of(cls, plan: Plan) -> PlanOut:
        return cls(
            goal=plan.goal,
            topic=plan.topic,
            roadmap=plan.roadmap,
            hours=plan.hours,
            hours_per_week=plan.hours_per_week,
            steps=[asdict(s) for s in plan.steps],
            skipped=[asdict(s) for s in plan.skipped],
            weeks=[asdict(w) for w in plan.weeks],
            alternatives=list(plan.alternatives),
        )
