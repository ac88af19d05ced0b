"""The Streamlit page logic through streamlit.testing's AppTest, on the real index and embedding model."""

from __future__ import annotations

import contextlib
import html
import json
import re
import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import streamlit as st
from streamlit.elements.lib.mutable_status_container import StatusContainer
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from roadmap_rag import Answer, Assistant, Removed, Settings
from roadmap_rag.index.chroma_server import ChromaServer, free_port
from roadmap_rag.index.embeddings import Embedder
from roadmap_rag.index.ingest import ingest
from roadmap_rag.serve import display
from roadmap_rag.serve.display import escape_markdown, preview_text, visible_text
from tests.conftest import CORPUS, REPO

APP = REPO / "app" / "streamlit_app.py"


def open_app(
    monkeypatch: pytest.MonkeyPatch,
    data_dir: Path,
    corpus: Path = CORPUS,
    learner: str | None = None,
    dev: bool = False,
) -> AppTest:
    """The app on the index in ``data_dir``, answering extractively (deterministic), after its first run;
    ``learner``: the ?learner= of the page's link; ``dev``: ?dev=1 in it (the developer view)."""
    monkeypatch.setenv("ROADMAP_RAG_DATA_DIR", str(data_dir))
    monkeypatch.setenv("ROADMAP_RAG_CORPUS_DIR", str(corpus))
    monkeypatch.setenv("ROADMAP_RAG_LLM", "extractive")
    st.cache_resource.clear()
    at = AppTest.from_file(str(APP), default_timeout=120)
    if learner is not None:
        at.query_params["learner"] = learner
    if dev:
        at.query_params["dev"] = "1"
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.fixture
def page(assistant: Assistant, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    """The app against the session index, for a learner of its own (a link's learner id): tests do not see one
    another's progress or saved conversations."""
    return open_app(monkeypatch, assistant.settings.data_dir, learner=uuid.uuid4().hex[:12])


@pytest.fixture
def default_profile(assistant: Assistant) -> Iterator[Path]:
    """The session index's data dir, its default profile's progress and conversations removed afterwards."""
    data_dir = assistant.settings.data_dir
    yield data_dir
    (data_dir / "progress" / "default.json").unlink(missing_ok=True)
    shutil.rmtree(data_dir / "conversations" / "default", ignore_errors=True)


def _text(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def developer_view(at: AppTest) -> AppTest:
    """Switch the sidebar's "Developer view" on: the backend picker, the index's counts, re-ingest, timings."""
    at.toggle(key="dev").set_value(True).run()
    assert not at.exception, at.exception
    return at


def test_asking_shows_a_cited_answer_with_its_sources(page: AppTest) -> None:
    page.chat_input[0].set_value("What does the roadmap say about LoRA?").run()
    assert not page.exception, page.exception
    answer = page.session_state.messages[-1]["answer"]
    assert answer.grounded and answer.citations
    first = answer.citations[0].number
    assert f'href="#source-{first}"' in _text(page)  # the [n] marker: a chip linking to its source
    # The cited quote is highlighted inside its source passage, which is labelled with its number.
    card = next(h.value for h in page.html if f'id="source-{first}"' in h.value)
    assert f"[{first}] " in card and "· cited" in card and "<mark>" in card
    assert any("Composed from the sources without an LLM" in i.value for i in page.info)
    assert page.session_state.history[-1].question == "What does the roadmap say about LoRA?"


def _cards(at: AppTest) -> list[int]:
    """The numbers of the source cards on the page, in page order."""
    return [int(n) for h in at.html for n in re.findall(r'class="rr-source" id="source-(\d+)"', h.value)]


def test_citations_are_chips_and_only_cited_sources_are_listed_in_reading_order(page: AppTest) -> None:
    page.chat_input[0].set_value("What does the roadmap say about LoRA?").run()
    assert not page.exception, page.exception
    answer = page.session_state.messages[-1]["answer"]
    shown = next(m.value for m in page.chat_message[1].markdown if "rr-cite" in m.value)
    chips = re.findall(r'<a class="rr-cite" href="#source-(\d+)" title="([^"]*)">', shown)
    reading = list(dict.fromkeys(int(n) for n, _ in chips))
    assert reading and len(reading) < len(answer.sources)
    first_quote = {}
    for c in answer.citations:
        first_quote.setdefault(c.number, c.quote)
    for number, title in chips:
        assert title and html.unescape(title) == preview_text(first_quote[int(number)])
    cited = [n for n in _cards(page) if n in reading]
    assert cited == reading  # the cited ones, in the order the answer first cites them
    others = [e for e in page.chat_message[1].expander if e.label != "Copy answer"]
    assert [e.label for e in others] == [f"Other sources searched ({len(answer.sources) - len(reading)})"]
    assert sorted(_cards(page)[len(reading) :]) == [n for n in range(1, len(answer.sources) + 1) if n not in reading]
    assert all(f'id="source-{n}"' not in h.value for h in others[0].get("html") for n in reading)
    for h in page.html:  # every passage shown as formatted text, nothing live
        text = visible_text(h.value)
        assert not any(m in text for m in ("##", "**", "](", "|---")), text
        assert not any(m in h.value.lower() for m in ("<script", "onerror=", "javascript:")), h.value


def test_follow_up_uses_the_conversation_and_new_conversation_clears_it(page: AppTest) -> None:
    page.chat_input[0].set_value("What is LoRA?").run()
    page.chat_input[0].set_value("And QLoRA?").run()
    assert len(page.session_state.history) == 2
    next(b for b in page.sidebar.button if b.label == "New conversation").click().run()
    assert page.session_state.history == [] and page.session_state.messages == []


def test_off_corpus_question_is_refused(page: AppTest) -> None:
    page.chat_input[0].set_value("What is the boiling point of water at sea level?").run()
    answer = page.session_state.messages[-1]["answer"]
    assert not answer.grounded
    assert any("Not covered by the corpus" in w.value for w in page.warning)


def test_too_long_question_gets_a_message(page: AppTest) -> None:
    page.chat_input[0].set_value("LoRA " * 1000).run()
    assert not page.exception
    assert any("over the limit" in e.value for e in page.error)
    assert page.session_state.messages == []


def test_feedback_is_saved_locally(page: AppTest, assistant: Assistant) -> None:
    store = assistant.settings.data_dir / "feedback.jsonl"
    before = store.read_text().splitlines() if store.exists() else []
    page.chat_input[0].set_value("What does the roadmap say about LoRA?").run()
    page.feedback[0].set_value(0).run()  # thumbs down
    lines = store.read_text().splitlines()
    assert len(lines) == len(before) + 1
    saved = json.loads(lines[-1])
    assert saved["rating"] == 0 and saved["question"] == "What does the roadmap say about LoRA?"
    assert saved["backend"] == "extractive" and saved["sources"] and saved["answer"]


def test_feedback_that_cannot_be_saved_is_a_sentence_not_a_traceback(
    page: AppTest, assistant: Assistant, tmp_path: Path
) -> None:
    store = assistant.settings.data_dir / "feedback.jsonl"
    kept = tmp_path / "feedback.jsonl"
    if store.exists():
        store.rename(kept)
    store.mkdir()  # the file cannot be opened for writing
    try:
        page.chat_input[0].set_value("What does the roadmap say about LoRA?").run()
        page.feedback[0].set_value(1).run()
        assert not page.exception
        assert any("could not be saved" in t.value and "writable" in t.value for t in page.toast)
        assert page.session_state.messages[-1]["answer"].text  # the answer stays
    finally:
        store.rmdir()
        if kept.exists():
            kept.rename(store)


def test_roadmap_filter_limits_the_sources(page: AppTest) -> None:
    page.sidebar.multiselect[0].set_value(["llm-fundamentals-14-days"]).run()
    page.chat_input[0].set_value("What does the roadmap say about transformers?").run()
    answer = page.session_state.messages[-1]["answer"]
    assert answer.sources and {s.doc_id for s in answer.sources} == {"llm-fundamentals-14-days"}


def test_index_status_and_outline_browser(page: AppTest) -> None:
    developer_view(page)
    status = "\n".join(m.value for m in page.sidebar.markdown)
    assert "documents: 55: 5 roadmaps \\(107 chunks\\), 50 paper cards" in status and "all\\-MiniLM\\-L6\\-v2" in status
    outline = [e.label for e in page.tabs[3].expander]
    assert len(outline) == 5
    ask = next(b for b in page.tabs[3].button if (b.key or "").startswith("ask_"))
    ask.click().run()
    asked = page.session_state.messages[-1]
    assert asked["role"] == "assistant" and asked["question"].startswith("What does the roadmap say about")


def test_document_text_is_escaped(page: AppTest) -> None:
    """A question carrying HTML and Markdown is shown literally: never as markup."""
    page.chat_input[0].set_value("<script>alert(1)</script> ![x](http://evil.example/x.png) about LoRA").run()
    shown = [m.value for m in page.chat_message[0].markdown]
    assert any("\\<script\\>" in v and "\\!\\[x\\]" in v for v in shown)
    assert all("<script>" not in v for v in _text(page).split("\n"))


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


def test_sessions_do_not_share_history(page: AppTest) -> None:
    other = AppTest.from_file(str(APP), default_timeout=120)
    other.run()
    page.chat_input[0].set_value("What is LoRA?").run()
    assert len(page.session_state.messages) == 2
    other.run()
    assert other.session_state.messages == [] and other.session_state.history == []


def test_reingest_button_reports_what_it_did(page: AppTest) -> None:
    developer_view(page)
    next(b for b in page.sidebar.button if b.label == "Re-ingest the corpus").click().run()
    assert not page.exception
    done = [s.value for s in page.sidebar.success]
    assert done and "5 documents seen" in done[0] and "0 added" in done[0]


def test_an_answer_shows_where_it_sits_and_asks_about_a_neighbour(page: AppTest) -> None:
    page.chat_input[0].set_value("What does the curriculum say about fine-tuning and adaptation?").run()
    answer = page.session_state.messages[-1]["answer"]
    assert answer.places and "Where this sits" in _text(page)
    neighbour = next(b for b in page.button if (b.key or "").startswith("answer_1_place_") and "Ask about" in b.label)
    neighbour.click().run()
    asked = page.session_state.messages[-1]
    assert asked["question"].startswith("What does the roadmap say about") and asked["answer"].grounded


def test_the_learning_path_shows_each_roadmaps_order_and_a_section_asks_the_chat(page: AppTest) -> None:
    page.text_input(key="path_topic").set_value("LoRA").run()
    tab = page.tabs[1]
    lanes = {}
    for b in tab.button:
        if (b.key or "").startswith("path_"):
            lanes.setdefault(b.key.split("_")[1], []).append((b, b.label.replace("\\", "")))  # labels escaped
    assert len(lanes) == 3  # the three roadmaps that teach LoRA, each around where it does
    curriculum = next(row for row in lanes.values() if any("6. Fine-Tuning" in label for _, label in row))
    labels = [label for _, label in curriculum]
    assert labels.index(next(x for x in labels if "5. Infrastructure" in x)) < labels.index(
        next(x for x in labels if "6. Fine-Tuning" in x)
    )  # the roadmap's own order
    assert any(b.proto.type == "primary" and "Fine-Tuning" in label for b, label in curriculum)  # teaches LoRA
    assert all(b.proto.type == "secondary" for b, label in curriculum if "Fine-Tuning" not in label)
    captions = [c.value for c in tab.caption]
    assert any("earlier sections" in c for c in captions) and any("later sections" in c for c in captions)
    assert any("Know first" in c for c in captions) and any("Highlighted" in c for c in captions)  # the legend
    assert any("early" in i.value for i in tab.info)
    node = next(b for b, _ in curriculum if b.proto.type == "primary")
    node.click().run()
    assert page.session_state["tab"] == "Chat"  # the learner is taken to the answer
    asked = page.session_state.messages[-1]
    assert asked["question"].startswith("What does the roadmap say about Fine-Tuning") and asked["answer"].grounded
    page.text_input(key="path_topic").set_value("sourdough baking").run()
    assert any("No roadmap covers" in w.value for w in page.tabs[1].warning)


def test_a_question_asked_from_another_tab_shows_the_chat(page: AppTest) -> None:
    next(b for b in page.tabs[3].button if b.key == "ask_1_1").click().run()  # an outline's "Ask"
    assert page.session_state["tab"] == "Chat"
    assert page.session_state.messages[-1]["answer"].grounded
    page.session_state["tab"] = "Quiz"
    page.chat_input[0].set_value("What is LoRA?").run()  # typed while the Quiz tab is open
    assert page.session_state["tab"] == "Chat" and page.session_state.messages[-1]["question"] == "What is LoRA?"


def test_a_quiz_is_taken_and_scored_with_its_sources(page: AppTest) -> None:
    page.text_input(key="quiz_topic").set_value("RLHF").run()
    page.number_input(key="quiz_n").set_value(3).run()
    next(b for b in page.tabs[2].button if b.label == "Start quiz").click().run()
    items = page.session_state.quiz
    assert len(items) == 3
    page.text_input(key="quiz_answer_1").set_value(items[0].answer)
    page.text_input(key="quiz_answer_2").set_value("no idea")
    page.tabs[2].button[-1].click().run()  # the form's submit button
    assert any(m.label == "Score" and m.value == "1.0 of 2 (1 skipped)" for m in page.metric)  # 3: empty
    assert len(page.tabs[2].expander) == 3


def test_progress_follows_the_profile_not_the_page_link(default_profile: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With no profile named, the app keeps progress in the default profile, the CLI's: a reload (a new session,
    no link) finds it; a named profile is its own; an older ?learner= link still names its own profile."""
    page = open_app(monkeypatch, default_profile)
    assert "learner" not in page.query_params  # no id is written into the link
    next(c for c in page.tabs[3].checkbox if c.key == "done_0_0").check().run()
    assert (default_profile / "progress" / "default.json").is_file()  # what `roadmap-rag progress` reads
    restarted = AppTest.from_file(str(APP), default_timeout=120)
    restarted.run()
    assert next(c for c in restarted.tabs[3].checkbox if c.key == "done_0_0").value
    other = AppTest.from_file(str(APP), default_timeout=120)
    other.session_state["profile"] = "someone-else"
    other.run()
    assert not next(c for c in other.tabs[3].checkbox if c.key == "done_0_0").value
    linked = AppTest.from_file(str(APP), default_timeout=120)
    linked.query_params["learner"] = "abc123"
    linked.run()
    assert not next(c for c in linked.tabs[3].checkbox if c.key == "done_0_0").value
    restarted.chat_input[0].set_value("What should I study next?").run()
    first = restarted.session_state.messages[-1]
    assert first["next"] and first["question"] == "What should I study next?"


@pytest.mark.parametrize("learner", ["../../x", "a\x00b", "x" * 57], ids=["path", "nul", "too-long"])
def test_an_invalid_learner_link_is_explained_and_the_page_still_works(
    default_profile: Path, monkeypatch: pytest.MonkeyPatch, learner: str
) -> None:
    page = open_app(monkeypatch, default_profile, learner=learner)
    assert len(page.tabs) == 5
    said = [w.value for w in page.warning]
    assert any("link" in w and "default profile" in w for w in said), said
    next(c for c in page.tabs[3].checkbox if c.key == "done_0_0").check().run()
    assert not page.exception and (default_profile / "progress" / "default.json").is_file()


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


def test_a_quiz_skips_empty_answers_credits_paraphrases_and_draws_new_questions(page: AppTest) -> None:
    """Issue 30: a right paraphrase scored 0.00, an empty answer (a skip) counted as wrong, a retry drew the
    same questions."""
    page.text_input(key="quiz_topic").set_value("RLHF").run()
    page.number_input(key="quiz_n").set_value(2).run()
    next(b for b in page.tabs[2].button if b.label == "Start quiz").click().run()
    first = [item.question for item in page.session_state.quiz]
    assert "Name three of the topics the curriculum lists" in first[0]
    page.text_input(key="quiz_answer_1").set_value("preference data, reward model, proximal policy optimization")
    page.tabs[2].button[-1].click().run()  # the form's submit button; answer 2 left empty
    assert not page.exception
    assert any(m.label == "Score" and m.value == "1.0 of 1 (1 skipped)" for m in page.metric), page.metric
    assert any(e.label.startswith("✅ 1. 1.00") for e in page.tabs[2].expander)
    assert any("2. skipped" in e.label for e in page.tabs[2].expander)
    next(b for b in page.tabs[2].button if b.label == "New questions").click().run()
    again = [item.question for item in page.session_state.quiz]
    assert again and not set(again) & set(first)
    assert page.text_input(key="quiz_answer_1").value == ""


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
    assert "nothing is indexed yet: run `roadmap-rag ingest`" in _said(page)
    assert "Not covered by the corpus" not in _said(page)
    assert page.session_state.messages[0]["question"] == "What is prompt engineering?"  # the question stays
    developer_view(page)
    next(b for b in page.sidebar.button if b.label == "Re-ingest the corpus").click().run()
    assert not page.exception, page.exception
    status = "\n".join(m.value for m in page.sidebar.markdown)
    assert "documents: 1:" in status, status  # the sidebar follows the ingest in the same click
    assert any("1 documents seen" in s.value for s in page.sidebar.success)
    assert "Nothing is indexed yet" not in _said(page)
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
        assert len(page.tabs) == 5 and page.session_state.messages[-1]["answer"].grounded  # the chat stays
        page.chat_input[0].set_value("What is a prompt template?").run()
        assert not page.exception, page.exception
        assert page.session_state.messages[-2]["question"] == "What is a prompt template?"
        assert "chroma run" in page.session_state.messages[-1]["error"]
        page.run()
        assert any("What is a prompt template?" in m.value for m in page.chat_message[-2].markdown)


def test_what_to_study_next_with_the_chroma_server_gone_is_a_message(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, one_roadmap: Path, embedder: Embedder
) -> None:
    with app_on_a_chroma_server(monkeypatch, tmp_path, one_roadmap, embedder) as (page, server):
        server.stop()
        page.chat_input[0].set_value("What should I study next?").run()  # progress and the roadmaps' order
        assert not page.exception, page.exception
        assert page.session_state.messages[-2]["question"] == "What should I study next?"
        assert "chroma run" in page.session_state.messages[-1]["error"]


def test_an_ollama_error_keeps_the_question_in_the_chat(page: AppTest, monkeypatch: pytest.MonkeyPatch) -> None:
    ask_an_unreachable_ollama(page, monkeypatch)
    page.run()  # the next rerun used to drop the question
    assert not page.exception
    assert page.session_state.messages[0]["question"] == "What is LoRA?"
    assert any("not reachable" in e.value and "ollama serve" in e.value for e in page.error)
    assert any(b.label == "Ask again" for b in page.button)


# -- learner and developer views; starter prompts, tidier answers (issue: the learners' app) -------------------
def _developer_detail(at: AppTest) -> dict[str, bool]:
    """Which pieces of developer detail the page shows."""
    sidebar = "\n".join(m.value for m in at.sidebar.markdown)
    return {
        "backend picker": any(s.label == "Backend" for s in at.sidebar.selectbox),
        "Ollama address": any(c.value.startswith("Ollama:") for c in at.sidebar.caption),
        "chunk counts": "chunks" in sidebar,
        "re-ingest": any(b.label == "Re-ingest the corpus" for b in at.sidebar.button),
        "backend caption": any(c.value.startswith("backend:") for c in at.caption),
    }


def test_a_learner_sees_no_developer_detail_until_the_developer_view_is_on(page: AppTest) -> None:
    page.chat_input[0].set_value("What does the roadmap say about LoRA?").run()
    assert not page.exception, page.exception
    assert page.session_state.messages[-1]["answer"].grounded
    page.session_state["backend"] = "auto"  # the developer view would name Ollama's address with it
    page.run()
    assert not any(_developer_detail(page).values()), _developer_detail(page)
    assert "Sources" in _text(page) and "Where this sits" in _text(page)  # what a learner needs stays
    developer_view(page)
    assert all(_developer_detail(page).values()), _developer_detail(page)
    assert page.session_state.backend == "auto"  # the choice made before is the picker's


def test_dev_in_the_link_opens_the_developer_view(assistant: Assistant, monkeypatch: pytest.MonkeyPatch) -> None:
    page = open_app(monkeypatch, assistant.settings.data_dir, learner=uuid.uuid4().hex[:12], dev=True)
    assert page.toggle(key="dev").value
    page.chat_input[0].set_value("What does the roadmap say about LoRA?").run()
    shown = _developer_detail(page)
    assert all(v for k, v in shown.items() if k != "Ollama address"), shown  # extractive: no Ollama to name


def test_a_removed_sentences_reason_shows_in_the_developer_view_only(page: AppTest) -> None:
    page.chat_input[0].set_value("What does the roadmap say about LoRA?").run()
    answer = page.session_state.messages[-1]["answer"]
    answer.removed.append(Removed("LoRA was invented in 1850.", "no source gives that year"))
    page.run()
    assert not any(t.label.startswith("removed:") for t in page.toggle)
    assert "no source gives that year" not in _text(page)
    developer_view(page)
    page.toggle(key="removed_1").set_value(True).run()
    assert "no source gives that year" in _text(page) and "invented in 1850" in _text(page)


STARTER = "How long does the getting-started guide take?"


def test_an_empty_chat_offers_starter_prompts_that_ask_exactly_that(page: AppTest) -> None:
    starters = [b for b in page.button if (b.key or "").startswith("starter_")]
    assert len(starters) == 5 and STARTER in [b.label for b in starters]
    assert "What should I study before transformers?" in [b.label for b in starters]
    next(b for b in starters if b.label == STARTER).click().run()
    assert not page.exception, page.exception
    asked, answered = page.session_state.messages
    assert asked == {"role": "user", "question": STARTER} and answered["question"] == STARTER
    assert answered["answer"].text and page.session_state.history[-1].question == STARTER
    assert not any((b.key or "").startswith("starter_") for b in page.button)  # the chat has begun


def test_at_most_three_suggestions_under_an_answer(page: AppTest) -> None:
    page.chat_input[0].set_value("What does the roadmap say about LoRA?").run()
    answer = page.session_state.messages[-1]["answer"]
    assert len(answer.places) > 1  # three roadmaps place LoRA: neighbours enough for nine buttons
    suggestions = [b for b in page.button if (b.key or "").startswith("answer_1_place_")]
    assert 1 <= len(suggestions) <= 3, [b.label for b in suggestions]
    assert len({b.label for b in suggestions}) == len(suggestions)


def test_the_copy_control_holds_the_answers_text(page: AppTest) -> None:
    page.chat_input[0].set_value("What does the roadmap say about LoRA?").run()
    answer = page.session_state.messages[-1]["answer"]
    copy = next(e for e in page.chat_message[1].expander if e.label == "Copy answer")
    assert [c.value for c in copy.code] == [answer.text]


def test_a_feedback_comment_is_saved_with_the_rating(page: AppTest, assistant: Assistant) -> None:
    store = assistant.settings.data_dir / "feedback.jsonl"
    page.chat_input[0].set_value("What does the roadmap say about LoRA?").run()
    page.text_input(key="comment_1").set_value("The rank example was what I needed.").run()
    before = store.read_text().splitlines() if store.exists() else []
    page.feedback[0].set_value(1).run()
    lines = store.read_text().splitlines()
    assert len(lines) == len(before) + 1
    saved = json.loads(lines[-1])
    assert saved["rating"] == 1 and saved["comment"] == "The rank example was what I needed."
    assert saved["question"] == "What does the roadmap say about LoRA?"
    page.text_input(key="comment_1").set_value("x" * 1500).run()  # a comment after the rating: saved with it
    saved = json.loads(store.read_text().splitlines()[-1])
    assert saved["rating"] == 1 and saved["comment"] == "x" * 1000


# -- saved conversations; a status while answering; the learner's wait (issue: the learners' app) ---------------
LORA = "What does the roadmap say about LoRA?"


def _ask(at: AppTest, question: str) -> AppTest:
    at.chat_input[0].set_value(question).run()
    assert not at.exception, at.exception
    return at


def _reopen(learner: str, profile: str = "") -> AppTest:
    """A new session (a reload of the page) on the same data dir, with the page link's learner id and, when
    given, the profile typed into the sidebar."""
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.query_params["learner"] = learner
    at.run()
    if profile:
        at.text_input(key="profile").set_value(profile).run()
    assert not at.exception, at.exception
    return at


def _conversations(at: AppTest) -> list[str]:
    """The sidebar's list of saved conversations, as its buttons' labels, top first."""
    return [b.label for b in at.sidebar.button if (b.key or "").startswith("conversation_")]


def test_a_reload_shows_the_profiles_last_conversation_again(
    assistant: Assistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    learner = uuid.uuid4().hex[:12]
    page = _ask(open_app(monkeypatch, assistant.settings.data_dir, learner=learner), LORA)
    answer = page.session_state.messages[-1]["answer"]
    reloaded = _reopen(learner)
    assert [m["question"] for m in reloaded.session_state.messages] == [LORA, LORA]
    assert reloaded.session_state.messages[-1]["answer"].text == answer.text
    assert any(escape_markdown(LORA) in m.value for m in reloaded.chat_message[0].markdown)
    assert any("rr-cite" in m.value for m in reloaded.chat_message[1].markdown)  # shown again, cited
    assert _conversations(reloaded) == [LORA]
    assert reloaded.session_state.history[-1].question == LORA  # a follow-up continues it
    named = f"ada-{uuid.uuid4().hex[:8]}"  # a named profile: its own conversations, wherever it is typed
    reloaded.text_input(key="profile").set_value(named).run()
    assert reloaded.session_state.messages == [] and _conversations(reloaded) == []
    _ask(reloaded, "What is QLoRA?")
    elsewhere = _reopen(uuid.uuid4().hex[:12], profile=named)
    assert [m["question"] for m in elsewhere.session_state.messages] == ["What is QLoRA?"] * 2
    assert not _reopen(uuid.uuid4().hex[:12]).session_state.messages  # a stranger sees none of it


def test_new_conversation_lists_two_and_switching_shows_the_first(page: AppTest) -> None:
    _ask(page, "What is LoRA?")
    next(b for b in page.sidebar.button if b.label == "New conversation").click().run()
    _ask(page, "What is RLHF?")
    assert _conversations(page) == ["What is RLHF?", "What is LoRA?"]  # newest first
    current = next(b for b in page.sidebar.button if b.label == "What is RLHF?")
    assert current.disabled  # the one shown
    next(b for b in page.sidebar.button if b.label == "What is LoRA?").click().run()
    assert not page.exception, page.exception
    assert [m["question"] for m in page.session_state.messages] == ["What is LoRA?"] * 2
    assert any("What is LoRA?" in m.value for m in page.chat_message[0].markdown)


def test_a_conversation_is_deleted_after_a_confirmation(page: AppTest, assistant: Assistant) -> None:
    _ask(page, "What is LoRA?")
    conversation = page.session_state.conversation
    saved = assistant.settings.data_dir / "conversations" / f"learner-{page.query_params['learner']}"
    assert (saved / f"{conversation.id}.json").is_file()
    next(b for b in page.sidebar.button if b.label == "Delete this conversation").click().run()
    assert any("cannot be undone" in w.value for w in page.sidebar.warning)
    assert (saved / f"{conversation.id}.json").is_file()  # not before the confirmation
    next(b for b in page.sidebar.button if b.label == "Yes, delete").click().run()
    assert not page.exception, page.exception
    assert not (saved / f"{conversation.id}.json").exists()
    assert _conversations(page) == [] and page.session_state.messages == []


def test_a_conversation_is_renamed(page: AppTest) -> None:
    _ask(page, "What is LoRA?")
    conversation = page.session_state.conversation
    page.text_input(key=f"title_{conversation.id}").set_value("My LoRA notes").run()
    assert _conversations(page) == ["My LoRA notes"]


def test_the_markdown_export_holds_the_question_the_answer_and_its_numbered_sources(
    page: AppTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    exported: list[bytes] = []
    add = MediaFileManager.add

    def kept(self: MediaFileManager, data: bytes, *args: Any, **kwargs: Any) -> str:
        if kwargs.get("is_for_static_download"):
            exported.append(data)
        return add(self, data, *args, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add", kept)
    _ask(page, LORA)
    assert [b.label for b in page.sidebar.get("download_button")] == ["Export as Markdown"]
    text = exported[-1].decode("utf-8")
    answer = page.session_state.messages[-1]["answer"]
    assert escape_markdown(LORA) in text and escape_markdown(answer.text) in text
    first = answer.citations[0].number
    assert f"- {escape_markdown(f'[{first}] {answer.sources[first - 1].label()}')}" in text


def test_a_status_says_what_is_done_and_the_timing_is_the_learners_wait(
    assistant: Assistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    updates: list[str | None] = []
    update = StatusContainer.update

    def said(self: StatusContainer, **kwargs: Any) -> None:
        updates.append(kwargs.get("label"))
        update(self, **kwargs)

    monkeypatch.setattr(StatusContainer, "update", said)
    shown = display.cited_answer_markdown

    def slowly(answer: Answer) -> str:  # the page, not the assistant, takes a second more to show the answer
        time.sleep(1.0)
        return shown(answer)

    monkeypatch.setattr(display, "cited_answer_markdown", slowly)
    page = open_app(monkeypatch, assistant.settings.data_dir, learner=uuid.uuid4().hex[:12], dev=True)
    began = time.perf_counter()
    _ask(page, LORA)
    wall = time.perf_counter() - began
    assert [(s.label, s.state) for s in page.status] == [("Answer ready", "complete")]
    assert updates == ["Writing the answer…", "Answer ready"]
    caption = next(c.value for c in page.caption if c.value.startswith("backend:"))
    waited = float(re.search(r"waited (\d+\.\d+) s", caption).group(1))  # type: ignore[union-attr]
    answer = page.session_state.messages[-1]["answer"]
    # The learner's wait: from the question to the whole answer on the page, the page's own second included; the
    # hidden tabs are drawn after the answer, so the run may go on after it (wall).
    assert answer.timings.total + 1.0 <= waited <= wall, (waited, wall, answer.timings.total)


def test_an_unreadable_conversation_file_is_a_sidebar_note_and_a_failed_save_a_toast(
    page: AppTest, assistant: Assistant
) -> None:
    folder = assistant.settings.data_dir / "conversations" / f"learner-{page.query_params['learner']}"
    folder.mkdir(parents=True)
    (folder / "0123456789ab.json").write_text("{not json", encoding="utf-8")
    _ask(page, "What is LoRA?")
    notes = [c.value.replace("\\", "") for c in page.sidebar.caption]
    assert any("0123456789ab.json" in note and "could not be read" in note for note in notes), notes
    assert _conversations(page) == ["What is LoRA?"]
    for path in folder.iterdir():
        path.unlink()
    folder.rmdir()
    folder.write_text("", encoding="utf-8")  # a file where the profile's folder goes: nothing can be saved
    try:
        _ask(page, "And QLoRA?")
        assert any("could not be saved" in t.value and "writable" in t.value for t in page.toast)
        assert page.session_state.messages[-2]["question"] == "And QLoRA?"  # the chat goes on
        assert page.session_state.messages[-1]["answer"].text
    finally:
        folder.unlink()
