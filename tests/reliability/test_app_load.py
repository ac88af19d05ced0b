"""Load through the Streamlit server: several learners' browser sessions ask at the same time; each sees
only its own conversation, every question gets its answer and sources, and the p95 is recorded."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import pytest

from roadmap_rag import Assistant
from tests.app.server import running_app
from tests.app.test_browser import CHROMIUM, FLAGS, _chromium_missing

SESSIONS = 4
ROUNDS = 3
QUESTIONS = [
    "What is LoRA?",
    "What should I study before transformers?",
    "Which benchmarks are listed?",
    "What is RLHF?",
    "What is Mixture of Experts?",
    "What does the curriculum say about RAG?",
]


def _question(session: int, round_: int) -> str:
    return f"{QUESTIONS[(session + round_) % len(QUESTIONS)]} (learner {session})"


def test_concurrent_browser_sessions(assistant: Assistant, tmp_path: Path, ledger) -> None:
    reason = _chromium_missing()
    if reason:
        print(f"SKIPPED app load test: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import expect, sync_playwright

    latencies: list[float] = []
    with running_app(assistant.settings.data_dir, "extractive", tmp_path / "app.log") as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        expect.set_options(timeout=120_000)
        try:
            pages = []
            for _ in range(SESSIONS):  # separate browser contexts: separate Streamlit sessions
                page = browser.new_context().new_page()
                page.goto(url)
                expect(page.get_by_test_id("stChatInputTextArea")).to_be_visible()
                pages.append(page)
            for round_ in range(ROUNDS):
                sent = {}
                for session, page in enumerate(pages):  # everyone asks before anyone's answer is awaited
                    box = page.get_by_test_id("stChatInputTextArea")
                    box.fill(_question(session, round_))
                    box.press("Enter")
                    sent[session] = time.perf_counter()
                for session, page in enumerate(pages):
                    reply = page.get_by_test_id("stChatMessage").nth(2 * round_ + 1)
                    expect(reply.get_by_text("Sources", exact=True)).to_be_visible()
                    latencies.append(time.perf_counter() - sent[session])
            for session, page in enumerate(pages):
                messages = page.get_by_test_id("stChatMessage")
                expect(messages).to_have_count(2 * ROUNDS)
                asked = [
                    messages.nth(2 * r).get_by_test_id("stChatMessageContent").inner_text().strip()
                    for r in range(ROUNDS)
                ]
                assert asked == [_question(session, r) for r in range(ROUNDS)]  # no cross-talk
        finally:
            browser.close()
    assert len(latencies) == SESSIONS * ROUNDS
    p95 = statistics.quantiles(latencies, n=20)[-1]
    ledger.add(
        "load",
        f"{SESSIONS} concurrent browser sessions x {ROUNDS} questions through the Streamlit server, extractive",
        f"{len(latencies)}/{len(latencies)} answered with sources, each session saw only its own questions; "
        f"p50 {statistics.median(latencies):.2f} s, p95 {p95:.2f} s (in-browser, Enter to sources shown)",
    )
