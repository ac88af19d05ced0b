"""`papers fetch` against a real HTTP server on 127.0.0.1: fetch, cache, resume, failures, offline."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from roadmap_rag.api import Assistant
from roadmap_rag.cli import app
from roadmap_rag.index.chroma_server import free_port
from roadmap_rag.index.embeddings import embedding_space
from roadmap_rag.index.ingest import ingest
from roadmap_rag.index.paper_fetch import fetch_papers
from roadmap_rag.index.store import ChromaStore
from roadmap_rag.settings import Settings
from tests.papers.server import Route, serving


def settings_for(paper_corpus: Path, url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": paper_corpus.parent / "data",
        "corpus_dir": paper_corpus,
        "llm": "extractive",
        "papers_url": url,
        "papers_delay": 0.0,
        "papers_backoff": 0.01,
        "papers_retries": 1,
        "papers_timeout": 0.4,
        "papers_max_bytes": 1_000_000,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def chunk_ids(settings: Settings, kind: str) -> set[str]:
    return {c.id for c in ChromaStore(settings, embedding_space(settings)).all_chunks() if c.kind == kind}


def test_fetched_paper_is_cited_by_page_and_cached(paper_corpus, lora_bytes, embedder) -> None:
    with serving({"2106.09685": Route(body=lora_bytes)}) as server:
        settings = settings_for(paper_corpus, server.url())
        assert ingest(settings, embedder=embedder).ok
        roadmap_before = chunk_ids(settings, "roadmap")
        report = fetch_papers(settings, ["lora"], embedder=embedder)
        [outcome] = report.outcomes
        assert outcome.status == "fetched" and outcome.path == settings.papers_dir / "2106.09685.pdf"
        assert outcome.sha256 == hashlib.sha256(lora_bytes).hexdigest()
        record = json.loads((settings.papers_dir / "fetched.json").read_text())
        assert record["2106.09685"]["sha256"] == outcome.sha256 and record["2106.09685"]["bytes"] == len(lora_bytes)
        assert report.ingest is not None and report.ingest.added >= 3
        assert chunk_ids(settings, "roadmap") == roadmap_before  # the roadmaps are untouched

        assistant = Assistant(settings, embedder=embedder)
        question = "Where does the zebra adapter store its low-rank factors?"
        # A question that names no paper stays on the roadmaps; naming the paper, or choosing papers, reaches it.
        assert all(s.kind != "paper" for s in assistant.retrieve(question))
        assert assistant.retrieve(question, kinds=("paper",))[0].doc_id == "paper-lora"
        answer = assistant.ask(f"{question[:-1]}, according to the LoRA paper?")
        assert answer.grounded and answer.citations
        cited = answer.citations[0].source
        assert cited.kind == "paper" and cited.doc_id == "paper-lora" and cited.page == 3
        assert cited.label().startswith("LoRA (Hu et al., 2021), p. 3")
        assert "zebra adapter" in cited.text and cited.section == "3 Our Method"

        again = fetch_papers(settings, ["lora"], embedder=embedder)
        assert [o.status for o in again.outcomes] == ["cached"]
        assert len(server.hits("2106.09685")) == 1  # the second run made no request


def test_interrupted_download_resumes_where_it_stopped(paper_corpus, lora_bytes, embedder) -> None:
    half = len(lora_bytes) // 2
    with serving({"2109.01652": Route(body=lora_bytes, cut_after=half)}) as server:
        settings = settings_for(paper_corpus, server.url(), papers_retries=0)
        first = fetch_papers(settings, ["flan"], embedder=embedder)
        assert first.outcomes[0].status == "failed" and "will resume" in first.outcomes[0].reason
        part = settings.papers_dir / "2109.01652.pdf.part"
        assert part.stat().st_size == half

        second = fetch_papers(settings, ["flan"], embedder=embedder)
        outcome = second.outcomes[0]
        assert outcome.status == "fetched" and outcome.resumed
        assert server.hits("2109.01652") == [None, f"bytes={half}-"]
        assert (settings.papers_dir / "2109.01652.pdf").read_bytes() == lora_bytes and not part.exists()


def test_each_failure_says_why_and_the_rest_is_fetched(paper_corpus, lora_bytes, embedder) -> None:
    routes = {
        "2106.09685": Route(body=lora_bytes),
        "2001.08361": Route(status=404),
        "2203.02155": Route(body=lora_bytes, stall_s=1.5),
        "2005.14165": Route(body=b"<html><body>Rate limited, try later</body></html>"),
        "1706.03762": Route(body=lora_bytes, claim_length=50_000_000),
        "2109.01652": Route(body=b"%PDF-1.4\n" + b"garbage" * 100),
    }
    sleeps: list[float] = []
    with serving(routes) as server:
        settings = settings_for(paper_corpus, server.url(), papers_delay=0.25)
        report = fetch_papers(settings, sleep=sleeps.append, embedder=embedder)
    by_id = {o.paper: o for o in report.outcomes}
    assert by_id["lora"].status == "fetched"
    assert by_id["scaling-laws"].status == "failed" and "HTTP 404" in by_id["scaling-laws"].reason
    assert by_id["scaling-laws"].attempts == 1  # a 404 is not retried
    stalled = by_id["instructgpt"]
    assert stalled.status == "failed" and "timeout" in stalled.reason and stalled.attempts == 2
    assert by_id["gpt-3"].status == "failed" and "is not a PDF" in by_id["gpt-3"].reason
    assert "over papers_max_bytes=1,000,000" in by_id["transformer"].reason
    assert "corrupt PDF" in by_id["flan"].reason
    assert by_id["glove"].status == "skipped" and "not on arXiv" in by_id["glove"].reason
    assert report.count("failed") == 5 and "5 failed" in report.summary()
    # Politely: one request at a time, with the delay between requests and a backoff before a retry.
    assert sleeps.count(0.25) == len(server.requests) - 1 and 0.01 in sleeps
    assert sorted(p.name for p in settings.papers_dir.iterdir()) == ["2106.09685.pdf", "fetched.json"]
    assert report.ingest is not None and report.ingest.ok


def test_offline_fails_cleanly_and_leaves_the_index_alone(paper_corpus, embedder) -> None:
    settings = settings_for(paper_corpus, f"http://127.0.0.1:{free_port()}/pdf/{{arxiv}}")
    assert ingest(settings, embedder=embedder).ok
    before = chunk_ids(settings, "roadmap") | chunk_ids(settings, "paper-card")
    started = time.perf_counter()
    report = fetch_papers(settings, embedder=embedder)
    assert time.perf_counter() - started < 10
    failed = report.failed
    assert len(failed) == 6 and report.count("skipped") == 1 and report.ingest is None
    assert "offline?" in failed[0].reason and failed[0].attempts == 2
    assert all("not tried" in o.reason and "unreachable" in o.reason for o in failed[1:])
    assert chunk_ids(settings, "roadmap") | chunk_ids(settings, "paper-card") == before

    env = {
        "ROADMAP_RAG_DATA_DIR": str(settings.data_dir),
        "ROADMAP_RAG_CORPUS_DIR": str(paper_corpus),
        "ROADMAP_RAG_PAPERS_URL": settings.papers_url,
        "ROADMAP_RAG_PAPERS_RETRIES": "0",
    }
    result = CliRunner().invoke(app, ["papers", "fetch", "--only", "lora", "--only", "flan"], env=env)
    assert result.exit_code == 1
    assert "fetch: 2 papers: 0 fetched, 0 cached, 2 failed" in result.output
    assert "the index is unchanged" in result.output


def test_unknown_id_is_refused_with_the_way_to_list_ids(paper_corpus) -> None:
    settings = settings_for(paper_corpus, "http://127.0.0.1:9/pdf/{arxiv}")
    from roadmap_rag.errors import ConfigError

    with pytest.raises(ConfigError, match=r"unknown paper id.*nope.*papers scan"):
        fetch_papers(settings, ["nope"])


@pytest.mark.parametrize("url", ["ftp://mirror.example/pdf/{arxiv}", "file:///etc/{arxiv}", "arxiv.org/pdf/{arxiv}"])
def test_a_papers_url_that_is_not_http_is_refused_by_name(paper_corpus, url: str) -> None:
    env = {
        "ROADMAP_RAG_DATA_DIR": str(paper_corpus.parent / "data"),
        "ROADMAP_RAG_CORPUS_DIR": str(paper_corpus),
        "ROADMAP_RAG_PAPERS_URL": url,
    }
    result = CliRunner().invoke(app, ["papers", "fetch", "--only", "lora"], env=env)
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "papers_url" in result.output and "http" in result.output and "ROADMAP_RAG_PAPERS_URL" in result.output
    assert not (paper_corpus.parent / "data" / "papers" / "2106.09685.pdf").exists()
