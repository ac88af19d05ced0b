"""Which part of the corpus a question is for: the roadmaps, a paper's text, or both (catalog names)."""

from __future__ import annotations

from pathlib import Path

import pytest

from roadmap_rag.corpus.catalog import load_catalog
from roadmap_rag.retrieve.routing import PAPER_QUOTA, paper_names, route

pytestmark = pytest.mark.fast

CATALOG = load_catalog(Path(__file__).parents[2] / "corpus" / "papers" / "catalog.yaml")
INDEXED = {f"paper-{p}" for p in ("lora", "bert", "transformer", "roformer", "scaling-laws", "llm-int8")}
NAMES = paper_names(CATALOG.papers, INDEXED)


@pytest.mark.parametrize(
    ("question", "papers"),
    [
        ("How are LoRA's matrices A and B initialized?", ("paper-lora",)),  # a coined name alone
        ("What share of tokens does BERT mask during pre-training?", ("paper-bert",)),
        ("How does RoPE encode position information?", ("paper-roformer",)),
        ("What label smoothing value did Attention Is All You Need use?", ("paper-transformer",)),  # the title
        ("How many layers does the original Transformer encoder stack?", ("paper-transformer",)),
        ("What does the scaling laws paper say about model shape?", ("paper-scaling-laws",)),
        ("At what size do outlier features emerge in LLM.int8()?", ("paper-llm-int8",)),
    ],
)
def test_a_question_on_a_named_paper_goes_to_its_text(question: str, papers: tuple[str, ...]) -> None:
    routed = route(question, NAMES)
    assert routed.papers == papers
    assert routed.quota(5) == 5 and not routed.roadmaps
    assert "paper" not in routed.query.lower() and routed.query.rstrip("?")  # searched without the word "paper"


@pytest.mark.parametrize(
    "question",
    [
        "What should I study before transformers?",  # a plain term, not the paper
        "What are scaling laws?",
        "What does the roadmap say about LoRA?",  # about the roadmaps
        "Where do the roadmaps recommend BERT?",
        "What is RoPE?",  # a definition: the roadmaps explain it, the cards ride along
        "What does BERT stand for?",
        "Which paper introduced LoRA?",  # about the paper as a whole: the catalog's cards
        "Where can I read the original Transformer paper?",
        "Why do stones fall to the ground?",  # no paper named
        "How do I learn about rope access climbing?",  # 'rope' is not 'RoPE'
        "What is GPT-3?",  # a catalog paper whose text is not indexed
    ],
)
def test_other_questions_stay_on_the_roadmaps(question: str) -> None:
    assert route(question, NAMES).papers == ()


def test_a_question_on_a_paper_and_the_roadmaps_gets_both() -> None:
    q = "What does the BERT paper say about next sentence prediction, and where do the roadmaps recommend BERT?"
    routed = route(q, NAMES)
    assert routed.papers == ("paper-bert",) and routed.roadmaps
    assert routed.quota(5) == PAPER_QUOTA < 5


def test_a_plain_term_that_names_a_paper_gets_the_paper_beside_the_roadmaps() -> None:
    routed = route("Does model shape such as depth or width matter much for scaling laws?", NAMES)
    assert routed.papers == ("paper-scaling-laws",) and routed.roadmaps and routed.quota(5) == PAPER_QUOTA
    assert routed.plain and not route("What does the scaling laws paper say about model shape?", NAMES).plain
