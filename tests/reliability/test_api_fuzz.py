"""Hostile clients of the HTTP API and the MCP server: every field of every route and tool with unicode edge
cases (lone surrogates, U+2028, NUL, RTL marks, very long strings) and odd JSON types; schemathesis driving
the app's own OpenAPI schema; malformed bodies and headers; slow connections (slowloris) against a real
uvicorn on 127.0.0.1. Nothing answers 5xx (a 503 only where it says which limit or backend to wait for), and
every 4xx carries a message a person can read. Bounded: a fixed matrix, a fixed number of examples per
route, a few dozen connections, timeouts of a second."""

from __future__ import annotations

import copy
import json
import os
import re
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from mcp import Client
from mcp.types import CallToolResult, TextContent

from roadmap_rag import Assistant
from roadmap_rag.serve.http_api import create_app
from roadmap_rag.serve.mcp import build_server
from tests.serve.test_http_api import configured, running

# Strings a client should never be able to crash a server with.
TEXTS = [
    "\ud800",
    "What is \udfff LoRA?",
    "\u2028",
    "What is LoRA?\u2029\u0085",
    "\x00",
    "What is\x00 LoRA?",
    "\u200f\u202eAROL si tahW",
    "\ufeffWhat is LoRA?",
    "\u200b\u200c\u200d",
    "e\u0301\u0301\u0301\u0301",
    "👉🏽" * 50,
    "LoRA " * 2_000,  # over max_question_chars
    "x" * 60_000,  # near the body limit
    "",
    " \t\n\r",
    "<script>alert(1)</script>",
    "'; DROP TABLE chunks; --",
    "%s%n{0}{{7*7}}",
    "\\u0000\\ud800",
    "\x1b[31mWhat is LoRA?\x07",
    "../../../etc/passwd",
]
# JSON values of every other type.
ODD = [None, True, 0, -1, 2**63, 10**400, 1.5, [], {}, [[]], [None], {"question": "x"}, ["x"] * 60]
VALUES = TEXTS + ODD
# Bodies that are not the JSON the routes ask for.
RAW = [
    b"",
    b"{",
    b"null",
    b"[]",
    b'"What is LoRA?"',
    b'{"question": NaN}',
    b'{"question": "LoRA", "k": Infinity}',
    b'{"question": "a", "question": "What is LoRA?"}',
    b"\xef\xbb\xbf" + b'{"question": "What is LoRA?"}',
    b'{"question": "\xff\xfe LoRA"}',  # not UTF-8
    b'{"question": "\\ud800"}',
    b"[" * 5_000 + b"]" * 5_000,
    b'{"question": "LoRA", "history": [' + b"[" * 3_000 + b"]" * 3_000 + b"]}",
    b"question=What+is+LoRA%3F",
]
HEADERS = {
    "Host": ["", "evil.example", "127.0.0.1:99999", "[::1", "a" * 5_000, "l\xf6calhost"],
    "Origin": ["", "null", "http://", "evil.example", "http://127.0.0.1:8000/" + "a" * 3_000, "http://l\xf6calhost"],
    "Authorization": ["", "Bearer", "Bearer ", "Basic czNjcmV0", "Bearer s\xe9cret", "Bearer " + "x" * 6_000],
    "Accept": ["", "text/event-stream;q=\xff", "*/*" * 1_000],
    "Content-Type": ["", "text/plain", "application/json; charset=latin-1", "multipart/form-data; boundary=x"],
    "Content-Length": ["-1", "abc", "99999999999999999999"],
}
# Each route's fields: a path into a valid body (an int is a list index).
BASE = {
    "/retrieve": {
        "question": "What is LoRA?",
        "k": 3,
        "doc_ids": ["comprehensive-llm-curriculum"],
        "kinds": ["roadmap"],
    },
    "/ask": {
        "question": "What is LoRA?",
        "k": 3,
        "doc_ids": ["comprehensive-llm-curriculum"],
        "kinds": ["roadmap"],
        "history": [{"question": "What is LoRA?", "answer": "LoRA adapts a model with low-rank updates."}],
        "llm": "extractive",
        "stream": False,
    },
}
# Each MCP tool's arguments, valid.
TOOL_ARGS = {
    "ask": {"question": "What is LoRA?", "k": 3, "doc_ids": ["comprehensive-llm-curriculum"], "kinds": ["roadmap"]},
    "retrieve": {"question": "attention", "k": 3, "kinds": ["roadmap"]},
    "outline": {"roadmap": "the curriculum"},
    "path": {"topic": "LoRA"},
    "quiz": {"topic": "fine-tuning", "n": 2},
}
SURROGATE = re.compile("[\ud800-\udfff]")


