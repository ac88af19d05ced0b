"""The LLM Protocol and the choice of backend by name."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from roadmap_rag.errors import BackendUnavailable, ConfigError
from roadmap_rag.settings import Settings
from roadmap_rag.types import Source, Turn


class LLM(Protocol):
    name: str  # shown to the user, e.g. "llamacpp:gemma-3-270m"

    def stream(self, question: str, sources: list[Source], history: list[Turn], hint: str = "") -> Iterator[str]:
        """Text deltas of an answer that cites ``sources`` as [1], [2], ...; ``hint`` is the structure the
        composer found (section paths, list items), for models that can use it."""
        ...


def make_llm(settings: Settings, choice: str | None = None) -> tuple[LLM, list[str]]:
    """The backend for ``choice`` (default: settings.llm), and notes on any fallback taken."""
    choice = choice or settings.llm
    if choice == "extractive":
        from roadmap_rag.composer import Composer

        return Composer(), []
    if choice == "llamacpp":
        from roadmap_rag.generation.llamacpp import LlamaCppLLM

        return LlamaCppLLM(settings), []
    if choice == "ollama":
        from roadmap_rag.generation.ollama import OllamaLLM

        llm = OllamaLLM(settings)
        llm.check()
        return llm, []
    if choice == "auto":
        # Ollama when it answers; otherwise the grounded composer, chosen over the embedded 270M model
        # by the eval (fact recall, unsupported sentences, latency: eval/README.md).
        from roadmap_rag.composer import Composer
        from roadmap_rag.generation.ollama import OllamaLLM

        try:
            llm = OllamaLLM(settings)
            llm.check(timeout=settings.ollama_probe_timeout)
            return llm, []
        except BackendUnavailable as exc:
            return Composer(), [f"Ollama not used: {exc}. Answered from the sources without an LLM."]
    raise ConfigError(f"unknown llm '{choice}'; use auto, ollama, llamacpp or extractive")
