"""`roadmap-rag serve`: the Assistant over HTTP (FastAPI), for teams that call it from other languages.

Thin: each route calls one Assistant method and returns schemas' JSON. ``POST /ask`` streams server-sent
events when the body says ``"stream": true`` or the request accepts ``text/event-stream``: ``delta`` events
carry the text as it is written, then one ``answer`` event carries the checked answer (or ``error``).

Guarded for a server a browser can reach: the Host and Origin headers must be on the allow-lists (loopback by
default: a DNS-rebinding page or another site's form gets 421 or 403), a connection has ``api_header_timeout``
seconds to send its headers and ``api_body_timeout`` for its body (slowloris), bodies are capped, and each route
has ``api_max_concurrent`` requests in progress at most (503 beyond). ``roadmap-rag mcp --http`` is served
through the same guards (mcp_server.py).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import secrets
import threading
from collections.abc import Iterator, Sequence
from importlib.metadata import version
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, cast

import anyio
from fastapi import Depends, FastAPI, Header, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, BeforeValidator, Field
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from roadmap_rag.api import Assistant
from roadmap_rag.errors import BackendUnavailable, IndexUnavailable, QuestionError, RoadmapRagError
from roadmap_rag.index.state import index_status
from roadmap_rag.redact import redact
from roadmap_rag.retrieve.questions import encodable
from roadmap_rag.serve.schemas import AnswerOut, RetrieveOut
from roadmap_rag.settings import Settings
from roadmap_rag.types import Turn

if TYPE_CHECKING:
    import uvicorn

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


def _error(status: int, detail: str) -> list[Message]:
    """A JSON error response as its two ASGI messages; the connection closes after it."""
    body = json.dumps({"detail": detail}).encode()
    length = str(len(body)).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", length), (b"connection", b"close")]
    return [
        {"type": "http.response.start", "status": status, "headers": headers},
        {"type": "http.response.body", "body": body},
    ]


def _shown(value: str) -> str:
    """A header's value as a message quotes it: escaped, cut to 100 characters."""
    return repr(value[:100] + ("..." if len(value) > 100 else ""))


_bearer = HTTPBearer(auto_error=False)


def _octets(value: str) -> bytes:
    """A header's value as the bytes the client sent (Starlette decodes headers as Latin-1)."""
    return value.encode("latin-1", "replace")


class _Token:
    """A dependency: 401 unless the request carries the configured bearer token (none configured: open)."""

    def __init__(self, token: str | None) -> None:
        self.token = token.encode() if token else None

    def __call__(self, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> None:
        # Compared as bytes: a token with non-ASCII characters is a wrong token (401), not a crash.
        if self.token and (
            credentials is None or not secrets.compare_digest(_octets(credentials.credentials), self.token)
        ):
            raise HTTPException(
                401,
                "a bearer token is required: send 'Authorization: Bearer <ROADMAP_RAG_API_TOKEN>'",
                headers={"WWW-Authenticate": "Bearer"},
            )


class _Slots:
    """The requests one route may have in progress at once (setting api_max_concurrent): a request over the
    limit gets 503 with Retry-After rather than a queue."""

    def __init__(self, what: str, size: int) -> None:
        self.what, self.size = what, size
        self._free = threading.BoundedSemaphore(size)

    def take(self) -> _Slot:
        if not self._free.acquire(blocking=False):
            raise HTTPException(
                503,
                f"{self.size} {self.what} are in progress; retry shortly (or raise ROADMAP_RAG_API_MAX_CONCURRENT)",
                headers={"Retry-After": "1"},
            )
        return _Slot(self._free)


class _Slot:
    """One of the requests in progress that a route's _Slots allow; given back once, by whichever comes first:
    the work's end, or the response's (a client that went away)."""

    def __init__(self, free: threading.BoundedSemaphore) -> None:
        self._free = free
        self._held = True
        self._lock = threading.Lock()

    def release(self) -> None:
        with self._lock:
            if self._held:
                self._held = False
                self._free.release()

    def __enter__(self) -> _Slot:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


class _Body:
    """413 for a request body over ``limit`` bytes (by its Content-Length or, when chunked, as it arrives),
    and 408 for one still arriving ``timeout`` seconds after its headers. Either answer closes the connection;
    the app then reads a disconnect, and whatever it answers goes nowhere."""

    def __init__(self, app: ASGIApp, limit: int, timeout: float) -> None:
        self.app, self.limit, self.timeout = app, limit, timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = Headers(scope=scope).get("content-length", "")
        if length.isdigit() and int(length) > self.limit:
            for message in _error(413, self._too_large()):
                await send(message)
            return
        deadline = anyio.current_time() + self.timeout
        seen, complete, replied, started = 0, False, False, False

        async def reply(status: int, detail: str) -> Message:
            nonlocal replied
            if not started:
                for message in _error(status, detail):
                    await send(message)
            replied = True
            return {"type": "http.disconnect"}

        async def limited() -> Message:
            nonlocal seen, complete
            if replied:
                return {"type": "http.disconnect"}
            if complete:
                return await receive()
            with anyio.move_on_after(max(deadline - anyio.current_time(), 0)) as waited:
                message = await receive()
            if waited.cancelled_caught:
                return await reply(408, self._too_slow())
            seen += len(message.get("body", b""))
            if seen > self.limit:
                return await reply(413, self._too_large())
            complete = message["type"] != "http.request" or not message.get("more_body", False)
            return message

        async def sending(message: Message) -> None:
            nonlocal started
            if replied:
                return  # we answered already (408, 413)
            started = started or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, limited, sending)

    def _too_large(self) -> str:
        return f"the request body is over {self.limit:,} bytes; shorten it (or raise ROADMAP_RAG_API_MAX_BODY_BYTES)"

    def _too_slow(self) -> str:
        return (
            f"the request body did not arrive within {self.timeout:g} s; send it at once "
            "(or raise ROADMAP_RAG_API_BODY_TIMEOUT)"
        )


