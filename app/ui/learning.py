"""The learning tabs: a topic's learning path, the quiz, the papers, and the roadmap outlines to tick off."""

from __future__ import annotations

import streamlit as st

from roadmap_rag import Assistant, RoadmapRagError, index_status
from roadmap_rag.learn.choice import ChoiceItem
from roadmap_rag.learn.curriculum import Lane, TopicPath
from roadmap_rag.learn.outline import Outline
from roadmap_rag.learn.quiz import quiz_score
from roadmap_rag.serve.display import (
    escape_markdown,
    highlight,
    place_line,
    safe_url,
)
from roadmap_rag.types import Kind, unnumbered
from ui.conversations import current_profile, progress_store
from ui.resources import ask_in_chat, get_assistant
from ui.study import choice_form, show_choices


@st.cache_data(show_spinner=False, max_entries=64)
def topic_path(topic: str, chunk_count: int) -> TopicPath:
    return get_assistant().path(topic)


# A node of a roadmap's row in the path: "teaches" (a section that teaches the topic), "section" (a main section
# around it) or "folded" (a count of the sections further away).
Node = tuple[str, str]


def lane_nodes(lane: Lane) -> list[Node]:
    """A roadmap's main sections in order around the ones that teach the topic, two on each side; the sections
    further away folded into a count. Empty when the roadmap does not teach it."""
    teaching = [i for i, section in enumerate(lane.sections) if section in {m.place.top for m in lane.mentions}]
    if not teaching:
        return []
    lo, hi = max(0, teaching[0] - 2), min(len(lane.sections) - 1, teaching[-1] + 2)
    nodes: list[Node] = [(lane.sections[i], "teaches" if i in teaching else "section") for i in range(lo, hi + 1)]
    if lo > 0:
        nodes.insert(0, (f"{lo} earlier sections", "folded"))
    if hi < len(lane.sections) - 1:
        nodes.append((f"{len(lane.sections) - 1 - hi} later sections", "folded"))
    return nodes


def path_lanes(path: TopicPath) -> None:
    """The path as rows a learner can read and click at any width, in the page's theme: one row per roadmap, its
    main sections in its own order, the ones that teach the topic highlighted; a section asks the chat about it."""
    st.caption(
        f"Each row is one roadmap's main sections in its own order (→). **Highlighted**: where it teaches "
        f"{escape_markdown(path.topic)}. *Know first*: what that roadmap asks you to know before. "
        "Click a section to ask about it."
    )
    for n, lane in enumerate(path.lanes):
        nodes = lane_nodes(lane)
        if not nodes:
            continue
        st.markdown(f"**{escape_markdown(lane.roadmap[:1].upper() + lane.roadmap[1:])}**")
        prerequisites = next((m.place.prerequisites for m in lane.mentions if m.place.prerequisites), ())
        if prerequisites:
            st.caption("*Know first*: " + escape_markdown(", ".join(prerequisites)))
        row = st.container(horizontal=True, vertical_alignment="center", key=f"path_lane_{n}")
        for i, (label, kind) in enumerate(nodes):
            if i:
                row.markdown("→")
            if kind == "folded":
                row.caption(escape_markdown(label))
                continue
            row.button(
                escape_markdown(label),
                key=f"path_{n}_{i}",
                type="primary" if kind == "teaches" else "secondary",
                help=f"Ask what {escape_markdown(lane.roadmap)} says about {escape_markdown(label)}",
                on_click=ask_in_chat,
                args=(f"What does the roadmap say about {unnumbered(label)}?", lane.doc_id),
            )


def learning_path(count: int) -> None:
    """A topic across the roadmaps: each roadmap's order around it, then what each says side by side."""
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
    path_lanes(path)
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


STYLES = ("typing", "choosing (easy)", "choosing (medium)", "choosing (hard)")


def quiz_tab() -> None:
    """A self-check quiz on a topic: answers are scored by key facts, with the passage each comes from."""
    topic = st.text_input("Quiz topic", placeholder="e.g. RLHF", key="quiz_topic")
    count = st.number_input("Questions", min_value=1, max_value=10, value=3, key="quiz_n")
    style = st.radio("Answer by", STYLES, horizontal=True, key="quiz_style")
    started = st.session_state.get("quiz") is not None
    if st.button("New questions" if started else "Start quiz", disabled=not topic.strip(), key="quiz_start"):
        # Each draw takes the next seed: a retry gets other questions wherever the roadmaps have more.
        again = started and st.session_state.get("quiz_drawn") == topic.strip()
        seed = st.session_state.get("quiz_seed", -1) + 1 if again else 0
        try:
            if style == STYLES[0]:
                st.session_state.quiz = get_assistant().quiz(topic.strip(), int(count), seed=seed)
            else:  # "choosing (easy)": multiple choice at that level
                level = style.split("(")[1].rstrip(")")
                st.session_state.quiz = get_assistant().choices(topic.strip(), level, int(count), seed=seed)
        except RoadmapRagError as exc:
            st.error(escape_markdown(str(exc)))
            return
        st.session_state.quiz_seed, st.session_state.quiz_drawn = seed, topic.strip()
        st.session_state.quiz_graded = False
        for n in range(1, 11):  # a new draw starts with empty answers
            st.session_state.pop(f"quiz_answer_{n}", None)
            st.session_state.pop(f"quiz_choice_{n}", None)
    items = st.session_state.get("quiz") or []
    if not items:
        if st.session_state.get("quiz") == []:
            st.warning("No questions on this topic: the roadmaps have no list, definition or section on it.")
        return
    if isinstance(items[0], ChoiceItem):
        submitted = choice_form("quiz", items)
        if not (submitted or st.session_state.get("quiz_graded")):
            return
        record = submitted and not st.session_state.get("quiz_graded")
        st.session_state.quiz_graded = True
        right = show_choices("quiz", items, current_profile(quiet=True) if record else None)
        st.metric("Score", f"{right} of {len(items)} right")
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
        # Counted toward the learner's mastery once, when submitted (not again on each redraw).
        profile = current_profile(quiet=True) if graded else None
        result = get_assistant().grade(item, st.session_state.get(f"quiz_answer_{n}", ""), profile)
        grades.append(result)
        # Streamlit's own icon font, not emoji (a machine without an emoji font showed empty boxes)
        icon = "skip_next" if result.skipped else "check_circle" if result.score == 1 else "cancel"
        icon = "adjust" if not result.skipped and 0 < result.score < 1 else icon
        shown = "skipped" if result.skipped else f"{result.score:.2f}"
        with st.expander(f"{n}. {shown}: {escape_markdown(item.question)}", icon=f":material/{icon}:"):
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


def browser(roadmaps: list[Outline]) -> None:
    """Each roadmap's heading tree: tick what you have studied; "Ask" puts a question about a section to the chat."""
    store = progress_store()
    done = store.done()
    st.caption(
        f"Tick the sections you have studied ({len(done)} so far, saved on this machine for "
        f"{escape_markdown(store.profile)}), then ask the chat *what should I study next?*"
    )
    st.button("What should I study next?", key="next_button", on_click=ask_in_chat, args=("What should I study next?",))
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
                right.button(
                    "Ask",
                    key=f"ask_{number}_{j}",
                    help=f"Ask about {escape_markdown(heading.path)}",
                    on_click=ask_in_chat,
                    args=(f"What does the roadmap say about {heading.title}?", outline.doc_id),
                )


def mark_done(doc_id: str, section: str, key: str) -> None:
    progress_store().mark(doc_id, section, bool(st.session_state.get(key)))
