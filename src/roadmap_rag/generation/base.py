"""The LLM Protocol and the choice of backend by name."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Protocol
from urllib.parse import urlsplit

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

        closed = _refuses(settings.ollama_host, settings.ollama_probe_timeout)
        if closed:  # nothing listens: no need to load the Ollama client (0.2 s of a cold start) to learn that
            why = f"Ollama at {settings.ollama_host} is not reachable ({closed}); start `ollama serve`"
            return Composer(), [f"Ollama not used: {why}. Answered from the sources without an LLM."]
        from roadmap_rag.generation.ollama import OllamaLLM

        try:
            llm = OllamaLLM(settings)
            llm.check(timeout=settings.ollama_probe_timeout)
            return llm, []
        except BackendUnavailable as exc:
            return Composer(), [f"Ollama not used: {exc}. Answered from the sources without an LLM."]
    raise ConfigError(f"unknown llm '{choice}'; use auto, ollama, llamacpp or extractive")


def _refuses(url: str, timeout: float) -> str | None:
    """Why nothing accepts a TCP connection at the Ollama address (None when something does)."""
    parts = urlsplit(url if "://" in url else f"http://{url}")
    host = parts.hostname or "127.0.0.1"
    host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    try:
        port = parts.port or 11434
        with socket.create_connection((host, port), timeout=timeout):
            return None
    except ConnectionRefusedError:
        return "connection refused"
    except (OSError, ValueError) as exc:
        return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
