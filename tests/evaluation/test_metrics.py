"""The deterministic metrics on hand-made cases, where the right number is known."""

from __future__ import annotations

import pytest

from roadmap_rag.evaluation.dataset import EvalItem
from roadmap_rag.evaluation.metrics import citation_validity, retrieval_scores
from roadmap_rag.types import Answer, Citation, Source

pytestmark = pytest.mark.fast  # logic only: no model, no Chroma, no server (make test-fast)


def source(text: str, n: int = 0) -> Source:
    return Source(id=f"d:{n}", doc_id="d", title="T", section="S", text=text, score=0.0)


ITEM = EvalItem(id="x", question="q", type="factual", reference="r", contexts=("LoRA (Low-Rank Adaptation)", "GPTQ"))


def test_rank_hit_recall_mrr_ndcg() -> None:
    ranked = [source("nothing"), source("Adapter modules, LoRA  (low-rank adaptation)"), source("other")]
    s = retrieval_scores(ITEM, ranked, k=5)
    assert s.rank == 2 and s.hit == 1.0 and s.mrr == pytest.approx(0.5)
    assert s.recall == pytest.approx(0.5)  # GPTQ was not found
    assert 0 < s.ndcg < 1
    miss = retrieval_scores(ITEM, [source("nothing")] * 5 + [source("GPTQ Paper")], k=5)
    assert miss.rank == 6 and miss.hit == 0.0 and miss.mrr == 0.0 and miss.recall == 0.0


def test_citation_validity_counts_markers_without_support() -> None:
    good = source("LoRA adapts models with low-rank matrices.", 1)
    other = source("Quantization reduces precision.", 2)
    answer = Answer(
        text="LoRA adapts models with low-rank matrices [1]. Quantization is about LoRA [2]. Nothing here [3].",
        citations=[Citation(1, good, "LoRA adapts models with low-rank matrices.")],
        sources=[good, other],
        grounded=True,
        backend="test",
    )
    assert citation_validity(answer) == (1, 3)  # [2] has no quote, [3] points at no source


def test_citation_validity_reads_a_sentence_with_a_decimal_whole() -> None:
    paper = source("Our big model reached a BLEU score of 28.4 on the WMT 2014 English-to-German task.", 1)
    answer = Answer(
        text="The big model reached a BLEU score of 28.4 [1].",
        citations=[
            Citation(1, paper, "Our big model reached a BLEU score of 28.4 on the WMT 2014 English-to-German task.")
        ],
        sources=[paper],
        grounded=True,
        backend="test",
    )
    assert citation_validity(answer) == (1, 1)  # "4 [1]." alone would not be supported by the quote
