"""The Streamlit page logic through streamlit.testing's AppTest, on the real index and embedding model."""

from __future__ import annotations

import html
import json
import re
import uuid
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from roadmap_rag import Assistant, Removed
from roadmap_rag.serve.display import KEEP_QUESTION_IN_VIEW, SCROLL_TO_QUESTION, preview_text, visible_text
from tests.app.pages import APP, developer_view, open_app


def _text(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_asking_shows_a_cited_answer_with_its_sources(page: AppTest) -> None:
    page.chat_input[0].set_value("What does the roadmap say about LoRA?").run()
    assert not page.exception, page.exception
    answer = page.session_state.messages[-1]["answer"]
    assert answer.grounded and answer.citations
    first = answer.citations[0].number
    assert f'href="#source-{first}"' in _text(page)  # the [n] marker: a chip linking to its source
    # The cited quote is highlighted inside its source passage, which is labelled with its number.
    card = next(h.value for h in page.html if f'id="source-{first}"' in h.value)
    assert f"[{first}] " in card and "· cited" in card and "<mark>" in card
    assert any("Composed from the sources without an LLM" in i.value for i in page.info)
    assert page.session_state.history[-1].question == "What does the roadmap say about LoRA?"


def _cards(at: AppTest) -> list[int]:
    """The numbers of the source cards on the page, in page order."""
    return [int(n) for h in at.html for n in re.findall(r'class="rr-source" id="source-(\d+)"', h.value)]


def test_citations_are_chips_and_only_cited_sources_are_listed_in_reading_order(page: AppTest) -> None:
    page.chat_input[0].set_value("What does the roadmap say about LoRA?").run()
    assert not page.exception, page.exception
    answer = page.session_state.messages[-1]["answer"]
    shown = next(m.value for m in page.chat_message[1].markdown if "rr-cite" in m.value)
    chips = re.findall(r'<a class="rr-cite" href="#source-(\d+)" title="([^"]*)">', shown)
    reading = list(dict.fromkeys(int(n) for n, _ in chips))
    assert reading and len(reading) < len(answer.sources)
    first_quote = {}
    for c in answer.citations:
        first_quote.setdefault(c.number, c.quote)
    for number, title in chips:
        assert title and html.unescape(title) == preview_text(first_quote[int(number)])
    cited = [n for n in _cards(page) if n in reading]
    assert cited == reading  # the cited ones, in the order the answer first cites them
    others = [e for e in page.chat_message[1].expander if e.label != "Copy answer"]
    assert [e.label for e in others] == [f"Other sources searched ({len(answer.sources) - len(reading)})"]
    assert sorted(_cards(page)[len(reading) :]) == [n for n in range(1, len(answer.sources) + 1) if n not in reading]
    assert all(f'id="source-{n}"' not in h.value for h in others[0].get("html") for n in reading)
    scripts = [h for h in page.html if h.proto.unsafe_allow_javascript]  # the page's own fixed script only
    assert [h.value for h in scripts] == [SCROLL_TO_QUESTION, KEEP_QUESTION_IN_VIEW]  # ours: no document text
    for h in page.html:  # every passage shown as formatted text, nothing live
        if h.proto.unsafe_allow_javascript:
            continue
        text = visible_text(h.value)
        assert not any(m in text for m in ("##", "**", "](", "|---")), text
        assert not any(m in h.value.lower() for m in ("<script", "onerror=", "javascript:")), h.value


def test_follow_up_uses_the_conversation_and_new_conversation_clears_it(page: AppTest) -> None:
    page.chat_input[0].set_value("What is LoRA?").run()
    page.chat_input[0].set_value("And QLoRA?").run()
    assert len(page.session_state.history) == 2
    next(b for b in page.sidebar.button if b.label == "New conversation").click().run()
    assert page.session_state.history == [] and page.session_state.messages == []


def test_off_corpus_question_is_refused(page: AppTest) -> None:
    page.chat_input[0].set_value("What is the boiling point of water at sea level?").run()
    answer = page.session_state.messages[-1]["answer"]
    assert not answer.grounded
    assert any("Not covered by the corpus" in w.value for w in page.warning)


def test_too_long_question_gets_a_message(page: AppTest) -> None:
    page.chat_input[0].set_value("LoRA " * 1000).run()
    assert not page.exception
    assert any("over the limit" in e.value for e in page.error)
    assert page.session_state.messages == []


def test_feedback_is_saved_locally(page: AppTest, assistant: Assistant) -> None:
    store = assistant.settings.data_dir / "feedback.jsonl"
    before = store.read_text().splitlines() if store.exists() else []
    page.chat_input[0].set_value("What does the roadmap say about LoRA?").run()
    page.feedback[0].set_value(0).run()  # thumbs down
    lines = store.read_text().splitlines()
    assert len(lines) == len(before) + 1
    saved = json.loads(lines[-1])
    assert saved["rating"] == 0 and saved["question"] == "What does the roadmap say about LoRA?"
    assert saved["backend"] == "extractive" and saved["sources"] and saved["answer"]


def test_feedback_that_cannot_be_saved_is_a_sentence_not_a_traceback(
    page: AppTest, assistant: Assistant, tmp_path: Path
) -> None:
    store = assistant.settings.data_dir / "feedback.jsonl"
    kept = tmp_path / "feedback.jsonl"
    if store.exists():
        store.rename(kept)
    store.mkdir()  # the file cannot be opened for writing
    try:
        page.chat_input[0].set_value("What does the roadmap say about LoRA?").run()
        page.feedback[0].set_value(1).run()
        assert not page.exception
        assert any("could not be saved" in t.value and "writable" in t.value for t in page.toast)
        assert page.session_state.messages[-1]["answer"].text  # the answer stays
    finally:
        store.rmdir()
        if kept.exists():
            kept.rename(store)


def test_roadmap_filter_limits_the_sources(page: AppTest) -> None:
    page.sidebar.multiselect[0].set_value(["llm-fundamentals-14-days"]).run()
    page.chat_input[0].set_value("What does the roadmap say about transformers?").run()
    answer = page.session_state.messages[-1]["answer"]
    assert answer.sources and {s.doc_id for s in answer.sources} == {"llm-fundamentals-14-days"}


def test_document_text_is_escaped(page: AppTest) -> None:
    """A question carrying HTML and Markdown is shown literally: never as markup."""
    page.chat_input[0].set_value("<script>alert(1)</script> ![x](http://evil.example/x.png) about LoRA").run()
    shown = [m.value for m in page.chat_message[0].markdown]
    assert any("\\<script\\>" in v and "\\!\\[x\\]" in v for v in shown)
    assert all("<script>" not in v for v in _text(page).split("\n"))


def test_sessions_do_not_share_history(page: AppTest) -> None:
    other = AppTest.from_file(str(APP), default_timeout=120)
    other.run()
    page.chat_input[0].set_value("What is LoRA?").run()
    assert len(page.session_state.messages) == 2
    other.run()
    assert other.session_state.messages == [] and other.session_state.history == []


def test_an_answer_shows_where_it_sits_and_asks_about_a_neighbour(page: AppTest) -> None:
    page.chat_input[0].set_value("What does the curriculum say about fine-tuning and adaptation?").run()
    answer = page.session_state.messages[-1]["answer"]
    assert answer.places and "Where this sits" in _text(page)
    neighbour = next(b for b in page.button if (b.key or "").startswith("answer_1_place_") and "Ask about" in b.label)
    neighbour.click().run()
    asked = page.session_state.messages[-1]
    assert asked["question"].startswith("What does the roadmap say about") and asked["answer"].grounded


# -- learner and developer views; starter prompts, tidier answers (issue: the learners' app) -------------------
def _developer_detail(at: AppTest) -> dict[str, bool]:
    """Which pieces of developer detail the page shows."""
    sidebar = "\n".join(m.value for m in at.sidebar.markdown)
    return {
        "backend picker": any(s.label == "Backend" for s in at.sidebar.selectbox),
        "Ollama address": any(c.value.startswith("Ollama:") for c in at.sidebar.caption),
        "chunk counts": "chunks" in sidebar,
        "re-ingest": any(b.label == "Re-ingest the corpus" for b in at.sidebar.button),
        "backend caption": any(c.value.startswith("backend:") for c in at.caption),
    }


def test_a_learner_sees_no_developer_detail_until_the_developer_view_is_on(page: AppTest) -> None:
    page.chat_input[0].set_value("What does the roadmap say about LoRA?").run()
    assert not page.exception, page.exception
    assert page.session_state.messages[-1]["answer"].grounded
    page.session_state["backend"] = "auto"  # the developer view would name Ollama's address with it
    page.run()
    assert not any(_developer_detail(page).values()), _developer_detail(page)
    assert "Sources" in _text(page) and "Where this sits" in _text(page)  # what a learner needs stays
    developer_view(page)
    assert all(_developer_detail(page).values()), _developer_detail(page)
    assert page.session_state.backend == "auto"  # the choice made before is the picker's


def test_dev_in_the_link_opens_the_developer_view(assistant: Assistant, monkeypatch: pytest.MonkeyPatch) -> None:
    page = open_app(monkeypatch, assistant.settings.data_dir, learner=uuid.uuid4().hex[:12], dev=True)
    assert page.toggle(key="dev").value
    page.chat_input[0].set_value("What does the roadmap say about LoRA?").run()
    shown = _developer_detail(page)
    assert all(v for k, v in shown.items() if k != "Ollama address"), shown  # extractive: no Ollama to name


def test_a_removed_sentences_reason_shows_in_the_developer_view_only(page: AppTest) -> None:
    page.chat_input[0].set_value("What does the roadmap say about LoRA?").run()
    answer = page.session_state.messages[-1]["answer"]
    answer.removed.append(Removed("LoRA was invented in 1850.", "no source gives that year"))
    page.run()
    assert not any(t.label.startswith("removed:") for t in page.toggle)
    assert "no source gives that year" not in _text(page)
    developer_view(page)
    page.toggle(key="removed_1").set_value(True).run()
    assert "no source gives that year" in _text(page) and "invented in 1850" in _text(page)


STARTER = "How long does the getting-started guide take?"


def test_an_empty_chat_offers_starter_prompts_that_ask_exactly_that(page: AppTest) -> None:
    starters = [b for b in page.button if (b.key or "").startswith("starter_")]
    assert len(starters) == 5 and STARTER in [b.label for b in starters]
    assert "What should I study before transformers?" in [b.label for b in starters]
    next(b for b in starters if b.label == STARTER).click().run()
    assert not page.exception, page.exception
    asked, answered = page.session_state.messages
    assert asked == {"role": "user", "question": STARTER} and answered["question"] == STARTER
    assert answered["answer"].text and page.session_state.history[-1].question == STARTER
    assert not any((b.key or "").startswith("starter_") for b in page.button)  # the chat has begun


def test_at_most_three_suggestions_under_an_answer(page: AppTest) -> None:
    page.chat_input[0].set_value("What does the roadmap say about LoRA?").run()
    answer = page.session_state.messages[-1]["answer"]
    assert len(answer.places) > 1  # three roadmaps place LoRA: neighbours enough for nine buttons
    suggestions = [b for b in page.button if (b.key or "").startswith("answer_1_place_")]
    assert 1 <= len(suggestions) <= 3, [b.label for b in suggestions]
    assert len({b.label for b in suggestions}) == len(suggestions)


def test_the_copy_control_holds_the_answers_text(page: AppTest) -> None:
    page.chat_input[0].set_value("What does the roadmap say about LoRA?").run()
    answer = page.session_state.messages[-1]["answer"]
    copy = next(e for e in page.chat_message[1].expander if e.label == "Copy answer")
    assert [c.value for c in copy.code] == [answer.text]


def test_a_feedback_comment_is_saved_with_the_rating(page: AppTest, assistant: Assistant) -> None:
    store = assistant.settings.data_dir / "feedback.jsonl"
    page.chat_input[0].set_value("What does the roadmap say about LoRA?").run()
    page.text_input(key="comment_1").set_value("The rank example was what I needed.").run()
    before = store.read_text().splitlines() if store.exists() else []
    page.feedback[0].set_value(1).run()
    lines = store.read_text().splitlines()
    assert len(lines) == len(before) + 1
    saved = json.loads(lines[-1])
    assert saved["rating"] == 1 and saved["comment"] == "The rank example was what I needed."
    assert saved["question"] == "What does the roadmap say about LoRA?"
    page.text_input(key="comment_1").set_value("x" * 1500).run()  # a comment after the rating: saved with it
    saved = json.loads(store.read_text().splitlines()[-1])
    assert saved["rating"] == 1 and saved["comment"] == "x" * 1000
