"""Generation backends, chosen by name in settings: ollama, llamacpp, extractive (and auto)."""

from roadmap_rag.generation.base import LLM, make_llm

__all__ = ["LLM", "make_llm"]
