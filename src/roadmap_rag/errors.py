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


class NothingIndexed(IndexUnavailable):
    """The index holds nothing: no corpus has been ingested into it yet."""

    def __init__(self, where: str = "") -> None:
        at = f" (the index: {where})" if where else ""
        super().__init__(
            "nothing is indexed yet: run `roadmap-rag ingest` (or, in the app, switch on the sidebar's Developer view "
            f"and press Re-ingest the corpus) to index the roadmaps, then ask again{at}"
        )


class BackendUnavailable(RoadmapRagError):
    """A generation backend (Ollama, llama.cpp) cannot be used right now."""


class QuestionError(RoadmapRagError):
    """The question itself is unusable (empty, too long), or a filter that goes with it (an unknown kind)."""


class UnknownDocument(QuestionError):
    """A ``doc_ids`` filter names a document that is not indexed."""


__all__ = [
    "BackendUnavailable",
    "ConfigError",
    "IndexUnavailable",
    "InputFileError",
    "NothingIndexed",
    "QuestionError",
    "RoadmapRagError",
    "UnknownDocument",
]
