"""The page's shared parts: the one Assistant every session uses, whether this session shows the developer view,
the tabs, and putting a question to the chat from any of them."""

from __future__ import annotations

import streamlit as st

from roadmap_rag import Assistant, Settings


@st.cache_resource(show_spinner="Loading the embedding model and the index...")
def get_assistant() -> Assistant:
    """One Assistant (thread-safe) shared by every session; each session keeps its own history."""
    return Assistant(Settings())


def developer_view() -> bool:
    """Whether this session shows the developer's detail (backends, addresses, the index, what the claim check
    removed): the sidebar's toggle, on from the start with ?dev=1 in the page's link."""
    return bool(st.session_state.get("dev"))


TABS = ("Chat", "Learning path", "Quiz", "Study", "Roadmap outlines", "Papers")
TAB = "tab"  # the session-state key of the selected tab


def to_chat() -> None:
    """Show the Chat tab (a callback: a question asked from another tab is answered where the learner looks)."""
    st.session_state[TAB] = TABS[0]


def ask_in_chat(question: str, doc_id: str = "") -> None:
    """Put ``question`` to the chat, within ``doc_id``'s roadmap when given, and show the Chat tab, where its
    answer appears (a callback: it runs before the page does)."""
    st.session_state.pending = (question, doc_id)
    to_chat()
