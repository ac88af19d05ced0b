"""Ragas' LLM-judged metrics, with our own backends as the judge and our own embeddings.

``--judge`` takes ``none``, ``llamacpp`` (the embedded Gemma 3 270M) or ``ollama[:MODEL]``. Ragas' collection
metrics call ``agenerate(prompt, response_model)`` and expect a pydantic object back; a small judge often
returns almost-JSON, so its text is repaired once and then validated. What still does not fit the schema is a
``JudgeParseError``, recorded against the metric and counted in the report, never scored as 0.
"""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from roadmap_rag.errors import ConfigError
from roadmap_rag.evaluation.dataset import EvalItem
from roadmap_rag.evaluation.runner import QuestionResult, record
from roadmap_rag.index.embeddings import Embedder
from roadmap_rag.settings import Settings

os.environ.setdefault("RAGAS_DO_NOT_TRACK", "true")

from ragas.embeddings.base import BaseRagasEmbedding  # after the line above: no telemetry
from ragas.llms.base import InstructorBaseRagasLLM

JUDGED_METRICS = ("llm_faithfulness", "llm_answer_relevancy", "llm_context_precision", "llm_context_recall")
UNRELIABLE = (
    "The judge is the embedded Gemma 3 270M base model: its LLM-judged scores (llm_*) are NOT reliable. "
    "They prove the wiring; judge with a capable model (--judge ollama:MODEL) for scores to act on."
)
Model = TypeVar("Model", bound=BaseModel)


class JsonCompleter(Protocol):
    """A backend that can answer one prompt with JSON for ``schema`` (LlamaCppLLM, OllamaLLM)."""

    name: str

    def complete_json(self, prompt: str, schema: dict[str, Any]) -> str: ...


class JudgeParseError(ValueError):
    """The judge's answer could not be read as the structure the metric asked for."""


def parse_judged(text: str, model: type[Model]) -> Model:
    """Strict JSON first; then one repair (trailing commas, unclosed brackets, single quotes)."""
    try:
        return _binary_verdicts(model.model_validate_json(text.strip()), text)
    except ValidationError:
        pass
    from json_repair import repair_json

    start = text.find("{")
    try:
        repaired = json.loads(repair_json(text[start:] if start >= 0 else text))
        return _binary_verdicts(model.model_validate(repaired), text)
    except (ValidationError, ValueError, TypeError) as exc:
        raise JudgeParseError(f"not a valid {model.__name__}: {text.strip()[:100]!r}") from exc


_BINARY = ("verdict", "attributed", "noncommittal")  # Ragas declares these int fields as 0/1


def _binary_verdicts(parsed: Model, text: str) -> Model:
    """Ragas types its 0/1 verdicts as plain ints; a judge answering 10 would push a score past 1."""

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                if key in _BINARY and isinstance(inner, int) and inner not in (0, 1):
                    raise JudgeParseError(f"{key} {inner} is not 0 or 1 in {text.strip()[:80]!r}")
                walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)

    walk(parsed.model_dump())
    return parsed


class RagasJudge(InstructorBaseRagasLLM):
    """Adapts a JsonCompleter to Ragas' structured-output LLM interface."""

    def __init__(self, completer: JsonCompleter) -> None:
        self.completer = completer
        self.name = completer.name
        self.calls = 0

    def generate(self, prompt: str, response_model: type[Model]) -> Model:
        self.calls += 1
        return parse_judged(self.completer.complete_json(prompt, response_model.model_json_schema()), response_model)

    async def agenerate(self, prompt: str, response_model: type[Model]) -> Model:
        return self.generate(prompt, response_model)  # backends serialise calls anyway; no thread hop


class RagasEmbeddings(BaseRagasEmbedding):
    """Our embedder, for AnswerRelevancy's question similarity."""

    def __init__(self, embedder: Embedder) -> None:
        super().__init__()
        self.embedder = embedder

    def embed_text(self, text: str, **kwargs: Any) -> list[float]:
        return self.embedder.embed_query(text)

    async def aembed_text(self, text: str, **kwargs: Any) -> list[float]:
        return self.embedder.embed_query(text)

    def embed_texts(self, texts: list[str], **kwargs: Any) -> list[list[float]]:
        return self.embedder.embed_documents(texts)

    async def aembed_texts(self, texts: list[str], **kwargs: Any) -> list[list[float]]:
        return self.embedder.embed_documents(texts)


def make_judge(settings: Settings, spec: str) -> RagasJudge | None:
    """``none`` -> None; ``llamacpp``; ``ollama`` or ``ollama:MODEL`` (checked for reachability first)."""
    kind, _, model = spec.partition(":")
    if kind == "none":
        return None
    if kind == "llamacpp":
        from roadmap_rag.answer.generation.llamacpp import LlamaCppLLM

        return RagasJudge(LlamaCppLLM(settings.model_copy(update={"llm_context": settings.judge_context})))
    if kind == "ollama":
        from roadmap_rag.answer.generation.ollama import OllamaLLM

        ollama_llm = OllamaLLM(settings.model_copy(update={"ollama_model": model or settings.ollama_model}))
        ollama_llm.check()
        return RagasJudge(ollama_llm)
    raise ConfigError(f"unknown judge '{spec}'; use none, llamacpp or ollama:MODEL (e.g. ollama:llama3.1:8b)")


class RagasJudged:
    """Faithfulness, answer relevancy, LLM context precision (with reference) and LLM context recall."""

    names = JUDGED_METRICS

    def __init__(self, judge: RagasJudge, embedder: Embedder) -> None:
        from ragas.metrics.collections import (
            AnswerRelevancy,
            ContextPrecisionWithReference,
            ContextRecall,
            Faithfulness,
        )

        self.judge = judge
        self._faithfulness = Faithfulness(llm=judge)
        # strictness 1: the judge runs at temperature 0, so further generated questions would be repeats.
        self._relevancy = AnswerRelevancy(llm=judge, embeddings=RagasEmbeddings(embedder), strictness=1)
        self._precision = ContextPrecisionWithReference(llm=judge)
        self._recall = ContextRecall(llm=judge)

    def score(self, item: EvalItem, result: QuestionResult) -> None:
        if not item.answerable or not result.contexts:
            return  # off-corpus questions have no reference; their refusal is scored elsewhere
        q, ctx, ref = item.question, result.contexts, item.reference
        if result.grounded:
            answer = result.answer
            record(result, "llm_faithfulness", lambda: _run(self._faithfulness.ascore(q, answer, ctx)))
            record(result, "llm_answer_relevancy", lambda: _run(self._relevancy.ascore(q, answer)))
        record(result, "llm_context_precision", lambda: _run(self._precision.ascore(q, ref, ctx)))
        record(result, "llm_context_recall", lambda: _run(self._recall.ascore(q, ctx, ref)))


def _run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def report_notes(judge: RagasJudge | None) -> list[str]:
    """What report.md must say about this judge."""
    return [UNRELIABLE] if judge and judge.name.startswith("llamacpp:") else []
