"""The Study tab: review the cards due (one at a time, the answer and its passage after "Show answer", rated again /
hard / good / easy), take a placement check, get a week-by-week plan toward a goal, or search the glossary; and the
learner's mastery of each section and multiple-choice record, from their answers."""

from __future__ import annotations

import streamlit as st

from roadmap_rag import RoadmapRagError
from roadmap_rag.learn.choice import ChoiceItem
from roadmap_rag.learn.study import RATINGS, Due
from roadmap_rag.serve.display import escape_markdown, highlight, safe_url
from ui.conversations import current_profile
from ui.resources import get_assistant

MODES = ("Review cards", "Placement check", "Plan", "Glossary")


def study_tab() -> None:
    mode = st.radio("Study", MODES, horizontal=True, key="study_mode", label_visibility="collapsed")
    profile = current_profile(quiet=True)
    if mode == "Placement check":
        placement_check(profile)
    elif mode == "Plan":
        plan_view(profile)
    elif mode == "Glossary":
        glossary_view()
    else:
        review_tab(profile)
    mastery_table(profile)


def review_tab(profile: str) -> None:
    assistant = get_assistant()
    due = assistant.review_due(profile)
    if rated := st.session_state.pop("review_rated", None):
        st.success(escape_markdown(rated))
    seen = sum(1 for d in due if not d.new)
    st.markdown(f"**{_count(seen, 'card')} due** and **{len(due) - seen} new** today for profile `{profile}`.")
    if due:
        review_card(due[0], profile)
    else:
        st.info("Nothing due: come back later, or take a quiz.")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def review_card(item: Due, profile: str) -> None:
    card = item.card
    with st.container(border=True):
        st.caption(f"{'New card' if item.new else 'Due for review'} · {card.kind}")
        st.markdown(f"#### {escape_markdown(card.front)}")
        shown = st.session_state.get("review_shown") == card.id
        if not shown:
            st.button("Show answer", key="review_show", on_click=_show, args=(card.id,), type="primary")
            return
        st.markdown(f"**{escape_markdown(card.back)}**")
        quote = next((k for k in card.keys if k in card.source.text), "")
        st.markdown(highlight(card.source.text, quote))
        url = safe_url(card.source.url or "")
        where = escape_markdown(card.where)
        st.caption(f"Source: [{where}]({url})" if url else f"Source: {where}")
        st.markdown("How well did you know it?")
        for column, rating in zip(st.columns(len(RATINGS)), RATINGS, strict=True):
            column.button(
                rating.capitalize(), key=f"review_rate_{rating}", on_click=_rate, args=(card.id, rating, profile)
            )


def _show(card_id: str) -> None:
    st.session_state.review_shown = card_id


def _rate(card_id: str, rating: str, profile: str) -> None:
    scheduled = get_assistant().rate(card_id, rating, profile)
    st.session_state.review_shown = None
    st.session_state.review_rated = f"{rating.capitalize()}: next review {scheduled.due:%Y-%m-%d %H:%M} UTC."


def mastery_table(profile: str) -> None:
    record = get_assistant().levels(profile)
    if record:
        shown = ", ".join(f"{level} {right} of {total} right" for level, (right, total) in sorted(record.items()))
        st.caption(f"Multiple choice so far: {shown}.")
    known = get_assistant().mastery(profile)
    if not known:
        st.caption("Mastery shows here once you answer quiz questions or rate cards.")
        return
    st.markdown(
        "**Your mastery, from your answers** (a section is mastered at 80% over two answers or more, or by a "
        "placement question answered right)"
    )
    rows = [
        {
            "Roadmap": get_assistant().curriculum().library.view(m.doc_id).short_title,
            "Section": m.name,
            "Score": f"{m.score:.0%}",
            "Answers": m.answers,
            "Mastered": "yes" if m.mastered else "not yet",
        }
        for m in known
    ]
    st.dataframe(rows, hide_index=True)


def glossary_view() -> None:
    """Every term the roadmaps define or spell out, searchable; each definition quoted and cited."""
    query = st.text_input("Search the glossary", placeholder="e.g. RLHF, low-rank, context", key="glossary_query")
    entries = get_assistant().glossary(query.strip())
    verb = "matches" if len(entries) == 1 else "match"
    st.caption(_count(len(entries), "term") + (f" {verb} “{escape_markdown(query.strip())}”" if query.strip() else ""))
    for entry in entries[:40]:
        long_form = f" ({escape_markdown(entry.expansion)})" if entry.expansion else ""
        with st.container(border=True):
            st.markdown(f"**{escape_markdown(entry.term)}**{long_form}")
            for quoted in entry.sources:
                st.markdown(f"> {escape_markdown(quoted.quote)}")
                st.caption(f"Source: {escape_markdown(quoted.source.label())}")


