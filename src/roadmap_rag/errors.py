"""The few exceptions of our own. Each message says what to do next."""

from __future__ import annotations

from pathlib import Path


class RoadmapRagError(Exception):
    """Base class: anything the user can act on."""


class ConfigError(RoadmapRagError):
    """A setting is missing or invalid."""


class InputFileError(RoadmapRagError):
    """One input file cannot be ingested; the rest of the corpus still is."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class IndexUnavailable(RoadmapRagError):
    """The index is missing, unreadable or built with another embedding model."""


class BackendUnavailable(RoadmapRagError):
    """A generation backend (Ollama, llama.cpp) cannot be used right now."""


class QuestionError(RoadmapRagError):
    """The question itself is unusable (empty, too long)."""


__all__ = [
    "BackendUnavailable",
    "ConfigError",
    "IndexUnavailable",
    "InputFileError",
    "QuestionError",
    "RoadmapRagError",
]
