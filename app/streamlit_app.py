"""roadmap-rag for learners: a cited chat over the LLM roadmaps. Start it with `roadmap-rag app`.

Page logic only: retrieval, generation and citation checking live in the package (Assistant).
Corpus and model text is escaped before it is shown (roadmap_rag.serve.display). The only HTML on the page is
display.py's: citation chips around escaped text, source passages rendered from Markdown and sanitised, and one fixed
script of ours with no document text in it (display.py's _KEEP_IN_VIEW: the question asked, and a cited source, kept
in view).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import streamlit as st
from streamlit.delta_generator import DeltaGenerator
from ui.answers import render_answer
from ui.chat import ask, render_error, render_next, starter_prompts
from ui.conversations import conversations_panel, sync_conversation
from ui.learning import browser, learning_path, papers_tab, quiz_tab
from ui.resources import TAB, TABS, developer_view, get_assistant, to_chat
from ui.study import study_tab

from roadmap_rag import Assistant, RoadmapRagError, index_status
from roadmap_rag.answer.generation import BACKENDS
from roadmap_rag.index.ingest import ingest
from roadmap_rag.learn.outline import Outline, outlines
from roadmap_rag.redact import redact, redact_url
from roadmap_rag.serve.display import (
    CITATION_CSS,
    escape_markdown,
    kind_summary,
)
from roadmap_rag.types import Kind

KINDS = {Kind.ROADMAP: "Roadmaps", Kind.PAPER: "Papers (full text)", Kind.PAPER_CARD: "Paper cards"}


@st.cache_data(show_spinner=False, max_entries=4)
def roadmap_outlines(chunk_count: int) -> list[Outline]:
    """Rebuilt only when the index changes (keyed by its chunk count), not on every rerun of every session."""
    return outlines([c for c in get_assistant().store.all_chunks() if c.kind == Kind.ROADMAP])


def reingest() -> None:
    assistant = get_assistant()
    bar = st.sidebar.progress(0.0, text="Re-ingesting...")

    def progress(stage: str, done: int, total: int) -> None:
        bar.progress(min(1.0, done / total) if total else 1.0, text=f"{stage}: {done}/{total}")

    try:
        report = ingest(assistant.settings, embedder=assistant.embedder, store=assistant.store, progress=progress)
    except RoadmapRagError as exc:
        st.sidebar.error(escape_markdown(str(exc)))
        return
    bar.empty()
    st.session_state.ingested = (report.summary(), [str(failure) for failure in report.failures])
    st.rerun()  # every part of the page (the sidebar's counts, the outlines) reads the new index


def index_summary(assistant: Assistant) -> None:
    """The index as the sidebar shows it; an index that cannot be read is said, with its remedy."""
    side = st.sidebar
    try:
        status = index_status(assistant.settings, assistant.store)
    except RoadmapRagError as exc:
        side.error(f"The index cannot be read: {escape_markdown(str(exc))}")
        return
    last = status.last_ingest or {}
    side.markdown(
        f"- documents: {len(status.documents)}: {escape_markdown(kind_summary(status.documents))}\n"
        f"- chunks: {status.chunks}\n"
        f"- embedding model: {escape_markdown(status.embedding_model)}\n"
        f"- last ingest: {escape_markdown(str(last.get('at', 'never')))}"
    )


def backend_picker(assistant: Assistant) -> None:
    """Which backend answers, and the Ollama model and address it would use (developer view)."""
    side = st.sidebar
    side.selectbox("Backend", list(BACKENDS), format_func=lambda name: BACKENDS[name].label, key="backend")
    if st.session_state.backend in ("ollama", "auto"):
        side.caption(
            f"Ollama: {escape_markdown(assistant.settings.ollama_model)} at "
            f"{escape_markdown(redact_url(assistant.settings.ollama_host))}"
        )


def index_tools(assistant: Assistant) -> None:
    """The index's counts and the re-ingest button (developer view); an ingest's report shows whichever view."""
    side = st.sidebar
    if developer_view():
        side.subheader("Index")
        index_summary(assistant)
    if ingested := st.session_state.pop("ingested", None):
        side.success(escape_markdown(ingested[0]))
        for failure in ingested[1]:
            side.error(escape_markdown(failure))
    if developer_view() and side.button("Re-ingest the corpus"):
        reingest()


def sidebar(assistant: Assistant, titles: dict[str, str]) -> DeltaGenerator:
    """A learner's settings; the developer's detail behind the "Developer view" toggle. Returns the place of
    the conversations' panel, filled once the chat has run."""
    side = st.sidebar
    if st.session_state.get("ollama_note"):
        side.info(escape_markdown(redact(st.session_state["ollama_note"])), icon=":material/info:")
    side.header("roadmap-rag")
    side.toggle("Developer view", key="dev", help="Backends, the Ollama address, the index, re-ingest, timings.")
    if developer_view():
        backend_picker(assistant)
    side.text_input(
        "Profile (optional)",
        key="profile",
        placeholder="default",
        help="Your progress and saved conversations are kept on this machine per profile (the CLI's --profile); "
        "leave it empty for the default profile, or name one to keep them apart.",
    )
    side.slider("Sources per answer", 1, 10, key="k")
    side.multiselect(
        "Roadmaps", list(titles), format_func=titles.__getitem__, key="doc_filter", placeholder="All roadmaps"
    )
    side.multiselect("Kinds", list(KINDS), format_func=KINDS.__getitem__, key="kind_filter", placeholder="All")
    index_tools(assistant)
    side.subheader("Conversations")
    return side.container()


