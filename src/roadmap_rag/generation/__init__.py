"""Generation backends, chosen by name in settings: ollama, llamacpp, extractive (and auto)."""

from roadmap_rag.generation.base import BACKENDS, LLM, Backend, backend_names, make_llm

__all__ = ["BACKENDS", "LLM", "Backend", "backend_names", "make_llm"]
