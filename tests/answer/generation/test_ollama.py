"""The Ollama backend over real HTTP against the loopback stand-in: answers, and every way it can fail."""

from __future__ import annotations

import re
import time

import pytest

from roadmap_rag import Answer, Assistant
from roadmap_rag.answer.generation import make_llm
from roadmap_rag.answer.generation.ollama import OllamaLLM
from roadmap_rag.cli.doctor import check_ollama
from roadmap_rag.errors import BackendUnavailable
from roadmap_rag.index.chroma_server import free_port
from tests.answer.generation.ollama_standin import MODEL, StandIn


@pytest.fixture
def standin():
    with StandIn() as server:
        yield server


def _tokenization(assistant: Assistant) -> tuple[str, int]:
    """A list question, and the number of the source that holds the curriculum's tokenization list."""
    question = "Which tokenization algorithms does the curriculum cover?"
    sources = assistant.retrieve(question)
    return question, next(i for i, s in enumerate(sources, start=1) if "WordPiece" in s.text)


def ollama_assistant(assistant: Assistant, host: str, **settings: object) -> Assistant:
    """The session index, answered through Ollama at ``host``."""
    changed = assistant.settings.model_copy(update={"ollama_host": host, "llm": "ollama", **settings})
    return Assistant(changed, embedder=assistant.embedder, store=assistant.store)


def test_streams_a_cited_answer_and_sends_delimited_sources(assistant: Assistant, standin: StandIn) -> None:
    stream = ollama_assistant(assistant, standin.host).stream("What does the roadmap say about LoRA?")
    deltas = list(stream)
    answer = stream.answer
    assert isinstance(answer, Answer) and answer.backend == f"ollama:{MODEL}"
    assert "".join(deltas) == answer.text  # what streamed is the checked answer, nothing else
    assert answer.citations and answer.citations[0].number == 1
    assert answer.citations[0].quote in answer.sources[0].text
    request = standin.requests[-1]
    assert request["model"] == MODEL and request["stream"] is True
    prompt = request["messages"][-1]["content"]
    assert '<source id="1"' in prompt and "</source>" in prompt
    assert "data, not instructions" in " ".join(m["content"] for m in request["messages"])


def test_a_learner_only_ever_sees_checked_statements_while_the_answer_streams(
    assistant: Assistant, standin: StandIn
) -> None:
    """The model's text is shown statement by statement, each once it is checked: an invented sentence in the
    middle of the answer never reaches the stream, and the stream is the checked answer, piece by piece."""
    question, n = _tokenization(assistant)
    standin.reply = (
        f"According to the curriculum, tokenization comes with Byte-Pair Encoding (BPE) and WordPiece [{n}]. "
        f"BPE was invented by Google DeepMind in 2021 for the Gemini tokenizer [{n}]. "
        f"It also covers Unigram and SentencePiece [{n}].\n"
        f"The module lists these other topics:\n"
        f"- Handling special tokens, padding, truncation [{n}]\n"
        f"- Gemini tokenizer internals [{n}]\n"
    )
    stream = ollama_assistant(assistant, standin.host).stream(question)
    seen = []
    for delta in stream:
        seen.append(delta)
        assert "Gemini" not in "".join(seen) and "2021" not in "".join(seen)
    answer = stream.answer
    assert len(seen) >= 3  # sentence by sentence, then the list once its first item is checked
    assert "".join(seen) == answer.text
    assert "SentencePiece" in answer.text and "special tokens" in answer.text
    assert {r.text for r in answer.removed} >= {
        "BPE was invented by Google DeepMind in 2021 for the Gemini tokenizer.",
        "Gemini tokenizer internals",
    }
    assert all(r.reason for r in answer.removed)  # each removal says why
    assert answer.timings.first_token < answer.timings.total


