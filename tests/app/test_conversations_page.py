"""Saved conversations in the app: reload, switch, delete, rename, export, the status and wait, an unreadable file."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import pytest
from streamlit.elements.lib.mutable_status_container import StatusContainer
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from roadmap_rag import Answer, Assistant
from roadmap_rag.serve import display
from roadmap_rag.serve.display import escape_markdown
from tests.app.pages import APP, open_app

# -- saved conversations; a status while answering; the learner's wait (issue: the learners' app) ---------------
LORA = "What does the roadmap say about LoRA?"


def _ask(at: AppTest, question: str) -> AppTest:
    at.chat_input[0].set_value(question).run()
    assert not at.exception, at.exception
    return at


def _reopen(learner: str, profile: str = "") -> AppTest:
    """A new session (a reload of the page) on the same data dir, with the page link's learner id and, when
    given, the profile typed into the sidebar."""
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.query_params["learner"] = learner
    at.run()
    if profile:
        at.text_input(key="profile").set_value(profile).run()
    assert not at.exception, at.exception
    return at


def _conversations(at: AppTest) -> list[str]:
    """The sidebar's list of saved conversations, as its buttons' labels, top first."""
    return [b.label for b in at.sidebar.button if (b.key or "").startswith("conversation_")]


def test_a_reload_shows_the_profiles_last_conversation_again(
    assistant: Assistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    learner = uuid.uuid4().hex[:12]
    page = _ask(open_app(monkeypatch, assistant.settings.data_dir, learner=learner), LORA)
    answer = page.session_state.messages[-1]["answer"]
    reloaded = _reopen(learner)
    assert [m["question"] for m in reloaded.session_state.messages] == [LORA, LORA]
    assert reloaded.session_state.messages[-1]["answer"].text == answer.text
    assert any(escape_markdown(LORA) in m.value for m in reloaded.chat_message[0].markdown)
    assert any("rr-cite" in m.value for m in reloaded.chat_message[1].markdown)  # shown again, cited
    assert _conversations(reloaded) == [LORA]
    assert reloaded.session_state.history[-1].question == LORA  # a follow-up continues it
    named = f"ada-{uuid.uuid4().hex[:8]}"  # a named profile: its own conversations, wherever it is typed
    reloaded.text_input(key="profile").set_value(named).run()
    assert reloaded.session_state.messages == [] and _conversations(reloaded) == []
    _ask(reloaded, "What is QLoRA?")
    elsewhere = _reopen(uuid.uuid4().hex[:12], profile=named)
    assert [m["question"] for m in elsewhere.session_state.messages] == ["What is QLoRA?"] * 2
    assert not _reopen(uuid.uuid4().hex[:12]).session_state.messages  # a stranger sees none of it


def test_new_conversation_lists_two_and_switching_shows_the_first(page: AppTest) -> None:
    _ask(page, "What is LoRA?")
    next(b for b in page.sidebar.button if b.label == "New conversation").click().run()
    _ask(page, "What is RLHF?")
    assert _conversations(page) == ["What is RLHF?", "What is LoRA?"]  # newest first
    current = next(b for b in page.sidebar.button if b.label == "What is RLHF?")
    assert current.disabled  # the one shown
    next(b for b in page.sidebar.button if b.label == "What is LoRA?").click().run()
    assert not page.exception, page.exception
    assert [m["question"] for m in page.session_state.messages] == ["What is LoRA?"] * 2
    assert any("What is LoRA?" in m.value for m in page.chat_message[0].markdown)


def test_a_conversation_is_deleted_after_a_confirmation(page: AppTest, assistant: Assistant) -> None:
    _ask(page, "What is LoRA?")
    conversation = page.session_state.conversation
    saved = assistant.settings.data_dir / "conversations" / f"learner-{page.query_params['learner']}"
    assert (saved / f"{conversation.id}.json").is_file()
    next(b for b in page.sidebar.button if b.label == "Delete this conversation").click().run()
    assert any("cannot be undone" in w.value for w in page.sidebar.warning)
    assert (saved / f"{conversation.id}.json").is_file()  # not before the confirmation
    next(b for b in page.sidebar.button if b.label == "Yes, delete").click().run()
    assert not page.exception, page.exception
    assert not (saved / f"{conversation.id}.json").exists()
    assert _conversations(page) == [] and page.session_state.messages == []


def test_a_conversation_is_renamed(page: AppTest) -> None:
    _ask(page, "What is LoRA?")
    conversation = page.session_state.conversation
    page.text_input(key=f"title_{conversation.id}").set_value("My LoRA notes").run()
    assert _conversations(page) == ["My LoRA notes"]


def test_the_markdown_export_holds_the_question_the_answer_and_its_numbered_sources(
    page: AppTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    exported: list[bytes] = []
    add = MediaFileManager.add

    def kept(self: MediaFileManager, data: bytes, *args: Any, **kwargs: Any) -> str:
        if kwargs.get("is_for_static_download"):
            exported.append(data)
        return add(self, data, *args, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add", kept)
    _ask(page, LORA)
    assert [b.label for b in page.sidebar.get("download_button")] == ["Export as Markdown"]
    text = exported[-1].decode("utf-8")
    answer = page.session_state.messages[-1]["answer"]
    assert escape_markdown(LORA) in text and escape_markdown(answer.text) in text
    first = answer.citations[0].number
    assert f"- {escape_markdown(f'[{first}] {answer.sources[first - 1].label()}')}" in text


def test_a_status_says_what_is_done_and_the_timing_is_the_learners_wait(
    assistant: Assistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    updates: list[str | None] = []
    update = StatusContainer.update

    def said(self: StatusContainer, **kwargs: Any) -> None:
        updates.append(kwargs.get("label"))
        update(self, **kwargs)

    monkeypatch.setattr(StatusContainer, "update", said)
    shown = display.cited_answer_markdown

    def slowly(answer: Answer) -> str:  # the page, not the assistant, takes a second more to show the answer
        time.sleep(1.0)
        return shown(answer)

    monkeypatch.setattr(display, "cited_answer_markdown", slowly)
    page = open_app(monkeypatch, assistant.settings.data_dir, learner=uuid.uuid4().hex[:12], dev=True)
    began = time.perf_counter()
    _ask(page, LORA)
    wall = time.perf_counter() - began
    assert [(s.label, s.state) for s in page.status] == [("Answer ready", "complete")]
    assert updates == ["Writing the answer…", "Answer ready"]
    caption = next(c.value for c in page.caption if c.value.startswith("backend:"))
    waited = float(re.search(r"waited (\d+\.\d+) s", caption).group(1))  # type: ignore[union-attr]
    answer = page.session_state.messages[-1]["answer"]
    # The learner's wait: from the question to the whole answer on the page, the page's own second included; the
    # hidden tabs are drawn after the answer, so the run may go on after it (wall).
    assert answer.timings.total + 1.0 <= waited <= wall, (waited, wall, answer.timings.total)


def test_an_unreadable_conversation_file_is_a_sidebar_note_and_a_failed_save_a_toast(
    page: AppTest, assistant: Assistant
) -> None:
    folder = assistant.settings.data_dir / "conversations" / f"learner-{page.query_params['learner']}"
    folder.mkdir(parents=True)
    (folder / "0123456789ab.json").write_text("{not json", encoding="utf-8")
    _ask(page, "What is LoRA?")
    notes = [c.value.replace("\\", "") for c in page.sidebar.caption]
    assert any("0123456789ab.json" in note and "could not be read" in note for note in notes), notes
    assert _conversations(page) == ["What is LoRA?"]
    for path in folder.iterdir():
        path.unlink()
    folder.rmdir()
    folder.write_text("", encoding="utf-8")  # a file where the profile's folder goes: nothing can be saved
    try:
        _ask(page, "And QLoRA?")
        assert any("could not be saved" in t.value and "writable" in t.value for t in page.toast)
        assert page.session_state.messages[-2]["question"] == "And QLoRA?"  # the chat goes on
        assert page.session_state.messages[-1]["answer"].text
    finally:
        folder.unlink()
