"""End to end in a real headless Chromium: `roadmap-rag app` on 127.0.0.1, a learner asks with the embedded
model, reads the streamed cited answer, hovers a citation for its passage, clicks it to land on the source
with the cited span highlighted, and opens the other sources. Records the time from Enter to the first
streamed token in the browser. With ROADMAP_RAG_SCREENSHOTS set, each step's screenshot is kept there."""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from roadmap_rag import Assistant, Settings
from roadmap_rag.index.chroma_server import ChromaServer, free_port
from roadmap_rag.index.embeddings import Embedder
from roadmap_rag.index.ingest import ingest
from tests.app.server import running_app
from tests.conftest import CORPUS

if TYPE_CHECKING:
    from playwright.sync_api import Page

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
QUESTION = "What does the roadmap say about LoRA?"


def snap(page: Page, name: str) -> None:
    """A screenshot of the viewport into $ROADMAP_RAG_SCREENSHOTS, when it is set."""
    folder = os.environ.get("ROADMAP_RAG_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"))


def ask_in_page(page: Page, question: str) -> tuple[Any, Any]:
    """Type ``question`` into the chat box and send it, as a learner does; returns the box and the messages."""
    from playwright.sync_api import expect

    box = page.get_by_test_id("stChatInputTextArea")
    expect(box).to_be_editable()
    box.fill(question)
    box.press("Enter")
    return box, page.get_by_test_id("stChatMessage")


@contextmanager
def chromium_page(pw: Any, **options: Any) -> Iterator[Page]:
    """A page of a headless Chromium, patient: the app's first page load imports the stack and loads the models."""
    from playwright.sync_api import expect

    browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
    try:
        page = browser.new_page(**options)
        page.set_default_timeout(120_000)
        expect.set_options(timeout=120_000)
        yield page
    finally:
        browser.close()


def _chromium_missing() -> str | None:
    if not Path(CHROMIUM).exists():
        return "Debian's chromium is not installed (.ci/run installs it with apt-get where it can)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[dev]')"
    return None


@pytest.fixture
def app_url(assistant: Assistant, tmp_path: Path) -> Iterator[str]:
    """`roadmap-rag app` as a learner starts it, on the session index, with the embedded model."""
    with running_app(assistant.settings.data_dir, "llamacpp", tmp_path / "app.log") as url:
        yield url


# The answer's own text: the Markdown under a chat message that is not inside the status ("Searching the
# roadmaps…", shown from the moment a question is asked) nor another expander.
ANSWER_TEXT = "[data-testid='stMarkdownContainer']:not([data-testid='stExpander'] *)"


def settled(page: Page) -> None:
    """Wait until the page's run is over (Streamlit's running icon gone) and 2.5 s more: whatever still moved the
    view (the chat's stick to the bottom, our keep-in-view script) has stopped."""
    from playwright.sync_api import expect

    expect(page.get_by_test_id("stStatusWidgetRunningIcon")).to_have_count(0)
    time.sleep(2.5)


def _text_of(locator: Any) -> str:
    """The text of the first element ``locator`` finds, or "" while there is none."""
    return str(locator.first.inner_text()).strip() if locator.count() else ""


