"""The one registry of generation backends, by name.

Everything that lists backends (``make_llm``, the Assistant's check of the setting, the CLI's help, the app's
selector) reads ``BACKENDS``; adding a backend is one entry here and one module beside this one.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from roadmap_rag.answer.generation.base import Made
from roadmap_rag.errors import BackendUnavailable, ConfigError
from roadmap_rag.redact import redact_url

if TYPE_CHECKING:
    from roadmap_rag.settings import Settings


@dataclass(frozen=True)
class Backend:
    name: str
    label: str  # for people: the app's selector and the CLI's help
    make: Callable[[Settings], Made]


def _extractive(settings: Settings) -> Made:
    from roadmap_rag.answer.compose import Composer

    return Composer(), []


def _llamacpp(settings: Settings) -> Made:
    from roadmap_rag.answer.generation.llamacpp import LlamaCppLLM

    return LlamaCppLLM(settings), []


def _ollama(settings: Settings) -> Made:
    from roadmap_rag.answer.generation.ollama import OllamaLLM

    llm = OllamaLLM(settings)
    llm.check()
    return llm, []


def _auto(settings: Settings) -> Made:
    """Ollama when it answers; otherwise the grounded composer, chosen over the embedded 270M model by the
    eval (fact recall, unsupported sentences, latency: eval/README.md)."""
    closed = _refuses(settings.ollama_host, settings.ollama_probe_timeout)
    if closed:  # nothing listens: no need to load the Ollama client (0.2 s of a cold start) to learn that
        why = f"Ollama at {redact_url(settings.ollama_host)} is not reachable ({closed}); start `ollama serve`"
    else:
        from roadmap_rag.answer.generation.ollama import OllamaLLM

        try:
            llm = OllamaLLM(settings)
            llm.check(timeout=settings.ollama_probe_timeout)
            return llm, []
        except BackendUnavailable as exc:
            why = str(exc)
    composer, _ = _extractive(settings)
    return composer, [f"Ollama not used: {why}. Answered from the sources without an LLM."]


BACKENDS: dict[str, Backend] = {
    backend.name: backend
    for backend in (
        Backend("auto", "Auto (Ollama if reachable, else answer from the sources)", _auto),
        Backend("ollama", "Ollama", _ollama),
        Backend("llamacpp", "Embedded model (Gemma 3 270M, optional)", _llamacpp),
        Backend("extractive", "From the sources, no LLM (the composer)", _extractive),
    )
}


def backend_names() -> str:
    """'auto | ollama | llamacpp | extractive', for help texts and messages."""
    return " | ".join(BACKENDS)


def check_backend(name: str) -> str:
    if name not in BACKENDS:
        raise ConfigError(f"unknown llm '{name}'; use one of: {backend_names()}")
    return name


def make_llm(settings: Settings, choice: str | None = None) -> Made:
    """The backend for ``choice`` (default: settings.llm), and notes on any fallback taken."""
    return BACKENDS[check_backend(choice or settings.llm)].make(settings)


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
