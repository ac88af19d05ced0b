"""Run the golden questions through the Python API and score every answer."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from roadmap_rag.api import Assistant
from roadmap_rag.evaluation.dataset import EvalItem
from roadmap_rag.evaluation.metrics import (
    chatter_sentences,
    citation_validity,
    fact_recall,
    on_page,
    raw_markup,
    relevant,
    retrieval_scores,
    unsupported_sentences,
)
from roadmap_rag.types import Turn

Progress = Callable[[int, int], None]
RANK_DEPTH = 20  # how deep the rank histogram looks


@dataclass
class QuestionResult:
    id: str
    type: str
    question: str
    reference: str
    answer: str
    backend: str
    grounded: bool
    answerable: bool
    rank: int | None
    hit: float
    recall: float
    mrr: float
    ndcg: float
    citations_valid: int
    citations_total: int
    sources: list[str]
    contexts: list[str]
    relevant_sources: list[bool]
    timings: dict[str, float]
    facts_stated: int = 0  # key facts the answer text states
    facts_total: int = 0
    facts_in_sources: int = 0  # key facts the answer's sources hold (the ceiling)
    markup: list[str] = field(default_factory=list)  # raw markup found in the answer text
    claims_unsupported: int = 0
    claims: int = 0
    answer_words: int = 0
    page_hit: bool | None = None  # questions on a paper's text: a relevant top-k source is on the fact's page
    kind: str = ""  # learner splits: how the question is phrased (terse, follow-up, near-miss, ...)
    standalone: str = ""  # a follow-up: the standalone question the answer says it answered
    flagged: bool = False  # the answer says first that the sources do not cover part of the question
    chatter: list[str] = field(default_factory=list)  # narrative, meta or comment sentences the answer quotes
    metrics: dict[str, float | None] = field(default_factory=dict)  # Ragas; None = not computed
    failures: dict[str, str] = field(default_factory=dict)  # metric -> why it has no number

    @property
    def refusal_correct(self) -> bool:
        return self.grounded == self.answerable

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def record(result: QuestionResult, name: str, compute: Callable[[], Any]) -> None:
    """Store a metric's number, or why there is none (NaN and exceptions are failures, never zeros)."""
    try:
        value = compute()
        value = getattr(value, "value", value)
        number = None if value is None or value != value else float(value)
        result.metrics[name] = number
        if number is None:
            result.failures[name] = "Ragas returned no number"
        elif not 0.0 <= number <= 1.0:  # every metric we report is a share
            result.failures[name] = f"OutOfRange: {number}"
            result.metrics[name] = None
    except Exception as exc:  # a metric failing must not stop the run; it is counted
        result.metrics[name] = None
        result.failures[name] = f"{type(exc).__name__}: {exc}"[:300]


def _mean(values: Sequence[float]) -> float | None:
    return statistics.fmean(values) if values else None


