"""The learning tabs: the path, outlines, quizzes, progress and profiles, a question asked from another tab."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from roadmap_rag import Assistant
from roadmap_rag.learn.study import StudyStore
from tests.app.pages import APP, developer_view, open_app, open_tab


def test_index_status_and_outline_browser(page: AppTest) -> None:
    developer_view(page)
    status = "\n".join(m.value for m in page.sidebar.markdown)
    assert "documents: 55: 5 roadmaps \\(107 chunks\\), 50 paper cards" in status and "all\\-MiniLM\\-L6\\-v2" in status
    assert not page.tabs[4].expander  # drawn while it is the open tab only
    outline = [e.label for e in open_tab(page, "Roadmap outlines").tabs[4].expander]
    assert len(outline) == 5
    ask = next(b for b in page.tabs[4].button if (b.key or "").startswith("ask_"))
    ask.click().run()
    asked = page.session_state.messages[-1]
    assert asked["role"] == "assistant" and asked["question"].startswith("What does the roadmap say about")


def test_the_learning_path_shows_each_roadmaps_order_and_a_section_asks_the_chat(page: AppTest) -> None:
    page.text_input(key="path_topic").set_value("LoRA").run()
    tab = page.tabs[1]
    lanes = {}
    for b in tab.button:
        if (b.key or "").startswith("path_"):
            lanes.setdefault(b.key.split("_")[1], []).append((b, b.label.replace("\\", "")))  # labels escaped
    assert len(lanes) == 3  # the three roadmaps that teach LoRA, each around where it does
    curriculum = next(row for row in lanes.values() if any("6. Fine-Tuning" in label for _, label in row))
    labels = [label for _, label in curriculum]
    assert labels.index(next(x for x in labels if "5. Infrastructure" in x)) < labels.index(
        next(x for x in labels if "6. Fine-Tuning" in x)
    )  # the roadmap's own order
    assert any(b.proto.type == "primary" and "Fine-Tuning" in label for b, label in curriculum)  # teaches LoRA
    assert all(b.proto.type == "secondary" for b, label in curriculum if "Fine-Tuning" not in label)
    captions = [c.value for c in tab.caption]
    assert any("earlier sections" in c for c in captions) and any("later sections" in c for c in captions)
    assert any("Know first" in c for c in captions) and any("Highlighted" in c for c in captions)  # the legend
    assert any("early" in i.value for i in tab.info)
    node = next(b for b, _ in curriculum if b.proto.type == "primary")
    node.click().run()
    assert page.session_state["tab"] == "Chat"  # the learner is taken to the answer
    asked = page.session_state.messages[-1]
    assert asked["question"].startswith("What does the roadmap say about Fine-Tuning") and asked["answer"].grounded
    page.text_input(key="path_topic").set_value("sourdough baking").run()
    assert any("No roadmap covers" in w.value for w in page.tabs[1].warning)


def test_a_question_asked_from_another_tab_shows_the_chat(page: AppTest) -> None:
    outlines = open_tab(page, "Roadmap outlines").tabs[4]
    next(b for b in outlines.button if b.key == "ask_1_1").click().run()  # an outline's "Ask"
    assert page.session_state["tab"] == "Chat"
    assert page.session_state.messages[-1]["answer"].grounded
    page.session_state["tab"] = "Quiz"
    page.chat_input[0].set_value("What is LoRA?").run()  # typed while the Quiz tab is open
    assert page.session_state["tab"] == "Chat" and page.session_state.messages[-1]["question"] == "What is LoRA?"


def test_a_quiz_is_taken_and_scored_with_its_sources(page: AppTest) -> None:
    page.text_input(key="quiz_topic").set_value("RLHF").run()
    page.number_input(key="quiz_n").set_value(3).run()
    next(b for b in page.tabs[2].button if b.label == "Start quiz").click().run()
    items = page.session_state.quiz
    assert len(items) == 3
    page.text_input(key="quiz_answer_1").set_value(items[0].answer)
    page.text_input(key="quiz_answer_2").set_value("no idea")
    page.tabs[2].button[-1].click().run()  # the form's submit button
    assert any(m.label == "Score" and m.value == "1.0 of 2 (1 skipped)" for m in page.metric)  # 3: empty
    assert len(page.tabs[2].expander) == 3


def test_progress_follows_the_profile_not_the_page_link(default_profile: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With no profile named, the app keeps progress in the default profile, the CLI's: a reload (a new session,
    no link) finds it; a named profile is its own; an older ?learner= link still names its own profile."""
    page = open_app(monkeypatch, default_profile)
    assert "learner" not in page.query_params  # no id is written into the link
    next(c for c in open_tab(page, "Roadmap outlines").tabs[4].checkbox if c.key == "done_0_0").check().run()
    assert (default_profile / "progress" / "default.json").is_file()  # what `roadmap-rag progress` reads
    restarted = AppTest.from_file(str(APP), default_timeout=120)
    restarted.run()
    assert next(c for c in open_tab(restarted, "Roadmap outlines").tabs[4].checkbox if c.key == "done_0_0").value
    other = AppTest.from_file(str(APP), default_timeout=120)
    other.session_state["profile"] = "someone-else"
    other.run()
    assert not next(c for c in open_tab(other, "Roadmap outlines").tabs[4].checkbox if c.key == "done_0_0").value
    linked = AppTest.from_file(str(APP), default_timeout=120)
    linked.query_params["learner"] = "abc123"
    linked.run()
    assert not next(c for c in open_tab(linked, "Roadmap outlines").tabs[4].checkbox if c.key == "done_0_0").value
    restarted.chat_input[0].set_value("What should I study next?").run()
    first = restarted.session_state.messages[-1]
    assert first["next"] and first["question"] == "What should I study next?"