def placement_check(profile: str) -> None:
    """One question on each of a roadmap's first sections; the ones answered right count as mastered."""
    assistant = get_assistant()
    names = {o: t for o, t in assistant.roadmaps().items()}
    roadmap = st.selectbox(
        "Roadmap to place yourself in", list(names), format_func=lambda d: names[d], key="placement_roadmap"
    )
    if st.button("Start the placement check", key="placement_start"):
        st.session_state.placement = assistant.placement(roadmap)
        st.session_state.placement_done = False
    items = st.session_state.get("placement") or []
    if not items:
        st.caption("A short quiz over a roadmap's first sections: what you answer right is marked mastered.")
        return
    submitted = choice_form("placement", items)
    if not (submitted or st.session_state.get("placement_done")):
        return
    record = submitted and not st.session_state.get("placement_done")
    st.session_state.placement_done = True
    right = show_choices("placement", items, profile if record else None)
    st.metric("Placement", f"{right} of {len(items)} right")


def choice_form(key: str, items: list[ChoiceItem]) -> bool:
    """The questions as radio buttons in one form; whether it was submitted in this run."""
    with st.form(f"{key}_form"):
        for n, item in enumerate(items, start=1):
            st.radio(
                f"{n}. {item.question}",
                range(len(item.options)),
                format_func=lambda i, item=item: item.options[i].text,
                index=None,
                key=f"{key}_choice_{n}",
            )
        return st.form_submit_button("Check my answers")


def show_choices(key: str, items: list[ChoiceItem], profile: str | None) -> int:
    """Each question's verdict with the chosen option's rationale and the right one's; the number right. With a
    ``profile``, the answers are recorded (once: the caller passes it only on the run that submitted)."""
    assistant = get_assistant()
    right = 0
    for n, item in enumerate(items, start=1):
        chosen = st.session_state.get(f"{key}_choice_{n}")
        if chosen is None:
            st.markdown(f":material/skip_next: {n}. skipped. {escape_markdown(item.options[item.answer].rationale)}")
            continue
        option = assistant.answer_choice(item, int(chosen), profile)
        right += option.correct
        verdict, icon = ("right", "check_circle") if option.correct else ("wrong", "cancel")
        with st.expander(f"{n}. {verdict}: {escape_markdown(item.question)}", icon=f":material/{icon}:"):
            st.markdown(escape_markdown(option.rationale))
            if not option.correct:
                st.markdown(escape_markdown(item.options[item.answer].rationale))
            st.caption(f"Source: {escape_markdown(option.source.label())}")
    return right


def plan_view(profile: str) -> None:
    """A week-by-week plan toward a goal, without what the learner has mastered or ticked."""
    goal = st.text_input("Your goal", placeholder="e.g. I want to fine-tune with LoRA; I know Python", key="plan_goal")
    hours = st.number_input("Hours a week", min_value=1.0, max_value=80.0, value=6.0, step=1.0, key="plan_hours")
    if not goal.strip():
        return
    try:
        made = get_assistant().plan(goal, float(hours), profile)
    except RoadmapRagError as exc:
        st.warning(escape_markdown(str(exc)))
        return
    known = f"; you know {', '.join(made.known)}" if made.known else ""
    st.markdown(
        f"**{len(made.steps)} steps toward {escape_markdown(made.topic)}**, {made.hours:g} h: "
        f"{len(made.weeks)} weeks at {made.hours_per_week:g} h a week, along {escape_markdown(made.roadmap)}"
        f"{escape_markdown(known)}."
    )
    for step in made.steps:
        with st.container(border=True):
            st.markdown(f"**{step.position}. {escape_markdown(step.name)}** · {step.hours:g} h")
            st.markdown(f"Why here: {escape_markdown(step.why.text)}")
            st.caption(f"Time: {escape_markdown(step.basis)}")
            if step.also:
                st.caption(f"Also in: {escape_markdown('; '.join(step.also))}")
    for step in made.skipped:
        st.caption(f"Left out ({step.status}): {escape_markdown(step.name)}")
    rows = [
        {"Week": w.number, "Hours": w.hours, "Study": "; ".join(f"{n} ({h:g} h)" for n, h in w.parts)}
        for w in made.weeks
    ]
    st.dataframe(rows, hide_index=True)
    if made.alternatives:
        st.caption(f"Other roadmaps lead there too: {escape_markdown('; '.join(made.alternatives))}")
