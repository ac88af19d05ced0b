"""The eval group: score the golden set or the replay set, train the ranker, draft cases from feedback."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table

from roadmap_rag.api import Assistant
from roadmap_rag.cli.console import _BAR_COLUMNS, LLMOption, _fail, _settings, console, err
from roadmap_rag.errors import ConfigError, RoadmapRagError
from roadmap_rag.evaluation.dataset import DEFAULT_DATASET, DEFAULT_REPLAY

eval_app = typer.Typer(
    help="Score the golden set (no subcommand), or turn learners' feedback into draft eval cases.",
    invoke_without_command=True,
)


_T = TypeVar("_T")


def _over_questions(work: Callable[[Assistant, Callable[[int, int], None]], _T]) -> _T:
    """``work`` over a question set with the default Assistant, a progress bar of questions done, and our
    errors as a message with the remedy."""
    try:
        assistant = Assistant(_settings())
        with Progress(*_BAR_COLUMNS, console=err, transient=True) as progress:
            task = progress.add_task("questions", total=None)
            return work(assistant, lambda done, total: progress.update(task, completed=done, total=total))
    except RoadmapRagError as exc:
        raise _fail(exc) from exc


@eval_app.callback()
def eval_cmd(
    ctx: typer.Context,
    dataset: Annotated[Path, typer.Option(help="JSONL golden set.")] = DEFAULT_DATASET,
    llm: LLMOption = None,
    k: Annotated[int, typer.Option("--k", help="Cut-off for hit@k, recall@k, nDCG@k.")] = 5,
    limit: Annotated[int | None, typer.Option(help="Only the first N questions (a quick run).")] = None,
    out: Annotated[Path, typer.Option(help="Where run folders go.")] = Path("eval/runs"),
    baseline: Annotated[Path | None, typer.Option(help="An earlier run folder to compare with.")] = None,
    ragas: Annotated[bool, typer.Option(help="Also compute Ragas' non-LLM metrics.")] = True,
    judge: Annotated[
        str, typer.Option(help="Ragas' LLM-judged metrics with: none, llamacpp, or ollama:MODEL.")
    ] = "none",
    replay: Annotated[
        bool,
        typer.Option(
            "--replay",
            help="Instead: replay recorded model answers (clean and with planted errors) over the Ollama protocol "
            "and score the claim check (see --replay-set).",
        ),
    ] = False,
    replay_set: Annotated[Path, typer.Option(help="The replay set (JSONL) for --replay.")] = DEFAULT_REPLAY,
) -> None:
    """Score retrieval, refusals, answers and citations on the golden set; write eval/runs/<time>/report.md.
    With --replay: score the claim check on a model's recorded answers; write eval/runs/<time>/replay.md."""
    if ctx.invoked_subcommand:
        return
    if replay:
        _replay(replay_set, limit, out)
        return
    from roadmap_rag.evaluation.suite import SuiteOptions, run_suite

    options = SuiteOptions(dataset, llm, k, limit, out, baseline, ragas, judge)
    result = _over_questions(lambda assistant, progress: run_suite(assistant, options, progress))
    summary = result.run.summary()
    table = Table("metric", "value", title=f"eval: {len(result.run.results)} questions, backend {result.run.llm}")
    for name in result.metrics:
        value, failed = summary.get(name), summary.get(f"{name}_failures")
        shown = "n/a" if value is None else f"{value:.3f}"
        table.add_row(name, f"{shown} ({failed} failed)" if failed else shown)
    console.print(table)
    console.print(f"report: {result.report}")


def _replay(path: Path, limit: int | None, out: Path) -> None:
    from roadmap_rag.evaluation.replay import load_replay, report, run_replay, summarise, write_results
    from roadmap_rag.evaluation.report import new_run_dir

    try:
        items = load_replay(path)[:limit]
    except (OSError, ValueError, KeyError) as exc:
        raise _fail(ConfigError(f"cannot read the replay set {path}: {exc}")) from exc
    results = _over_questions(lambda assistant, progress: run_replay(assistant, items, progress))
    folder = new_run_dir(out)
    (folder / "replay.md").write_text(report(results, path), encoding="utf-8")
    write_results(results, folder / "replay.jsonl")
    summary = summarise(results)
    table = Table("claim check", "value", title=f"replay: {summary['questions']} answers from {path}")
    table.add_row("true statements kept", f"{summary['true_kept']:.3f} of {summary['true_statements']}")
    for role, (kept, total) in summary["true_kept_by_role"].items():
        table.add_row(f"  {role}", f"{kept} of {total}")
    table.add_row("planted errors removed", f"{summary['errors_removed']:.3f} of {summary['planted_errors']}")
    for kind, (removed, total) in summary["errors_removed_by_kind"].items():
        table.add_row(f"  {kind}", f"{removed} of {total}")
    table.add_row("re-cited to a source the model did not cite", str(summary["recited"]))
    table.add_row(
        "key facts: checked answer / model's own / composer",
        f"{summary['fact_recall']:.3f} / {summary['model_fact_recall']:.3f} / {summary['composer_fact_recall']:.3f}",
    )
    console.print(table)
    console.print(f"report: {folder / 'replay.md'}")