def _authority(value: str) -> tuple[str, str]:
    """A Host header or an allow-list entry as (name, port): '[::1]:8000' -> ('[::1]', '8000'), 'LocalHost'
    -> ('localhost', '')."""
    value = value.strip().lower()
    if value.startswith("["):
        name, _, rest = value.partition("]")
        return name + "]", rest[1:] if rest.startswith(":") else ""
    name, _, port = value.partition(":")
    return name, port


def _listed(authority: str, allowed: Sequence[str]) -> bool:
    """``authority`` (host[:port]) is allowed: an entry names its host on any port, or host:port exactly."""
    name, port = _authority(authority)
    return bool(name) and any(
        (entry := _authority(e))[0] == name and entry[1] in ("", port) for e in allowed if "://" not in e
    )


def host_allowed(host: str, allowed: Sequence[str]) -> bool:
    """Whether a request's Host header is on the allow-list (setting api_allowed_hosts; '*' allows any)."""
    return "*" in allowed or _listed(host, allowed)


def origin_allowed(origin: str, host: str, allowed: Sequence[str], own: bool = True) -> bool:
    """Whether a request's Origin is on the allow-list (setting api_allowed_origins; '*' allows any), or, with
    ``own``, is the server's own (its /docs page calls it): only when the Host was checked against names, since
    a rebinding page's Origin is its own Host."""
    if "*" in allowed:
        return True
    scheme, sep, authority = origin.strip().lower().partition("://")
    if not sep:
        return origin.strip().lower() in (e.lower() for e in allowed)  # 'null', from a sandbox or a file
    if own and authority == host.strip().lower() and scheme in ("http", "https"):
        return True
    return any(
        e_scheme == scheme and _listed(authority, [e_authority])
        for e_scheme, e_sep, e_authority in (e.strip().lower().partition("://") for e in allowed)
        if e_sep
    )


