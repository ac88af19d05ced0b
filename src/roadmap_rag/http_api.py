"""`roadmap-rag serve`: the Assistant over HTTP (FastAPI), for teams that call it from other languages.

Thin: each route calls one Assistant method and returns schemas' JSON. ``POST /ask`` streams server-sent
events when the body says ``"stream": true`` or the request accepts ``text/event-stream``: ``delta`` events
carry the text as it is written, then one ``answer`` event carries the checked answer (or ``error``).
"""

from __future__ import annotations

import itertools
import json
import secrets
import threading
from collections.abc import Iterator
from importlib.metadata import version
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Header, HTTPException, Request
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from roadmap_rag.api import Assistant
from roadmap_rag.errors import BackendUnavailable, IndexUnavailable, QuestionError, RoadmapRagError
from roadmap_rag.index_state import index_status
from roadmap_rag.schemas import AnswerOut, RetrieveOut
from roadmap_rag.types import Turn

DocKind = Literal["roadmap", "paper", "paper-card"]


class TurnIn(BaseModel):
    question: str = Field(max_length=10_000)
    answer: str = Field(max_length=20_000)


class RetrieveIn(BaseModel):
    question: str = Field(description="A question about LLMs or the roadmaps.")
    k: int | None = Field(None, ge=1, le=50, description="How many sources (default: the server's top_k).")
    doc_ids: list[str] = Field([], max_length=50, description="Only these documents.")
    kinds: list[DocKind] = Field([], description="Only these kinds of document.")


class AskIn(RetrieveIn):
    history: list[TurnIn] = Field([], max_length=20, description="Earlier turns, for a follow-up question.")
    llm: str | None = Field(None, description="A backend: auto, ollama, llamacpp, extractive (default: setting).")
    stream: bool = Field(False, description="Server-sent events: 'delta' text events, then 'answer'.")


class StatusOut(BaseModel):
    version: str
    chunks: int
    chunks_by_kind: dict[str, int]
    documents: int
    embedding_model: str
    store: str
    lexical: str
    llm: str
    last_ingest: dict[str, Any] | None


# Each of our errors as the status a client can act on; the message carries the remedy.
_STATUS = {QuestionError: 422, IndexUnavailable: 503, BackendUnavailable: 503}


def _status(exc: RoadmapRagError) -> int:
    return next((code for kind, code in _STATUS.items() if isinstance(exc, kind)), 400)


_bearer = HTTPBearer(auto_error=False)


class _Token:
    """A dependency: 401 unless the request carries the configured bearer token (none configured: open)."""

    def __init__(self, token: str | None) -> None:
        self.token = token

    def __call__(self, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> None:
        if self.token and (credentials is None or not secrets.compare_digest(credentials.credentials, self.token)):
            raise HTTPException(
                401,
                "a bearer token is required: send 'Authorization: Bearer <ROADMAP_RAG_API_TOKEN>'",
                headers={"WWW-Authenticate": "Bearer"},
            )


class _BodyLimit:
    """413 for a request body over ``limit`` bytes, by its Content-Length or, when chunked, as it arrives."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.limit:
            await self._too_large(send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise HTTPException(413, self._message())
            return message

        await self.app(scope, limited, send)

    def _message(self) -> str:
        return f"the request body is over {self.limit:,} bytes; shorten it (or raise ROADMAP_RAG_API_MAX_BODY_BYTES)"

    async def _too_large(self, send: Send) -> None:
        body = json.dumps({"detail": self._message()}).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def create_app(assistant: Assistant) -> FastAPI:
    settings = assistant.settings
    app = FastAPI(
        title="roadmap-rag",
        version=version("roadmap-rag"),
        description="Cited answers from LLM learning roadmaps and the papers they link.",
    )
    app.add_middleware(_BodyLimit, limit=settings.api_max_body_bytes)
    slots = threading.BoundedSemaphore(settings.api_max_concurrent)
    authorised = _Token(settings.api_token)

    @app.exception_handler(RoadmapRagError)
    async def _our_error(request: Request, exc: RoadmapRagError) -> JSONResponse:
        return JSONResponse({"detail": str(exc), "error": type(exc).__name__}, status_code=_status(exc))

    @app.get("/healthz")
    def healthz() -> dict[str, bool]:
        """Whether the server is up (no token needed)."""
        return {"ok": True}

    @app.get("/status", dependencies=[Depends(authorised)])
    def status() -> StatusOut:
        """What is indexed: chunks by kind, documents, embedding model, store, backend, last ingest."""
        indexed = index_status(settings, assistant.store)
        return StatusOut(
            version=app.version,
            chunks=indexed.chunks,
            chunks_by_kind=indexed.chunks_by_kind,
            documents=len(indexed.documents),
            embedding_model=indexed.embedding_model,
            store=indexed.store,
            lexical=indexed.lexical,
            llm=settings.llm,
            last_ingest=indexed.last_ingest,
        )

    @app.post("/retrieve", dependencies=[Depends(authorised)])
    def retrieve(body: RetrieveIn) -> RetrieveOut:
        """The passages that best match a question, best first, with section path, page and URL."""
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
        slot = _Slot.take(slots)
        if slot is None:
            raise HTTPException(
                503,
                f"{settings.api_max_concurrent} answers are in progress; retry shortly "
                "(or raise ROADMAP_RAG_API_MAX_CONCURRENT)",
                headers={"Retry-After": "1"},
            )
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
        finally:
            if not streaming:
                slot.release()

    return app


class _Slot:
    """One of the answers in progress that ``api_max_concurrent`` allows; given back once, by whichever
    comes first: the answer's end, or the response's (a client that went away)."""

    def __init__(self, slots: threading.BoundedSemaphore) -> None:
        self._slots = slots
        self._held = True
        self._lock = threading.Lock()

    @classmethod
    def take(cls, slots: threading.BoundedSemaphore) -> _Slot | None:
        return cls(slots) if slots.acquire(blocking=False) else None

    def release(self) -> None:
        with self._lock:
            if self._held:
                self._held = False
                self._slots.release()


class _EventStream(StreamingResponse):
    """Server-sent events that give their slot back when the response ends, however it ends."""

    media_type = "text/event-stream"

    def __init__(self, events: Iterator[str], slot: _Slot) -> None:
        super().__init__(events)
        self.slot = slot

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.slot.release()


def _events(question: str, stream: Any, slot: _Slot) -> Iterator[str]:
    """The answer as server-sent events; the slot is given back when they end."""
    try:
        for delta in stream:
            yield _event("delta", {"text": delta})
        yield _event("answer", AnswerOut.of(question, stream.answer).model_dump(mode="json"))
    except RoadmapRagError as exc:
        yield _event("error", {"detail": str(exc), "error": type(exc).__name__, "status": _status(exc)})
    finally:
        slot.release()


def _event(name: str, data: dict[str, Any]) -> str:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def serve(assistant: Assistant, host: str, port: int) -> None:
    import uvicorn

    uvicorn.run(create_app(assistant), host=host, port=port, log_level="warning")