def test_learner_asks_reads_a_cited_answer_and_opens_a_source(app_url: str, tmp_path: Path) -> None:
    reason = _chromium_missing()
    if reason:
        print(f"SKIPPED browser test: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as pw, chromium_page(pw, viewport={"width": 1280, "height": 1600}) as page:
        page.goto(app_url)
        box = page.get_by_test_id("stChatInputTextArea")
        expect(box).to_be_visible()
        box.fill(QUESTION)
        messages = page.get_by_test_id("stChatMessage")
        asked = time.perf_counter()
        box.press("Enter")
        reply = messages.nth(1)
        content = reply.get_by_test_id("stChatMessageContent")
        expect(content).to_be_visible()
        streamed = content.locator(ANSWER_TEXT)
        deadline = time.monotonic() + 120
        first_text = ""
        while not first_text and time.monotonic() < deadline:  # polled every 20 ms
            first_text = _text_of(streamed)  # kept as seen: the streamed text is redrawn once it is complete
            if not first_text:
                time.sleep(0.02)
        first_token = time.perf_counter() - asked
        expect(reply.get_by_test_id("stExpander").filter(has_text="Answer ready")).to_be_visible()  # the status
        expect(reply.get_by_text("Sources", exact=True)).to_be_visible()
        done = time.perf_counter() - asked
        text = reply.inner_text()
        assert re.search(r"\[\d+\]", text) and "backend: " not in text  # a learner: no developer detail
        assert "Gemma 3 270M" in text or "composed from the sources" in text.lower()  # the honest backend note
        # Hovering a citation chip shows its passage; clicking it lands on the source, the span highlighted.
        settled(page)  # the mouse rests on a chip that no longer moves
        chip = reply.locator("a.rr-cite").first
        expect(chip).to_be_visible()
        passage = chip.get_attribute("title") or ""
        assert len(passage) > 10, passage
        chip.hover()
        tip = chip.locator(".rr-tip")
        expect(tip).to_be_visible()
        expect(tip).to_have_text(passage)
        snap(page, "1-citation-hover")
        target = chip.get_attribute("href") or ""
        assert re.fullmatch(r"#source-\d+", target), target
        chip.click()
        card = page.locator(f"[id='{target[1:]}']")
        expect(card).to_be_in_viewport()
        expect(card).to_contain_text(f"[{target.removeprefix('#source-')}]")
        marked = card.locator("mark").first
        expect(marked).to_be_visible()
        expect(marked).to_be_in_viewport()
        snap(page, "2-cited-source")
        others = reply.get_by_test_id("stExpander").filter(has_text="Other sources searched")
        if others.count():  # the sources the answer does not cite, folded away
            others.locator("summary").click()
            expect(others.locator(".rr-source").first).to_be_visible()
            assert len(others.inner_text()) > 40
            snap(page, "3-other-sources")
        # A second question, warm (models loaded): the figure a learner sees from then on.
        box.fill("What should I study before transformers?")
        asked = time.perf_counter()
        box.press("Enter")
        second = messages.nth(3).get_by_test_id("stChatMessageContent")
        expect(second).to_be_visible()
        deadline = time.monotonic() + 120
        while not _text_of(second.locator(ANSWER_TEXT)) and time.monotonic() < deadline:
            time.sleep(0.02)
        warm_first_token = time.perf_counter() - asked
        expect(messages.nth(3).get_by_text("Sources", exact=True)).to_be_visible()
        shot = tmp_path / "answer.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.read_bytes()[:4] == b"\x89PNG"
    assert first_text, "nothing was streamed into the answer"
    timing = {
        "first_token_s": round(first_token, 3),
        "answer_done_s": round(done, 3),
        "warm_first_token_s": round(warm_first_token, 3),
        "backend": "llamacpp",
    }
    (tmp_path / "timing.json").write_text(json.dumps(timing))
    print(
        f"browser: first streamed token after {first_token:.2f} s ({first_text[:30]!r}), "
        f"answer with sources after {done:.2f} s; second question: first token after {warm_first_token:.2f} s"
    )


def _open_tab(page: Any, name: str, shown: Any, tries: int = 6) -> Any:
    """Click tab ``name`` until ``shown`` is visible, as a learner clicks again: a tab clicked while the first
    page run is still finishing (the models load) is drawn again on the first tab when that run completes."""
    for _ in range(tries):
        page.get_by_role("tab", name=name).click()
        try:
            shown.wait_for(state="visible", timeout=20_000)
            return shown
        except Exception:  # playwright's TimeoutError: click again
            continue
    shown.wait_for(state="visible")
    return shown


def test_learner_takes_a_three_question_quiz_and_sees_the_score(assistant: Assistant, tmp_path: Path) -> None:
    reason = _chromium_missing()
    if reason:
        print(f"SKIPPED browser test: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import expect, sync_playwright

    with (
        running_app(assistant.settings.data_dir, "extractive", tmp_path / "app.log") as url,
        sync_playwright() as pw,
        chromium_page(pw, viewport={"width": 1280, "height": 1600}) as page,
    ):
        page.goto(url)
        topic = _open_tab(page, "Quiz", page.get_by_label("Quiz topic"))
        topic.fill("RLHF")
        topic.press("Enter")
        page.get_by_role("button", name="Start quiz").click()
        questions = page.get_by_text("Name three of the topics the curriculum lists under")
        expect(questions.first).to_be_visible()
        answers = page.get_by_test_id("stForm").get_by_role("textbox")
        expect(answers).to_have_count(3)
        answers.nth(0).fill("Human preference data collection, reward model training and PPO")
        answers.nth(2).fill("no idea")
        page.get_by_role("button", name="Check my answers").click()
        score = page.get_by_test_id("stMetricValue")
        expect(score).to_be_visible()
        shown = score.inner_text()
        feedback = page.locator("[data-testid='stExpander']:visible")  # the quiz tab's: one per question
        expect(feedback).to_have_count(3)
        expect(feedback.first).to_contain_text("Name three of the topics")
        page.screenshot(path=str(tmp_path / "quiz.png"), full_page=True)
        feedback.first.scroll_into_view_if_needed()
        snap(page, "quiz-1-scored")
    # The first answer names three of the list; "no idea" scores 0; the empty one is a skip, not a wrong answer.
    assert shown.startswith("1.0 of 2") and "1 skipped" in shown, shown
    print(f"browser quiz: score {shown!r}")


# Records, in the page, when Enter is pressed and when the answer's status first shows ("Searching the roadmaps…").
STATUS_WATCH = """() => {
  document.addEventListener("keydown", (e) => { if (e.key === "Enter") window.__rrEnter = performance.now(); }, true);
  const seen = () => [...document.querySelectorAll("[data-testid='stExpander']")]
    .some((e) => /Searching|Writing|Answer ready/.test(e.textContent));
  new MutationObserver((_, observer) => {
    if (window.__rrEnter !== undefined && seen()) { window.__rrStatus = performance.now(); observer.disconnect(); }
  }).observe(document.body, { subtree: true, childList: true, characterData: true });
}"""


def test_a_learner_on_a_phone_asks_follows_a_citation_reloads_and_walks_the_path(
    assistant: Assistant, tmp_path: Path
) -> None:
    """At 390 px wide: time to a usable chat (first load, then a reload, warm), the status within moments of
    asking, a citation's passage on hover and its source on click, the conversation still there after a reload,
    and the learning path's highlighted section asking the chat, which is shown with the answer."""
    reason = _chromium_missing()
    if reason:
        print(f"SKIPPED browser test: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import expect, sync_playwright

    timing: dict[str, float] = {}
    with (
        running_app(assistant.settings.data_dir, "extractive", tmp_path / "app.log") as url,
        sync_playwright() as pw,
        chromium_page(pw, viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True) as page,
    ):
        box = page.get_by_test_id("stChatInputTextArea")
        began = time.perf_counter()
        page.goto(url)
        expect(box).to_be_editable()
        timing["first_load_usable_s"] = time.perf_counter() - began
        began = time.perf_counter()
        page.reload()
        expect(box).to_be_editable()
        timing["warm_load_usable_s"] = time.perf_counter() - began
        snap(page, "phone-1-empty-chat")
        box.fill(QUESTION)
        page.evaluate(STATUS_WATCH)  # the browser's own clock: from the Enter key to the status on the page
        began = time.perf_counter()
        box.press("Enter")
        status = page.get_by_test_id("stExpander").filter(has_text=re.compile("Searching|Writing|Answer ready"))
        status.first.wait_for(state="visible")
        timing["status_seen_by_the_test_s"] = time.perf_counter() - began
        page.wait_for_function("window.__rrStatus !== undefined")
        timing["status_on_page_s"] = page.evaluate("(window.__rrStatus - window.__rrEnter) / 1000")
        reply = page.get_by_test_id("stChatMessage").nth(1)
        expect(reply.get_by_text("Sources", exact=True)).to_be_visible()
        timing["answer_with_sources_s"] = time.perf_counter() - began
        chip = reply.locator("a.rr-cite").first
        chip.scroll_into_view_if_needed()
        chip.focus()  # a phone has no hover: the passage shows on focus (a keyboard, a long press)
        expect(chip.locator(".rr-tip")).to_be_visible()
        snap(page, "phone-2-citation-preview")
        target = chip.get_attribute("href") or ""
        chip.click()
        card = page.locator(f"[id='{target[1:]}']")
        expect(card).to_be_in_viewport()
        expect(card.locator("mark").first).to_be_visible()
        settled(page)  # tapped while the page still finished: the source stays where the tap took the view
        expect(card).to_be_in_viewport(timeout=1000)
        snap(page, "phone-3-cited-source")
        page.reload()  # the conversation is saved for this learner: it comes back
        messages = page.get_by_test_id("stChatMessage")
        expect(messages.first).to_contain_text(QUESTION)
        expect(messages.nth(1).get_by_text("Sources", exact=True)).to_be_visible()
        snap(page, "phone-4-after-reload")
        topic = _open_tab(page, "Learning path", page.get_by_label("Topic", exact=True))
        topic.fill("LoRA")
        topic.press("Enter")
        highlighted = page.locator("[class*='st-key-path_lane_'] button[kind='primary']:visible").first
        expect(highlighted).to_be_visible()
        box_of = highlighted.bounding_box()
        assert box_of is not None and box_of["width"] <= 390  # within the phone's width
        size = highlighted.evaluate("b => parseFloat(getComputedStyle(b).fontSize)")
        assert size >= 12, size  # legible: the page's own font, not a scaled-down picture
        snap(page, "phone-5-learning-path")
        section = highlighted.inner_text().strip()
        highlighted.click()
        expect(page.get_by_role("tab", name="Chat")).to_have_attribute("aria-selected", "true")
        expect(messages).to_have_count(4)
        expect(messages.nth(2)).to_contain_text("What does the roadmap say about")
        expect(messages.nth(2)).to_be_in_viewport()  # the view is at the new question, not where the path was
        expect(messages.nth(3).get_by_text("Sources", exact=True)).to_be_visible()
        settled(page)
        expect(messages.nth(2)).to_be_in_viewport(timeout=1000)  # and stays there once the page is done
        snap(page, "phone-6-path-asked-the-chat")
    report = {key: round(value, 3) for key, value in timing.items()}
    (tmp_path / "phone_timing.json").write_text(json.dumps(report))
    folder = os.environ.get("ROADMAP_RAG_SCREENSHOTS")
    if folder:
        (Path(folder) / "phone_timing.json").write_text(json.dumps(report))
    print(f"browser at 390 px ({section!r} asked from the path): {report}")


def _shift_a_day(study: Path) -> None:
    """The learner's next day, simulated: every time in their study record moves one day (and a minute) back."""
    from datetime import datetime, timedelta

    back = timedelta(days=1, minutes=1)

    def earlier(value: str) -> str:
        return (datetime.fromisoformat(value) - back).isoformat()

    data = json.loads(study.read_text(encoding="utf-8"))
    for row in data["cards"].values():
        row["first"] = earlier(row["first"])
        for key in ("due", "last_review"):
            if row["fsrs"].get(key):
                row["fsrs"][key] = earlier(row["fsrs"][key])
    for answer in data["answers"]:
        answer["at"] = earlier(answer["at"])
    study.write_text(json.dumps(data), encoding="utf-8")


def test_a_learner_places_reviews_the_next_day_sees_next_change_and_plans_the_weeks(
    assistant: Assistant, tmp_path: Path
) -> None:
    """Issue 31's loop in a real browser: a placement check, cards reviewed the next (simulated) day, "what should I
    study next?" before and after (mastery moves it on), and a weekly plan toward a goal."""
    reason = _chromium_missing()
    if reason:
        print(f"SKIPPED browser test: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import expect, sync_playwright

    curriculum = "comprehensive-llm-curriculum"
    items = assistant.placement(curriculum)
    with running_app(assistant.settings.data_dir, "extractive", tmp_path / "app.log") as url, sync_playwright() as pw:
        profile = "learner-" + url.rsplit("learner=", 1)[1]
        study = assistant.settings.data_dir / "study" / f"{profile}.json"
        with chromium_page(pw, viewport={"width": 1280, "height": 1400}) as page:
            page.goto(url)
            box, messages = ask_in_page(page, "What should I study next?")
            expect(messages.nth(1)).to_contain_text("Study next")
            before = messages.nth(1).inner_text()
            # The placement check on the curriculum, every answer right.
            _open_tab(page, "Study", page.get_by_text("Placement check", exact=True))
            page.get_by_text("Placement check", exact=True).click()
            page.get_by_role("combobox", name="Roadmap to place yourself in").click()
            page.get_by_role("option", name=re.compile("^Comprehensive")).click()
            page.get_by_role("button", name="Start the placement check").click()
            form = page.get_by_test_id("stForm")
            expect(form.get_by_role("radiogroup")).to_have_count(len(items))
            for n, item in enumerate(items):
                form.get_by_role("radiogroup").nth(n).get_by_text(item.options[item.answer].text, exact=True).click()
            snap(page, "study-1-placement")
            form.get_by_role("button", name="Check my answers").click()
            expect(page.get_by_test_id("stMetricValue")).to_have_text(f"{len(items)} of {len(items)} right")
            snap(page, "study-2-placed")
            # Two new cards reviewed today ("good": back within minutes, then days).
            page.get_by_text("Review cards", exact=True).click()
            for _ in range(2):
                page.get_by_role("button", name="Show answer").click()
                page.get_by_role("button", name="Good", exact=True).click()
                expect(page.get_by_test_id("stAlertContentSuccess")).to_contain_text("next review")
            # The next day: the two cards are due, first.
            _shift_a_day(study)
            page.reload()
            _open_tab(page, "Study", page.get_by_text("Review cards", exact=True))
            expect(page.get_by_text(re.compile(r"2 cards due"))).to_be_visible()
            page.get_by_role("button", name="Show answer").click()
            expect(page.get_by_text(re.compile("^Source:"))).to_be_visible()
            snap(page, "study-3-next-day-review")
            page.get_by_role("button", name="Easy", exact=True).click()
            expect(page.get_by_text(re.compile(r"1 card due"))).to_be_visible()
            # "What next" has moved past the sections the placement mastered, and puts the due review first.
            page.get_by_role("tab", name="Chat").click()
            box.fill("What should I study next?")
            box.press("Enter")
            expect(messages).to_have_count(4)
            expect(messages.nth(3)).to_contain_text("due for review")
            after = messages.nth(3).inner_text()
            snap(page, "study-4-next-after-mastery")
            # A plan toward a goal, week by week.
            _open_tab(page, "Study", page.get_by_text("Plan", exact=True))
            page.get_by_text("Plan", exact=True).click()
            goal = page.get_by_label("Your goal")
            goal.fill("I want to fine-tune with LoRA; I know Python")
            goal.press("Enter")
            expect(page.get_by_text(re.compile(r"steps toward LoRA"))).to_be_visible()
            expect(page.get_by_text(re.compile("^Why here"))).not_to_have_count(0)
            snap(page, "study-5-plan")
            plan_text = page.locator("[role='tabpanel']:visible").first.inner_text()
    up = assistant.study_next(profile)
    first = next(p for p in up.steps if p.doc_id == curriculum)
    assert "The curriculum: Getting Started" in before  # nothing placed yet: the curriculum starts at the start
    assert "Getting Started" not in after.split("The curriculum:")[1].split("\n")[0]
    assert first.top in after and sum(m.placed for m in up.mastery) == len(items)
    assert "Why here" in plan_text and "weeks at 6 h a week" in plan_text
    print(f"browser study loop: {len(items)} placed; next moved to {first.top!r}; due after a day: 2")


def test_a_stopped_chroma_server_is_a_sentence_with_its_remedy_and_the_question_stays(
    embedder: Embedder, tmp_path: Path
) -> None:
    """The app over a real `chroma run` on 127.0.0.1: an answer, then the server stops. The next question is kept
    in the chat with a sentence that names the server and how to start it (and "Ask again"), never a traceback;
    a reload still draws the page and the saved conversation, saying the index cannot be read."""
    reason = _chromium_missing()
    if reason:
        print(f"SKIPPED browser test: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import expect, sync_playwright

    corpus = tmp_path / "corpus"
    (corpus / "roadmaps").mkdir(parents=True)
    name = "getting-started-with-llms.txt"
    (corpus / "roadmaps" / name).write_bytes((CORPUS / "roadmaps" / name).read_bytes())
    server = ChromaServer(tmp_path / "server", free_port()).start()
    try:
        settings = Settings(
            data_dir=tmp_path / "data", corpus_dir=corpus, chroma_host="127.0.0.1", chroma_port=server.port
        )
        assert ingest(settings, embedder=embedder).ok
        env = {
            "ROADMAP_RAG_CORPUS_DIR": str(corpus),
            "ROADMAP_RAG_CHROMA_HOST": "127.0.0.1",
            "ROADMAP_RAG_CHROMA_PORT": str(server.port),
        }
        with (
            running_app(settings.data_dir, "extractive", tmp_path / "app.log", **env) as url,
            sync_playwright() as pw,
            chromium_page(pw, viewport={"width": 1280, "height": 1400}) as page,
        ):
            page.goto(url)
            box, messages = ask_in_page(page, "What is prompt engineering?")
            expect(messages.nth(1).get_by_text("Sources", exact=True)).to_be_visible()
            server.stop()
            box.fill("What is a prompt template?")
            box.press("Enter")
            expect(messages).to_have_count(4)
            expect(messages.nth(2)).to_contain_text("What is a prompt template?")  # the question stays
            alert = messages.nth(3).get_by_test_id("stAlertContentError")
            expect(alert).to_contain_text(f"The Chroma server at http://127.0.0.1:{server.port} stopped answering")
            expect(alert).to_contain_text(f"chroma run --host 127.0.0.1 --port {server.port}")
            expect(messages.nth(3).get_by_role("button", name="Ask again")).to_be_visible()
            expect(messages.nth(2)).to_be_in_viewport()  # the view moved to the new question and its answer
            expect(alert).to_be_in_viewport()
            snap(page, "chroma-1-server-stopped")
            failed = messages.nth(3).inner_text()
            page.reload()
            unreadable = page.get_by_text("The index cannot be read", exact=False).first
            expect(unreadable).to_be_visible()
            expect(box).to_be_editable()
            unreadable.evaluate("e => e.scrollIntoView({ block: 'center' })")
            expect(messages.first).to_contain_text("What is prompt engineering?")  # the saved conversation is drawn
            snap(page, "chroma-2-after-reload")
            shown = page.locator("body").inner_text()
    finally:
        server.stop()
    assert "Traceback" not in failed + shown and 'File "' not in failed + shown
    print(f"browser, Chroma stopped: {next(line for line in failed.splitlines() if 'chroma' in line)!r}")
