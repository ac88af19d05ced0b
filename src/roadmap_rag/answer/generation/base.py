"""The LLM Protocol every generation backend implements; the registry that names them is ``registry``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Protocol

from roadmap_rag.types import Source, Turn

if TYPE_CHECKING:
    from roadmap_rag.answer.compose import Composer


class Truncated(str):
    """Yielded last by a backend whose answer reached its token budget (the text before it is cut off)."""


TRUNCATED = Truncated("")


class LLM(Protocol):
    name: str  # shown to the user, e.g. "llamacpp:gemma-3-270m"

    def stream(
        self, question: str, sources: list[Source], history: list[Turn], hint: str = "", budget: int | None = None
    ) -> Iterator[str]:
        """Text deltas of an answer that cites ``sources`` as [1], [2], ...; ``hint`` is the structure the
        composer found (section paths, list items), for models that can use it; ``budget`` the most tokens to
        write (default: the backend's own). A backend that stops at its budget yields ``TRUNCATED`` last."""
        ...


# A backend (an LLM, or the composer that answers from the sources' structure without one) and the notes
# on any fallback it took ("Ollama not reachable; answered from the sources").
Made = tuple["LLM | Composer", list[str]]
