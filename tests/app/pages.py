"""Opening the Streamlit app in streamlit.testing's AppTest, and the helpers the app's test files share."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.conftest import CORPUS, REPO

APP = REPO / "app" / "streamlit_app.py"


def open_app(
    monkeypatch: pytest.MonkeyPatch,
    data_dir: Path,
    corpus: Path = CORPUS,
    learner: str | None = None,
    dev: bool = False,
) -> AppTest:
    """The app on the index in ``data_dir``, answering extractively (deterministic), after its first run;
    ``learner``: the ?learner= of the page's link; ``dev``: ?dev=1 in it (the developer view)."""
    monkeypatch.setenv("ROADMAP_RAG_DATA_DIR", str(data_dir))
    monkeypatch.setenv("ROADMAP_RAG_CORPUS_DIR", str(corpus))
    monkeypatch.setenv("ROADMAP_RAG_LLM", "extractive")
    st.cache_resource.clear()
    at = AppTest.from_file(str(APP), default_timeout=120)
    if learner is not None:
        at.query_params["learner"] = learner
    if dev:
        at.query_params["dev"] = "1"
    at.run()
    assert not at.exception, at.exception
    return at


def developer_view(at: AppTest) -> AppTest:
    """Switch the sidebar's "Developer view" on: the backend picker, the index's counts, re-ingest, timings."""
    at.toggle(key="dev").set_value(True).run()
    assert not at.exception, at.exception
    return at


def open_tab(at: AppTest, name: str) -> AppTest:
    """Show tab ``name``, as a learner's click does (the page reruns; a tab's content is drawn while it is open)."""
    at.session_state["tab"] = name
    at.run()
    assert not at.exception, at.exception
    return at
