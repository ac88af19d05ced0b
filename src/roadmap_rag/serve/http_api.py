"""`roadmap-rag serve`: the Assistant over HTTP (FastAPI), for teams that call it from other languages.

Thin: each route calls one Assistant method and returns schemas' JSON. ``POST /ask`` streams server-sent
events when the body says ``"stream": true`` or the request accepts ``text/event-stream``: ``delta`` events
carry the text as it is written, then one ``answer`` event carries the checked answer (or ``error``).

Guarded for a server a browser can reach: the Host and Origin headers must be on the allow-lists (loopback by
default: a DNS-rebinding page or another site's form gets 421 or 403), a connection has ``api_header_timeout``
seconds to send its headers and ``api_body_timeout`` for its body (slowloris), bodies are capped, and each route
has ``api_max_concurrent`` requests in progress at most (503 beyond): guards.py and deadlines.py.
``roadmap-rag mcp --http`` is served through the same guards (mcp.py).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from importlib.metadata import version
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Header, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, BeforeValidator, Field
from starlette.types import Receive, Scope, Send

from roadmap_rag.api import Assistant
from roadmap_rag.errors import BackendUnavailable, IndexUnavailable, QuestionError, RoadmapRagError
from roadmap_rag.index.state import index_status
from roadmap_rag.redact import redact
from roadmap_rag.retrieve.questions import encodable
from roadmap_rag.serve.deadlines import server_config
from roadmap_rag.serve.guards import Body, HostGuard, Slot, Slots, Token
from roadmap_rag.serve.schemas import AnswerOut, RetrieveOut
from roadmap_rag.types import Turn

DocKind = Literal["roadmap", "paper", "paper-card"]


def _encodable(value: Any) -> Any:
    return encodable(value) if isinstance(value, str) else value


# Every string a request carries loses its lone surrogates ("\ud800" escapes) before it is checked: no JSON
# reply or log line could carry them, and the Assistant drops them too (questions.plain), so the Python API,
# HTTP and MCP answer the same text alike.
Text = Annotated[str, BeforeValidator(_encodable)]


class TurnIn(BaseModel):
    question: Text = Field(max_length=10_000)
    answer: Text = Field(max_length=20_000)


class RetrieveIn(BaseModel):
    question: Text = Field(description="A question about LLMs or the roadmaps.")
    k: int | None = Field(None, ge=1, le=50, description="How many sources (default: the server's top_k).")
    doc_ids: list[Text] = Field(
        [], max_length=50, description="Only these documents (their ids: GET /status, or any source's doc_id)."
    )
    kinds: list[DocKind] = Field([], description="Only these kinds of document.")


class AskIn(RetrieveIn):
    history: list[TurnIn] = Field([], max_length=20, description="Earlier turns, for a follow-up question.")
    llm: Text | None = Field(
        None, max_length=40, description="A backend: auto, ollama, llamacpp, extractive (default: setting)."
    )
    stream: bool = Field(False, description="Server-sent events: 'delta' text events, then 'answer'.")


class StatusOut(BaseModel):
    version: str
    chunks: int
    chunks_by_kind: dict[str, int]
    documents: int
    document_ids: list[str] = Field(description="The indexed documents' ids, for a request's doc_ids.")
    embedding_model: str
    store: str
    lexical: str
    llm: str
    last_ingest: dict[str, Any] | None


# Each of our errors as the status a client can act on; the message carries the remedy.
_STATUS = {QuestionError: 422, IndexUnavailable: 503, BackendUnavailable: 503}


def _status(exc: RoadmapRagError) -> int:
    return next((code for kind, code in _STATUS.items() if isinstance(exc, kind)), 400)


class _JSON(JSONResponse):
    """JSON that always encodes: a character no encoder takes (a lone surrogate) becomes '?'."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "replace")


