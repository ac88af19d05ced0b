"""The embedded default: real llama.cpp running the shipped Gemma 3 270M GGUF."""

from __future__ import annotations

from roadmap_rag import Answer, Assistant
from roadmap_rag.answer.generation import make_llm
from roadmap_rag.answer.generation.llamacpp import default_gguf


def test_llamacpp_answer_is_streamed_and_its_citations_are_checked(assistant: Assistant) -> None:
    stream = assistant.stream("What does the roadmap say about LoRA?", llm="llamacpp")
    deltas = list(stream)
    answer = stream.answer
    assert isinstance(answer, Answer) and answer.grounded
    assert "llamacpp:gemma-3-270m" in answer.backend  # itself, or the checked fallback after it
    assert any(d.strip() for d in deltas)
    assert answer.citations, answer.text
    for citation in answer.citations:  # never trusted unchecked: each quote is in the cited source
        assert citation.source is answer.sources[citation.number - 1]
        assert citation.quote in citation.source.text
    assert "<source" not in answer.text and "</" not in answer.text  # stop sequences end the completion
    assert 0 < answer.timings.first_token <= answer.timings.total


def test_the_gguf_is_assembled_once_into_the_data_dir(assistant: Assistant) -> None:
    path = default_gguf(assistant.settings)
    assert path.parent == assistant.settings.models_dir and path.stat().st_size > 100_000_000
    stamp = path.stat().st_mtime_ns
    llm, _ = make_llm(assistant.settings, "llamacpp")
    assert llm.name == "llamacpp:gemma-3-270m" and default_gguf(assistant.settings) == path
    assert path.stat().st_mtime_ns == stamp  # not written again
