"""A small corpus with a paper catalog, and paper-like PDFs with known sentences on known pages."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.pdfs import write_paper_pdf

CATALOG = """
papers:
  - {id: lora, title: "LoRA: Low-Rank Adaptation of Large Language Models", short: LoRA,
     authors: [Edward J. Hu, Yelong Shen], et_al: true, year: 2021, arxiv: "2106.09685",
     introduces: low-rank adaptation, names: [LoRA]}
  - {id: scaling-laws, title: Scaling Laws for Neural Language Models, short: Scaling Laws,
     authors: [Jared Kaplan], et_al: true, year: 2020, arxiv: "2001.08361", introduces: scaling laws}
  - {id: instructgpt, title: Training language models to follow instructions with human feedback,
     short: InstructGPT, authors: [Long Ouyang], et_al: true, year: 2022, arxiv: "2203.02155", introduces: RLHF}
  - {id: gpt-3, title: Language Models are Few-Shot Learners, short: GPT-3, authors: [Tom B. Brown],
     et_al: true, year: 2020, arxiv: "2005.14165", introduces: few-shot learning}
  - {id: transformer, title: Attention Is All You Need, short: Transformer, authors: [Ashish Vaswani],
     et_al: true, year: 2017, arxiv: "1706.03762", introduces: the Transformer}
  - {id: flan, title: Finetuned Language Models Are Zero-Shot Learners, short: FLAN, authors: [Jason Wei],
     et_al: true, year: 2021, arxiv: "2109.01652", introduces: instruction tuning}
  - {id: glove, title: "GloVe: Global Vectors for Word Representation", short: GloVe,
     authors: [Jeffrey Pennington, Richard Socher, Christopher D. Manning], year: 2014, arxiv: null,
     url: "https://aclanthology.org/D14-1162/", introduces: GloVe word vectors}
"""

ROADMAP = """# Fine-tuning guide

## Adapters
Read the LoRA Paper before you fine-tune: LoRA trains small low-rank matrices.

## Scaling
- Resource: Scaling Laws for Neural Language Models
- Resource: Quux Paper
"""

FILLER = (
    "Low-rank adaptation freezes the pretrained weights and trains a pair of small matrices whose product "
    "is added to each weight update, which cuts the number of trainable parameters by orders of magnitude. "
)
KNOWN_SENTENCE = "The zebra adapter stores its low-rank factors in the attic, next to the frozen weights."


def lora_pdf(path: Path) -> Path:
    """Three pages; KNOWN_SENTENCE is on page 3, in section '3 Our Method'."""
    return write_paper_pdf(
        path,
        "LoRA: Low-Rank Adaptation of Large Language Models",
        [
            ["Abstract", FILLER * 2, "1 Introduction", FILLER * 2],
            ["2 Problem Statement", FILLER * 3],
            ["3 Our Method", f"{KNOWN_SENTENCE} {FILLER}"],
        ],
    )


@pytest.fixture(scope="session")
def lora_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return lora_pdf(tmp_path_factory.mktemp("pdf") / "lora.pdf").read_bytes()


@pytest.fixture
def paper_corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    (root / "papers").mkdir(parents=True)
    (root / "papers" / "catalog.yaml").write_text(CATALOG, encoding="utf-8")
    (root / "guide.md").write_text(ROADMAP, encoding="utf-8")
    return root
