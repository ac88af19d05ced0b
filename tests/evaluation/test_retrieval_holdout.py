"""Issue 32's held-out retrieval split (eval/datasets/retrieval_holdout.jsonl): 48 learner-phrased questions
written from the corpus alone, committed before the retrieval changes they judge, never tuned on."""

from __future__ import annotations

from pathlib import Path

import pytest

from roadmap_rag import Assistant
from roadmap_rag.corpus.documents import normalise
from roadmap_rag.evaluation.dataset import contains, load_dataset
from roadmap_rag.evaluation.metrics import retrieval_scores
from roadmap_rag.evaluation.runner import RANK_DEPTH
from roadmap_rag.retrieve.hybrid import Mode

HOLDOUT = Path("eval/datasets/retrieval_holdout.jsonl")
CORPUS = Path("corpus")


def _scores(assistant: Assistant, mode: Mode) -> tuple[float, float]:
    items = [i for i in load_dataset(HOLDOUT) if i.answerable]
    scores = [retrieval_scores(i, assistant.retrieve(i.question, k=RANK_DEPTH, mode=mode), 5) for i in items]
    return sum(s.hit for s in scores) / len(scores), sum(s.mrr for s in scores) / len(scores)


def test_every_quote_of_the_split_lies_in_the_document_it_names() -> None:
    texts = {p.name: normalise(p.read_text(encoding="utf-8")) for p in sorted((CORPUS / "roadmaps").iterdir())}
    texts["catalog.yaml"] = (CORPUS / "papers" / "catalog.yaml").read_text(encoding="utf-8")
    items = load_dataset(HOLDOUT)
    assert len(items) == 48 and sum(not i.answerable for i in items) == 4
    assert all(i.doc_ids and i.contexts and i.facts for i in items if i.answerable)
    loose = [(i.id, q) for i in items for q in i.contexts if not any(contains(t, q) for t in texts.values())]
    assert not loose
    missing = [(i.id, a) for i in items for g in i.facts for a in g if not any(contains(t, a) for t in texts.values())]
    assert not missing


@pytest.mark.eval
def test_fused_retrieval_holds_what_it_holds_and_beats_each_lane(assistant: Assistant) -> None:
    """Today's figures (hit@5 0.750, MRR 0.685 when the split was written), and fusion above either lane alone."""
    hybrid, dense, lexical = (_scores(assistant, mode) for mode in ("hybrid", "dense", "lexical"))
    assert hybrid[0] >= 0.75 and hybrid[1] >= 0.68, hybrid
    assert hybrid[1] > max(dense[1], lexical[1]), (hybrid, dense, lexical)


@pytest.mark.eval
@pytest.mark.xfail(strict=True, reason="issue 32's bar on the held-out roadmap split (hit@5 >= 0.95, MRR >= 0.85)")
def test_retrieval_meets_the_issue_bar_on_the_held_out_split(assistant: Assistant) -> None:
    hit, mrr = _scores(assistant, "hybrid")
    assert hit >= 0.95 and mrr >= 0.85, (hit, mrr)
