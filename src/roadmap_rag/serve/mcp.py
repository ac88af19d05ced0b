"""`roadmap-rag mcp`: the Assistant as a Model Context Protocol server, so an IDE or a chat assistant can
search and cite the corpus. Thin: each tool calls one Assistant method and returns schemas' JSON.

Errors a caller can act on (an empty question, an unknown roadmap or document id, a missing index, too many
calls at once) come back as tool errors (``isError``) carrying the remedy, as the protocol asks of tool failures.

Over HTTP it is served like `roadmap-rag serve` (http_api.py): the same Host and Origin allow-lists, body limit,
and header and body read timeouts, from the same settings; at most ``api_max_concurrent`` tool calls at once.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable
from typing import Annotated, Literal, TypeVar

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.transport_security import TransportSecuritySettings
from pydantic import Field
from starlette.types import ASGIApp

from roadmap_rag.api import Assistant
from roadmap_rag.errors import RoadmapRagError
from roadmap_rag.retrieve.questions import encodable
from roadmap_rag.serve.deadlines import server_config
from roadmap_rag.serve.guards import guard, reach_warning
from roadmap_rag.serve.schemas import AnswerOut, OutlineOut, PathOut, PlanOut, QuizItemOut, QuizOut, RetrieveOut

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
DocIds = Annotated[
    list[str],
    Field(max_length=50, description="Only these documents, by id: any source's doc_id (default: all)."),
]
T = TypeVar("T")


def build_server(assistant: Assistant) -> MCPServer:
    server: MCPServer = MCPServer("roadmap-rag", instructions=INSTRUCTIONS, log_level="WARNING")
    limit = assistant.settings.api_max_concurrent
    free = threading.BoundedSemaphore(limit)

    def _call(work: Callable[[], T]) -> T:
        """The Assistant's own errors as tool errors, their remedy in the message; at most ``limit`` at once."""
        if not free.acquire(blocking=False):
            raise ToolError(
                f"{limit} tool calls are in progress; retry shortly (or raise ROADMAP_RAG_API_MAX_CONCURRENT)"
            )
        try:
            return work()
        except RoadmapRagError as exc:
            raise ToolError(f"{type(exc).__name__}: {exc}") from exc
        finally:
            free.release()

    @server.tool()
    def ask(question: Question, k: K = None, doc_ids: DocIds | None = None, kinds: Kinds | None = None) -> AnswerOut:
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
        return QuizOut(topic=encodable(topic), items=[QuizItemOut.of(item) for item in items])

    @server.tool()
    def plan(
        goal: Annotated[str, Field(description="Where the learner wants to get, e.g. 'LoRA'.")],
        hours_per_week: Annotated[float, Field(gt=0, le=80, description="Hours a week the learner can study.")] = 6,
        known: Annotated[
            list[str] | None, Field(description="What the learner already knows, e.g. ['Python'].")
        ] = None,
    ) -> PlanOut:
        """A week-by-week study plan toward a goal: the roadmap sections that lead there, in order, each with its
        hours (and their basis) and why it follows the last, citing the roadmap."""
        made = _call(lambda: assistant.plan(goal, hours_per_week, known=known or ()))
        return PlanOut.of(made)

    return server


def http_app(assistant: Assistant, host: str = "127.0.0.1") -> ASGIApp:
    """The server over streamable HTTP at /mcp, behind guards.guard: the API's Host and Origin allow-lists
    and body limit and timeout, from the same settings (serve it with deadlines.server_config's read timeouts)."""
    settings = assistant.settings
    app = build_server(assistant).streamable_http_app(
        max_request_body_size=settings.api_max_body_bytes,
        # The SDK's Host check guards a loopback bind alone, with fixed lists: the guard does it, from settings.
        transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        host=host,
    )
    return guard(app, settings)


def run(assistant: Assistant, transport: Literal["stdio", "http"], host: str, port: int) -> None:
    logging.getLogger("bm25s").setLevel(logging.WARNING)  # its index-building chatter, in the client's log
    if transport == "stdio":
        build_server(assistant).run("stdio")
        return
    import uvicorn

    if warning := reach_warning(assistant.settings, host):
        print(f"note: {warning}", file=sys.stderr)
    uvicorn.Server(server_config(http_app(assistant, host), assistant.settings, host, port)).run()
