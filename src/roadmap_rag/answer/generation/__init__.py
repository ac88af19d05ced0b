"""Generation backends, chosen by name (the `llm` setting) from one registry: ollama, llamacpp, extractive, auto.
Takes a question, sources and the composer's hint; gives text deltas, checked by the claim check as they stream.
May import: the answer stage's composer (lazily, for `extractive`) and below."""

from roadmap_rag.answer.generation.base import LLM
from roadmap_rag.answer.generation.registry import BACKENDS, Backend, backend_names, check_backend, make_llm

__all__ = ["BACKENDS", "LLM", "Backend", "backend_names", "check_backend", "make_llm"]