class HostGuard:
    """421 for a request whose Host is not on the allow-list (a DNS-rebinding page reaches a loopback server
    under its own name), 403 for a browser's request from an Origin not on it (another site's form or script).
    Requests without an Origin (curl, SDKs) pass on their Host alone. ``exempt``: paths served to any Host."""

    def __init__(self, app: ASGIApp, hosts: Sequence[str], origins: Sequence[str], exempt: Sequence[str] = ()) -> None:
        self.app, self.hosts, self.origins, self.exempt = app, list(hosts), list(origins), set(exempt)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or scope.get("path") in self.exempt:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        host, origin = headers.get("host", ""), headers.get("origin")
        if not host_allowed(host, self.hosts):
            detail = (
                f"this server does not answer to the host {_shown(host)}; it answers to {', '.join(self.hosts)} "
                "(a guard against DNS rebinding: set ROADMAP_RAG_API_ALLOWED_HOSTS to the names clients use)"
            )
            await self._refuse(scope, receive, send, 421, detail)
        elif origin is not None and not origin_allowed(origin, host, self.origins, own="*" not in self.hosts):
            detail = (
                f"requests from the origin {_shown(origin)} are not allowed; allowed: {', '.join(self.origins)} "
                "and this server's own (set ROADMAP_RAG_API_ALLOWED_ORIGINS to add a web app's origin)"
            )
            await self._refuse(scope, receive, send, 403, detail)
        else:
            await self.app(scope, receive, send)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, status: int, detail: str) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008, "reason": detail[:120]})
            return
        for message in _error(status, detail):
            await send(message)


_LOOPBACK = ("127.0.0.1", "localhost", "[::1]")


def reach_warning(settings: Settings, host: str) -> str | None:
    """A line for a server listening beyond loopback whose Host allow-list names loopback alone: other
    machines' requests would all get 421."""
    if host in (*_LOOPBACK, "::1") or "*" in settings.api_allowed_hosts:
        return None
    if all(_authority(h)[0] in _LOOPBACK for h in settings.api_allowed_hosts):
        return (
            f"listening on {host}, but only requests addressed to {', '.join(settings.api_allowed_hosts)} are "
            "served (others get 421): set ROADMAP_RAG_API_ALLOWED_HOSTS to the names clients use"
        )
    return None


def guard(app: ASGIApp, settings: Settings, exempt: Sequence[str] = ()) -> ASGIApp:
    """``app`` behind the allow-lists, the body limit and the body timeout of ``settings`` (for the MCP server;
    create_app adds the same middleware to the API)."""
    bounded = _Body(app, settings.api_max_body_bytes, settings.api_body_timeout)
    return HostGuard(bounded, settings.api_allowed_hosts, settings.api_allowed_origins, exempt)


def create_app(assistant: Assistant) -> FastAPI:
    settings = assistant.settings
    app = FastAPI(
        title="roadmap-rag",
        version=version("roadmap-rag"),
        description="Cited answers from LLM learning roadmaps and the papers they link.",
    )
    app.add_middleware(_Body, limit=settings.api_max_body_bytes, timeout=settings.api_body_timeout)
    app.add_middleware(
        HostGuard, hosts=settings.api_allowed_hosts, origins=settings.api_allowed_origins, exempt=["/healthz"]
    )
    answering = _Slots("answers", settings.api_max_concurrent)
    retrieving = _Slots("retrievals", settings.api_max_concurrent)
    reporting = _Slots("status reports", settings.api_max_concurrent)
    authorised = _Token(settings.api_token)

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

    def __init__(self, events: Iterator[str], slot: _Slot) -> None:
        super().__init__(events)
        self.slot = slot

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.slot.release()


def _events(question: str, stream: Any, slot: _Slot) -> Iterator[str]:
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


# -- the read timeouts uvicorn lacks ------------------------------------------------------------------
_MAX_HEAD_BYTES = 32 * 1024  # a request line and headers (h11's own limit is 16 KiB; httptools has none)


