"""`roadmap-rag eval train-ranker`: fit the unit ranker (``ranking``) on golden sets' key facts, measure it
with folds grouped by question, and write the model that ships with the package.

For every answerable question the real retrieval runs (a follow-up's history is asked first, as in the eval),
and every unit the composer may quote becomes a row: its features, and whether it states one of the
question's key facts (a list's intro states what its items state). The cross-validated figures compare the
model with the lexical-and-dense score it replaces, on the same candidates: how many of the facts that some
candidate states the top 3 candidates state.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from roadmap_rag.answer.compose import Composer
from roadmap_rag.answer.ranking import FEATURES, Candidate, Ranker, fit
from roadmap_rag.api import Assistant
from roadmap_rag.evaluation.dataset import EvalItem, contains, load_dataset
from roadmap_rag.evaluation.runner import conversation
from roadmap_rag.text.units import topic_text

# The golden set and the learner dev splits; learner_dev5 stays out (it validates), and the frozen splits always do.
DEFAULT_TRAINING = (
    Path("eval/datasets/roadmap_qa.jsonl"),
    Path("eval/datasets/learner_dev.jsonl"),
    Path("eval/datasets/learner_dev2.jsonl"),
    Path("eval/datasets/learner_dev3.jsonl"),
    Path("eval/datasets/learner_dev4.jsonl"),
)
FOLDS = 5
TOP = 3
L2 = 1.0


@dataclass
class Question:
    id: str
    rows: list[tuple[float, ...]]
    facts: list[frozenset[int]]  # per candidate: the indexes of the key facts it states
    total: int  # key facts of the question


@dataclass
class Training:
    questions: list[Question]
    model: Ranker
    cv: dict[str, float] = field(default_factory=dict)

    def report(self) -> str:
        rows = sum(len(q.rows) for q in self.questions)
        positives = sum(1 for q in self.questions for f in q.facts if f)
        lines = [
            "# The unit ranker: cross-validated figures",
            "",
            f"{len(self.questions)} questions, {rows} candidate units, {positives} that state a key fact; "
            f"{FOLDS} folds grouped by question (no question's units in both a training and a test fold).",
            "",
            "| | learned model | lexical + dense score it replaces |",
            "|---|---|---|",
            f"| AUC (units that state a key fact first) | {self.cv['auc_model']:.3f} | {self.cv['auc_base']:.3f} |",
            f"| facts in the top {TOP} / facts some candidate states | {self.cv['top_model']:.3f} "
            f"| {self.cv['top_base']:.3f} |",
            f"| the top unit states a key fact | {self.cv['first_model']:.3f} | {self.cv['first_base']:.3f} |",
            "",
            "Weights of the model trained on every question (standardised features):",
            "",
            "| feature | weight |",
            "|---|---|",
            *(
                f"| {n} | {w:+.3f} |"
                for n, w in sorted(zip(FEATURES, self.model.weights, strict=True), key=lambda t: -abs(t[1]))
            ),
        ]
        return "\n".join(lines) + "\n"


def _emitted(candidate: Candidate) -> str:
    """What the composer shows for the unit: an intro with its list, an item with its details."""
    unit, view = candidate.unit, candidate.view
    if unit.kind == "intro":
        items = [u for u in view.group(unit.group) if u.kind in ("item", "row")]
        return " ".join([unit.text, *(topic_text(u) for u in items)])
    return topic_text(unit) if unit.kind == "item" else unit.text


def collect(
    assistant: Assistant, items: Sequence[EvalItem], progress: Callable[[int, int], None] | None = None
) -> list[Question]:
    composer = Composer(ranker=None)
    out: list[Question] = []
    for done, item in enumerate(items, start=1):
        if item.answerable and item.facts:
            history = conversation(assistant, item, assistant.settings.top_k, "extractive")
            question = assistant.standalone_query(item.question, history)
            retrieved = assistant.retriever.retrieve(question, assistant.settings.top_k)
            library = assistant.retriever.library()
            candidates = composer.candidates(question, retrieved.sources, library, retrieved.named, retrieved.lines)
            facts = [
                frozenset(i for i, group in enumerate(item.facts) if any(contains(_emitted(c), alt) for alt in group))
                for c in candidates
            ]
            if candidates:
                out.append(Question(item.id, [c.features for c in candidates], facts, len(item.facts)))
        if progress:
            progress(done, len(items))
    return out


def baseline_score(values: Sequence[float]) -> float:
    """The composer's score before the model: lexical match, source rank and dense similarity."""
    f = dict(zip(FEATURES, values, strict=True))
    return f["lexical"] + 0.04 * f["source_rank"] + 0.8 * f["dense"] + 0.05 * f["is_intro"] * (f["list_size"] > 0)


