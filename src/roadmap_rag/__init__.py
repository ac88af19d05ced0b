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
from roadmap_rag.index.ingest import IngestReport, ingest
from roadmap_rag.index.state import IndexStatus, index_status
from roadmap_rag.learn.curriculum import Lane, Mention, TopicPath
from roadmap_rag.learn.quiz import Grade, QuizItem
from roadmap_rag.settings import Settings
from roadmap_rag.types import Answer, AnswerStream, Citation, Place, Removed, Source, Timings, Turn

__all__ = [
    "Answer",
    "AnswerStream",
    "Assistant",
    "BackendUnavailable",
    "Citation",
    "ConfigError",
    "Grade",
    "IndexStatus",
    "IndexUnavailable",
    "IngestReport",
    "InputFileError",
    "Lane",
    "Mention",
    "Place",
    "QuestionError",
    "QuizItem",
    "Removed",
    "RoadmapRagError",
    "Settings",
    "Source",
    "Timings",
    "TopicPath",
    "Turn",
    "index_status",
    "ingest",
]