@pytest.mark.parametrize("learner", ["../../x", "a\x00b", "x" * 57], ids=["path", "nul", "too-long"])
def test_an_invalid_learner_link_is_explained_and_the_page_still_works(
    default_profile: Path, monkeypatch: pytest.MonkeyPatch, learner: str
) -> None:
    page = open_app(monkeypatch, default_profile, learner=learner)
    assert len(page.tabs) == 6
    said = [w.value for w in page.warning]
    assert any("link" in w and "default profile" in w for w in said), said
    next(c for c in open_tab(page, "Roadmap outlines").tabs[4].checkbox if c.key == "done_0_0").check().run()
    assert not page.exception and (default_profile / "progress" / "default.json").is_file()


def test_a_quiz_skips_empty_answers_credits_paraphrases_and_draws_new_questions(page: AppTest) -> None:
    """Issue 30: a right paraphrase scored 0.00, an empty answer (a skip) counted as wrong, a retry drew the
    same questions."""
    page.text_input(key="quiz_topic").set_value("RLHF").run()
    page.number_input(key="quiz_n").set_value(2).run()
    next(b for b in page.tabs[2].button if b.label == "Start quiz").click().run()
    first = [item.question for item in page.session_state.quiz]
    assert "Name three of the topics the curriculum lists" in first[0]
    page.text_input(key="quiz_answer_1").set_value("preference data, reward model, proximal policy optimization")
    page.tabs[2].button[-1].click().run()  # the form's submit button; answer 2 left empty
    assert not page.exception
    assert any(m.label == "Score" and m.value == "1.0 of 1 (1 skipped)" for m in page.metric), page.metric
    assert any(e.label.startswith("1. 1.00") and "check_circle" in e.icon for e in page.tabs[2].expander)
    assert any("2. skipped" in e.label for e in page.tabs[2].expander)
    next(b for b in page.tabs[2].button if b.label == "New questions").click().run()
    again = [item.question for item in page.session_state.quiz]
    assert again and not set(again) & set(first)
    assert page.text_input(key="quiz_answer_1").value == ""