def fields(body: dict[str, Any], prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path into ``body``: each key, each first list item, and their own fields."""
    for key, value in body.items():
        yield (*prefix, key)
        if isinstance(value, list) and value:
            yield (*prefix, key, 0)
            if isinstance(value[0], dict):
                yield from fields(value[0], (*prefix, key, 0))


def replaced(body: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    out = copy.deepcopy(body)
    target: Any = out
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return out


def readable(response: httpx.Response, route: str, whole: bool = True) -> str:
    """The response's outcome, after checking it: no 5xx but a 503 that names what to wait for, valid UTF-8
    JSON (or server-sent events), and a 4xx's message a person can read. ``whole``: the body was read to its end."""
    status = response.status_code
    text = response.content.decode("utf-8", "strict" if whole else "ignore")  # an unencodable echo fails here
    assert status < 500 or status == 503, f"{route}: {status} {text[:300]}"
    if response.headers.get("content-type", "").startswith("text/event-stream"):
        assert status == 200, f"{route}: {text[-300:]}"
        if whole:  # it ends with the answer, or (a backend failing once the stream began) an error with its message
            name, _, data = text.rstrip("\n").rsplit("\n\n", 1)[-1].partition("\ndata: ")
            assert name == "event: answer" or (name == "event: error" and json.loads(data)["detail"].strip()), text
        return "200 stream"
    body = json.loads(text)
    if status >= 400:
        detail = body["detail"]
        if isinstance(detail, str):
            assert detail.strip() and len(detail) < 2_000, f"{route}: {status} {detail[:300]}"
        else:  # a validation error: each names the field and what is wrong
            assert detail and all(e["loc"] and isinstance(e["msg"], str) and e["msg"] for e in detail), detail
        if status == 503:
            assert body.get("error") == "BackendUnavailable" or "in progress" in detail, f"{route}: {text[:300]}"
    elif "question" in body:
        assert not SURROGATE.search(body["question"])
    return str(status)


@pytest.fixture(scope="module")
def fuzzed(fake_assistant: Assistant) -> Assistant:
    """The fake index, as a server run by its defaults would answer; Ollama nowhere (a fast refusal)."""
    return configured(fake_assistant, ollama_host="http://127.0.0.1:9", ollama_probe_timeout=0.2)


@pytest.fixture(scope="module")
def api(fuzzed: Assistant) -> Iterator[TestClient]:
    with TestClient(create_app(fuzzed), base_url="http://127.0.0.1:8000") as client:
        yield client


@pytest.mark.fast
def test_every_http_field_with_unicode_edge_cases_and_odd_types(api: TestClient, ledger) -> None:
    outcomes: Counter[str] = Counter()
    for route, base in BASE.items():
        for path in fields(base):
            for value in VALUES:
                body = replaced(base, path, value)
                response = api.post(route, content=json.dumps(body), headers={"Content-Type": "application/json"})
                outcomes[readable(response, f"{route} {path}={value!r:.60}")] += 1
        for value in TEXTS:  # the question through the event stream too
            body = base | {"question": value, "stream": True}
            response = api.post(route, content=json.dumps(body), headers={"Content-Type": "application/json"})
            outcomes[readable(response, f"{route} stream question={value!r:.60}")] += 1
    for route in BASE:
        for raw in RAW:
            response = api.post(route, content=raw, headers={"Content-Type": "application/json"})
            outcomes[readable(response, f"{route} body={raw[:60]!r}")] += 1
    total = sum(outcomes.values())
    assert outcomes["200"] > 50 and outcomes["422"] > 200  # both the answers and the refusals were exercised
    ledger.add(
        "hostile input",
        f"HTTP API: {total} requests, every field of /ask and /retrieve with {len(TEXTS)} unicode edge cases "
        f"(lone surrogates, U+2028, NUL, RTL, 60 kB) and {len(ODD)} odd JSON types, {len(RAW)} malformed bodies",
        f"0 server errors; {', '.join(f'{n} x {k}' for k, n in sorted(outcomes.items()))}, each 4xx with a message",
    )


@pytest.mark.fast
def test_every_header_with_hostile_values(fuzzed: Assistant, ledger) -> None:
    tried = 0
    with TestClient(create_app(configured(fuzzed, api_token="s3cret")), base_url="http://127.0.0.1:8000") as api:
        good = {"Authorization": "Bearer s3cret", "Content-Type": "application/json"}
        for name, values in HEADERS.items():
            for value in values:
                headers = {k: v.encode("latin-1") for k, v in (good | {name: value}).items()}
                for method, route in [("POST", "/ask"), ("POST", "/retrieve"), ("GET", "/status")]:
                    body = json.dumps({"question": "What is LoRA?"}).encode()
                    response = api.request(method, route, content=body, headers=headers)
                    readable(response, f"{route} {name}: {value[:60]!r}")
                    tried += 1
    ledger.add(
        "hostile input",
        f"HTTP API: {tried} requests with hostile Host, Origin, Authorization, Accept, Content-Type and "
        "Content-Length headers (non-ASCII, 6 kB, malformed), a token configured",
        "0 server errors; refusals 401/403/421/422 with a message",
    )


try:
    import schemathesis
except ImportError:  # the dev extra brings it; the rest of this file runs without it
    schemathesis = None
needs_schemathesis = pytest.mark.skipif(schemathesis is None, reason="schemathesis is not installed (the dev extra)")
OPERATIONS = [("POST", "/ask"), ("POST", "/retrieve"), ("GET", "/status"), ("GET", "/healthz")]
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "100"))  # per operation and mode: ~25 s in all on 2 cores


