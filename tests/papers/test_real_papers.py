"""The 12 real arXiv papers of ../shared/papers, served on 127.0.0.1 as arXiv would: fetch, ingest, ask.

These are the papers path's real-world test: clean text (no bibliography, no figure debris), questions
routed to the paper they name, answers cited by paper and page, refusals that hold with papers in, and the
paper golden set's gates. Where ../shared/papers is absent (a user's clone) the module skips, saying why.
"""

from __future__ import annotations

import csv
import os
import re
from pathlib import Path

import pytest

from roadmap_rag.api import Assistant
from roadmap_rag.corpus.catalog import load_catalog
from roadmap_rag.evaluation import load_dataset, run_eval
from roadmap_rag.evaluation.runner import EvalRun
from roadmap_rag.index.embeddings import Embedder, embedding_space
from roadmap_rag.index.ingest import ingest
from roadmap_rag.index.paper_fetch import fetch_papers
from roadmap_rag.index.state import read_state
from roadmap_rag.index.store import ChromaStore
from roadmap_rag.serve.display import source_label
from roadmap_rag.settings import Settings
from roadmap_rag.types import Kind
from tests.conftest import CORPUS, REPO
from tests.papers.server import Route, serving

SHARED = Path(os.environ.get("ROADMAP_RAG_TEST_PAPERS", REPO.parent / "shared" / "papers"))
if not (SHARED / "SOURCES.tsv").is_file():
    pytest.skip(
        f"the real papers are not here ({SHARED}/SOURCES.tsv is absent); set ROADMAP_RAG_TEST_PAPERS to a folder "
        "of arXiv PDFs with their SOURCES.tsv to run these tests",
        allow_module_level=True,
    )

PAPERS = list(csv.DictReader((SHARED / "SOURCES.tsv").open(encoding="utf-8"), delimiter="\t"))
PAPER_SET = REPO / "eval/datasets/paper_qa.jsonl"
HOLDOUT_SET = REPO / "eval/datasets/paper_qa_holdout.jsonl"
ROADMAP_SET = REPO / "eval/datasets/roadmap_qa.jsonl"


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> tuple[Settings, Assistant]:
    """The roadmaps, then the 12 papers fetched from a loopback 'arXiv' and ingested (about a minute)."""
    catalog = load_catalog(CORPUS / "papers" / "catalog.yaml")
    routes = {row["arxiv_id"]: Route(body=(SHARED / f"{row['arxiv_id']}.pdf").read_bytes()) for row in PAPERS}
    ids = [paper.id for row in PAPERS if (paper := catalog.by_arxiv(row["arxiv_id"])) is not None]
    assert len(ids) == len(PAPERS), "every shared paper is in the catalog"
    with serving(routes) as server:
        settings = Settings(
            data_dir=tmp_path_factory.mktemp("real-papers"),
            corpus_dir=CORPUS,
            llm="extractive",
            papers_url=server.url(),
            papers_delay=0.0,
            papers_max_bytes=5_000_000,
        )
        assert ingest(settings, embedder=embedder).ok
        report = fetch_papers(settings, ids, embedder=embedder)
    assert report.count("fetched") == len(PAPERS), report.summary()
    assert report.ingest is not None and report.ingest.ok
    return settings, Assistant(settings, embedder=embedder)


def _paper_chunks(settings: Settings) -> list:  # type: ignore[type-arg]
    return [c for c in ChromaStore(settings, embedding_space(settings)).all_chunks() if c.kind == Kind.PAPER]


def _debris(text: str) -> bool:
    """Mostly numbers and symbols: a table or a figure's labels."""
    tokens = text.split()
    prose = sum(bool(re.fullmatch(r"[(\"“]?[A-Za-z][a-z]{2,}[)\"”,.;:]*", t)) for t in tokens)
    return not tokens or prose < 0.4 * len(tokens)


def test_papers_are_indexed_without_bibliography_or_debris_and_count_their_pages(indexed) -> None:
    settings, _ = indexed
    chunks = _paper_chunks(settings)
    assert {c.doc_id for c in chunks} == {
        f"paper-{load_catalog(settings.papers_catalog).by_arxiv(r['arxiv_id']).id}" for r in PAPERS
    }  # type: ignore[union-attr]
    in_bibliography = [c.section for c in chunks if re.match(r"(?i)(references|bibliography)\b", c.section)]
    assert in_bibliography == []
    assert sum(_debris(c.text) for c in chunks) <= 0.02 * len(chunks)
    assert not any(re.search(r"\b\d+ [A-Z][a-z]+ \d{1,3}$", c.section) for c in chunks)  # "9 Conclusion 27"
    assert any(c.section.startswith("Appendix ") for c in chunks)  # kept, and labelled
    documents = read_state(settings)["documents"]
    papers = {k: v for k, v in documents.items() if v["kind"] == Kind.PAPER}
    assert sum(v["pages"] for v in papers.values()) == sum(int(r["pages"]) for r in PAPERS)
    assert all(v["references"] > 0 for v in papers.values())  # what each paper cites, kept apart