def test_a_learner_reviews_cards_and_their_answers_change_what_next_says(
    assistant: Assistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    learner = uuid.uuid4().hex[:12]
    page = open_app(monkeypatch, assistant.settings.data_dir, learner=learner)
    store = StudyStore(assistant.settings, f"learner-{learner}")
    review = page.tabs[3]
    assert any("0 cards due" in m.value and "10 new" in m.value for m in review.markdown)
    front = next(m.value for m in review.markdown if m.value.startswith("####"))
    next(b for b in review.button if b.key == "review_show").click().run()
    review = page.tabs[3]
    assert any(b.key == "review_rate_good" for b in review.button)
    assert any(c.value.startswith("Source:") for c in review.caption)  # the answer's passage, and where it is
    next(b for b in review.button if b.key == "review_rate_again").click().run()
    assert not page.exception, page.exception
    assert any("next review" in s.value for s in page.success), [s.value for s in page.success]
    assert next(m.value for m in page.tabs[3].markdown if m.value.startswith("####")) != front  # the next card
    assert len(store.schedules()) == 1 and len(store.answers()) == 1
    # The quiz's answers count toward mastery, once: a redraw of the graded quiz does not count them again.
    page.text_input(key="quiz_topic").set_value("RLHF").run()
    page.number_input(key="quiz_n").set_value(2).run()
    next(b for b in page.tabs[2].button if b.label == "Start quiz").click().run()
    page.text_input(key="quiz_answer_1").set_value(page.session_state.quiz[0].answer)
    page.tabs[2].button[-1].click().run()
    page.run()
    assert len(store.answers()) == 2  # the rating and the one answered question; the skipped one is not counted
    assert page.tabs[3].dataframe  # the mastery table
    # The card rated "again" is due again within minutes: "what next" in the chat puts the review first.
    later = datetime.now(UTC) + timedelta(minutes=5)
    assert assistant.study_next(f"learner-{learner}", now=later).due == 1


def test_a_multiple_choice_quiz_shows_each_options_rationale(page: AppTest) -> None:
    page.text_input(key="quiz_topic").set_value("LoRA").run()
    page.radio(key="quiz_style").set_value("choosing (medium)").run()
    next(b for b in page.tabs[2].button if b.label == "Start quiz").click().run()
    items = page.session_state.quiz
    assert items and all(len(i.options) == 4 for i in items)
    page.radio(key="quiz_choice_1").set_value(items[0].answer)  # in a form: sent when it is submitted
    wrong = (items[0].answer + 1) % 4
    if len(items) > 1:
        page.radio(key="quiz_choice_2").set_value(wrong)
    page.tabs[2].button[-1].click().run()
    assert not page.exception, page.exception
    feedback = page.tabs[2].expander
    assert feedback[0].label.startswith("1. right") and "Right" in feedback[0].markdown[0].value
    if len(items) > 1:
        assert feedback[1].label.startswith("2. wrong") and "cancel" in feedback[1].icon
        assert len(feedback[1].markdown) == 2  # why not, and the right one
    assert any(m.label == "Score" for m in page.metric)


def test_a_placement_check_then_a_plan_without_the_placed_sections(page: AppTest) -> None:
    study = page.tabs[3]
    page.radio(key="study_mode").set_value("Placement check").run()
    page.selectbox(key="placement_roadmap").set_value("comprehensive-llm-curriculum").run()
    next(b for b in page.tabs[3].button if b.key == "placement_start").click().run()
    items = page.session_state.placement
    assert len(items) >= 3
    for n, item in enumerate(items, start=1):
        page.radio(key=f"placement_choice_{n}").set_value(item.answer)
    page.tabs[3].button[-1].click().run()
    assert not page.exception, page.exception
    assert any(m.label == "Placement" and m.value == f"{len(items)} of {len(items)} right" for m in page.metric)
    mastered = page.tabs[3].dataframe[-1].value
    assert (mastered["Mastered"] == "yes").sum() == len(items)
    page.radio(key="study_mode").set_value("Plan").run()
    page.text_input(key="plan_goal").set_value("I want to learn RLHF; I know Python").run()
    study = page.tabs[3]
    said = " ".join(m.value for m in study.markdown)
    assert "steps toward RLHF" in said and "Why here" in said
    left_out = [c.value for c in study.caption if c.value.startswith("Left out")]
    assert len(left_out) >= len(items) - 1 and all("mastered" in c for c in left_out[: len(items) - 1])


def test_the_glossary_is_searchable_in_the_app_with_each_definition_cited(page: AppTest) -> None:
    page.radio(key="study_mode").set_value("Glossary").run()
    assert any(c.value.endswith(" terms") for c in page.tabs[3].caption)
    page.text_input(key="glossary_query").set_value("rlhf").run()
    study = page.tabs[3]
    assert any(c.value.startswith("1 term match") for c in study.caption)
    said = " ".join(m.value for m in study.markdown)
    assert "**RLHF** (Reinforcement Learning from Human Feedback)" in said
    assert any(c.value.startswith("Source:") for c in study.caption)
