"""`roadmap-rag mcp` as an MCP client meets it: the SDK's own client, over stdio and streamable HTTP."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from mcp import Client, StdioServerParameters
from mcp.types import CallToolResult, TextContent

from roadmap_rag import Assistant
from roadmap_rag.index.chroma_server import free_port
from roadmap_rag.observe.querylog import LOG_NAME
from tests.conftest import CORPUS, REPO
from tests.serve.test_http_api import configured, running

TOOLS = {"ask", "retrieve", "outline", "path", "quiz", "plan"}


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROADMAP_RAG_")}
    return env | {
        "ROADMAP_RAG_DATA_DIR": str(data_dir),
        "ROADMAP_RAG_CORPUS_DIR": str(CORPUS),
        "ROADMAP_RAG_LLM": "extractive",
        "ROADMAP_RAG_MODEL_CACHE": os.environ["ROADMAP_RAG_MODEL_CACHE"],
        "HF_HUB_OFFLINE": "1",
    }


def _run(client: Client, session: Callable[[Client], Awaitable[None]]) -> None:
    async def main() -> None:
        with anyio.fail_after(120):  # bounded: the server's start and every call
            async with client:
                await session(client)

    anyio.run(main)


def _json(result: CallToolResult) -> dict[str, Any]:
    """The structured result, which must agree with the JSON text content older clients read."""
    assert not result.is_error, result.content
    assert isinstance(result.structured_content, dict)
    text = [c.text for c in result.content if isinstance(c, TextContent)]
    assert text and json.loads(text[0]) == result.structured_content
    return result.structured_content


def test_an_mcp_client_lists_and_calls_every_tool_over_stdio(assistant: Assistant) -> None:
    data_dir = assistant.settings.data_dir
    logged = len((data_dir / LOG_NAME).read_text().splitlines()) if (data_dir / LOG_NAME).exists() else 0
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "roadmap_rag", "mcp"], env=_env(data_dir), cwd=str(REPO)
    )
    seen: dict[str, Any] = {}

    async def session(client: Client) -> None:
        tools = (await client.list_tools()).tools
        seen["tools"] = {t.name: t for t in tools}
        seen["ask"] = _json(await client.call_tool("ask", {"question": "What does the roadmap say about LoRA?"}))
        seen["refused"] = _json(await client.call_tool("ask", {"question": "How do I bake sourdough bread?"}))
        seen["retrieve"] = _json(await client.call_tool("retrieve", {"question": "attention", "k": 3}))
        seen["outline"] = _json(await client.call_tool("outline", {"roadmap": "the curriculum"}))
        seen["path"] = _json(await client.call_tool("path", {"topic": "LoRA"}))
        seen["quiz"] = _json(await client.call_tool("quiz", {"topic": "fine-tuning", "n": 2}))
        seen["empty"] = await client.call_tool("ask", {"question": "   "})
        seen["unknown"] = await client.call_tool("outline", {"roadmap": "the cookbook"})

    _run(Client(params), session)

    tools = seen["tools"]
    assert set(tools) == TOOLS
    assert all(t.description and t.output_schema for t in tools.values())  # structured results, described
    assert tools["ask"].input_schema["required"] == ["question"]

    ask = seen["ask"]
    assert ask["grounded"] and ask["citations"] and ask["backend"] == "extractive"
    assert "LoRA" in ask["answer"] and "[1]" in ask["answer"]
    for citation in ask["citations"]:  # every [n] names its source, and the quote is in that source's text
        source = ask["sources"][citation["number"] - 1]
        assert source["cited"] and citation["label"] == source["label"] and citation["quote"] in source["text"]

    refused = seen["refused"]
    assert not refused["grounded"] and not refused["citations"] and "does not cover" in refused["answer"]

    sources = seen["retrieve"]["sources"]
    assert len([s for s in sources if s["kind"] != "paper-card"]) == 3
    assert all(s["label"] and {"section", "page", "url"} <= set(s) for s in sources)

    outline = seen["outline"]
    assert outline["doc_id"] == "comprehensive-llm-curriculum"
    assert any(h["title"].startswith("6. Fine-Tuning") for h in outline["headings"])

    assert seen["path"]["covered"] and any(lane["mentions"] for lane in seen["path"]["roadmaps"])
    quiz = seen["quiz"]["items"]
    assert 1 <= len(quiz) <= 2 and all(item["answer"] and item["source"]["label"] for item in quiz)

    # Errors come back as tool errors whose text says what to do.
    empty, unknown = seen["empty"], seen["unknown"]
    assert empty.is_error and "type a question" in empty.content[0].text
    assert unknown.is_error and "comprehensive-llm-curriculum" in unknown.content[0].text  # the roadmaps listed

    # The server's asks are in the query log like any other.
    records = (data_dir / LOG_NAME).read_text().splitlines()[logged:]
    assert [json.loads(r)["id"] for r in records] == [ask["id"], refused["id"]]


def test_an_mcp_client_calls_the_streamable_http_server_on_loopback(assistant: Assistant, tmp_path: Path) -> None:
    port = free_port()
    cmd = [sys.executable, "-m", "roadmap_rag", "mcp", "--http", "--port", str(port)]
    log = tmp_path / "mcp.log"
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, env=_env(assistant.settings.data_dir), cwd=REPO, stdout=out, stderr=out)
    try:
        deadline = time.monotonic() + 60
        while True:  # bounded: 60 s for the server to listen
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, f"no MCP server on port {port} within 60 s:\n{log.read_text()}"
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/mcp", timeout=2)
            except urllib.error.HTTPError:
                break  # it answers (a plain GET is not an MCP request)
            except OSError:
                time.sleep(0.5)
        seen: dict[str, Any] = {}

        async def session(client: Client) -> None:
            seen["tools"] = {t.name for t in (await client.list_tools()).tools}
            seen["ask"] = _json(await client.call_tool("ask", {"question": "What is RLHF?", "kinds": ["roadmap"]}))

        _run(Client(f"http://127.0.0.1:{port}/mcp"), session)
        assert seen["tools"] == TOOLS
        assert seen["ask"]["grounded"] and all(s["kind"] == "roadmap" for s in seen["ask"]["sources"])
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.mark.fast
def test_fast_tool_errors_carry_the_remedy(fake_assistant: Assistant) -> None:
    from roadmap_rag.serve.mcp import build_server

    seen: dict[str, CallToolResult] = {}

    async def session(client: Client) -> None:
        seen["long"] = await client.call_tool("retrieve", {"question": "x" * 5_000})
        seen["k"] = await client.call_tool("retrieve", {"question": "LoRA", "k": 500})

    _run(Client(build_server(fake_assistant)), session)
    assert seen["long"].is_error and "ROADMAP_RAG_MAX_QUESTION_CHARS" in seen["long"].content[0].text
    assert seen["k"].is_error and "k" in seen["k"].content[0].text  # out of range: the argument is named


@pytest.mark.fast
def test_fast_unknown_documents_and_unencodable_text(fake_assistant: Assistant) -> None:
    from roadmap_rag.serve.mcp import build_server

    seen: dict[str, CallToolResult] = {}

    async def session(client: Client) -> None:
        seen["unknown"] = await client.call_tool("ask", {"question": "What is LoRA?", "doc_ids": ["no-such-roadmap"]})
        seen["many"] = await client.call_tool("ask", {"question": "What is LoRA?", "doc_ids": ["x"] * 51})
        seen["surrogate"] = await client.call_tool("ask", {"question": "What is \ud800LoRA?\u2028\x00"})
        seen["topic"] = await client.call_tool("quiz", {"topic": "fine-tuning\udfff", "n": 1})

    _run(Client(build_server(fake_assistant)), session)
    unknown = seen["unknown"]
    assert unknown.is_error and "UnknownDocument" in unknown.content[0].text
    assert "'no-such-roadmap'" in unknown.content[0].text and "roadmap-rag status" in unknown.content[0].text
    assert seen["many"].is_error and "doc_ids" in seen["many"].content[0].text
    # Dropped as the Python API drops them: the same answer, and a reply that encodes.
    answer = _json(seen["surrogate"])
    assert answer["answer"] == fake_assistant.ask("What is LoRA?").text
    assert "\ud800" not in answer["question"] and "\udfff" not in _json(seen["topic"])["topic"]


@pytest.mark.fast
def test_fast_tool_calls_have_a_concurrency_limit(fake_assistant: Assistant) -> None:
    from roadmap_rag.serve.mcp import build_server

    gate, inside = threading.Event(), threading.Event()
    held = configured(fake_assistant, api_max_concurrent=1)
    retrieve = held.retrieve

    def slow(*args: Any, **kwargs: Any) -> Any:
        inside.set()
        assert gate.wait(timeout=30)
        return retrieve(*args, **kwargs)

    held.retrieve = slow  # type: ignore[method-assign]
    seen: dict[str, CallToolResult] = {}

    async def session(client: Client) -> None:
        async def first() -> None:
            seen["first"] = await client.call_tool("retrieve", {"question": "LoRA"})

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(first)
            await anyio.to_thread.run_sync(inside.wait, 10)
            seen["over"] = await client.call_tool("outline", {"roadmap": "the curriculum"})
            gate.set()
        seen["after"] = await client.call_tool("outline", {"roadmap": "the curriculum"})

    _run(Client(build_server(held)), session)
    assert seen["over"].is_error and "in progress" in seen["over"].content[0].text
    assert "ROADMAP_RAG_API_MAX_CONCURRENT" in seen["over"].content[0].text
    assert _json(seen["first"])["sources"] and _json(seen["after"])["headings"]


def test_the_http_server_is_guarded_like_the_api(fake_assistant: Assistant) -> None:
    """`mcp --http` as `roadmap-rag serve`: Host and Origin allow-lists, the body limit, the read timeouts."""
    from roadmap_rag.serve.mcp import http_app

    assistant = configured(fake_assistant, api_header_timeout=1.0, api_body_timeout=1.0)
    with running(http_app(assistant), assistant.settings) as server:
        port = server.config.port
        url = f"http://127.0.0.1:{port}/mcp"
        headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
        hello = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}}
        rebound = httpx.post(
            url, json=hello, headers=headers | {"Host": "evil.example", "Origin": "http://evil.example"}
        )
        assert rebound.status_code == 421 and "ROADMAP_RAG_API_ALLOWED_HOSTS" in rebound.json()["detail"]
        crossed = httpx.post(url, json=hello, headers=headers | {"Origin": "https://evil.example"})
        assert crossed.status_code == 403 and "ROADMAP_RAG_API_ALLOWED_ORIGINS" in crossed.json()["detail"]
        huge = httpx.post(url, content=b"x" * 100_000, headers=headers)
        assert huge.status_code == 413 and "ROADMAP_RAG_API_MAX_BODY_BYTES" in huge.json()["detail"]
        slow = socket.create_connection(("127.0.0.1", port), timeout=10)
        slow.sendall(b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # and nothing more
        started = time.monotonic()
        reply = b"".join(iter(lambda: slow.recv(4096), b""))  # until the server closes it
        assert reply.startswith(b"HTTP/1.1 408") and time.monotonic() - started < 5
        slow.close()
        seen: dict[str, Any] = {}

        async def session(client: Client) -> None:
            seen["tools"] = {t.name for t in (await client.list_tools()).tools}

        _run(Client(url), session)
        assert seen["tools"] == TOOLS


@pytest.mark.fast
def test_fast_a_client_gets_a_study_plan_with_its_reasons(fake_assistant: Assistant) -> None:
    from roadmap_rag.serve.mcp import build_server

    seen: dict[str, Any] = {}

    async def session(client: Client) -> None:
        seen["plan"] = _json(await client.call_tool("plan", {"goal": "LoRA", "hours_per_week": 5, "known": ["Python"]}))
        seen["none"] = await client.call_tool("plan", {"goal": "sourdough baking"})

    _run(Client(build_server(fake_assistant)), session)
    plan = seen["plan"]
    assert plan["topic"] == "LoRA" and plan["steps"] and plan["hours"] > 0
    assert all(step["why"]["text"] and step["basis"] for step in plan["steps"])
    assert sum(w["hours"] for w in plan["weeks"]) == pytest.approx(plan["hours"], abs=0.2)
    assert seen["none"].is_error and "no roadmap with sections covers" in seen["none"].content[0].text
