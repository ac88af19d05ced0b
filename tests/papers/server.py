"""A loopback HTTP server that serves PDFs the way arXiv would, plus the ways it can fail."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    """What the server does for one arXiv id."""

    body: bytes = b""
    status: int = 200
    stall_s: float = 0.0  # wait before answering (a timeout)
    cut_after: int | None = None  # first full request: send this many bytes, then drop the connection
    claim_length: int | None = None  # Content-Length to announce instead of the real one (oversize)


@dataclass
class PaperServer:
    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[tuple[str, str | None]] = field(default_factory=list)  # (arXiv id, Range header)
    port: int = 0

    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/pdf/{{arxiv}}"

    def hits(self, arxiv: str) -> list[str | None]:
        return [rng for aid, rng in self.requests if aid == arxiv]


def _handler(server: PaperServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # keep pytest output clean
            pass

        def do_GET(self) -> None:
            arxiv = self.path.rsplit("/", 1)[-1]
            rng = self.headers.get("Range")
            server.requests.append((arxiv, rng))
            route = server.routes.get(arxiv)
            if route is None or route.status == 404:
                self.send_error(404, "Not Found")
                return
            if route.stall_s:
                time.sleep(route.stall_s)
            body, status, start = route.body, route.status, 0
            if rng and status == 200:
                start = int(rng.removeprefix("bytes=").split("-")[0])
                status = 206
            self.send_response(status)
            self.send_header("Content-Type", "application/pdf")
            self.send_header("Content-Length", str(route.claim_length or len(body) - start))
            if status == 206:
                self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
            self.end_headers()
            if route.cut_after is not None and not rng:
                self.wfile.write(body[: route.cut_after])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(body[start:])

    return Handler


@contextmanager
def serving(routes: dict[str, Route]) -> Iterator[PaperServer]:
    """Serve ``routes`` on 127.0.0.1 on a free port for the duration of the block."""
    state = PaperServer(routes=routes)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    httpd.daemon_threads = True
    state.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