@eval_app.command("train-ranker")
def train_ranker_cmd(
    dataset: Annotated[
        list[Path] | None, typer.Option(help="Golden sets to learn from (default: the golden set, learner dev 1-4).")
    ] = None,
    report: Annotated[Path, typer.Option(help="Where the cross-validated figures go.")] = Path("eval/ranker.md"),
) -> None:
    """Fit the unit ranker on golden sets' key facts, cross-validated by question; write the shipped model.

    Example: roadmap-rag eval train-ranker --dataset eval/datasets/roadmap_qa.jsonl
    """
    from roadmap_rag.answer.ranking import MODEL_PATH
    from roadmap_rag.evaluation.train_ranker import DEFAULT_TRAINING, run_training

    datasets = tuple(dataset) if dataset else DEFAULT_TRAINING
    training = _over_questions(lambda assistant, progress: run_training(assistant, datasets, progress))
    MODEL_PATH.write_text(training.model.to_json() + "\n", encoding="utf-8")
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(training.report(), encoding="utf-8")
    rows = sum(len(q.rows) for q in training.questions)
    cv = training.cv
    console.print(
        f"train-ranker: {len(training.questions)} questions, {rows} candidate units; cross-validated AUC "
        f"{cv['auc_model']:.3f} (lexical + dense score: {cv['auc_base']:.3f}), facts in the top 3 "
        f"{cv['top_model']:.3f} ({cv['top_base']:.3f}); model: {MODEL_PATH}; report: {report}"
    )


@eval_app.command("adaptation-pairs")
def adaptation_pairs_cmd() -> None:
    """Read the embedder's adaptation pairs from the indexed roadmaps and cards; write them into the package.

    Run after a shipped roadmap changes (a test fails until the pairs match the corpus). With
    ROADMAP_RAG_EMBEDDING_ADAPTATION=corpus the next start adapts the embedder again, and asks for
    `roadmap-rag ingest --rebuild`.

    Example: roadmap-rag eval adaptation-pairs
    """
    from roadmap_rag.evaluation.adaptation import corpus_pairs
    from roadmap_rag.index.adaptation import PAIRS, read_pairs, write_pairs

    try:
        pairs = corpus_pairs(Assistant(_settings()).retriever.library())
    except RoadmapRagError as exc:
        raise _fail(exc) from exc
    before = read_pairs() if PAIRS.is_file() else []
    write_pairs(pairs)
    console.print(
        f"adaptation-pairs: {len(pairs)} pairs from {len({a for a, _ in pairs})} anchors "
        f"({len(set(pairs) - set(before))} new, {len(set(before) - set(pairs))} gone); wrote {PAIRS}"
    )


@eval_app.command("import-feedback")
def import_feedback_cmd(
    out: Annotated[Path, typer.Option(help="The drafts file (JSONL).")] = Path("eval/datasets/drafts.jsonl"),
    golden: Annotated[
        list[Path] | None, typer.Option(help="Golden sets whose questions are not drafted again.")
    ] = None,
) -> None:
    """Turn thumbs-down answers (feedback.jsonl joined with queries.jsonl) into draft golden-set entries."""
    from roadmap_rag.evaluation.drafts import import_feedback

    settings = _settings()
    report = import_feedback(settings, out, tuple(golden if golden is not None else [DEFAULT_DATASET]))
    console.print(f"import-feedback: {escape(report.summary())}")
    if report.drafts:
        console.print("Complete each draft (its 'todo' says how), then move it into a golden set.")


@eval_app.command("study")
def study_cmd(
    out: Annotated[Path, typer.Option(help="Where the report goes (Markdown).")] = Path("eval/study.md"),
) -> None:
    """Measure the study loop: quiz, card and multiple-choice answerability, duplicates, item-writing flaws and
    distractor validity for seven topics, and three plans read as a learner would; write the report."""
    from roadmap_rag.evaluation.study_quality import measure, report

    try:
        quality = measure(Assistant(_settings()))
    except RoadmapRagError as exc:
        raise _fail(exc) from exc
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report(quality), encoding="utf-8")
    table = Table(
        "study quality", "value", title=f"eval study: {len(quality.topics)} topics, {len(quality.plans)} plans"
    )
    for name, value in quality.totals().items():
        table.add_row(name, f"{value:.3f}" if name not in ("duplicates", "flaws") else f"{value:.0f}")
    console.print(table)
    console.print(f"report: {out}")
