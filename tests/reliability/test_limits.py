"""Input limits: enforced, configurable (settings / ROADMAP_RAG_* variables), and each refusal says which
limit and how to raise it, while everything within the limits is still ingested."""

from __future__ import annotations

from pathlib import Path

import pytest

from roadmap_rag import Assistant, QuestionError, Settings
from roadmap_rag.index.ingest import ingest
from tests.pdfs import write_pdf

TOPICS = ["tokenization", "attention", "fine-tuning", "quantization", "evaluation"]


def _corpus(root: Path) -> Path:
    root.mkdir()
    for topic in TOPICS:
        (root / f"{topic}.md").write_text(f"# {topic.title()}\n{topic.title()} is a topic of the roadmap.\n")
    return root


def test_limits_are_enforced_and_named(tmp_path: Path, embedder, ledger) -> None:
    corpus = _corpus(tmp_path / "corpus")
    write_pdf(corpus / "long.pdf", ["Page one about LoRA.", "Page two about QLoRA.", "Page three about DoRA."])
    (corpus / "big.md").write_text("# Big\n" + "Scaling laws relate loss to compute. " * 200)
    settings = Settings(
        data_dir=tmp_path / "data",
        corpus_dir=corpus,
        max_files=6,
        max_pdf_pages=2,
        max_file_bytes=4_000,
        max_question_chars=60,
        llm="extractive",
    )
    report = ingest(settings, embedder=embedder)
    reasons = [str(f) for f in report.failures]
    assert any("7 files exceed max_files=6" in r and "ROADMAP_RAG_MAX_FILES" in r for r in reasons), reasons
    assert any("big.md" in r and "max_file_bytes=4,000" in r for r in reasons), reasons
    assert any("long.pdf" in r and "max_pdf_pages=2" in r for r in reasons), reasons
    assert report.documents_seen >= 4 and report.added >= 4  # the rest is ingested
    with pytest.raises(QuestionError, match="over the limit of 60"):
        Assistant(settings, embedder=embedder).ask("What is tokenization? " * 5)
    ledger.add(
        "input limits",
        "max_files=6 (7 files), max_file_bytes=4,000 (7 kB file), max_pdf_pages=2 (3 pages), "
        "max_question_chars=60 (110)",
        f"{len(reasons)} files refused with the limit named; "
        f"{report.documents_seen} documents ingested; the long question refused",
    )


def test_pdf_page_limit(tmp_path: Path, embedder) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_pdf(corpus / "long.pdf", ["Page one about LoRA.", "Page two about QLoRA.", "Page three about DoRA."])
    (corpus / "ok.md").write_text("# Ok\nA short roadmap note about adapters.\n")
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=corpus, max_pdf_pages=2)
    report = ingest(settings, embedder=embedder)
    (failure,) = report.failures
    assert "long.pdf" in str(failure) and "3 pages, over max_pdf_pages=2" in str(failure)
    assert "ROADMAP_RAG_MAX_PDF_PAGES" in str(failure) and report.documents_seen >= 1 and report.added >= 1
