"""The Ollama-protocol stand-in lives in the package (the replay eval serves recorded answers with it)."""

from roadmap_rag.evaluation.standin import MODEL, StandIn

__all__ = ["MODEL", "StandIn"]