class ReadDeadlines(asyncio.Protocol):
    """uvicorn's HTTP protocol, with the read limits it lacks (slowloris): a connection that has not sent a
    request's headers ``header_timeout`` seconds after it opened (or after its first bytes following a response)
    gets a 408 and is closed, as is one whose body is still arriving ``body_timeout`` seconds (and a grace
    second) after its headers: _Body answers a body the app reads with 408 by then; this closes one it never
    reads. Headers over 32 KiB get a 431 (httptools would take any amount). Idle keep-alive connections are
    uvicorn's (timeout_keep_alive). Made by read_deadlines()."""

    header_timeout: ClassVar[float] = 10.0
    body_timeout: ClassVar[float] = 20.0

    def __init__(self, **kwargs: Any) -> None:
        from uvicorn.protocols.http.auto import AutoHTTPProtocol

        self.inner: Any = AutoHTTPProtocol(**kwargs)
        self.transport: asyncio.Transport | None = None
        self._seen: Any = None  # the request cycle last seen (uvicorn makes one once a request's headers are in)
        self._timer: asyncio.TimerHandle | None = None
        self._waiting = False  # for a request's headers
        self._head = 0  # bytes of them come so far

    # asyncio.Protocol: forwarded to uvicorn's protocol, watching its request cycle.
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is one in all but name
        self.inner.connection_made(transport)
        self._await_headers()

    def data_received(self, data: bytes) -> None:
        self.inner.data_received(data)
        self._watch()
        if self._waiting:  # the headers are not all in yet
            self._head += len(data)
            if self._head > _MAX_HEAD_BYTES and not self._closing():
                self._refuse(431, "Request Header Fields Too Large", "the request's headers are over 32 KiB")

    def eof_received(self) -> bool | None:
        result: bool | None = self.inner.eof_received()
        return result

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel()
        self.inner.connection_lost(exc)

    def pause_writing(self) -> None:
        self.inner.pause_writing()

    def resume_writing(self) -> None:
        self.inner.resume_writing()

    # the deadlines
    def _watch(self) -> None:
        cycle: Any = self.inner.cycle
        if cycle is not None and cycle is not self._seen:  # a request's headers are in: its body's turn
            self._seen, self._waiting = cycle, False
            self._arm(self.body_timeout + 1.0, self._body_late, cycle)
        elif not self._waiting and (cycle is None or cycle.response_complete):  # bytes of the next request
            self._await_headers()

    def _await_headers(self) -> None:
        self._waiting, self._head = True, 0
        self._arm(self.header_timeout, self._headers_late, self.inner.cycle)

    def _arm(self, delay: float, then: Any, cycle: object) -> None:
        self._cancel()
        self._timer = asyncio.get_running_loop().call_later(delay, then, cycle)

    def _cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _closing(self) -> bool:
        return self.transport is None or self.transport.is_closing() or self.transport.get_protocol() is not self

    def _refuse(self, status: int, reason: str, detail: str) -> None:
        """An error response written straight to the connection (no request has reached the app), then closed."""
        assert self.transport is not None
        start, body = _error(status, detail)
        head = b"".join(k + b": " + v + b"\r\n" for k, v in start["headers"])
        self.transport.write(f"HTTP/1.1 {status} {reason}\r\n".encode() + head + b"\r\n" + body["body"])
        self.transport.close()

    def _headers_late(self, cycle: object) -> None:
        if self._closing() or self.inner.cycle is not cycle:
            return
        if not self._head:  # a connection opened and never used (a browser's preconnect): just closed
            assert self.transport is not None
            self.transport.close()
            return
        detail = f"the request's headers did not arrive within {self.header_timeout:g} s"
        self._refuse(408, "Request Timeout", f"{detail} (ROADMAP_RAG_API_HEADER_TIMEOUT)")

    def _body_late(self, cycle: Any) -> None:
        if not self._closing() and self.inner.cycle is cycle and cycle.more_body:
            assert self.transport is not None
            self.transport.close()


def read_deadlines(settings: Settings) -> type[ReadDeadlines]:
    """uvicorn's HTTP protocol with the read timeouts of ``settings`` (for uvicorn.Config's ``http``)."""

    class Configured(ReadDeadlines):
        header_timeout = settings.api_header_timeout
        body_timeout = settings.api_body_timeout

    return Configured


def server_config(app: ASGIApp, settings: Settings, host: str, port: int, **options: Any) -> uvicorn.Config:
    """uvicorn's configuration for ``app`` with the read timeouts of ``settings`` (the API's and the MCP server's)."""
    import uvicorn

    options.setdefault("log_level", "warning")
    return uvicorn.Config(app, host=host, port=port, http=read_deadlines(settings), **options)


def serve(assistant: Assistant, host: str, port: int) -> None:
    import uvicorn

    uvicorn.Server(server_config(create_app(assistant), assistant.settings, host, port)).run()
