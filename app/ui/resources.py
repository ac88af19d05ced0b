"""The page's shared parts: the one Assistant every session uses, and whether this session shows the developer view."""

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
