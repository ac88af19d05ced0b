"""Write a run: per-question JSONL/CSV, summary.json, report.md and PNG plots."""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from roadmap_rag.evaluation.runner import RANK_DEPTH, EvalRun, QuestionResult, by_kind, by_type

HEADLINE = (
    "fact_recall",
    "fact_ceiling",
    "raw_markup_rate",
    "unsupported_rate",
    "answer_words_median",
    "hit@{k}",
    "recall@{k}",
    "mrr",
    "ndcg@{k}",
    "page@{k}",
    "refusal_accuracy",
    "false_refusal_rate",
    "citation_validity",
    "nonllm_context_recall",
    "nonllm_context_precision",
    "rouge_l",
    "string_similarity",
    "retrieve_s_median",
    "retrieve_s_p95",
    "first_token_s_median",
    "total_s_median",
    "total_s_p95",
)
PLOTTED = ("hit@{k}", "mrr", "recall@{k}", "citation_validity")


def new_run_dir(root: Path) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = root / stamp
    n = 1
    while path.exists():
        n += 1
        path = root / f"{stamp}-{n}"
    path.mkdir(parents=True)
    return path


def _fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def _flat(result: QuestionResult) -> dict[str, Any]:
    row = {k: v for k, v in result.to_dict().items() if k not in ("metrics", "failures", "timings", "contexts")}
    row["markup"] = " ".join(result.markup)
    row["sources"] = " ".join(result.sources)
    row["relevant_sources"] = " ".join("1" if r else "0" for r in result.relevant_sources)
    row.update({f"t_{k}": round(v, 4) for k, v in result.timings.items()})
    row.update(result.metrics)
    row.update({f"{k}_failure": v for k, v in result.failures.items()})
    return row


def write_run(run: EvalRun, out_dir: Path, baseline: Path | None = None, notes: list[str] | None = None) -> Path:
    """Everything an evaluator opens; returns the path of report.md."""
    summary = run.summary()
    types = by_type(run.results, run.k)
    kinds = by_kind(run.results, run.k)
    with (out_dir / "results.jsonl").open("w", encoding="utf-8") as f:
        for r in run.results:
            f.write(json.dumps(r.to_dict(), ensure_ascii=False) + "\n")
    rows = [_flat(r) for r in run.results]
    columns = list(dict.fromkeys(key for row in rows for key in row))
    with (out_dir / "results.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    (out_dir / "summary.json").write_text(
        json.dumps({"summary": summary, "by_type": types, "by_kind": kinds, "notes": notes or []}, indent=2),
        encoding="utf-8",
    )
    base = _load_baseline(baseline) if baseline else None
    plots = _plots(run, types, out_dir)
    report = out_dir / "report.md"
    text = _markdown(run, summary, types, base, baseline, plots, notes or [], _kind_lines(kinds))
    report.write_text(text, encoding="utf-8")
    return report


def _load_baseline(path: Path) -> dict[str, Any]:
    file = path / "summary.json" if path.is_dir() else path
    return dict(json.loads(file.read_text(encoding="utf-8"))["summary"])


def _markdown(
    run: EvalRun,
    summary: dict[str, Any],
    types: dict[str, dict[str, Any]],
    base: dict[str, Any] | None,
    baseline: Path | None,
    plots: list[str],
    notes: list[str],
    kind_lines: Sequence[str] = (),
) -> str:
    lines = [
        f"# Evaluation run: {len(run.results)} questions, backend `{run.llm}`, judge `{run.judge}`",
        "",
        "Retrieval metrics count a source as relevant when it contains one of the question's reference quotes.",
        "",
    ]
    lines += [f"> {note}" for note in notes] + ([""] if notes else [])
    lines += _summary_lines(run.k, summary, base)
    if base:
        lines += ["", f"Baseline: `{baseline}`."]
    lines += _type_lines(run.k, types) + list(kind_lines) + _worst_lines(run) + _failure_lines(run)
    lines += ["", "## Plots", ""] + [f"![{p}]({p})" for p in plots]
    return "\n".join(lines) + "\n"


def _summary_lines(k: int, summary: dict[str, Any], base: dict[str, Any] | None) -> list[str]:
    """The headline metrics (and the judge's), beside the baseline's when there is one."""
    names = [n.format(k=k) for n in HEADLINE]
    names += sorted(n for n in summary if n.startswith("llm_") and not n.endswith("_failures"))
    header = "| metric | value |" + (" baseline | delta |" if base else "")
    lines = [header, "|---|---|" + ("---|---|" if base else "")]
    for name in (n for n in names if n in summary):
        value = summary[name]
        failures = summary.get(f"{name}_failures")
        row = f"| {name} | {_fmt(value)}{f' ({failures} failed)' if failures else ''} |"
        if base:
            old = base.get(name)
            delta = value - old if isinstance(value, float) and isinstance(old, float) else None
            row += f" {_fmt(old)} | {'n/a' if delta is None else f'{delta:+.3f}'} |"
        lines.append(row)
    return lines


