"""An Ollama-protocol stand-in served on 127.0.0.1 (the real server cannot be installed here): the tests'
model, and the replay eval's (recorded answers to recorded prompts, `roadmap-rag eval --replay`).

It speaks the two endpoints the client uses - GET /api/tags and POST /api/chat, streamed as NDJSON
or not (a structured-output request with a "format" schema gets ``json_reply``) - and can
misbehave on demand: a missing model, a dropped connection mid-stream,
a stall, or a malformed line.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MODEL = "llama3.2:3b"


class StandIn:
    def __init__(self, models: tuple[str, ...] = (MODEL,)) -> None:
        self.models = models
        self.mode = "ok"  # ok | drop | stall | malformed
        self.stall_seconds = 5.0
        self.pace = 0.0  # seconds between streamed words: a model's speed (the bench sets a measured one)
        self.requests: list[dict[str, Any]] = []
        self.json_reply = "{}"  # what a non-streamed request with a "format" schema gets back
        # A fixed model text, or one made from the request's messages, instead of source 1's first sentence.
        self.reply: str | Callable[[list[dict[str, str]]], str] | None = None
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # keep test output clean
                pass

            def _json(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                if self.path == "/api/tags":
                    models = [{"name": m, "model": m, "size": 1, "digest": "0" * 12} for m in standin.models]
                    self._json(200, {"models": models})
                else:
                    self._json(404, {"error": "not found"})

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                standin.requests.append(body)
                if self.path != "/api/chat":
                    self._json(404, {"error": "not found"})
                    return
                if body["model"] not in standin.models:
                    self._json(404, {"error": f"model '{body['model']}' not found"})
                    return
                if body.get("stream") is False:
                    content = standin.json_reply if body.get("format") else standin.answer(body["messages"])
                    message = {"role": "assistant", "content": content}
                    self._json(200, {"model": body["model"], "message": message, "done": True, "done_reason": "stop"})
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/x-ndjson")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                words = standin.answer(body["messages"]).split(" ")
                # A word stands for a token: past the request's num_predict the answer stops, as a model's does.
                limit = (body.get("options") or {}).get("num_predict") or len(words)
                reason = "length" if len(words) > limit else "stop"
                for i, word in enumerate(words[:limit]):
                    if standin.mode == "drop" and i == 3:
                        self.wfile.flush()
                        self.connection.shutdown(2)  # the server goes away mid-answer
                        return
                    if standin.mode == "stall" and i == 3:
                        time.sleep(standin.stall_seconds)
                    if standin.pace:
                        time.sleep(standin.pace)
                    line = {
                        "model": body["model"],
                        "message": {"role": "assistant", "content": word + " "},
                        "done": False,
                    }
                    raw = json.dumps(line)
                    if standin.mode == "malformed" and i == 2:
                        raw = raw[:-5]
                    self._chunk(raw + "\n")
                self._chunk(
                    json.dumps(
                        {
                            "model": body["model"],
                            "message": {"role": "assistant", "content": ""},
                            "done": True,
                            "done_reason": reason,
                        }
                    )
                    + "\n"
                )
                self._chunk("")

            def _chunk(self, text: str) -> None:
                data = text.encode()
                self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                self.wfile.flush()

        class Server(ThreadingHTTPServer):
            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a client that hung up on a stalled or dropped stream is what these tests provoke

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.host = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def answer(self, messages: list[dict[str, str]]) -> str:
        """``reply`` if set; else like a well-behaved model: the first sentence of source 1, cited."""
        if callable(self.reply):
            return self.reply(messages)
        if self.reply is not None:
            return self.reply
        prompt = messages[-1]["content"]
        match = re.search(r'<source id="1"[^\n]*>\n(.+?)\n</source>', prompt, re.DOTALL)
        text = match.group(1) if match else "no sources were given"
        first = re.split(r"(?<=[.!?])\s|\n", text.strip())[0].strip().rstrip(".")
        return f"{first} [1]."

    def __enter__(self) -> StandIn:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