def percentile(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


@dataclass
class EvalRun:
    results: list[QuestionResult]
    k: int
    llm: str
    judge: str = "none"

    def summary(self) -> dict[str, Any]:
        return summarise(self.results, self.k) | {"llm": self.llm, "judge": self.judge, "k": self.k}


def _share(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def summarise(results: Sequence[QuestionResult], k: int) -> dict[str, Any]:
    answerable = [r for r in results if r.answerable]
    with_facts = [r for r in answerable if r.facts_total]
    near_miss = [r for r in results if not r.answerable and r.kind == "near-miss"]
    unanswerable = [r for r in results if not r.answerable]
    grounded = [r for r in results if r.grounded]
    citations = sum(r.citations_total for r in results)
    facts = sum(r.facts_total for r in answerable)
    claims = sum(r.claims for r in results)
    out: dict[str, Any] = {
        "questions": len(results),
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        f"hit@{k}": _mean([r.hit for r in answerable]),
        f"recall@{k}": _mean([r.recall for r in answerable]),
        "mrr": _mean([r.mrr for r in answerable]),
        f"ndcg@{k}": _mean([r.ndcg for r in answerable]),
        "refusal_accuracy": _mean([float(not r.grounded) for r in unanswerable]),
        "false_refusal_rate": _mean([float(not r.grounded) for r in answerable]),
        "citation_validity": _share(sum(r.citations_valid for r in results), citations),
        "citations": citations,
        "fact_recall": _share(sum(r.facts_stated for r in answerable), facts),
        "fact_ceiling": _share(sum(r.facts_in_sources for r in answerable), facts),
        "fact_recall_of_ceiling": _share(
            sum(r.facts_stated for r in answerable), sum(r.facts_in_sources for r in answerable)
        ),
        "none_stated_rate": _mean([float(r.facts_stated == 0) for r in with_facts]),
        "near_miss_honesty": _mean([float(not r.grounded or r.flagged) for r in near_miss]),
        "false_flag_rate": _mean([float(r.flagged) for r in answerable]),
        "chatter_answers": sum(1 for r in results if r.chatter),
        "raw_markup_rate": _mean([float(bool(r.markup)) for r in grounded]),
        "unsupported_rate": _share(sum(r.claims_unsupported for r in results), claims),
        "claims": claims,
        f"page@{k}": _mean([float(r.page_hit) for r in answerable if r.page_hit is not None]),
        "answer_words_median": percentile([r.answer_words for r in grounded], 0.5),
        "answer_words_p95": percentile([r.answer_words for r in grounded], 0.95),
    }
    return out | _timing_summary(results) | _metric_summary(results)


def _timing_summary(results: Sequence[QuestionResult]) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for stage in ("retrieve", "first_token", "total"):
        values = [r.timings[stage] for r in results if stage in r.timings]
        out[f"{stage}_s_median"] = percentile(values, 0.5)
        out[f"{stage}_s_p95"] = percentile(values, 0.95)
    return out


def _metric_summary(results: Sequence[QuestionResult]) -> dict[str, float | int | None]:
    """The mean of each extra metric (Ragas') over the questions it scored, and how often it failed."""
    out: dict[str, float | int | None] = {}
    for name in sorted({name for r in results for name in r.metrics}):
        scored = [value for r in results if (value := r.metrics.get(name)) is not None]
        out[name] = _mean(scored)
        out[f"{name}_failures"] = sum(1 for r in results if name in r.failures)
    return out


def by_type(results: Sequence[QuestionResult], k: int) -> dict[str, dict[str, Any]]:
    types = sorted({r.type for r in results})
    return {t: summarise([r for r in results if r.type == t], k) for t in types}


def by_kind(results: Sequence[QuestionResult], k: int) -> dict[str, dict[str, Any]]:
    """The learner splits' figures per kind of phrasing (empty for sets without kinds)."""
    kinds = sorted({r.kind for r in results if r.kind})
    return {name: summarise([r for r in results if r.kind == name], k) for name in kinds}


def conversation(assistant: Assistant, item: EvalItem, k: int, llm: str | None) -> list[Turn]:
    """The earlier turns of a follow-up item, asked for real, so the follow-up meets the history a learner's
    would: the questions and the answers the assistant gave them."""
    history: list[Turn] = []
    earlier = item.extra.get("history", [])
    for question in earlier if isinstance(earlier, list) else []:
        history = assistant.ask(str(question), history, llm=llm, k=k).history
    return history


def evaluate_item(assistant: Assistant, item: EvalItem, k: int, llm: str | None) -> QuestionResult:
    history = conversation(assistant, item, k, llm)
    query = assistant.standalone_query(item.question, history)
    ranked = assistant.retrieve(query, k=max(k, RANK_DEPTH))
    scores = retrieval_scores(item, ranked, k)
    answer = assistant.ask(item.question, history, llm=llm, k=k)
    valid, total = citation_validity(answer)
    # A refusal states no fact, whatever its list of nearest covered topics happens to name (eval/README.md).
    stated, facts = fact_recall(answer.text if answer.grounded else "", item.facts)
    ceiling, _ = fact_recall("\n".join(s.text for s in answer.sources), item.facts)
    bad, claims = unsupported_sentences(answer, item.question) if answer.grounded else (0, 0)
    return QuestionResult(
        id=item.id,
        type=item.type,
        question=item.question,
        reference=item.reference,
        answer=answer.text,
        backend=answer.backend,
        grounded=answer.grounded,
        answerable=item.answerable,
        rank=scores.rank if item.answerable else None,
        hit=scores.hit,
        recall=scores.recall,
        mrr=scores.mrr,
        ndcg=scores.ndcg,
        citations_valid=valid,
        citations_total=total,
        sources=[s.id for s in answer.sources],
        contexts=[s.text for s in answer.sources],
        relevant_sources=[relevant(s, item) for s in answer.sources],
        timings=asdict(answer.timings),
        facts_stated=stated,
        facts_total=facts,
        facts_in_sources=ceiling,
        markup=raw_markup(answer.text) if answer.grounded else [],
        claims_unsupported=bad,
        claims=claims,
        answer_words=len(answer.text.split()),
        page_hit=on_page(item, ranked, k),
        kind=str(item.extra.get("kind", "")),
        standalone=answer.standalone,
        flagged=bool(answer.uncovered),
        chatter=chatter_sentences(answer, item.question) if answer.grounded else [],
    )


def run_eval(
    assistant: Assistant,
    items: Sequence[EvalItem],
    *,
    k: int = 5,
    llm: str | None = None,
    progress: Progress | None = None,
    extra: Callable[[EvalItem, QuestionResult], None] | None = None,
) -> EvalRun:
    """Retrieval, refusal and citation metrics for every item; ``extra`` adds more (e.g. Ragas) per item."""
    results: list[QuestionResult] = []
    for done, item in enumerate(items, start=1):
        results.append(evaluate_item(assistant, item, k, llm))
        if extra:
            extra(item, results[-1])
        if progress:
            progress(done, len(items))
    return EvalRun(results=results, k=k, llm=llm or assistant.settings.llm)
