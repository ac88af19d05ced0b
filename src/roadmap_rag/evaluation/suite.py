"""One eval run as `roadmap-rag eval` starts it: the golden set, the deterministic metrics, Ragas' non-LLM
metrics and, when a judge is named, its LLM-judged ones; then the run folder with its report."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from roadmap_rag.api import Assistant
from roadmap_rag.errors import RoadmapRagError
from roadmap_rag.evaluation.dataset import DEFAULT_DATASET, EvalItem, contains, load_dataset
from roadmap_rag.evaluation.report import new_run_dir, write_run
from roadmap_rag.evaluation.runner import EvalRun, Progress, QuestionResult, run_eval

if TYPE_CHECKING:
    from roadmap_rag.evaluation.judge import RagasJudged

ScoreFn = Callable[[EvalItem, QuestionResult], None]


@dataclass(frozen=True)
class SuiteOptions:
    dataset: Path = DEFAULT_DATASET
    llm: str | None = None
    k: int = 5
    limit: int | None = None  # only the first N questions
    out: Path = Path("eval/runs")
    baseline: Path | None = None  # an earlier run folder to compare with
    ragas: bool = True  # Ragas' non-LLM metrics
    judge: str = "none"  # none, llamacpp, or ollama:MODEL


@dataclass
class SuiteResult:
    run: EvalRun
    report: Path
    metrics: list[str] = field(default_factory=list)  # the summary's metrics worth a line, in order


def run_suite(assistant: Assistant, options: SuiteOptions, progress: Progress | None = None) -> SuiteResult:
    items = load_dataset(options.dataset)
    items = items[: options.limit] if options.limit else items
    if options.baseline and not (options.baseline / "summary.json").is_file():
        raise RoadmapRagError(f"--baseline {options.baseline} has no summary.json; pass a folder under eval/runs/")
    scorer = _ragas_scorer(assistant, options.ragas)
    judged, notes = _judged(assistant, options.judge)

    def extra(item: EvalItem, result: QuestionResult) -> None:
        if scorer:
            scorer(item, result)
        if judged:
            judged.score(item, result)

    run = run_eval(assistant, items, k=options.k, llm=options.llm, extra=extra, progress=progress)
    run.judge = judged.judge.name if judged else "none"
    report = write_run(run, new_run_dir(options.out), options.baseline, notes)
    k = options.k
    metrics = [
        f"hit@{k}",
        "mrr",
        f"recall@{k}",
        f"ndcg@{k}",
        "refusal_accuracy",
        "false_refusal_rate",
        "citation_validity",
        "fact_recall",
        "retrieve_s_median",
        "total_s_median",
        *(judged.names if judged else ()),
    ]
    return SuiteResult(run, report, metrics)


def _ragas_scorer(assistant: Assistant, enabled: bool) -> ScoreFn | None:
    """Ragas' non-LLM metrics, with the indexed chunks that hold an item's quotes as its reference contexts."""
    if not enabled:
        return None
    from roadmap_rag.evaluation.ragas_metrics import RagasNonLLM

    scorer = RagasNonLLM()
    indexed = assistant.store.all_chunks()

    def score(item: EvalItem, result: QuestionResult) -> None:
        refs = [c.text for c in indexed if any(contains(c.text, q) for q in item.contexts)]
        scorer.score(item, result, refs)

    return score


def _judged(assistant: Assistant, spec: str) -> tuple[RagasJudged | None, list[str]]:
    if spec == "none":
        return None, []
    from roadmap_rag.evaluation.judge import RagasJudged, make_judge, report_notes

    judge = make_judge(assistant.settings, spec)
    return (RagasJudged(judge, assistant.embedder) if judge else None), report_notes(judge)
