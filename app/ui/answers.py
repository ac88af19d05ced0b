"""An answer on the page: its text, sources, places and questions to ask next, what was removed, copy, feedback."""

from __future__ import annotations

import time
from typing import Any

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from roadmap_rag import Answer, Removed
from roadmap_rag.observe.feedback import COMMENT_MAX, FeedbackStore
from roadmap_rag.serve import display
from roadmap_rag.serve.display import (
    cited_in_order,
    escape_markdown,
    page_link,
    place_line,
    quotes_by_number,
    safe_url,
    source_card,
)
from roadmap_rag.types import Place
from ui.resources import ask_in_chat, developer_view, get_assistant

SUGGESTIONS = 3  # the "Ask about ..." buttons under an answer: the best few, not one per neighbour


def backend_note(answer: Answer) -> str | None:
    """One line on who answered and why."""
    if answer.backend.startswith("extractive (after"):
        model = answer.backend.removeprefix("extractive (after ").rstrip(")")
        return f"{model} said nothing its sources support, so this answer is composed from the sources themselves."
    if answer.backend.startswith("llamacpp"):
        return "Answered by the embedded Gemma 3 270M, a tiny base model; only claims its sources support are kept."
    if answer.backend.startswith("extractive"):
        return "Composed from the sources without an LLM: every line is its sources' own words, cited."
    return None


def render_source(number: int, answer: Answer, quotes: list[str], cited: bool) -> None:
    """One source: its card (the anchor a chip jumps to, the passage with the cited spans marked), then a
    button to the original."""
    source = answer.sources[number - 1]
    st.html(source_card(number, source, quotes, cited))
    url = safe_url(page_link(source))
    if url:
        st.link_button(f"Open the PDF at page {source.page}" if "#page=" in url else "Open the original", url)


def render_sources(answer: Answer) -> None:
    """The cited sources, in the order the answer cites them; the other retrieved ones folded away."""
    if not answer.sources:
        return
    quotes = quotes_by_number(answer)
    cited = cited_in_order(answer)
    if cited:
        st.markdown("**Sources**")
    for number in cited:
        render_source(number, answer, quotes.get(number, []), cited=True)
    others = [n for n in range(1, len(answer.sources) + 1) if n not in cited]
    if others:
        with st.expander(f"Other sources searched ({len(others)})"):
            for number in others:
                render_source(number, answer, [], cited=False)


def render_places(key: str, places: list[Place], title: str = "Where this sits") -> None:
    """Each roadmap's place for a next step, with buttons that ask about its neighbours."""
    if not places:
        return
    st.markdown(f"**{title}**")
    for n, place in enumerate(places):
        place_lines(place)
        sections = [s for s in (place.before, place.top, place.after) if s]
        for column, section in zip(st.columns(max(1, len(sections))), sections, strict=False):
            ask_about_button(column, key, n, place, section)


def place_lines(place: Place) -> None:
    """One roadmap's place: where it sits, and what that roadmap asks a learner to know first."""
    st.markdown("- " + escape_markdown(place_line(place)))
    if place.prerequisites:
        st.caption("prerequisites: " + escape_markdown(", ".join(place.prerequisites)))


def ask_about_button(where: DeltaGenerator, key: str, n: int, place: Place, section: str) -> None:
    """A button that puts "What does the roadmap say about <section>?" to the chat, within that roadmap."""
    where.button(
        f"Ask about {escape_markdown(section)}",
        key=f"{key}_place_{n}_{section}",
        on_click=ask_in_chat,
        args=(f"What does the roadmap say about {section}?", place.doc_id),
    )


def best_suggestions(places: list[Place], limit: int = SUGGESTIONS) -> list[tuple[int, Place, str]]:
    """The neighbours worth asking about next, best first: what follows each place (the natural next step),
    then what precedes it (a prerequisite), then the section itself; each section once, at most ``limit``:
    a dozen buttons under every answer buried it."""
    ranked = [
        (n, place, section)
        for rank in ("after", "before", "top")
        for n, place in enumerate(places)
        if (section := getattr(place, rank))
    ]
    seen: set[str] = set()
    best = []
    for n, place, section in ranked:
        if section.casefold() not in seen:
            seen.add(section.casefold())
            best.append((n, place, section))
    return best[:limit]


