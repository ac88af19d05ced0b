"""The chat: asking and streaming, a failed question and asking again, what to study next, starter prompts."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import Any

import streamlit as st
from streamlit.elements.lib.mutable_status_container import StatusContainer

from roadmap_rag import RoadmapRagError, Turn
from roadmap_rag.errors import QuestionError
from roadmap_rag.learn.curriculum import NEXT_QUESTION
from roadmap_rag.serve.conversations import Exchange
from roadmap_rag.serve.display import KEEP_QUESTION_IN_VIEW, SCROLL_TO_QUESTION, escape_markdown
from roadmap_rag.types import Place
from ui.answers import render_answer, render_places
from ui.conversations import current_profile, remember
from ui.resources import ask_in_chat, get_assistant

# One question per kind the assistant answers well: learning path, about, papers, duration, explain.
STARTERS = (
    "What should I study before transformers?",
    "What does the roadmap say about LoRA?",
    "Which papers does the complete roadmap recommend for quantization?",
    "How long does the getting-started guide take?",
    "Explain RLHF",
)


def ask(question: str, doc_ids: tuple[str, ...], started: float) -> None:
    """Stream one answer into the page, under a status that says what is being done, and keep it in this
    session's history and in the saved conversation. ``started``: when the learner submitted it."""
    assistant = get_assistant()
    history: list[Turn] = st.session_state.history
    st.session_state.messages.append({"role": "user", "question": question})
    with st.chat_message("user"):
        st.markdown(escape_markdown(question))
        st.html(SCROLL_TO_QUESTION, unsafe_allow_javascript=True)
    if NEXT_QUESTION.search(question):
        try:
            places = assistant.study_next(current_profile(quiet=True)).steps
        except RoadmapRagError as exc:
            with st.chat_message("assistant"):
                failed_to_answer(question, doc_ids, exc)
            return
        st.session_state.messages.append({"role": "assistant", "question": question, "next": places})
        with st.chat_message("assistant"):
            render_next(len(st.session_state.messages) - 1, places)
        remember(Exchange(question, next=places, seconds=time.perf_counter() - started))
        return
    with st.chat_message("assistant"):
        status = st.status("Searching the roadmaps…", expanded=False)
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
                st.write_stream(escape_markdown(delta) for delta in writing(stream, status))
            answer = stream.answer
        except QuestionError as exc:  # the question itself cannot be asked: say why, keep nothing
            status.update(label="This question cannot be asked", state="error")
            st.error(escape_markdown(str(exc)))
            st.session_state.messages.pop()
            return
        except RoadmapRagError as exc:
            status.update(label="No answer", state="error")
            failed_to_answer(question, doc_ids, exc)
            return
        placeholder.empty()
        st.session_state.history = answer.history
        st.session_state.messages.append({"role": "assistant", "question": question, "answer": answer})
        message = st.session_state.messages[-1]
        render_answer(len(st.session_state.messages) - 1, message, started)
        st.html(KEEP_QUESTION_IN_VIEW, unsafe_allow_javascript=True)  # again, now that the answer is below it
        status.update(label="Answer ready", state="complete")
        remember(Exchange(question, answer, seconds=message["seconds"]))


def writing(deltas: Iterable[str], status: StatusContainer) -> Iterator[str]:
    """The answer's text as it comes; the status says "Writing" from its first piece (retrieval runs as the
    stream is first read, so the first piece means the sources are found)."""
    for n, delta in enumerate(deltas):
        if n == 0:
            status.update(label="Writing the answer…")
        yield delta


def failed_to_answer(question: str, doc_ids: tuple[str, ...], exc: RoadmapRagError) -> None:
    """The index, the server or the backend failed: the question stays in the chat, with the remedy."""
    failed = {"role": "assistant", "question": question, "error": str(exc), "doc_id": next(iter(doc_ids), "")}
    st.session_state.messages.append(failed)
    render_error(len(st.session_state.messages) - 1, failed)


def render_error(index: int, message: dict[str, Any]) -> None:
    """Why a question could not be answered, with the remedy the error names, and a button to ask it again."""
    said = str(message["error"])
    st.error(escape_markdown(said[:1].upper() + said[1:]))  # a sentence, whatever the error's own casing
    st.button("Ask again", key=f"again_{index}", on_click=ask_again, args=(index,))


def ask_again(index: int) -> None:
    """Replace a failed question and its message by a new try (a callback: it runs before the page does)."""
    message = st.session_state.messages[index]
    del st.session_state.messages[index - 1 : index + 1]
    ask_in_chat(message["question"], message.get("doc_id", ""))


def render_next(index: int, places: list[Place]) -> None:
    up = get_assistant().study_next(current_profile(quiet=True))
    mastered = sum(1 for m in up.mastery if m.mastered)
    if up.due:
        cards = "1 card is" if up.due == 1 else f"{up.due} cards are"
        st.markdown(f"First, **{cards} due for review** in the Study tab.")
    st.markdown(
        f"From your answers ({mastered} sections mastered in quizzes, placement and reviews) and your ticks "
        f"({len(up.ticked)} sections you marked done in the outlines), the next sections of each roadmap, in its own "
        "order:"
    )
    render_places(f"next_{index}", places, title="Study next")


def starter_prompts() -> None:
    """An empty chat: how answers cite, and one question of each kind the assistant answers well, to click."""
    st.caption("Answers cite the roadmaps with [n]: hover one to read the passage, click it to see the source.")
    st.markdown("**Try one of these**")
    for column, (n, prompt) in zip(st.columns(len(STARTERS)), enumerate(STARTERS), strict=True):
        column.button(prompt, key=f"starter_{n}", on_click=ask_starter, args=(prompt,))


def ask_starter(prompt: str) -> None:
    """A starter prompt is asked exactly as if typed (a callback: it runs before the page does)."""
    ask_in_chat(prompt)