@pytest.fixture(scope="module")
def openapi(fuzzed: Assistant) -> Any:
    # schemathesis calls the app in process, as http://testserver
    app = create_app(configured(fuzzed, api_allowed_hosts=["127.0.0.1", "testserver"]))
    return schemathesis.openapi.from_asgi("/openapi.json", app)


@needs_schemathesis
def test_the_openapi_schema_lists_the_fuzzed_operations(openapi: Any) -> None:
    listed = {(op.ok().method.upper(), op.ok().path) for op in openapi.get_all_operations()}
    assert listed == set(OPERATIONS)  # a new route is fuzzed too: add it above


@needs_schemathesis
@pytest.mark.parametrize("mode", ["positive", "negative"])
@pytest.mark.parametrize(("method", "route"), OPERATIONS)
def test_schemathesis_finds_no_server_error(openapi: Any, method: str, route: str, mode: str, ledger) -> None:
    operation = openapi[route][method]
    if mode == "negative" and not (operation.body or operation.query or operation.headers):
        pytest.skip(f"{method} {route} takes nothing that could be invalid")
    outcomes: Counter[int] = Counter()

    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(schemathesis.GenerationMode(mode)))
    def check(case: Any) -> None:
        response = case.call()
        outcomes[response.status_code] += 1
        headers = [(k, v) for k, values in response.headers.items() for v in values]
        whole = not response.stream_cut_short and len(response.content) == response.content_size
        readable(httpx.Response(response.status_code, headers=headers, content=response.content), route, whole)

    check()
    ledger.add(
        "hostile input",
        f"schemathesis, {mode} cases from the OpenAPI schema: {method} {route}",
        f"{sum(outcomes.values())} requests, 0 server errors; "
        + ", ".join(f"{n} x {code}" for code, n in sorted(outcomes.items())),
    )


def _tool_outcome(result: CallToolResult, where: str) -> str:
    """A tool call's outcome, after checking it: a result that encodes as JSON, or a tool error that is one of
    ours (its remedy in the message) or names the argument that is wrong; never an unexpected exception."""
    text = "".join(c.text for c in result.content if isinstance(c, TextContent))
    if not result.is_error:
        assert isinstance(result.structured_content, dict), where
        json.dumps(result.structured_content, ensure_ascii=False).encode("utf-8")  # strict: it must encode
        return "result"
    ours = r"(?:QuestionError|UnknownDocument|IndexUnavailable|BackendUnavailable|ConfigError): \S"
    assert re.match(rf"Error executing tool \w+: (?:{ours}|\d+ validation errors? for \w+\n\S)", text), (where, text)
    return "tool error"


