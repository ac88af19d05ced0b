"""roadmap-rag: cited answers from LLM learning roadmaps, local-first.

from roadmap_rag import Assistant
answer = Assistant().ask("What is LoRA?")
"""

from roadmap_rag.api import Assistant
from roadmap_rag.errors import (
    BackendUnavailable,
    ConfigError,
    IndexUnavailable,
    InputFileError,
    QuestionError,
    RoadmapRagError,
)
from roadmap_rag.index_state import IndexStatus, index_status
from roadmap_rag.ingest import IngestReport, ingest
from roadmap_rag.settings import Settings
from roadmap_rag.types import Answer, Citation, Source, Turn

__all__ = [
    "Answer",
    "Assistant",
    "BackendUnavailable",
    "Citation",
    "ConfigError",
    "IndexStatus",
    "IndexUnavailable",
    "IngestReport",
    "InputFileError",
    "QuestionError",
    "RoadmapRagError",
    "Settings",
    "Source",
    "Turn",
    "index_status",
    "ingest",
]
