"""roadmap-rag: cited answers from LLM learning roadmaps, local-first."""

from roadmap_rag.errors import (
    BackendUnavailable,
    ConfigError,
    IndexUnavailable,
    InputFileError,
    QuestionError,
    RoadmapRagError,
)
from roadmap_rag.ingest import IndexStatus, IngestReport, index_status, ingest
from roadmap_rag.settings import Settings

__all__ = [
    "BackendUnavailable",
    "ConfigError",
    "IndexStatus",
    "IndexUnavailable",
    "IngestReport",
    "InputFileError",
    "QuestionError",
    "RoadmapRagError",
    "Settings",
    "index_status",
    "ingest",
]
