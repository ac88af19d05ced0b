"""Hybrid retrieval against its parts, measured on the golden questions."""

from __future__ import annotations

from roadmap_rag import Assistant
from roadmap_rag.evaluation import load_dataset
from roadmap_rag.evaluation.metrics import retrieval_scores

from .conftest import REPO


def test_hybrid_finds_what_dense_or_lexical_alone_misses(assistant: Assistant) -> None:
    items = [i for i in load_dataset(REPO / "eval/datasets/roadmap_qa.jsonl") if i.answerable]
    found: dict[str, set[str]] = {}
    for mode in ("dense", "lexical", "hybrid"):
        found[mode] = {
            i.id for i in items if retrieval_scores(i, assistant.retrieve(i.question, k=5, mode=mode), 5).hit
        }
    assert found["hybrid"] - found["dense"], "hybrid should find passages that dense alone misses"
    assert found["hybrid"] - found["lexical"], "hybrid should find passages that BM25 alone misses"
    assert len(found["hybrid"]) > max(len(found["dense"]), len(found["lexical"]))


def test_a_question_naming_a_document_searches_that_document(assistant: Assistant) -> None:
    sources = assistant.retrieve("Which tools does the curriculum list for interpretability?", k=3)
    assert {s.doc_id for s in sources} == {"comprehensive-llm-curriculum"}
    assert "Captum" in sources[0].text
