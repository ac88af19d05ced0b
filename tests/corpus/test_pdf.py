"""PDF page cleaning: running headers and footers, page numbers, hyphenation, sections."""

from __future__ import annotations

from pathlib import Path

import pytest

from roadmap_rag.corpus.chunking import chunk_document
from roadmap_rag.corpus.documents import load_document
from roadmap_rag.corpus.pdf import clean_pages, read_paper
from roadmap_rag.settings import Settings
from tests.papers.conftest import KNOWN_SENTENCE, lora_pdf

pytestmark = pytest.mark.fast  # logic only: no model, no Chroma, no server (make test-fast)

BODY = "a line of body text that runs most of the way across the page in this paper"


def test_running_headers_footers_and_page_numbers_go() -> None:
    words = ["adapters", "prompts", "experts", "quantization"]
    pages = [
        f"Preprint. Under review.\nPage {n} is about {w}: {BODY}\nand ends with {w}.\n{n}"
        for n, w in enumerate(words, 1)
    ]
    cleaned = clean_pages(pages)
    assert len(cleaned) == 4
    assert all("Preprint" not in page for page in cleaned)
    assert all(not page.rstrip().endswith(("\n1", "\n2", "\n3", "\n4")) for page in cleaned)
    assert all(f"Page {n} is about {w}: {BODY} and ends with {w}." in cleaned[n - 1] for n, w in enumerate(words, 1))


def test_a_line_on_only_two_pages_is_not_a_running_header() -> None:
    pages = ["Table 1 shows results\n" + BODY, "Table 1 shows results\n" + BODY, BODY, BODY]
    assert "Table 1 shows results" in clean_pages(pages)[0]


def test_line_end_hyphens_join_and_lines_reflow() -> None:
    page = f"The low-rank adap-\ntation keeps the pre-\ntrained weights frozen and\nadds {BODY}."
    [cleaned] = clean_pages([page])
    assert "low-rank adaptation keeps the pretrained weights frozen and adds" in cleaned
    assert "Self-\nAttention" not in clean_pages(["Self-\nAttention is used"])[0]  # capitalised: a real hyphen


def test_numbered_section_titles_become_headings_in_sequence() -> None:
    page = (
        "Abstract\nWe adapt.\n1 Introduction\nText.\n2017 Conference on Things\n2 Method\n2.1 Low-Rank Updates\nMore."
    )
    [cleaned] = clean_pages([page])
    lines = cleaned.split("\n")
    assert "# Abstract" in lines and "# 1 Introduction" in lines and "# 2 Method" in lines
    assert "## 2.1 Low-Rank Updates" in lines
    assert "# 2017 Conference on Things" not in lines  # out of sequence: not a section


def test_a_paper_pdf_chunks_by_section_with_pages(tmp_path: Path) -> None:
    doc = load_document(lora_pdf(tmp_path / "2106.09685.pdf"), Settings(data_dir=tmp_path))
    assert "Preprint" not in doc.text and doc.is_markdown
    chunks = chunk_document(doc)
    known = next(c for c in chunks if KNOWN_SENTENCE in c.text)
    assert known.page == 3 and known.section == "3 Our Method"
    assert {c.section for c in chunks} >= {"Abstract", "1 Introduction", "2 Problem Statement", "3 Our Method"}


PROSE = "We train the model on a large corpus and report the results of every run in the tables below, page by page."


def test_the_bibliography_is_kept_out_and_its_entries_apart() -> None:
    pages = [
        f"1 Introduction\n{PROSE}\n2 Method\n{PROSE}",
        "References\n[1] Ashish Vaswani, Noam Shazeer. Attention is all\nyou need. In NeurIPS, 2017.\n"
        "[2] Edward J. Hu, Yelong Shen. LoRA: Low-rank adaptation. In ICLR, 2022.",
    ]
    paper = read_paper(pages)
    assert "Vaswani" not in paper.pages[1] and "References" not in "".join(paper.pages)
    assert paper.references == [
        "[1] Ashish Vaswani, Noam Shazeer. Attention is all you need. In NeurIPS, 2017.",
        "[2] Edward J. Hu, Yelong Shen. LoRA: Low-rank adaptation. In ICLR, 2022.",
    ]
    assert paper.dropped["bibliography"] == 3


