"""Ragas metrics that need no LLM: context recall/precision against the reference quotes, ROUGE-L and
string similarity against the reference answer. Each failure is recorded by name, never turned into 0."""

from __future__ import annotations

import asyncio
import os

from roadmap_rag.evaluation.dataset import EvalItem
from roadmap_rag.evaluation.runner import QuestionResult, record

NON_LLM_METRICS = ("nonllm_context_recall", "nonllm_context_precision", "rouge_l", "string_similarity")


class RagasNonLLM:
    """Loaded once (importing Ragas takes seconds); ``score`` fills ``result.metrics`` in place."""

    def __init__(self) -> None:
        os.environ.setdefault("RAGAS_DO_NOT_TRACK", "true")
        from ragas.metrics import NonLLMContextPrecisionWithReference, NonLLMContextRecall
        from ragas.metrics.collections import NonLLMStringSimilarity, RougeScore

        self._recall = NonLLMContextRecall()
        self._precision = NonLLMContextPrecisionWithReference()
        self._rouge = RougeScore(rouge_type="rougeL")
        self._similarity = NonLLMStringSimilarity()

    def score(self, item: EvalItem, result: QuestionResult, reference_chunks: list[str]) -> None:
        """``reference_chunks``: the indexed chunks that contain the item's quotes (Ragas' reference contexts)."""
        from ragas.dataset_schema import SingleTurnSample

        if item.answerable and result.contexts:
            sample = SingleTurnSample(
                user_input=item.question,
                response=result.answer,
                reference=item.reference,
                retrieved_contexts=result.contexts,
                reference_contexts=reference_chunks or list(item.contexts),
            )
            record(result, "nonllm_context_recall", lambda: asyncio.run(self._recall.single_turn_ascore(sample)))
            record(result, "nonllm_context_precision", lambda: asyncio.run(self._precision.single_turn_ascore(sample)))
        if item.answerable and result.grounded:
            record(result, "rouge_l", lambda: self._rouge.score(reference=item.reference, response=result.answer))
            record(
                result,
                "string_similarity",
                lambda: self._similarity.score(reference=item.reference, response=result.answer),
            )
