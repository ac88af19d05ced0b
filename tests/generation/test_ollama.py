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
    stream = ollama_assistant(assistant, standin.host).stream("What does the roadmap say about LoRA?")
    deltas = list(stream)
    answer = stream.answer
    assert isinstance(answer, Answer) and answer.backend == f"ollama:{MODEL}"
    assert len(deltas) > 3  # streamed word by word
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
    assert llm.name == "extractive" and any("Ollama" in n for n in notes)  # the composer, chosen by the eval


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
    ledger.add(
        "faults",
        f"Ollama stand-in: stream {mode} (timeout 1 s)",
        f"BackendUnavailable '{message}' after {took:.2f} s; no hang",
    )


def test_auto_uses_ollama_when_it_answers(assistant: Assistant, standin: StandIn) -> None:
    settings = assistant.settings.model_copy(update={"ollama_host": standin.host})
    llm, notes = make_llm(settings, "auto")
    assert llm.name == f"ollama:{MODEL}" and not notes


def test_a_realistic_list_answer_is_kept_whole_and_an_invented_claim_removed(
    assistant: Assistant, standin: StandIn
) -> None:
    """A capable model answers a list question as asked (bullets, one per roadmap item) and adds one
    sentence of its own with a citation: the list stays whole, the invented sentence goes."""
    question = "Which tokenization algorithms does the curriculum cover?"
    sources = assistant.retrieve(question)
    n = next(i for i, s in enumerate(sources, start=1) if "WordPiece" in s.text)
    standin.reply = (
        f"The curriculum's tokenization module covers:\n"
        f"- Byte-Pair Encoding (BPE) & WordPiece [{n}]\n"
        f"- Unigram and SentencePiece [{n}]\n"
        f"- Handling special tokens, padding, truncation [{n}]\n\n"
        f"BPE was invented by Google DeepMind in 2021 for the Gemini tokenizer [{n}]."
    )
    answer = ollama_assistant(assistant, standin.host).ask(question)
    items = [s.text for b in answer.blocks if b.kind == "list" for s in b.statements]
    assert items == [
        "Byte-Pair Encoding (BPE) & WordPiece",
        "Unigram and SentencePiece",
        "Handling special tokens, padding, truncation",
    ]
    assert "Gemini" not in answer.text and "2021" not in answer.text
    assert any("Gemini" in u for u in answer.unsupported)
    assert answer.backend == f"ollama:{MODEL}"
    # The prompt asked for the question's shape and handed over the structure the composer found.
    prompt = standin.requests[-1]["messages"][-1]["content"]
    assert "bulleted list" in prompt and "What the sources hold for this question" in prompt
    assert "SentencePiece" in prompt.split("What the sources hold")[1]