@pytest.mark.fast
def test_every_mcp_argument_with_unicode_edge_cases_and_odd_types(fuzzed: Assistant, ledger) -> None:
    outcomes: Counter[str] = Counter()

    async def session(client: Client) -> None:
        for tool, base in TOOL_ARGS.items():
            for path in fields(base):
                for value in VALUES:
                    result = await client.call_tool(tool, replaced(base, path, value))
                    outcomes[_tool_outcome(result, f"{tool} {path}={value!r:.60}")] += 1

    async def main() -> None:
        with anyio.fail_after(240):
            async with Client(build_server(fuzzed)) as client:
                await session(client)

    anyio.run(main)
    assert outcomes["result"] > 20 and outcomes["tool error"] > 100
    ledger.add(
        "hostile input",
        f"MCP: {sum(outcomes.values())} tool calls, every argument of the 5 tools with the same edge cases and types",
        f"{outcomes['result']} results that encode, {outcomes['tool error']} tool errors naming the argument "
        "or the remedy; 0 unexpected errors",
    )


def _drained(sock: socket.socket) -> bytes:
    """What the server sends until it closes the connection (a socket timeout if it never does)."""
    received = b""
    try:
        while chunk := sock.recv(4096):
            received += chunk
    except ConnectionResetError:
        pass
    return received


def test_slow_clients_are_cut_off_and_others_still_served(fuzzed: Assistant, ledger) -> None:
    """Slowloris: connections that never finish their headers, or trickle their body, are closed once the
    configured timeouts pass; meanwhile, and after, a normal request is answered at once."""
    timeout = 1.5
    assistant = configured(fuzzed, api_header_timeout=timeout, api_body_timeout=timeout)
    per_kind = 20
    with running(create_app(assistant), assistant.settings) as server:
        port = server.config.port

        def opened(first: bytes) -> socket.socket:
            sock = socket.create_connection(("127.0.0.1", port), timeout=10)
            if first:
                sock.sendall(first)
            return sock

        idle = [opened(b"") for _ in range(per_kind)]
        heads = [opened(b"POST /ask HTTP/1.1\r\nHost: 127.0.0.1\r\n") for _ in range(per_kind)]
        body_head = (
            b"POST /ask HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"
        )
        bodies = [opened(body_head) for _ in range(per_kind)]
        huge = [opened(b"GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: " + b"a" * 33_000) for _ in range(3)]
        started = time.monotonic()
        stop = threading.Event()

        def trickle() -> None:  # a byte every 0.1 s on each, as long as it is sure to be read (no reset races)
            while not stop.wait(0.1) and time.monotonic() - started < 0.7 * timeout:
                for sock in heads + bodies:
                    sock.sendall(b"X-a: b\r\n" if sock in heads else b" ")

        trickler = threading.Thread(target=trickle, daemon=True)
        trickler.start()
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
                during = time.monotonic()
                assert client.post("/retrieve", json={"question": "What is LoRA?"}).status_code == 200
                served_in = time.monotonic() - during
                replies: dict[str, list[bytes]] = {}
                for kind, socks in [("idle", idle), ("headers", heads), ("body", bodies), ("huge", huge)]:
                    replies[kind] = [_drained(sock) for sock in socks]
                closed_in = time.monotonic() - started
                assert client.post("/retrieve", json={"question": "What is LoRA?"}).status_code == 200
        finally:
            stop.set()
            trickler.join(timeout=5)
            for sock in idle + heads + bodies + huge:
                sock.close()
        assert served_in < timeout, "a normal request waited behind the slow ones"
        assert closed_in < timeout + 3, f"slow connections open {closed_in:.1f} s after a {timeout:g} s timeout"
        assert all(r == b"" for r in replies["idle"])  # a connection never used is just closed
        assert all(r.startswith(b"HTTP/1.1 408") for r in replies["headers"] + replies["body"]), replies
        assert b"ROADMAP_RAG_API_BODY_TIMEOUT" in replies["body"][0]
        assert all(r.startswith(b"HTTP/1.1 431") for r in replies["huge"]), replies["huge"]  # httptools takes any size
        deadline = time.monotonic() + 5
        while server.server_state.connections and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not server.server_state.connections  # none left open on the server's side either
    ledger.add(
        "hostile input",
        f"slowloris on a real uvicorn: {3 * per_kind} connections (idle, and headers or bodies trickled every "
        f"0.1 s), {timeout:g} s header and body timeouts; 3 more sending 33 kB of headers",
        f"all closed within {closed_in:.1f} s (408 where a request had begun, 431 for the headers over 32 KiB); "
        "a normal request served in "
        f"{served_in * 1000:.0f} ms meanwhile and after",
    )