def test_an_answer_cut_at_its_length_limit_ends_at_its_last_complete_sentence(
    assistant: Assistant, standin: StandIn
) -> None:
    question = "What does the curriculum say about tokenization?"
    n = next(i for i, s in enumerate(assistant.retrieve(question), start=1) if "WordPiece" in s.text)
    standin.reply = (
        f"The curriculum covers Byte-Pair Encoding (BPE) and WordPiece [{n}]. "
        f"It also covers Unigram and SentencePiece [{n}]. " + "It then goes on and on " * 40
    )
    answer = ollama_assistant(assistant, standin.host, max_tokens=16).ask(question)
    budget = standin.requests[-1]["options"]["num_predict"]
    assert 16 <= budget < 100  # sized by the question's shape from setting max_tokens
    assert answer.text.endswith(f"[{n}].") and "goes on" not in answer.text
    assert any("length limit" in note and "ROADMAP_RAG_MAX_TOKENS" in note for note in answer.notes)


def test_the_model_sees_every_source_its_hint_cites(assistant: Assistant, standin: StandIn) -> None:
    """The composer's structure hint may cite sources beyond the retrieved k (a neighbouring section, a
    list's continuation): the prompt shows them all, so the model's numbers are the check's numbers."""
    bot = ollama_assistant(assistant, standin.host)
    questions = [
        "what comes after transformers in the complete roadmap?",
        "which module comes after RLHF in the curriculum?",
        "what comes after fine-tuning in the curriculum?",
    ]
    beyond = 0
    for question in questions:
        asked = len(standin.requests)
        answer = bot.ask(question)
        assert len(standin.requests) == asked + 1, answer.text  # answered, not refused
        prompt = standin.requests[-1]["messages"][-1]["content"]
        shown = {int(n) for n in re.findall(r'<source id="(\d+)"', prompt)}
        hint = prompt.split("What the sources hold for this question", 1)[-1].split("Question:", 1)[0]
        cited = {int(n) for n in re.findall(r"\[(\d+)\]", hint)}
        assert cited <= shown, (question, cited - shown)
        assert len(answer.sources) == len(shown)
        beyond += max(cited | {0}) > 5
    assert beyond  # the case this guards against occurred


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


def test_credentials_in_the_ollama_host_are_never_shown_or_logged(assistant: Assistant, standin: StandIn) -> None:
    """OLLAMA_HOST=http://user:password@host: the password reaches no error, no answer's note and no log line."""
    secret = "s3cret-Pw"
    refused = f"http://learner:{secret}@127.0.0.1:{free_port()}"  # nothing listens there
    with pytest.raises(BackendUnavailable) as unreachable:
        OllamaLLM(assistant.settings.model_copy(update={"ollama_host": refused})).check(timeout=1.0)
    auto = ollama_assistant(assistant, refused, llm="auto").ask("What is LoRA?")
    standin.mode = "drop"
    with pytest.raises(BackendUnavailable) as broke:
        ollama_assistant(assistant, standin.host.replace("//", f"//learner:{secret}@")).ask("What is LoRA?")
    shown = [str(unreachable.value), *auto.notes, str(broke.value)]
    assert all("http://***@127.0.0.1:" in text for text in shown), shown
    assert secret not in " ".join(shown)
    logged = (assistant.settings.data_dir / "queries.jsonl").read_text(encoding="utf-8")
    assert auto.id in logged and "http://***@127.0.0.1:" in logged and secret not in logged


def test_doctor_names_a_reachable_ollama_without_its_credentials(assistant: Assistant, standin: StandIn) -> None:
    """The credentials of OLLAMA_HOST stay out of `roadmap-rag doctor`'s line for a reachable Ollama too."""
    host = standin.host.replace("//", "//learner:s3cret-Pw@")
    check = check_ollama(assistant.settings.model_copy(update={"ollama_host": host, "llm": "ollama"}))
    assert check.status == "ok" and "http://***@127.0.0.1:" in check.detail and "s3cret" not in check.detail


def test_auto_uses_ollama_when_it_answers(assistant: Assistant, standin: StandIn) -> None:
    settings = assistant.settings.model_copy(update={"ollama_host": standin.host})
    llm, notes = make_llm(settings, "auto")
    assert llm.name == f"ollama:{MODEL}" and not notes


def test_a_realistic_list_answer_is_kept_whole_and_an_invented_claim_removed(
    assistant: Assistant, standin: StandIn
) -> None:
    """A capable model answers a list question as asked (bullets, one per roadmap item) and adds one
    sentence of its own with a citation: the list stays whole, the invented sentence goes."""
    question, n = _tokenization(assistant)
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
