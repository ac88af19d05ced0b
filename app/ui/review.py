"""The Review tab: the cards due for this learner, one at a time (the answer and its passage after "Show answer"),
rated again / hard / good / easy; and the learner's mastery of each section, from their answers."""

from __future__ import annotations

import streamlit as st

from roadmap_rag.learn.study import RATINGS, Due
from roadmap_rag.serve.display import escape_markdown, highlight, safe_url
from ui.conversations import current_profile
from ui.resources import get_assistant


def review_tab() -> None:
    assistant = get_assistant()
    profile = current_profile(quiet=True)
    due = assistant.review_due(profile)
    if rated := st.session_state.pop("review_rated", None):
        st.success(escape_markdown(rated))
    seen = sum(1 for d in due if not d.new)
    st.markdown(f"**{seen} cards due** and **{len(due) - seen} new** today for profile `{escape_markdown(profile)}`.")
    if due:
        review_card(due[0], profile)
    else:
        st.info("Nothing due: come back later, or take a quiz.")
    mastery_table(profile)


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
    known = get_assistant().mastery(profile)
    if not known:
        st.caption("Mastery shows here once you answer quiz questions or rate cards.")
        return
    st.markdown("**Your mastery, from your answers** (a section is mastered at 80% over two answers or more)")
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