def create_app(assistant: Assistant) -> FastAPI:
    settings = assistant.settings
    app = FastAPI(
        title="roadmap-rag",
        version=version("roadmap-rag"),
        description="Cited answers from LLM learning roadmaps and the papers they link.",
    )
    app.add_middleware(Body, limit=settings.api_max_body_bytes, timeout=settings.api_body_timeout)
    app.add_middleware(
        HostGuard, hosts=settings.api_allowed_hosts, origins=settings.api_allowed_origins, exempt=["/healthz"]
    )
    answering = Slots("answers", settings.api_max_concurrent)
    retrieving = Slots("retrievals", settings.api_max_concurrent)
    reporting = Slots("status reports", settings.api_max_concurrent)
    authorised = Token(settings.api_token)

    @app.exception_handler(RoadmapRagError)
    async def _our_error(request: Request, exc: RoadmapRagError) -> JSONResponse:
        return _JSON({"detail": str(exc), "error": type(exc).__name__}, status_code=_status(exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI's shape, less each error's "input": an echo of what was sent (it may not even encode).
        errors = [{k: v for k, v in e.items() if k != "input"} for e in exc.errors()]
        return _JSON({"detail": jsonable_encoder(errors)}, status_code=422)

    @app.get("/healthz")
    async def healthz() -> dict[str, bool]:
        """Whether the server is up (no token needed, any Host)."""
        return {"ok": True}

    busy: dict[int | str, dict[str, Any]] = {503: {"description": "Too many requests in progress at once."}}

    @app.get("/status", dependencies=[Depends(authorised)], responses=busy)
    def status() -> StatusOut:
        """What is indexed: chunks by kind, documents and their ids, embedding model, store, backend, last ingest."""
        with reporting.take():
            indexed = index_status(settings, assistant.store)
        return StatusOut(
            version=app.version,
            chunks=indexed.chunks,
            chunks_by_kind=indexed.chunks_by_kind,
            documents=len(indexed.documents),
            document_ids=sorted(indexed.documents),
            embedding_model=indexed.embedding_model,
            store=redact(indexed.store),
            lexical=indexed.lexical,
            llm=settings.llm,
            last_ingest=indexed.last_ingest,
        )

    @app.post("/retrieve", dependencies=[Depends(authorised)], responses=busy)
    def retrieve(body: RetrieveIn) -> RetrieveOut:
        """The passages that best match a question, best first, with section path, page and URL."""
        with retrieving.take():
            sources = assistant.retrieve(body.question, k=body.k, doc_ids=body.doc_ids, kinds=body.kinds)
        return RetrieveOut.of(body.question, sources)

    @app.post(
        "/ask",
        dependencies=[Depends(authorised)],
        response_model=AnswerOut,
        responses={200: {"content": {"text/event-stream": {}}}, 503: {"description": "Too many answers at once."}},
    )
    def ask(body: AskIn, accept: Annotated[str, Header()] = "") -> Any:
        """A cited answer: the whole answer as JSON, or server-sent events ('delta', then 'answer')."""
        streaming = body.stream or "text/event-stream" in accept
        slot = answering.take()
        try:
            history = [Turn(t.question, t.answer) for t in body.history]
            stream = assistant.stream(
                body.question, history, llm=body.llm, k=body.k, doc_ids=body.doc_ids, kinds=body.kinds
            )
            if not streaming:
                return AnswerOut.of(body.question, stream.answer)
            events = _events(body.question, stream, slot)
            first = next(events)  # retrieval's errors get their status here, not as an event
            return _EventStream(itertools.chain([first], events), slot)
        except BaseException:
            slot.release()
            raise
        finally:
            if not streaming:
                slot.release()

    return app


class _EventStream(StreamingResponse):
    """Server-sent events that give their slot back when the response ends, however it ends."""

    media_type = "text/event-stream"

    def __init__(self, events: Iterator[str], slot: Slot) -> None:
        super().__init__(events)
        self.slot = slot

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.slot.release()


def _events(question: str, stream: Any, slot: Slot) -> Iterator[str]:
    """The answer as server-sent events; the slot is given back when they end. One of our errors before the
    first event (retrieval's: a missing index) is raised, for the response's status; after it, an error event."""
    begun = False
    try:
        for delta in stream:
            begun = True
            yield _event("delta", {"text": delta})
        yield _event("answer", AnswerOut.of(question, stream.answer).model_dump(mode="json"))
    except RoadmapRagError as exc:
        if not begun:
            raise
        yield _event("error", {"detail": str(exc), "error": type(exc).__name__, "status": _status(exc)})
    finally:
        slot.release()


def _event(name: str, data: dict[str, Any]) -> str:
    # ASCII JSON: a U+2028 or U+0085 in the text would end the data line for a client that splits lines as
    # Python's str.splitlines does (httpx's iter_lines).
    return f"event: {name}\ndata: {json.dumps(data)}\n\n"


def serve(assistant: Assistant, host: str, port: int) -> None:
    import uvicorn

    uvicorn.Server(server_config(create_app(assistant), assistant.settings, host, port)).run()