def test_a_paper_question_is_answered_from_its_page_and_cited_by_paper_and_page(indexed) -> None:
    _, assistant = indexed
    answer = assistant.ask("How much does LoRA cut VRAM consumption when training GPT-3 175B?")
    assert answer.grounded and "from 1.2TB to 350GB" in answer.text
    cited = {c.number: c.source for c in answer.citations}
    source = next(s for s in cited.values() if "1.2TB to 350GB" in s.text)
    assert source.doc_id == "paper-lora" and source.page == 5
    label = source_label(1, source).replace("\\", "")  # the CLI's label, markdown-escaped
    assert label.startswith("[1] LoRA (Hu et al., 2021), p. 5 — 4 Our Method"), label
    decimals = assistant.ask("How close do adapters get to full fine-tuning on GLUE, according to the adapters paper?")
    assert "80.0" in decimals.text and "80.4" in decimals.text  # a decimal is never cut at its dot


def test_a_two_hop_question_gets_the_papers_passage_and_where_the_roadmaps_recommend_it(indexed) -> None:
    _, assistant = indexed
    q = "What does the BERT paper say about next sentence prediction, and where do the roadmaps recommend BERT?"
    answer = assistant.ask(q)
    cited = {c.number: c.source for c in answer.citations}
    on_page = [s for s in cited.values() if s.doc_id == "paper-bert" and s.page]
    assert on_page and any("next sentence" in s.text.lower() for s in on_page)
    assert "Recommended in Complete Large Language Model (LLM) Learning Roadmap under Transformers Architecture" in (
        answer.text
    )
    card = next(s for s in cited.values() if s.kind == Kind.PAPER_CARD and "Recommended in" in s.text)
    assert card.doc_id == "card-bert"


def test_a_plain_term_gets_the_papers_body_beside_the_roadmaps(indexed) -> None:
    _, assistant = indexed
    sources = assistant.retrieve("Does chain-of-thought prompting help small models?", k=5)
    paper = [s for s in sources if s.kind == Kind.PAPER]
    assert paper and len(paper) <= 3 and any(s.kind == Kind.ROADMAP for s in sources)
    assert not any(s.section.startswith("Appendix") for s in paper)  # an appendix's examples never answer


def test_roadmap_questions_stay_on_the_roadmaps(indexed) -> None:
    _, assistant = indexed
    for question in ("What should I study before transformers?", "What does the roadmap say about LoRA?"):
        sources = assistant.retrieve(question, k=5)
        assert all(s.kind != Kind.PAPER for s in sources), (question, [s.id for s in sources])


def _run(assistant: Assistant, path: Path) -> EvalRun:
    return run_eval(assistant, load_dataset(path), k=5, llm="extractive")


@pytest.mark.eval
def test_paper_gates(indexed, assistant: Assistant) -> None:
    """Issue 16's gates: on the paper golden set hit@5 >= 0.95, the right page >= 0.95 (the issue asks 0.85; 0.959
    was reached) and fact recall >= 0.8; every off-corpus question refused with the papers in (including those an
    appendix of example prompts could answer); the roadmap golden set within 0.01 of its roadmaps-only hit@5, MRR
    and fact recall, measured in this run (identical when this was written)."""
    _, with_papers = indexed
    papers = _run(with_papers, PAPER_SET).summary()
    assert papers["refusal_accuracy"] == 1.0, papers
    assert papers["unsupported_rate"] <= 0.02 and papers["raw_markup_rate"] == 0.0, papers
    assert papers["citation_validity"] >= 0.95, papers
    assert papers["hit@5"] >= 0.95 and papers["page@5"] >= 0.95, papers
    assert papers["fact_recall"] >= 0.8, papers
    roadmaps_only = _run(assistant, ROADMAP_SET).summary()
    roadmaps_with_papers = _run(with_papers, ROADMAP_SET).summary()
    assert roadmaps_with_papers["refusal_accuracy"] == 1.0, roadmaps_with_papers
    for metric in ("hit@5", "mrr", "fact_recall"):
        assert roadmaps_with_papers[metric] >= roadmaps_only[metric] - 0.01, (
            metric,
            roadmaps_only,
            roadmaps_with_papers,
        )


@pytest.mark.eval
def test_paper_holdout_gates(indexed) -> None:
    """The paper holdout set: 24 questions written after issue 16's retrieval and composer changes (16 of them on
    facts past page 1), plus 2 off-corpus. When this was written: 23 of 24 in the top 5 on their page, 25 of 27 facts
    stated (the code before issue 16's second session: 20 of 24 and 23 of 27); one question or fact of slack."""
    _, with_papers = indexed
    holdout = _run(with_papers, HOLDOUT_SET).summary()
    assert holdout["refusal_accuracy"] == 1.0, holdout
    assert holdout["hit@5"] >= 0.9 and holdout["page@5"] >= 0.9, holdout
    assert holdout["fact_recall"] >= 0.88 and holdout["unsupported_rate"] <= 0.02, holdout
