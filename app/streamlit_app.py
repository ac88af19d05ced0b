"""roadmap-rag for learners: a cited chat over the LLM roadmaps. Start it with `roadmap-rag app`.

Page logic only: retrieval, generation and citation checking live in the package (Assistant).
Corpus and model text is escaped before it is shown (roadmap_rag.serve.display). The only HTML on the page is
display.py's: citation chips around escaped text, and source passages rendered from Markdown and sanitised.
"""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import streamlit as st
from streamlit.delta_generator import DeltaGenerator
from streamlit.elements.lib.mutable_status_container import StatusContainer

from roadmap_rag import Answer, Assistant, Removed, RoadmapRagError, Settings, Turn, index_status
from roadmap_rag.answer.generation import BACKENDS
from roadmap_rag.errors import QuestionError
from roadmap_rag.index import ingest
from roadmap_rag.learn.curriculum import NEXT_QUESTION, TopicPath
from roadmap_rag.learn.outline import Outline, outlines
from roadmap_rag.learn.progress import LEARNER, ProgressStore, is_profile, learner_profile
from roadmap_rag.learn.quiz import quiz_score
from roadmap_rag.observe.feedback import COMMENT_MAX, FeedbackStore
from roadmap_rag.redact import redact, redact_url
from roadmap_rag.serve.conversations import Conversation, ConversationStore, Exchange, conversation_markdown
from roadmap_rag.serve.display import (
    CITATION_CSS,
    cited_answer_markdown,
    cited_in_order,
    dot_label,
    escape_markdown,
    highlight,
    kind_summary,
    page_link,
    place_line,
    quotes_by_number,
    safe_url,
    source_card,
)
from roadmap_rag.types import Kind, Place

KINDS = {Kind.ROADMAP: "Roadmaps", Kind.PAPER: "Papers (full text)", Kind.PAPER_CARD: "Paper cards"}
# One question per kind the assistant answers well: learning path, about, papers, duration, explain.
STARTERS = (
    "What should I study before transformers?",
    "What does the roadmap say about LoRA?",
    "Which papers does the complete roadmap recommend for quantization?",
    "How long does the getting-started guide take?",
    "Explain RLHF",
)
SUGGESTIONS = 3  # the "Ask about ..." buttons under an answer: the best few, not one per neighbour


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
    if where.button(f"Ask about {escape_markdown(section)}", key=f"{key}_place_{n}_{section}"):
        st.session_state.pending = (f"What does the roadmap say about {section}?", place.doc_id)


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


def developer_view() -> bool:
    """Whether this session shows the developer's detail (backends, addresses, the index, what the claim check
    removed): the sidebar's toggle, on from the start with ?dev=1 in the page's link."""
    return bool(st.session_state.get("dev"))


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
    st.markdown(cited_answer_markdown(answer), unsafe_allow_html=True)
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


def ask(question: str, doc_ids: tuple[str, ...], started: float) -> None:
    """Stream one answer into the page, under a status that says what is being done, and keep it in this
    session's history and in the saved conversation. ``started``: when the learner submitted it."""
    assistant = get_assistant()
    history: list[Turn] = st.session_state.history
    st.session_state.messages.append({"role": "user", "question": question})
    with st.chat_message("user"):
        st.markdown(escape_markdown(question))
    if NEXT_QUESTION.search(question):
        try:
            places = assistant.next_steps(progress_store().done())
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
    st.error(escape_markdown(message["error"]))
    st.button("Ask again", key=f"again_{index}", on_click=ask_again, args=(index,))


def ask_again(index: int) -> None:
    """Replace a failed question and its message by a new try (a callback: it runs before the page does)."""
    message = st.session_state.messages[index]
    del st.session_state.messages[index - 1 : index + 1]
    st.session_state.pending = (message["question"], message.get("doc_id", ""))


