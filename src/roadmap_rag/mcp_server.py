"""`roadmap-rag mcp`: the Assistant as a Model Context Protocol server, so an IDE or a chat assistant can
search and cite the corpus. Thin: each tool calls one Assistant method and returns schemas' JSON.

Errors a caller can act on (an empty question, an unknown roadmap, a missing index) come back as tool
errors (``isError``) carrying the remedy, as the protocol asks of tool failures.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Annotated, Literal, TypeVar

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from roadmap_rag.api import Assistant
from roadmap_rag.errors import RoadmapRagError
from roadmap_rag.schemas import AnswerOut, OutlineOut, PathOut, QuizItemOut, QuizOut, RetrieveOut

INSTRUCTIONS = (
    "Answers questions about learning large language models from a corpus of LLM learning roadmaps and the "
    "papers they link, citing each claim as [n] with its source. Use `ask` for an answer a learner can read, "
    "`retrieve` for the passages alone, `outline` for a roadmap's structure, `path` for where the roadmaps "
    "place a topic, and `quiz` for self-check questions. An answer with grounded=false is a refusal: the "
    "corpus does not cover the question."
)

Question = Annotated[str, Field(description="A question about LLMs or the roadmaps, in plain words.")]
K = Annotated[int | None, Field(ge=1, le=50, description="How many sources (default: the server's top_k).")]
Kinds = Annotated[
    list[Literal["roadmap", "paper", "paper-card"]], Field(description="Only these kinds of document (default: all).")
]
T = TypeVar("T")


def _call(work: Callable[[], T]) -> T:
    """The Assistant's own errors as tool errors, their remedy in the message."""
    try:
        return work()
    except RoadmapRagError as exc:
        raise ToolError(f"{type(exc).__name__}: {exc}") from exc


def build_server(assistant: Assistant) -> MCPServer:
    server: MCPServer = MCPServer("roadmap-rag", instructions=INSTRUCTIONS, log_level="WARNING")

    @server.tool()
    def ask(question: Question, k: K = None, doc_ids: list[str] | None = None, kinds: Kinds | None = None) -> AnswerOut:
        """Answer a question from the roadmaps and papers, every claim cited [n] with its source's label; a
        question the corpus does not cover is refused (grounded=false) rather than guessed."""
        answer = _call(lambda: assistant.ask(question, k=k, doc_ids=doc_ids or (), kinds=kinds or ()))
        return AnswerOut.of(question, answer)

    @server.tool()
    def retrieve(question: Question, k: K = None, kinds: Kinds | None = None) -> RetrieveOut:
        """The passages that best match a question, best first, each with its section path, page and URL."""
        return RetrieveOut.of(question, _call(lambda: assistant.retrieve(question, k=k, kinds=kinds or ())))

    @server.tool()
    def outline(
        roadmap: Annotated[str, Field(description="A roadmap's id or title, or 'the curriculum', 'core roadmap'.")],
    ) -> OutlineOut:
        """A roadmap's heading tree, in reading order. An unknown name lists the indexed roadmaps."""
        return OutlineOut.of(_call(lambda: assistant.outline(roadmap)))

    @server.tool()
    def path(topic: Annotated[str, Field(description="A topic, e.g. 'LoRA' or 'attention'.")]) -> PathOut:
        """Where each roadmap places a topic: section, order, level, what comes before and after, the
        resources and papers it recommends there, and where the roadmaps disagree."""
        return PathOut.of(_call(lambda: assistant.path(topic)))

    @server.tool()
    def quiz(
        topic: Annotated[str, Field(description="A topic or section, e.g. 'fine-tuning'.")],
        n: Annotated[int, Field(ge=1, le=20, description="How many questions.")] = 5,
    ) -> QuizOut:
        """Self-check questions on a topic, each with its expected answer and the passage it comes from."""
        items = _call(lambda: assistant.quiz(topic, n))
        return QuizOut(topic=topic, items=[QuizItemOut.of(item) for item in items])

    return server


def run(assistant: Assistant, transport: Literal["stdio", "http"], host: str, port: int) -> None:
    server = build_server(assistant)
    logging.getLogger("bm25s").setLevel(logging.WARNING)  # its index-building chatter, in the client's log
    if transport == "stdio":
        server.run("stdio")
    else:
        server.run("streamable-http", host=host, port=port)
