"""The LLM Protocol and the choice of backend by name."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from roadmap_rag.errors import BackendUnavailable, ConfigError
from roadmap_rag.settings import Settings
from roadmap_rag.types import Source, Turn


class LLM(Protocol):
    name: str  # shown to the user, e.g. "llamacpp:gemma-3-270m"

    def stream(self, question: str, sources: list[Source], history: list[Turn]) -> Iterator[str]:
        """Text deltas of an answer that cites ``sources`` as [1], [2], ..."""
        ...


def make_llm(settings: Settings, choice: str | None = None) -> tuple[LLM, list[str]]:
    """The backend for ``choice`` (default: settings.llm), and notes on any fallback taken."""
    choice = choice or settings.llm
    if choice == "extractive":
        from roadmap_rag.generation.extractive import ExtractiveLLM

        return ExtractiveLLM(), []
    if choice == "llamacpp":
        from roadmap_rag.generation.llamacpp import LlamaCppLLM

        return LlamaCppLLM(settings), []
    if choice == "ollama":
        from roadmap_rag.generation.ollama import OllamaLLM

        llm = OllamaLLM(settings)
        llm.check()
        return llm, []
    if choice == "auto":
        from roadmap_rag.generation.llamacpp import LlamaCppLLM
        from roadmap_rag.generation.ollama import OllamaLLM

        try:
            llm = OllamaLLM(settings)
            llm.check(timeout=settings.ollama_probe_timeout)
            return llm, []
        except BackendUnavailable as exc:
            ollama_note = f"Ollama not used ({exc})"
        try:
            return LlamaCppLLM(settings), [f"{ollama_note}; answering with the embedded model."]
        except BackendUnavailable as exc:
            from roadmap_rag.generation.extractive import ExtractiveLLM

            return ExtractiveLLM(), [f"{ollama_note}; the embedded model failed too ({exc}); answering extractively."]
    raise ConfigError(f"unknown llm '{choice}'; use auto, ollama, llamacpp or extractive")
