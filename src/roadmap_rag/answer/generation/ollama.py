"""The production backend: a model served by Ollama, through the `ollama` client."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import ollama

from roadmap_rag.answer.generation.base import TRUNCATED
from roadmap_rag.answer.prompts import chat_messages
from roadmap_rag.errors import BackendUnavailable
from roadmap_rag.redact import redact, redact_url
from roadmap_rag.settings import Settings
from roadmap_rag.types import Source, Turn


class OllamaLLM:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.host = settings.ollama_host
        self.shown = redact_url(self.host)  # the address as messages show it: never its credentials
        self.model = settings.ollama_model
        self.name = f"ollama:{self.model}"
        # The timeout bounds every wait for a byte, so a stalled stream ends with an error, not a hang.
        self._client = ollama.Client(host=self.host, timeout=settings.ollama_timeout)

    @contextmanager
    def _errors(self, timeout: float | None = None, probe: bool = False) -> Iterator[None]:
        """Every way a call to Ollama fails, as one BackendUnavailable that says what to do."""
        try:
            yield
        except ollama.ResponseError as exc:
            if exc.status_code == 404:
                raise BackendUnavailable(f"Ollama has no model '{self.model}'; run `ollama pull {self.model}`") from exc
            raise BackendUnavailable(f"Ollama returned an error: {redact(exc.error)}") from exc
        except httpx.TimeoutException as exc:
            raise BackendUnavailable(
                f"Ollama at {self.shown} sent nothing for {timeout or self.settings.ollama_timeout:.0f} s; "
                "raise ROADMAP_RAG_OLLAMA_TIMEOUT or check the server"
            ) from exc
        except ConnectionError as exc:
            # The client's ConnectionError text is a paragraph of advice; the refusal itself is what matters.
            raise BackendUnavailable(
                f"Ollama at {self.shown} is not reachable (connection refused); start `ollama serve`"
            ) from exc
        except (httpx.HTTPError, ValueError) as exc:
            detail = redact(str(exc))
            why = (
                f"Ollama at {self.shown} is not reachable ({detail}); start `ollama serve`"
                if probe
                else (f"the connection to Ollama at {self.shown} broke mid-answer ({detail})")
            )
            raise BackendUnavailable(why) from exc

    def check(self, timeout: float | None = None) -> None:
        """Raise BackendUnavailable unless the server answers and has the model."""
        client = ollama.Client(host=self.host, timeout=timeout) if timeout else self._client
        with self._errors(timeout, probe=True):
            listed = client.list()
        names = {m.model for m in listed.models if m.model}
        if not names & {self.model, f"{self.model}:latest"}:
            raise BackendUnavailable(
                f"Ollama at {self.shown} does not have model '{self.model}'; run `ollama pull {self.model}`"
            )

    def complete_json(self, prompt: str, schema: dict[str, Any]) -> str:
        """One non-streamed answer constrained to ``schema`` (Ollama's structured outputs): the eval judge."""
        options = {"temperature": 0.0, "num_predict": self.settings.judge_max_tokens * 4}
        messages = [{"role": "user", "content": prompt}]
        with self._errors():
            response = self._client.chat(model=self.model, messages=messages, format=schema, options=options)
        return response.message.content or ""

    def stream(
        self, question: str, sources: list[Source], history: list[Turn], hint: str = "", budget: int | None = None
    ) -> Iterator[str]:
        options = {"temperature": self.settings.temperature, "num_predict": budget or self.settings.max_tokens * 2}
        messages = chat_messages(question, sources, history, hint)
        with self._errors():
            for part in self._client.chat(model=self.model, messages=messages, stream=True, options=options):
                text = part.message.content if part.message else ""
                if text:
                    yield text
                if part.done and part.done_reason == "length":
                    yield TRUNCATED