def _type_lines(k: int, types: dict[str, dict[str, Any]]) -> list[str]:
    lines = [
        "",
        "## By question type",
        "",
        f"| type | n | fact recall | fact ceiling | markup | unsupported | words (median) | hit@{k} | mrr "
        "| refusal ok | citation validity |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, s in types.items():
        refusal = s["refusal_accuracy"] if name == "unanswerable" else 1.0 - float(s["false_refusal_rate"] or 0.0)
        lines.append(
            f"| {name} | {s['questions']} | {_fmt(s['fact_recall'])} | {_fmt(s['fact_ceiling'])} "
            f"| {_fmt(s['raw_markup_rate'])} | {_fmt(s['unsupported_rate'])} | {_fmt(s['answer_words_median'])} "
            f"| {_fmt(s[f'hit@{k}'])} | {_fmt(s['mrr'])} | {_fmt(refusal)} | {_fmt(s['citation_validity'])} |"
        )
    return lines


def _kind_lines(kinds: dict[str, dict[str, Any]]) -> list[str]:
    """A learner split's figures per kind of phrasing: how much of what the sources hold the answer states."""
    if not kinds:
        return []
    lines = [
        "",
        "## By kind of phrasing (learner splits)",
        "",
        "| kind | n | fact recall | fact ceiling | recall / ceiling | none stated | near-miss honest "
        "| flagged (answerable) | chatter answers |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, s in kinds.items():
        lines.append(
            f"| {name} | {s['questions']} | {_fmt(s['fact_recall'])} | {_fmt(s['fact_ceiling'])} "
            f"| {_fmt(s['fact_recall_of_ceiling'])} | {_fmt(s['none_stated_rate'])} | {_fmt(s['near_miss_honesty'])} "
            f"| {_fmt(s['false_flag_rate'])} | {s['chatter_answers']} |"
        )
    return lines


def _worst_lines(run: EvalRun) -> list[str]:
    """Worst first: refused wrongly, then the fewest key facts stated, then retrieval."""
    worst = sorted(
        run.results,
        key=lambda r: (r.refusal_correct, r.facts_stated / r.facts_total if r.facts_total else 1.0, r.mrr),
    )[:10]
    lines = ["", "## Worst questions", "", "| id | type | question | rank | facts | grounded | answer |"]
    lines.append("|---|---|---|---|---|---|---|")
    for r in worst:
        answer = r.answer.replace("|", "\\|").replace("\n", " ")[:160]
        question = r.question.replace("|", "\\|")
        facts = f"{r.facts_stated}/{r.facts_total} (sources {r.facts_in_sources})"
        lines.append(f"| {r.id} | {r.type} | {question} | {_fmt(r.rank)} | {facts} | {r.grounded} | {answer} |")
    return lines


def _failure_lines(run: EvalRun) -> list[str]:
    """Per metric: how many questions have no number, and why (a judge's parse failures are counted here)."""
    reasons: dict[str, Counter[str]] = {}
    for r in run.results:
        for name, why in r.failures.items():
            reasons.setdefault(name, Counter())[why.split(":")[0]] += 1
    if not reasons:
        return []
    lines = ["", "## Metrics without a number", "", "| metric | questions | why (count) |", "|---|---|---|"]
    for name, counts in sorted(reasons.items()):
        why = ", ".join(f"{kind} ({n})" for kind, n in counts.most_common())
        lines.append(f"| {name} | {sum(counts.values())} | {why} |")
    return lines


def _plots(run: EvalRun, types: dict[str, dict[str, Any]], out_dir: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    made: list[str] = []

    def save(fig: Any, ax: Any, title: str, name: str) -> None:
        ax.set_title(title)
        fig.tight_layout()
        fig.savefig(out_dir / name, dpi=100)
        plt.close(fig)
        made.append(name)

    names = [n.format(k=run.k) for n in PLOTTED]
    fig, ax = plt.subplots(figsize=(9, 4))
    width = 0.8 / len(names)
    labels = list(types)
    for i, name in enumerate(names):
        values = [types[t].get(name) or 0.0 for t in labels]
        ax.bar([x + i * width for x in range(len(labels))], values, width, label=name)
    ax.set_xticks([x + 0.4 - width / 2 for x in range(len(labels))], labels, rotation=20)
    ax.set_ylim(0, 1.05)
    ax.legend(fontsize=8)
    save(fig, ax, "Metrics by question type", "metrics_by_type.png")

    fig, ax = plt.subplots(figsize=(6, 3.5))
    ranks = [r.rank for r in run.results if r.answerable]
    found = [r for r in ranks if r is not None]
    ax.hist(found, bins=range(1, RANK_DEPTH + 2), align="left", rwidth=0.8)
    ax.set_xlabel("rank")
    ax.set_ylabel("questions")
    title = f"Rank of the first relevant source ({len(ranks) - len(found)} not in top {RANK_DEPTH})"
    save(fig, ax, title, "retrieval_rank_histogram.png")

    fig, ax = plt.subplots(figsize=(6, 3.5))
    series = {s: [r.timings[s] for r in run.results if s in r.timings] for s in ("retrieve", "first_token", "total")}
    ax.boxplot([v or [0.0] for v in series.values()], tick_labels=list(series))
    ax.set_ylabel("seconds")
    save(fig, ax, "Latency per question", "latency.png")
    return made
