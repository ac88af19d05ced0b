"""No dead ends in the app: Ollama unreachable or erroring, an empty index, a stopped Chroma server, re-ingest."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from roadmap_rag import Settings
from roadmap_rag.index.chroma_server import ChromaServer, free_port
from roadmap_rag.index.embeddings import Embedder
from roadmap_rag.index.ingest import ingest
from tests.app.pages import developer_view, open_app
from tests.conftest import CORPUS


def ask_an_unreachable_ollama(page: AppTest, monkeypatch: pytest.MonkeyPatch) -> None:
    """The learner picks Ollama, which is not running, and asks."""
    monkeypatch.setenv("ROADMAP_RAG_OLLAMA_HOST", f"http://127.0.0.1:{free_port()}")  # nothing listens
    st.cache_resource.clear()
    developer_view(page)
    page.sidebar.selectbox[0].set_value("ollama").run()
    page.chat_input[0].set_value("What is LoRA?").run()


def test_unreachable_ollama_is_explained(page: AppTest, monkeypatch: pytest.MonkeyPatch) -> None:
    ask_an_unreachable_ollama(page, monkeypatch)
    assert any("not reachable" in e.value and "ollama serve" in e.value for e in page.error)
    page.sidebar.selectbox[0].set_value("auto").run()
    page.chat_input[0].set_value("What is LoRA?").run()
    answer = page.session_state.messages[-1]["answer"]
    assert answer.grounded and answer.backend == "extractive"  # auto without Ollama: the composer
    assert not any("Ollama not used" in w.value for w in page.warning)  # not repeated under every answer
    page.run()
    assert any("Ollama not used" in i.value for i in page.sidebar.info)  # said once, in the sidebar


def test_reingest_button_reports_what_it_did(page: AppTest) -> None:
    developer_view(page)
    next(b for b in page.sidebar.button if b.label == "Re-ingest the corpus").click().run()
    assert not page.exception
    done = [s.value for s in page.sidebar.success]
    assert done and "5 documents seen" in done[0] and "0 added" in done[0]


def test_credentials_in_the_ollama_address_never_reach_the_sidebar(
    page: AppTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROADMAP_RAG_OLLAMA_HOST", f"http://learner:s3cret@127.0.0.1:{free_port()}")  # nothing listens
    st.cache_resource.clear()
    developer_view(page)
    page.sidebar.selectbox[0].set_value("auto").run()
    page.chat_input[0].set_value("What is LoRA?").run()
    page.run()
    shown = [c.value for c in page.sidebar.caption] + [i.value for i in page.sidebar.info]
    assert any("Ollama not used" in text for text in shown)  # the fallback's note, with the address
    assert sum("learner" not in text and "@127" in text for text in shown) == 2, shown  # masked, yet shown
    assert "s3cret" not in " ".join(shown)


# -- no dead ends (issue 30, item 5): every failure a sentence with its remedy; the question stays ---------
@pytest.fixture
def one_roadmap(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    (corpus / "roadmaps").mkdir(parents=True)
    name = "getting-started-with-llms.txt"
    (corpus / "roadmaps" / name).write_bytes((CORPUS / "roadmaps" / name).read_bytes())
    return corpus


def _said(at: AppTest) -> str:
    """What the page's messages say, as the learner reads them (Markdown's escapes removed)."""
    shown = [*at.error, *at.warning, *at.info, *at.sidebar.error, *at.sidebar.info]
    return "\n".join(e.value for e in shown).replace("\\", "")


def test_an_empty_index_says_ingest_first_and_a_reingest_shows_in_the_sidebar(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, one_roadmap: Path
) -> None:
    page = open_app(monkeypatch, tmp_path / "data", one_roadmap)
    assert "Nothing is indexed yet" in _said(page)
    page.chat_input[0].set_value("What is prompt engineering?").run()
    assert not page.exception, page.exception
    said = _said(page)  # the error, a sentence, naming where the Re-ingest button is
    assert "Nothing is indexed yet: run `roadmap-rag ingest` (or, in the app, switch on the sidebar's Developer" in said
    assert "Not covered by the corpus" not in _said(page)
    assert page.session_state.messages[0]["question"] == "What is prompt engineering?"  # the question stays
    developer_view(page)
    next(b for b in page.sidebar.button if b.label == "Re-ingest the corpus").click().run()
    assert not page.exception, page.exception
    status = "\n".join(m.value for m in page.sidebar.markdown)
    assert "documents: 1:" in status, status  # the sidebar follows the ingest in the same click
    assert any("1 documents seen" in s.value for s in page.sidebar.success)
    assert not any("Nothing is indexed yet" in i.value for i in page.info)  # the page's banner is gone
    assert page.session_state.messages[0]["question"] == "What is prompt engineering?"
    next(b for b in page.button if b.label == "Ask again").click().run()
    assert page.session_state.messages[-1]["answer"].grounded


@contextlib.contextmanager
def app_on_a_chroma_server(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, one_roadmap: Path, embedder: Embedder
) -> Iterator[tuple[AppTest, ChromaServer]]:
    """The app over one roadmap indexed in a real `chroma run` on 127.0.0.1, which the test may stop."""
    server = ChromaServer(tmp_path / "server", free_port()).start()
    try:
        settings = Settings(
            data_dir=tmp_path / "data",
            corpus_dir=one_roadmap,
            chroma_host="127.0.0.1",
            chroma_port=server.port,
            llm="extractive",
        )
        assert ingest(settings, embedder=embedder).ok
        monkeypatch.setenv("ROADMAP_RAG_CHROMA_HOST", "127.0.0.1")
        monkeypatch.setenv("ROADMAP_RAG_CHROMA_PORT", str(server.port))
        yield open_app(monkeypatch, settings.data_dir, one_roadmap), server
    finally:
        server.stop()


def test_a_stopped_chroma_server_is_a_message_and_the_question_stays(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, one_roadmap: Path, embedder: Embedder
) -> None:
    with app_on_a_chroma_server(monkeypatch, tmp_path, one_roadmap, embedder) as (page, server):
        page.chat_input[0].set_value("What is prompt engineering?").run()
        assert page.session_state.messages[-1]["answer"].grounded
        server.stop()
        page.run()  # the whole page used to become a traceback here
        assert not page.exception, page.exception
        assert f"chroma run --host 127.0.0.1 --port {server.port}" in _said(page)
        assert len(page.tabs) == 6 and page.session_state.messages[-1]["answer"].grounded  # the chat stays
        page.chat_input[0].set_value("What is a prompt template?").run()
        assert not page.exception, page.exception
        assert page.session_state.messages[-2]["question"] == "What is a prompt template?"
        assert "chroma run" in page.session_state.messages[-1]["error"]
        page.run()
        assert any("What is a prompt template?" in m.value for m in page.chat_message[-2].markdown)


def test_what_to_study_next_with_the_chroma_server_gone_is_still_answered(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, one_roadmap: Path, embedder: Embedder
) -> None:
    """The page's first run read the roadmaps' structure (the Study tab's cards need all of it); "what next" comes
    from that and the learner's progress, so it is answered with the server gone (a search is not: the test
    above)."""
    with app_on_a_chroma_server(monkeypatch, tmp_path, one_roadmap, embedder) as (page, server):
        server.stop()
        page.chat_input[0].set_value("What should I study next?").run()  # progress and the roadmaps' order
        assert not page.exception, page.exception
        assert page.session_state.messages[-2]["question"] == "What should I study next?"
        assert page.session_state.messages[-1]["next"]  # the next sections, not an error


def test_an_ollama_error_keeps_the_question_in_the_chat(page: AppTest, monkeypatch: pytest.MonkeyPatch) -> None:
    ask_an_unreachable_ollama(page, monkeypatch)
    page.run()  # the next rerun used to drop the question
    assert not page.exception
    assert page.session_state.messages[0]["question"] == "What is LoRA?"
    assert any("not reachable" in e.value and "ollama serve" in e.value for e in page.error)
    assert any(b.label == "Ask again" for b in page.button)
