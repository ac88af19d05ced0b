"""The app tests' fixtures: the page for a learner of its own, and the default profile cleaned up after."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from roadmap_rag import Assistant
from tests.app.pages import open_app


@pytest.fixture
def page(assistant: Assistant, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    """The app against the session index, for a learner of its own (a link's learner id): tests do not see one
    another's progress or saved conversations."""
    return open_app(monkeypatch, assistant.settings.data_dir, learner=uuid.uuid4().hex[:12])


@pytest.fixture
def default_profile(assistant: Assistant) -> Iterator[Path]:
    """The session index's data dir, its default profile's progress, study record and conversations removed
    afterwards."""
    data_dir = assistant.settings.data_dir
    yield data_dir
    (data_dir / "progress" / "default.json").unlink(missing_ok=True)
    (data_dir / "study" / "default.json").unlink(missing_ok=True)
    shutil.rmtree(data_dir / "conversations" / "default", ignore_errors=True)
