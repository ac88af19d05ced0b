"""The app's papers view and paper sources, on an index with a paper fetched from a loopback 'arXiv'."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from roadmap_rag.index.embeddings import Embedder
from roadmap_rag.index.ingest import ingest
from roadmap_rag.index.paper_fetch import fetch_papers
from roadmap_rag.index.state import read_state
from roadmap_rag.serve.display import kind_summary, page_link
from roadmap_rag.settings import Settings
from roadmap_rag.types import Kind, Source
from tests.app.pages import open_app
from tests.papers.conftest import CATALOG, ROADMAP, lora_pdf
from tests.papers.server import Route, serving


def test_a_paper_source_links_to_its_pdf_page() -> None:
    arxiv = "https://arxiv.org/abs/2106.09685"
    source = Source("c", "paper-lora", "LoRA", "4 Our Method", "text", 0.5, kind=Kind.PAPER, page=4, url=arxiv)
    assert page_link(source) == "https://arxiv.org/pdf/2106.09685#page=4"
    roadmap = Source("r", "guide", "Guide", "S", "text", 0.5, url="https://example.org/guide")
    assert page_link(roadmap) == "https://example.org/guide"


def test_the_papers_view_lists_the_indexed_papers_with_their_pages(
    tmp_path: Path, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = tmp_path / "corpus"
    (corpus / "papers").mkdir(parents=True)
    (corpus / "papers" / "catalog.yaml").write_text(CATALOG, encoding="utf-8")
    (corpus / "guide.md").write_text(ROADMAP, encoding="utf-8")
    body = lora_pdf(tmp_path / "lora.pdf").read_bytes()
    with serving({"2106.09685": Route(body=body)}) as server:
        settings = Settings(data_dir=tmp_path / "data", corpus_dir=corpus, papers_url=server.url(), papers_delay=0.0)
        assert ingest(settings, embedder=embedder).ok
        assert fetch_papers(settings, ["lora"], embedder=embedder).count("fetched") == 1
    assert "1 paper (" in kind_summary(read_state(settings)["documents"])
    assert ", 3 pages)" in kind_summary(read_state(settings)["documents"])

    papers = open_app(monkeypatch, settings.data_dir, corpus).tabs[5]
    # Labels are Markdown, escaped (issue 29): a learner reads them unescaped.
    assert [re.sub(r"\\(.)", r"\1", e.label) for e in papers.expander] == ["LoRA (Hu et al., 2021) · 3 pages"]
    assert any("1 paper, 3 pages" in c.value for c in papers.caption)
    assert any("introduced low" in m.value and "adaptation" in m.value for m in papers.markdown)