def train(questions: list[Question], l2: float = L2) -> Training:
    folds = [questions[i::FOLDS] for i in range(FOLDS)]
    scored: list[tuple[Question, list[float], list[float]]] = []
    for i, test in enumerate(folds):
        train_set = [q for j, fold in enumerate(folds) if j != i for q in fold]
        model = _fit(train_set, l2)
        for q in test:
            scored.append((q, [model.score(r) for r in q.rows], [baseline_score(r) for r in q.rows]))
    cv = {
        "auc_model": _auc([(s, bool(f)) for q, ss, _ in scored for s, f in zip(ss, q.facts, strict=True)]),
        "auc_base": _auc([(s, bool(f)) for q, _, bs in scored for s, f in zip(bs, q.facts, strict=True)]),
        "top_model": _top(scored, 1),
        "top_base": _top(scored, 2),
        "first_model": _first(scored, 1),
        "first_base": _first(scored, 2),
    }
    return Training(questions, _fit(questions, l2), cv)


def _fit(questions: Sequence[Question], l2: float) -> Ranker:
    rows = [r for q in questions for r in q.rows]
    labels = [int(bool(f)) for q in questions for f in q.facts]
    return fit(rows, labels, l2)


Scored = Sequence[tuple[Question, list[float], list[float]]]  # per question: model's and baseline's scores


def _top(scored: Scored, which: int) -> float:
    shares = []
    for q, model, base in scored:
        scores = model if which == 1 else base
        reachable = frozenset().union(*q.facts)
        if not reachable:
            continue
        order = sorted(range(len(scores)), key=lambda i: -scores[i])[:TOP]
        shares.append(len(frozenset().union(*(q.facts[i] for i in order)) & reachable) / len(reachable))
    return statistics.fmean(shares) if shares else 0.0


def _first(scored: Scored, which: int) -> float:
    hits = []
    for q, model, base in scored:
        scores = model if which == 1 else base
        if any(q.facts):
            hits.append(float(bool(q.facts[max(range(len(scores)), key=lambda i: scores[i])])))
    return statistics.fmean(hits) if hits else 0.0


def _auc(pairs: Sequence[tuple[float, bool]]) -> float:
    """The chance that a random positive outscores a random negative (ties count half)."""
    ordered = sorted(pairs, key=lambda p: p[0])
    positives = sum(1 for _, y in ordered if y)
    negatives = len(ordered) - positives
    if not positives or not negatives:
        return 0.5
    rank_sum, i = 0.0, 0
    while i < len(ordered):
        j = i
        while j < len(ordered) and ordered[j][0] == ordered[i][0]:
            j += 1
        mid = (i + j + 1) / 2  # average 1-based rank of the tie
        rank_sum += mid * sum(1 for _, y in ordered[i:j] if y)
        i = j
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def run_training(
    assistant: Assistant, datasets: Sequence[Path], progress: Callable[[int, int], None] | None = None
) -> Training:
    items = [item for path in datasets for item in load_dataset(path)]
    return train(collect(assistant, items, progress))