def render_next(index: int, places: list[Place]) -> None:
    done = len(progress_store().done())
    st.markdown(
        f"From your progress ({done} sections marked done in the outlines), the next sections of each roadmap, "
        "in its own order:"
    )
    render_places(f"next_{index}", places, title="Study next")


def progress_store() -> ProgressStore:
    """This learner's progress: the named profile, else the id in this page's URL (one per browser)."""
    return ProgressStore(get_assistant().settings, current_profile())


def current_profile(quiet: bool = False) -> str:
    """The learner's profile: the named one, else the id in this page's URL (one per browser); a name that
    cannot be a profile is said in the sidebar (unless ``quiet``: said once a run is enough)."""
    profile = (st.session_state.get("profile") or "").strip()
    if profile and not is_profile(profile):
        if not quiet:
            st.sidebar.error("A profile name is 1-64 letters, digits, '-', '_' or '.'; using this page's link instead.")
        profile = ""
    return profile or link_profile()


# -- saved conversations: per profile, shown again after a reload ----------------------------------------------
def conversation_store() -> ConversationStore:
    """This learner's saved conversations (the progress store's profile)."""
    return ConversationStore(get_assistant().settings, current_profile(quiet=True))


def messages_of(conversation: Conversation) -> list[dict[str, Any]]:
    """A saved conversation as the chat's messages."""
    messages: list[dict[str, Any]] = []
    for exchange in conversation.turns:
        messages.append({"role": "user", "question": exchange.question})
        reply: dict[str, Any] = {"role": "assistant", "question": exchange.question, "seconds": exchange.seconds}
        if exchange.answer is not None:
            messages.append({**reply, "answer": exchange.answer})
        elif exchange.next is not None:
            messages.append({**reply, "next": exchange.next})
    return messages


def show_conversation(conversation: Conversation) -> None:
    """Make ``conversation`` the chat's: its messages, its history for follow-ups; the previous one's
    per-answer widgets (ratings, comments) are forgotten, as they belong to other answers."""
    for key in [k for k in st.session_state if str(k).startswith(("feedback_", "comment_", "removed_"))]:
        del st.session_state[key]
    st.session_state.conversation = conversation
    st.session_state.messages = messages_of(conversation)
    st.session_state.history = list(conversation.history)
    st.session_state.confirm_delete = None


def sync_conversation() -> None:
    """On a session's first run (a reload), or when the profile changes: show the profile's last conversation,
    or start a new one."""
    store = conversation_store()
    if st.session_state.get("conversation") is not None and st.session_state.get("conversation_of") == store.profile:
        return
    st.session_state.conversation_of = store.profile
    try:
        latest = store.latest()
    except OSError:  # the folder cannot be read: the panel says so
        latest = None
    show_conversation(latest or Conversation.start())


