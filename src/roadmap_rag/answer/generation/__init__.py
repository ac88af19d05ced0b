"""Generation backends, chosen by name in settings: ollama, llamacpp, extractive (and auto)."""

from roadmap_rag.answer.generation.base import LLM
from roadmap_rag.answer.generation.registry import BACKENDS, Backend, backend_names, check_backend, make_llm

__all__ = ["BACKENDS", "LLM", "Backend", "backend_names", "check_backend", "make_llm"]
