"""PDF page cleaning: running headers and footers, page numbers, hyphenation, sections."""

from __future__ import annotations

from pathlib import Path

import pytest

from roadmap_rag.chunking import chunk_document
from roadmap_rag.corpus import load_document
from roadmap_rag.pdf import clean_pages
from roadmap_rag.settings import Settings

from .papers.conftest import KNOWN_SENTENCE, lora_pdf

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