def remember(exchange: Exchange) -> None:
    """Add an answered question to the current conversation and save it; a failure to save is a toast with the
    remedy, and the chat goes on."""
    conversation: Conversation = st.session_state.conversation
    conversation.add(exchange, st.session_state.history)
    try:
        conversation_store().save(conversation)
    except (OSError, TypeError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        st.toast(f"This conversation could not be saved ({reason}); is the data folder writable? The chat still works.")


def start_conversation() -> None:
    """ "New conversation": an empty chat, saved as a new conversation from its first question (a callback)."""
    show_conversation(Conversation.start())


def switch_conversation(conversation_id: str) -> None:
    """Show a saved conversation (a callback); one that cannot be read any more is a toast."""
    conversation = conversation_store().load(conversation_id)
    if conversation is None:
        st.toast("That conversation could not be read; it may have been deleted or damaged.")
        return
    show_conversation(conversation)


def rename_conversation(conversation_id: str) -> None:
    """Save the title typed for the current conversation (a callback)."""
    title = str(st.session_state.get(f"title_{conversation_id}") or "")
    try:
        renamed = conversation_store().rename(conversation_id, title)
    except OSError as exc:
        st.toast(f"The new title could not be saved ({exc.strerror}); is the data folder writable?")
        return
    if renamed is not None:
        st.session_state.conversation.title = renamed.title


def delete_conversation(conversation_id: str) -> None:
    """Delete a conversation once confirmed (a callback), then show the most recent one left, or a new one."""
    store = conversation_store()
    try:
        store.delete(conversation_id)
    except OSError as exc:
        st.toast(f"The conversation could not be deleted ({exc.strerror}); is the data folder writable?")
        return
    if st.session_state.conversation.id == conversation_id:
        try:
            latest = store.latest()
        except OSError:
            latest = None
        show_conversation(latest or Conversation.start())
    st.session_state.confirm_delete = None


def ask_to_delete(conversation_id: str | None) -> None:
    """Show (an id) or hide (None) the delete confirmation (a callback)."""
    st.session_state.confirm_delete = conversation_id


def conversations_panel(where: DeltaGenerator) -> None:
    """The sidebar's conversations, filled after the chat so that it lists a question just asked: "New
    conversation", the profile's conversations newest first, and for the current one: rename, delete (with a
    confirmation), export as Markdown."""
    where.button("New conversation", type="primary", on_click=start_conversation)
    store = conversation_store()
    try:
        listing = store.listing()
    except OSError as exc:
        where.warning(f"Saved conversations cannot be read ({exc.strerror}); is the data folder readable?")
        return
    current: Conversation = st.session_state.conversation
    for conversation in listing.conversations:
        where.button(
            escape_markdown(conversation.title),
            key=f"conversation_{conversation.id}",
            on_click=switch_conversation,
            args=(conversation.id,),
            disabled=conversation.id == current.id,
            width="stretch",
        )
    if listing.unreadable:
        where.caption(
            f"{len(listing.unreadable)} saved conversation file(s) could not be read and are skipped "
            f"({escape_markdown(', '.join(listing.unreadable))}); move them out of "
            f"{escape_markdown(str(store.folder))} to silence this note."
        )
    if current.turns:
        conversation_tools(where, current)


def conversation_tools(where: DeltaGenerator, current: Conversation) -> None:
    """Rename, delete (confirmed first) and export the current conversation."""
    where.download_button(
        "Export as Markdown",
        data=conversation_markdown(current),
        file_name=f"conversation-{current.id}.md",
        mime="text/markdown",
        key="export",
        on_click="ignore",
    )
    with where.expander("Rename or delete"):
        st.text_input(
            "Title", value=current.title, key=f"title_{current.id}", on_change=rename_conversation, args=(current.id,)
        )
        if st.session_state.get("confirm_delete") != current.id:
            st.button("Delete this conversation", key="delete", on_click=ask_to_delete, args=(current.id,))
            return
        st.warning("Delete this conversation? This cannot be undone.")
        yes, no = st.columns(2)
        yes.button("Yes, delete", key="delete_yes", on_click=delete_conversation, args=(current.id,))
        no.button("Cancel", key="delete_no", on_click=ask_to_delete, args=(None,))


def link_profile() -> str:
    """The profile this page's link names (?learner=<id>); a missing id, or one that cannot name a profile
    (a path, a NUL, too long), is replaced in the link by a new one."""
    learner = st.query_params.get("learner")
    profile = learner_profile(learner) if learner is not None else None
    if profile is not None:
        return profile
    if learner is not None:
        st.sidebar.warning(
            "This page's link holds a learner id that cannot keep progress (it must be 1-56 letters, digits, "
            "'-', '_' or '.'), so a new one is in the link now: bookmark this page to keep your progress, "
            "or name a profile below."
        )
    learner = uuid.uuid4().hex[:12]
    st.query_params["learner"] = learner
    return LEARNER + learner


@st.cache_data(show_spinner=False, max_entries=64)
def topic_path(topic: str, chunk_count: int) -> TopicPath:
    return get_assistant().path(topic)


def path_dot(path: TopicPath) -> str:
    """A picture of the path: one lane per roadmap with its main sections in order around the ones that teach
    the topic (filled), the sections further away folded into a count, and the prerequisites linked."""
    quoted = dot_label  # section names come from documents: one Graphviz string each, whatever they hold

    lines = ["digraph path {", "rankdir=LR;", 'node [shape=box, style="rounded,filled", fillcolor=white, fontsize=11];']
    for n, lane in enumerate(path.lanes):
        teaching = [i for i, section in enumerate(lane.sections) if section in {m.place.top for m in lane.mentions}]
        if not teaching:
            continue
        lo, hi = max(0, teaching[0] - 2), min(len(lane.sections) - 1, teaching[-1] + 2)
        nodes = [(f"l{n}_{i}", quoted(lane.sections[i]), i in teaching) for i in range(lo, hi + 1)]
        if lo > 0:
            nodes.insert(0, (f"l{n}_before", quoted(f"... {lo} earlier sections"), False))
        if hi < len(lane.sections) - 1:
            nodes.append((f"l{n}_after", quoted(f"{len(lane.sections) - 1 - hi} later sections ..."), False))
        lines.append(f"subgraph cluster_{n} {{ label={quoted(lane.roadmap)};")
        for name, label, filled in nodes:
            fill = ', fillcolor="#ffd27f"' if filled else ""
            lines.append(f"{name} [label={label}{fill}];")
        lines += [f"{a[0]} -> {b[0]};" for a, b in itertools.pairwise(nodes)]
        lines.append("}")
        prerequisites = next((m.place.prerequisites for m in lane.mentions if m.place.prerequisites), ())
        if prerequisites:
            lines.append(f"p{n} [label={quoted('Know first: ' + ', '.join(prerequisites))}, shape=note];")
            lines.append(f"p{n} -> {nodes[0][0]} [style=dashed];")
    lines.append("}")
    return "\n".join(lines)


def learning_path(count: int) -> None:
    """A topic across the roadmaps: a picture of each roadmap's order, then what each says side by side."""
    topic = st.text_input("Topic", placeholder="e.g. LoRA, tokenization, RLHF, RAG", key="path_topic")
    if not topic.strip():
        st.caption(
            "Type a topic to see where each roadmap places it, what comes before and after, and where they differ."
        )
        return
    try:
        path = topic_path(topic.strip(), count)
    except RoadmapRagError as exc:
        st.error(escape_markdown(str(exc)))
        return
    if not path.covered:
        st.warning(
            f"No roadmap covers {escape_markdown(topic)}. Nearest covered topics: "
            + escape_markdown("; ".join(path.nearest) or "none")
        )
        return
    st.graphviz_chart(path_dot(path))
    for line in path.disagreements:
        st.info(escape_markdown(line), icon="↔️")
    covering = [lane for lane in path.lanes if lane.mentions]
    for column, lane in zip(st.columns(len(covering)), covering, strict=True):
        primary = lane.primary
        assert primary is not None
        column.markdown(f"**{escape_markdown(lane.roadmap[:1].upper() + lane.roadmap[1:])}**")
        column.caption(escape_markdown(place_line(primary.place).split(": ", 1)[-1]))
        for mention in lane.mentions:
            column.markdown("- " + escape_markdown(mention.text))
        resources = list(dict.fromkeys(r for m in lane.mentions for r in m.resources))
        papers = list(dict.fromkeys(p for m in lane.mentions for p in m.papers))
        if resources:
            column.caption("resources: " + escape_markdown("; ".join(resources[:6])))
        if papers:
            column.caption("papers: " + escape_markdown("; ".join(papers)))


def quiz_tab() -> None:
    """A self-check quiz on a topic: answers are scored by key facts, with the passage each comes from."""
    topic = st.text_input("Quiz topic", placeholder="e.g. RLHF", key="quiz_topic")
    count = st.number_input("Questions", min_value=1, max_value=10, value=3, key="quiz_n")
    started = st.session_state.get("quiz") is not None
    if st.button("New questions" if started else "Start quiz", disabled=not topic.strip(), key="quiz_start"):
        # Each draw takes the next seed: a retry gets other questions wherever the roadmaps have more.
        again = started and st.session_state.get("quiz_drawn") == topic.strip()
        seed = st.session_state.get("quiz_seed", -1) + 1 if again else 0
        try:
            st.session_state.quiz = get_assistant().quiz(topic.strip(), int(count), seed=seed)
        except RoadmapRagError as exc:
            st.error(escape_markdown(str(exc)))
            return
        st.session_state.quiz_seed, st.session_state.quiz_drawn = seed, topic.strip()
        st.session_state.quiz_graded = False
        for n in range(1, 11):  # a new draw starts with empty answers
            st.session_state.pop(f"quiz_answer_{n}", None)
    items = st.session_state.get("quiz") or []
    if not items:
        if st.session_state.get("quiz") == []:
            st.warning("No questions on this topic: the roadmaps have no list, definition or section on it.")
        return
    with st.form("quiz_form"):
        for n, item in enumerate(items, start=1):
            st.markdown(f"**{n}. {escape_markdown(item.question)}**")
            st.text_input("Your answer", key=f"quiz_answer_{n}", label_visibility="collapsed")
        graded = st.form_submit_button("Check my answers")
    if not (graded or st.session_state.get("quiz_graded")):
        return
    st.session_state.quiz_graded = True
    grades = []
    for n, item in enumerate(items, start=1):
        result = get_assistant().grade(item, st.session_state.get(f"quiz_answer_{n}", ""))
        grades.append(result)
        icon = "⏭️" if result.skipped else "✅" if result.score == 1 else ("🟡" if result.score else "❌")
        shown = "skipped" if result.skipped else f"{result.score:.2f}"
        with st.expander(f"{icon} {n}. {shown}: {escape_markdown(item.question)}"):
            st.markdown(escape_markdown(result.feedback))
            st.markdown(highlight(item.citation.text, item.answer if item.answer in item.citation.text else ""))
    total, answered = quiz_score(grades)
    skipped = len(items) - answered
    st.metric("Score", f"{total:.1f} of {answered}" + (f" ({skipped} skipped)" if skipped else ""))


def papers_tab(assistant: Assistant) -> None:
    """The papers whose text is in the index, each with its catalog entry and where the roadmaps recommend it."""
    from roadmap_rag.corpus.catalog import load_catalog

    status = index_status(assistant.settings, assistant.store)
    indexed = {doc_id: info for doc_id, info in status.documents.items() if info.get("kind") == Kind.PAPER}
    if not indexed:
        st.info("No paper's full text is indexed yet: `roadmap-rag papers fetch` downloads the catalog's papers.")
        return
    catalog = load_catalog(assistant.settings.papers_catalog) if assistant.settings.papers_catalog.exists() else None
    by_doc = {p.doc_id: p for p in catalog.papers} if catalog else {}
    titles = {d: str(i.get("title", d)) for d, i in status.documents.items() if i.get("kind") == Kind.ROADMAP}
    pages = sum(int(i.get("pages", 0)) for i in indexed.values())
    st.caption(f"{len(indexed)} paper{'' if len(indexed) == 1 else 's'}, {pages} pages")
    for doc_id, info in sorted(indexed.items(), key=lambda item: str(item[1].get("title", item[0]))):
        paper = by_doc.get(doc_id)
        with st.expander(f"{escape_markdown(str(info.get('title', doc_id)))} · {info.get('pages', '?')} pages"):
            if paper is None:
                st.markdown("Not in the catalog: no roadmap recommends it.")
                continue
            st.markdown(f"**{escape_markdown(paper.title)}**: introduced {escape_markdown(paper.introduces)}")
            places = [("Recommended in", ref) for ref in paper.cited_by] + [("Named in", r) for r in paper.mentioned_in]
            for verb, ref in places:
                where = f"{titles.get(ref.doc, ref.doc)} — {ref.section}"
                st.markdown(f"- {verb} {escape_markdown(where)}")
            if not places:
                st.markdown("No roadmap section names it.")
            url = safe_url(paper.link)
            if url:
                st.link_button("Open on arXiv", url)


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
        side.info(escape_markdown(redact(st.session_state["ollama_note"])), icon="ℹ️")
    side.header("roadmap-rag")
    side.toggle("Developer view", key="dev", help="Backends, the Ollama address, the index, re-ingest, timings.")
    if developer_view():
        backend_picker(assistant)
    side.text_input(
        "Profile (optional)",
        key="profile",
        placeholder="this browser",
        help="Name a profile to keep your progress across browsers; otherwise it stays with this page's link.",
    )
    side.slider("Sources per answer", 1, 10, key="k")
    side.multiselect(
        "Roadmaps", list(titles), format_func=titles.__getitem__, key="doc_filter", placeholder="All roadmaps"
    )
    side.multiselect("Kinds", list(KINDS), format_func=KINDS.__getitem__, key="kind_filter", placeholder="All")
    index_tools(assistant)
    side.subheader("Conversations")
    return side.container()


def browser(roadmaps: list[Outline]) -> None:
    """Each roadmap's heading tree: tick what you have studied; "Ask" puts a question about a section to the chat."""
    store = progress_store()
    done = store.done()
    st.caption(
        f"Tick the sections you have studied ({len(done)} so far, saved on this machine for "
        f"{escape_markdown(store.profile)}), then ask the chat *what should I study next?*"
    )
    if st.button("What should I study next?", key="next_button"):
        st.session_state.pending = ("What should I study next?", "")
    for number, outline in enumerate(roadmaps):
        with st.expander(escape_markdown(outline.title)):
            for j, heading in enumerate(outline.walk()):
                tick, left, right = st.columns([1, 8, 1])
                tick.checkbox(
                    "done",
                    value=(outline.doc_id, heading.path) in done,
                    key=f"done_{number}_{j}",
                    label_visibility="collapsed",
                    on_change=mark_done,
                    args=(outline.doc_id, heading.path, f"done_{number}_{j}"),
                )
                left.markdown("\u2003" * heading.depth + "• " + escape_markdown(heading.title))
                if right.button("Ask", key=f"ask_{number}_{j}", help=f"Ask about {escape_markdown(heading.path)}"):
                    st.session_state.pending = (f"What does the roadmap say about {heading.title}?", outline.doc_id)
                    st.toast("Asked: see the Chat tab.")


def mark_done(doc_id: str, section: str, key: str) -> None:
    progress_store().mark(doc_id, section, bool(st.session_state.get(key)))


def starter_prompts() -> None:
    """An empty chat: how answers cite, and one question of each kind the assistant answers well, to click."""
    st.caption("Answers cite the roadmaps with [n]: hover one to read the passage, click it to see the source.")
    st.markdown("**Try one of these**")
    for column, (n, prompt) in zip(st.columns(len(STARTERS)), enumerate(STARTERS), strict=True):
        column.button(prompt, key=f"starter_{n}", on_click=ask_starter, args=(prompt,))


def ask_starter(prompt: str) -> None:
    """A starter prompt is asked exactly as if typed (a callback: it runs before the page does)."""
    st.session_state.pending = (prompt, "")


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
    chat, path_tab, quiz, browse, papers = st.tabs(["Chat", "Learning path", "Quiz", "Roadmap outlines", "Papers"])
    with papers:
        guarded(papers_tab, assistant)
    with browse:
        guarded(browser, roadmaps)
    with path_tab:
        guarded(learning_path, count)
    with quiz:
        guarded(quiz_tab)
    question = st.chat_input("Ask about the roadmaps, e.g. what should I study before transformers?")
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
    conversations_panel(panel)


main()
