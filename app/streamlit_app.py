"""roadmap-rag for learners: a cited chat over the LLM roadmaps. Start it with `roadmap-rag app`.

Page logic only: retrieval, generation and citation checking live in the package (Assistant).
Corpus and model text is escaped before it is shown (roadmap_rag.display); HTML is never enabled.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from roadmap_rag import Answer, Assistant, RoadmapRagError, Settings, Turn, index_status, ingest
from roadmap_rag.display import answer_markdown, escape_markdown, highlight, kind_summary, safe_url, source_label
from roadmap_rag.feedback import FeedbackStore
from roadmap_rag.generation import BACKENDS
from roadmap_rag.outline import Outline, outlines
from roadmap_rag.types import Kind

KINDS = {Kind.ROADMAP: "Roadmaps", Kind.PAPER: "Papers (full text)", Kind.PAPER_CARD: "Paper cards"}


@st.cache_resource(show_spinner="Loading the embedding model and the index...")
def get_assistant() -> Assistant:
    """One Assistant (thread-safe) shared by every session; each session keeps its own history."""
    return Assistant(Settings())


@st.cache_data(show_spinner=False, max_entries=4)
def roadmap_outlines(chunk_count: int) -> list[Outline]:
    """Rebuilt only when the index changes (keyed by its chunk count), not on every rerun of every session."""
    return outlines([c for c in get_assistant().store.all_chunks() if c.kind == Kind.ROADMAP])


def backend_note(answer: Answer) -> str | None:
    """One line on who answered and why."""
    if answer.backend.startswith("extractive (after"):
        model = answer.backend.removeprefix("extractive (after ").rstrip(")")
        return f"{model} said nothing its sources support, so this answer is composed from the sources themselves."
    if answer.backend.startswith("llamacpp"):
        return "Answered by the embedded Gemma 3 270M, a tiny base model; only claims its sources support are kept."
    if answer.backend.startswith("extractive"):
        return "Composed from the sources without an LLM: every line is the roadmaps' own words, cited."
    return None


def render_sources(answer: Answer) -> None:
    """Numbered sources; each expands to its passage with the cited quote highlighted."""
    if not answer.sources:
        return
    quotes = {c.number: c.quote for c in answer.citations}
    st.markdown("**Sources**")
    for number, source in enumerate(answer.sources, start=1):
        cited = "cited" if number in quotes else "retrieved"
        with st.expander(f"{source_label(number, source)} · {cited}"):
            st.markdown(highlight(source.text, quotes.get(number, "")))
            url = safe_url(source.url)
            if url:
                st.link_button("Open the original", url)


def record_feedback(index: int) -> None:
    message = st.session_state.messages[index]
    rating = st.session_state.get(f"feedback_{index}")
    if rating is None:
        return
    FeedbackStore(get_assistant().settings).record(message["question"], message["answer"], int(rating))
    st.toast("Thanks, your feedback is saved locally.")


def render_answer(index: int, message: dict[str, Any]) -> None:
    answer: Answer = message["answer"]
    st.markdown(answer_markdown(answer))
    if not answer.grounded:
        st.warning("Not covered by the corpus: no roadmap passage answers this, so nothing was made up.")
    note = backend_note(answer)
    if note:
        st.info(note, icon="ℹ️")
    for text in answer.notes:
        # The Ollama fallback is said once per session (in the sidebar), not under every answer.
        if text.startswith("Ollama not used"):
            st.session_state["ollama_note"] = text
            continue
        st.warning(escape_markdown(text))
    if answer.unsupported and st.toggle(
        f"removed: not supported by the sources ({len(answer.unsupported)})", key=f"removed_{index}"
    ):
        for sentence in answer.unsupported:
            st.markdown(f"- ~~{escape_markdown(sentence)}~~")
    render_sources(answer)
    st.caption(f"backend: {escape_markdown(answer.backend)} · {answer.timings.total:.2f} s")
    st.feedback("thumbs", key=f"feedback_{index}", on_change=record_feedback, args=(index,))


def ask(question: str, doc_ids: tuple[str, ...]) -> None:
    """Stream one answer into the page and keep it in this session's history."""
    assistant = get_assistant()
    history: list[Turn] = st.session_state.history
    st.session_state.messages.append({"role": "user", "question": question})
    with st.chat_message("user"):
        st.markdown(escape_markdown(question))
    with st.chat_message("assistant"):
        try:
            stream = assistant.stream(
                question,
                history,
                llm=st.session_state.backend,
                k=st.session_state.k,
                doc_ids=doc_ids or st.session_state.doc_filter,
                kinds=st.session_state.kind_filter,
            )
            placeholder = st.empty()
            with placeholder.container():
                st.write_stream(escape_markdown(delta) for delta in stream)
            answer = stream.answer
        except RoadmapRagError as exc:
            st.error(escape_markdown(str(exc)))
            st.session_state.messages.pop()
            return
        placeholder.empty()
        st.session_state.history = answer.history
        st.session_state.messages.append({"role": "assistant", "question": question, "answer": answer})
        render_answer(len(st.session_state.messages) - 1, st.session_state.messages[-1])


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
    st.sidebar.success(escape_markdown(report.summary()))
    for failure in report.failures:
        st.sidebar.error(escape_markdown(str(failure)))


