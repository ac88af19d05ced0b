"""The HTTP servers' guards: the bearer token, each route's concurrency slots, the body limit and timeout, and
the Host and Origin allow-lists (the API's and the MCP server's)."""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Sequence
from typing import Annotated

import anyio
from fastapi import Depends, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from roadmap_rag.settings import Settings


def error(status: int, detail: str) -> list[Message]:
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


class Token:
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


class Slots:
    """The requests one route may have in progress at once (setting api_max_concurrent): a request over the
    limit gets 503 with Retry-After rather than a queue."""

    def __init__(self, what: str, size: int) -> None:
        self.what, self.size = what, size
        self._free = threading.BoundedSemaphore(size)

    def take(self) -> Slot:
        if not self._free.acquire(blocking=False):
            raise HTTPException(
                503,
                f"{self.size} {self.what} are in progress; retry shortly (or raise ROADMAP_RAG_API_MAX_CONCURRENT)",
                headers={"Retry-After": "1"},
            )
        return Slot(self._free)


class Slot:
    """One of the requests in progress that a route's Slots allow; given back once, by whichever comes first:
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

    def __enter__(self) -> Slot:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


class Body:
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
            for message in error(413, self._too_large()):
                await send(message)
            return
        deadline = anyio.current_time() + self.timeout
        seen, complete, replied, started = 0, False, False, False

        async def reply(status: int, detail: str) -> Message:
            nonlocal replied
            if not started:
                for message in error(status, detail):
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
        for message in error(status, detail):
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
    bounded = Body(app, settings.api_max_body_bytes, settings.api_body_timeout)
    return HostGuard(bounded, settings.api_allowed_hosts, settings.api_allowed_origins, exempt)