def guarded(render: Callable[..., None], *args: Any) -> None:
    """A part of the page; a failure in it (the index gone) is its message, not the page's end."""
    try:
        render(*args)
    except RoadmapRagError as exc:
        st.error(escape_markdown(str(exc)))


def main() -> None:
    started = time.perf_counter()  # a question submitted is answered in this run: the learner's wait starts
    st.set_page_config(page_title="roadmap-rag", page_icon="🧭", layout="wide")
    st.html(CITATION_CSS)
    for name, default in (
        ("messages", []),
        ("history", []),
        ("backend", None),
        ("k", None),
        ("doc_filter", []),
        ("kind_filter", []),
        ("pending", None),
        ("profile", ""),
        ("quiz", None),
        ("dev", st.query_params.get("dev") == "1"),
    ):
        st.session_state.setdefault(name, default)
    # The backend picker is drawn in the developer view only; kept as the session's own value, the choice
    # outlives the view being switched off (Streamlit forgets the value of a widget not drawn).
    st.session_state.backend = st.session_state.backend
    try:
        assistant = get_assistant()
    except RoadmapRagError as exc:
        st.error(f"The assistant cannot start: {escape_markdown(str(exc))}")
        st.stop()
    if st.session_state.backend is None:
        st.session_state.backend = assistant.settings.llm
    if st.session_state.k is None:
        st.session_state.k = assistant.settings.top_k
    unreadable = ""
    try:
        count = assistant.store.count()
        roadmaps = roadmap_outlines(count)
    except RoadmapRagError as exc:  # a Chroma server that stopped: say so, keep the page and the chat
        unreadable, count, roadmaps = str(exc), -1, []
    sync_conversation()
    panel = sidebar(assistant, {o.doc_id: o.title for o in roadmaps})

    st.title("Ask the LLM roadmaps")
    if unreadable:
        st.error(f"The index cannot be read: {escape_markdown(unreadable)}")
    elif count == 0:
        st.info(
            "Nothing is indexed yet: run `roadmap-rag ingest` in a terminal, or switch on the **Developer view** "
            "in the sidebar and press **Re-ingest the corpus**, then ask."
        )
    # Read before the tabs are drawn (it is pinned to the page's foot wherever it is called): a question sent
    # from another tab shows the Chat tab, where its answer appears.
    question = st.chat_input("Ask about the roadmaps, e.g. what should I study before transformers?")
    if question:
        to_chat()
    # The selected tab is kept in the session (TAB): a rerun, or a tab clicked while the page still loads, no
    # longer falls back to the first one.
    chat, path_tab, quiz, study, browse, papers = st.tabs(list(TABS), key=TAB, on_change="rerun")
    # The chat first: a question's status shows before the other tabs are drawn (they are hidden while it is asked).
    with chat:
        if not st.session_state.messages and not st.session_state.pending and not question:
            starter_prompts()
        for i, message in enumerate(st.session_state.messages):
            with st.chat_message(message["role"]):
                if message["role"] == "user":
                    st.markdown(escape_markdown(message["question"]))
                elif "error" in message:
                    render_error(i, message)
                elif "next" in message:
                    render_next(i, message["next"])
                else:
                    render_answer(i, message)
        pending, st.session_state.pending = st.session_state.pending, None
        if question:
            ask(question, (), started)
        elif pending:
            ask(pending[0], (pending[1],) if pending[1] else (), started)
    with papers:
        guarded(papers_tab, assistant)
    with browse:
        # Drawn only while it is the open tab: its ~670 elements (a tick and an "Ask" per section) made the
        # browser draw every change to the page slower, and a question's status showed ~250 ms after Enter.
        if browse.open:
            guarded(browser, roadmaps)
    with path_tab:
        guarded(learning_path, count)
    with quiz:
        guarded(quiz_tab)
    with study:
        guarded(study_tab)
    conversations_panel(panel)


main()