def sidebar(assistant: Assistant, titles: dict[str, str]) -> None:
    side = st.sidebar
    if st.session_state.get("ollama_note"):
        side.info(escape_markdown(st.session_state["ollama_note"]), icon="ℹ️")
    side.header("roadmap-rag")
    side.selectbox("Backend", list(BACKENDS), format_func=lambda name: BACKENDS[name].label, key="backend")
    if st.session_state.backend in ("ollama", "auto"):
        side.caption(
            f"Ollama: {escape_markdown(assistant.settings.ollama_model)} at "
            f"{escape_markdown(assistant.settings.ollama_host)}"
        )
    side.slider("Sources per answer", 1, 10, key="k")
    side.multiselect(
        "Roadmaps", list(titles), format_func=titles.__getitem__, key="doc_filter", placeholder="All roadmaps"
    )
    side.multiselect("Kinds", list(KINDS), format_func=KINDS.__getitem__, key="kind_filter", placeholder="All")
    status = index_status(assistant.settings, assistant.store)
    side.subheader("Index")
    last = status.last_ingest or {}
    side.markdown(
        f"- documents: {len(status.documents)}: {escape_markdown(kind_summary(status.documents))}\n"
        f"- chunks: {status.chunks}\n"
        f"- embedding model: {escape_markdown(status.embedding_model)}\n"
        f"- last ingest: {escape_markdown(str(last.get('at', 'never')))}"
    )
    if side.button("Re-ingest the corpus"):
        reingest()
    if side.button("New conversation", type="primary"):
        st.session_state.messages = []
        st.session_state.history = []


def browser(roadmaps: list[Outline]) -> None:
    """Each roadmap's heading tree; "Ask" puts a question about that section to the chat."""
    st.caption("Where does a topic sit in a learning path? Open a roadmap and ask about any section.")
    for number, outline in enumerate(roadmaps):
        with st.expander(escape_markdown(outline.title)):
            for j, heading in enumerate(outline.walk()):
                left, right = st.columns([6, 1])
                left.markdown("\u2003" * heading.depth + "• " + escape_markdown(heading.title))
                if right.button("Ask", key=f"ask_{number}_{j}", help=f"Ask about {heading.path}"):
                    st.session_state.pending = (f"What does the roadmap say about {heading.title}?", outline.doc_id)
                    st.toast("Asked: see the Chat tab.")


def main() -> None:
    st.set_page_config(page_title="roadmap-rag", page_icon="🧭", layout="wide")
    for name, default in (
        ("messages", []),
        ("history", []),
        ("backend", None),
        ("k", None),
        ("doc_filter", []),
        ("kind_filter", []),
        ("pending", None),
    ):
        st.session_state.setdefault(name, default)
    try:
        assistant = get_assistant()
    except RoadmapRagError as exc:
        st.error(f"The assistant cannot start: {escape_markdown(str(exc))}")
        st.stop()
    if st.session_state.backend is None:
        st.session_state.backend = assistant.settings.llm
    if st.session_state.k is None:
        st.session_state.k = assistant.settings.top_k
    roadmaps = roadmap_outlines(assistant.store.count())
    sidebar(assistant, {o.doc_id: o.title for o in roadmaps})

    st.title("Ask the LLM roadmaps")
    chat, browse = st.tabs(["Chat", "Roadmap outlines"])
    with browse:
        browser(roadmaps)
    question = st.chat_input("Ask about the roadmaps, e.g. what should I study before transformers?")
    with chat:
        if not st.session_state.messages:
            st.caption("Answers cite the roadmaps with [n]; open a source to see the passage.")
        for i, message in enumerate(st.session_state.messages):
            with st.chat_message(message["role"]):
                if message["role"] == "user":
                    st.markdown(escape_markdown(message["question"]))
                else:
                    render_answer(i, message)
        pending, st.session_state.pending = st.session_state.pending, None
        if question:
            ask(question, ())
        elif pending:
            ask(pending[0], (pending[1],))


main()
