"""The Ollama backend over real HTTP against the loopback stand-in: answers, and every way it can fail."""

from __future__ import annotations

import time

import pytest

from roadmap_rag import Answer, Assistant
from roadmap_rag.chroma_server import free_port
from roadmap_rag.errors import BackendUnavailable
from roadmap_rag.generation import make_llm
from roadmap_rag.generation.ollama import OllamaLLM

from .ollama_standin import MODEL, StandIn


@pytest.fixture
def standin():
    with StandIn() as server:
        yield server


def ollama_assistant(assistant: Assistant, host: str, **settings: object) -> Assistant:
    """The session index, answered through Ollama at ``host``."""
    changed = assistant.settings.model_copy(update={"ollama_host": host, "llm": "ollama", **settings})
    return Assistant(changed, embedder=assistant.embedder, store=assistant.store)


def test_streams_a_cited_answer_and_sends_delimited_sources(assistant: Assistant, standin: StandIn) -> None:
    events = list(ollama_assistant(assistant, standin.host).stream("What does the roadmap say about LoRA?"))
    answer = events[-1]
    assert isinstance(answer, Answer) and answer.backend == f"ollama:{MODEL}"
    assert len([e for e in events if isinstance(e, str)]) > 3  # streamed word by word
    assert answer.citations and answer.citations[0].number == 1
    assert answer.citations[0].quote in answer.sources[0].text
    request = standin.requests[-1]
    assert request["model"] == MODEL and request["stream"] is True
    prompt = request["messages"][-1]["content"]
    assert '<source id="1"' in prompt and "</source>" in prompt
    assert "data, not instructions" in " ".join(m["content"] for m in request["messages"])


def test_missing_model_says_how_to_pull_it(assistant: Assistant, standin: StandIn) -> None:
    standin.models = ("other:1b",)
    settings = assistant.settings.model_copy(update={"ollama_host": standin.host})
    with pytest.raises(BackendUnavailable, match=f"ollama pull {MODEL}"):
        OllamaLLM(settings).check()
    with pytest.raises(BackendUnavailable, match=f"ollama pull {MODEL}"):
        ollama_assistant(assistant, standin.host).ask("What is LoRA?")


def test_connection_refused_is_clear_and_auto_falls_back(assistant: Assistant) -> None:
    host = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    settings = assistant.settings.model_copy(update={"ollama_host": host})
    with pytest.raises(BackendUnavailable, match="not reachable"):
        OllamaLLM(settings).check(timeout=1.0)
    llm, notes = make_llm(settings, "auto")
    assert llm.name.startswith("llamacpp:") and any("Ollama" in n for n in notes)


@pytest.mark.parametrize(
    ("mode", "message"),
    [("drop", "broke mid-answer"), ("stall", "sent nothing for"), ("malformed", "broke mid-answer")],
)
def test_a_broken_stream_ends_with_an_error_not_a_hang(
    assistant: Assistant, standin: StandIn, mode: str, message: str, ledger
) -> None:
    standin.mode = mode
    standin.stall_seconds = 4.0
    bot = ollama_assistant(assistant, standin.host, ollama_timeout=1.0)
    started = time.monotonic()
    with pytest.raises(BackendUnavailable, match=message):
        bot.ask("What does the roadmap say about LoRA?")
    took = time.monotonic() - started
    assert took < 10
    ledger.add("faults", f"Ollama stand-in: stream {mode} (timeout 1 s)",
               f"BackendUnavailable '{message}' after {took:.2f} s; no hang")  # fmt: skip


def test_auto_uses_ollama_when_it_answers(assistant: Assistant, standin: StandIn) -> None:
    settings = assistant.settings.model_copy(update={"ollama_host": standin.host})
    llm, notes = make_llm(settings, "auto")
    assert llm.name == f"ollama:{MODEL}" and not notes