def test_an_appendix_after_the_bibliography_is_kept_and_labelled() -> None:
    pages = [
        f"1 Introduction\n{PROSE}",
        "References\nA. Radford, J. Wu, R. Child. Language models are unsupervised\nmultitask learners. 2019.",
        f"A ADDITIONAL DETAILS\n{PROSE}\nA.1 Hyperparameters\nWe use a learning rate of 0.0002 for all runs.\n"
        f"B Extra Results\n{PROSE}",
    ]
    lines = read_paper(pages).pages[2].split("\n")
    assert "# Appendix A Additional Details" in lines
    assert "## A.1 Hyperparameters" in lines and "# Appendix B Extra Results" in lines
    assert "We use a learning rate of 0.0002 for all runs." in lines  # the decimal intact


def test_a_table_of_contents_does_not_become_the_sections() -> None:
    contents = "Contents\n1 Introduction 2\n2 Background and Methods 6\n3 Empirical Results 7\n4 Discussion 18"
    pages = [contents, f"1 Introduction\n{PROSE}\n2 Background and Methods\n{PROSE}"]
    paper = read_paper(pages)
    assert paper.pages[0] == "" and paper.dropped["table of contents"] == 5
    assert "# 1 Introduction" in paper.pages[1] and "# 2 Background and Methods" in paper.pages[1]


def test_figure_and_table_debris_goes_and_captions_stay() -> None:
    page = (
        f"{PROSE}\nModel Params BLEU\nLoRA 0.8M 87.5 95.1 89.7\nGPT-2 354.9M 68.2 8.62 46.2\n0.2 0.4 0.6 0.8\n"
        "Loss\nTokens\nCompute\nTable 2: Results on GLUE for each model size.\n"
        "Adaptation keeps the base weights frozen, as in the setup with A=16, Total\nParameters=340M)."
    )
    [cleaned] = clean_pages([page])
    assert "87.5" not in cleaned and "0.4 0.6" not in cleaned and "Compute" not in cleaned
    assert "Table 2: Results on GLUE for each model size." in cleaned.split("\n")
    assert "Total Parameters=340M)." in cleaned  # a formula that ends the sentence above is prose


def test_glyphs_and_ligatures_are_normalised_and_capital_titles_read_as_titles() -> None:
    page = "1 OUR METHOD\nThe \ufb01ne-tuned model reaches \u22120.2 loss with \U0001d451 = 64 and \uf8ecno bracket."
    [cleaned] = clean_pages([page])
    assert cleaned.split("\n")[0] == "# 1 Our Method"
    assert "fine-tuned model reaches -0.2 loss with d = 64 and no bracket." in cleaned


def test_a_footnote_or_list_item_out_of_sequence_is_not_a_section() -> None:
    page = (
        f"1 Introduction\n{PROSE}\n4 We treat MNLI and its mismatched set as separate tasks with individ-\n"
        f"ual heads.\n2 Method\n{PROSE}\n11. Wiki Lingua English (Ladhak et al., 2020)"
    )
    lines = clean_pages([page])[0].split("\n")
    assert [x for x in lines if x.startswith("#")] == ["# 1 Introduction", "# 2 Method"]


def test_pdfium_line_end_hyphens_join_unless_the_paper_hyphenates_the_word() -> None:
    pages = [
        "We use low-rank adap\ufffetation with fine\ufffetuning and a left-to\ufffe\nright model on "
        "English\ufffeto-German.",
        "Full fine-tuning is the baseline.",
    ]
    assert clean_pages(pages)[0] == (
        "We use low-rank adaptation with fine-tuning and a left-to-right model on English-to-German."
    )


def test_a_compound_broken_at_a_line_end_keeps_its_hyphen() -> None:
    """Two words the paper writes on their own ('lower', 'level') make a compound, never 'lowerlevel'; a number
    and a word too ('2-layer'); a fragment that is no word of the paper still joins ('repre' + 'sentation')."""
    pages = [
        "Higher states capture meaning while lower\ufffelevel states model syntax in a 2\ufffelayer LSTM. The "
        "lower layers and the level of each repre\ufffesentation differ.",
        "Every representation is a function of the input.",
    ]
    assert clean_pages(pages)[0] == (
        "Higher states capture meaning while lower-level states model syntax in a 2-layer LSTM. The "
        "lower layers and the level of each representation differ."
    )


def test_footnote_marks_glued_to_sentences_go_and_numbers_stay() -> None:
    page = (
        'The update could have a very small "intrinsic rank".6 To support this, the checkpoint shrinks from 350GB '
        "to 35MB)4. This gains 3.6 points on GLUE in 2017. Training took 3.5 days."
    )
    [cleaned] = clean_pages([page])
    assert '"intrinsic rank". To support' in cleaned and "to 35MB). This gains 3.6 points" in cleaned
    assert "in 2017. Training took 3.5 days." in cleaned