def render_answer_places(key: str, places: list[Place]) -> None:
    """Where an answer sits in each roadmap, then one row of the best few questions to ask next."""
    if not places:
        return
    st.markdown("**Where this sits**")
    for place in places:
        place_lines(place)
    suggestions = best_suggestions(places)
    for column, (n, place, section) in zip(st.columns(max(1, len(suggestions))), suggestions, strict=False):
        ask_about_button(column, key, n, place, section)


def record_feedback(index: int) -> None:
    """Save a rating with the learner's comment, if any (a callback of the thumbs and of the comment box: a
    comment typed after rating saves the rating again with it; the newest record of an answer is the one)."""
    message = st.session_state.messages[index]
    rating = st.session_state.get(f"feedback_{index}")
    if rating is None:
        return
    comment = str(st.session_state.get(f"comment_{index}") or "").strip()[:COMMENT_MAX]
    try:
        FeedbackStore(get_assistant().settings).record(message["question"], message["answer"], int(rating), comment)
    except OSError as exc:
        st.toast(f"Your feedback could not be saved ({exc.strerror}); is the data folder writable?")
        return
    st.toast("Thanks, your feedback is saved locally.")


def render_removed(index: int, answer: Answer) -> None:
    """What the claim check removed from an answer, each with its reason (developer view)."""
    removed = answer.removed or [Removed(text, "no source supports it") for text in answer.unsupported]
    if removed and st.toggle(f"removed: not supported by the sources ({len(removed)})", key=f"removed_{index}"):
        for removal in removed:
            st.markdown(f"- ~~{escape_markdown(removal.text)}~~  \n  _{escape_markdown(removal.reason)}_")


def render_copy(answer: Answer) -> None:
    """The answer as plain text in a code block, whose copy button copies it (Streamlit has no clipboard API);
    a code block shows its text literally, so nothing in it is rendered."""
    with st.expander("Copy answer"):
        st.code(answer.text, language=None)


def render_feedback(index: int) -> None:
    """Thumbs up/down, and an optional comment saved with the rating."""
    st.text_input(
        "Comment (optional)",
        key=f"comment_{index}",
        max_chars=COMMENT_MAX,
        placeholder="What was right or wrong? Saved with your rating.",
        on_change=record_feedback,
        args=(index,),
    )
    st.feedback("thumbs", key=f"feedback_{index}", on_change=record_feedback, args=(index,))


def render_answer(index: int, message: dict[str, Any], started: float | None = None) -> None:
    """An answer with its sources and controls. ``started``: when the learner submitted the question (this
    run's perf_counter), for an answer being shown the first time: the time the learner waited is measured
    once the whole answer is on the page, and kept with it (message["seconds"])."""
    answer: Answer = message["answer"]
    if answer.standalone:  # a follow-up, answered as the question it stands for
        st.caption(f"Answering: {escape_markdown(answer.standalone)}")
    # looked up on display when the page runs: a test slows it down there
    st.markdown(display.cited_answer_markdown(answer), unsafe_allow_html=True)
    if not answer.grounded:
        st.warning("Not covered by the corpus: no roadmap passage answers this, so nothing was made up.")
    note = backend_note(answer)
    if note:
        st.info(note, icon=":material/info:")
    for text in answer.notes:
        # The Ollama fallback is said once per session (in the sidebar), not under every answer.
        if text.startswith("Ollama not used"):
            st.session_state["ollama_note"] = text
            continue
        st.warning(escape_markdown(text))
    if developer_view():
        render_removed(index, answer)
    render_sources(answer)
    render_answer_places(f"answer_{index}", answer.places)
    timing = st.empty() if developer_view() else None
    render_copy(answer)
    render_feedback(index)
    if started is not None:
        message["seconds"] = time.perf_counter() - started
    if timing is not None:
        waited = message.get("seconds")
        shown = f" · waited {waited:.2f} s" if isinstance(waited, float) else ""
        timing.caption(f"backend: {escape_markdown(answer.backend)}{shown}")
