"""The read timeouts uvicorn lacks (slowloris): ReadDeadlines, and uvicorn's configuration that serves with them."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, ClassVar, cast

from starlette.types import ASGIApp

from roadmap_rag.serve.guards import error
from roadmap_rag.settings import Settings

if TYPE_CHECKING:
    import uvicorn

_MAX_HEAD_BYTES = 32 * 1024  # a request line and headers (h11's own limit is 16 KiB; httptools has none)


class ReadDeadlines(asyncio.Protocol):
    """uvicorn's HTTP protocol, with the read limits it lacks (slowloris): a connection that has not sent a
    request's headers ``header_timeout`` seconds after it opened (or after its first bytes following a response)
    gets a 408 and is closed, as is one whose body is still arriving ``body_timeout`` seconds (and a grace
    second) after its headers: guards.Body answers a body the app reads with 408 by then; this closes one it never
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
        start, body = error(status, detail)
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
