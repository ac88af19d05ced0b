"""`roadmap-rag serve` as a team's client meets it: httpx against a real uvicorn on 127.0.0.1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
import uvicorn

from roadmap_rag import Assistant
from roadmap_rag.chroma_server import free_port
from roadmap_rag.http_api import create_app

from .conftest import CORPUS, REPO


@contextmanager
def serving(assistant: Assistant, **settings: object) -> Iterator[httpx.Client]:
    """The API on a free loopback port, in a thread; a client for it."""
    if settings:
        changed = assistant.settings.model_copy(update=settings)
        assistant = Assistant(changed, embedder=assistant.embedder, store=assistant.store)
    server = uvicorn.Server(
        uvicorn.Config(create_app(assistant), host="127.0.0.1", port=free_port(), log_level="error")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:  # bounded: 30 s to listen
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start within 30 s"
        time.sleep(0.05)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{server.config.port}", timeout=60) as client:
            yield client
    finally:
        server.should_exit = True
        thread.join(timeout=15)


@pytest.fixture(scope="module")
def api(assistant: Assistant) -> Iterator[httpx.Client]:
    with serving(assistant) as client:
        yield client


def events(response: httpx.Response) -> list[tuple[str, dict[str, Any]]]:
    """The server-sent events of a streamed response, as (event, data)."""
    out, name = [], ""
    for line in response.iter_lines():
        if line.startswith("event: "):
            name = line[len("event: ") :]
        elif line.startswith("data: "):
            out.append((name, json.loads(line[len("data: ") :])))
    return out


def test_health_status_and_openapi(api: httpx.Client, assistant: Assistant) -> None:
    assert api.get("/healthz").json() == {"ok": True}
    status = api.get("/status").json()
    assert status["chunks"] == assistant.store.count() and status["chunks_by_kind"]["roadmap"] > 0
    assert status["embedding_model"] and status["documents"] >= 5
    schema = api.get("/openapi.json").json()
    assert {"/ask", "/retrieve", "/status", "/healthz"} <= set(schema["paths"])
    assert "text/event-stream" in schema["paths"]["/ask"]["post"]["responses"]["200"]["content"]
    assert schema["components"]["schemas"]["AskIn"]["required"] == ["question"]


def test_ask_returns_the_whole_cited_answer(api: httpx.Client, assistant: Assistant) -> None:
    response = api.post("/ask", json={"question": "What does the roadmap say about LoRA?"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["grounded"] and body["citations"] and body["answer"] == assistant.ask(body["question"]).text
    for citation in body["citations"]:
        source = body["sources"][citation["number"] - 1]
        assert source["cited"] and citation["quote"] in source["text"]
    refused = api.post("/ask", json={"question": "How do I bake sourdough bread?"}).json()
    assert not refused["grounded"] and "does not cover" in refused["answer"]


def test_ask_streams_deltas_then_the_answer(api: httpx.Client) -> None:
    with api.stream("POST", "/ask", json={"question": "What is RLHF?", "stream": True}) as response:
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
        received = events(response)
    names = [name for name, _ in received]
    assert names[-1] == "answer" and set(names[:-1]) == {"delta"}
    answer = received[-1][1]
    assert "".join(data["text"] for _, data in received[:-1]) == answer["answer"] and answer["citations"]
    # Accept: text/event-stream asks for the same
    with api.stream("POST", "/ask", json={"question": "What is RLHF?"}, headers={"Accept": "text/event-stream"}) as r:
        assert events(r)[-1][1]["answer"] == answer["answer"]


def test_retrieve_and_follow_up_history(api: httpx.Client) -> None:
    sources = api.post("/retrieve", json={"question": "attention", "k": 3, "kinds": ["roadmap"]}).json()["sources"]
    assert len(sources) == 3 and all(s["kind"] == "roadmap" and s["label"] for s in sources)
    first = api.post("/ask", json={"question": "What is LoRA?"}).json()
    history = [{"question": first["question"], "answer": first["answer"]}]
    question = "and how does it compare with full fine-tuning?"
    follow = api.post("/ask", json={"question": question, "history": history}).json()
    alone = api.post("/ask", json={"question": question}).json()
    assert follow["grounded"] and "fine-tuning" in follow["answer"].lower()
    assert follow["answer"] != alone["answer"]  # the history changed what was retrieved


def test_bad_requests_get_a_status_and_a_remedy(api: httpx.Client) -> None:
    long = api.post("/ask", json={"question": "x" * 3_000})
    assert long.status_code == 422 and "ROADMAP_RAG_MAX_QUESTION_CHARS" in long.json()["detail"]
    empty = api.post("/ask", json={"question": "  "})
    assert empty.status_code == 422 and "type a question" in empty.json()["detail"]
    huge = api.post("/ask", json={"question": "What is LoRA?", "pad": "x" * 100_000})
    assert huge.status_code == 413 and "ROADMAP_RAG_API_MAX_BODY_BYTES" in huge.json()["detail"]
    chunked = api.post("/ask", content=iter([b'{"question": "', b"x" * 100_000, b'"}']))  # no Content-Length
    assert chunked.status_code == 413
    wrong = api.post("/retrieve", json={"question": "LoRA", "k": 500})
    assert wrong.status_code == 422 and wrong.json()["detail"][0]["loc"] == ["body", "k"]


def test_a_token_is_required_when_configured(assistant: Assistant) -> None:
    with serving(assistant, api_token="s3cret") as api:
        missing = api.post("/ask", json={"question": "What is LoRA?"})
        assert missing.status_code == 401 and "Authorization: Bearer" in missing.json()["detail"]
        assert missing.headers["www-authenticate"] == "Bearer"
        wrong = api.post("/retrieve", json={"question": "LoRA"}, headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        assert api.get("/status").status_code == 401
        right = api.post("/retrieve", json={"question": "LoRA"}, headers={"Authorization": "Bearer s3cret"})
        assert right.status_code == 200 and right.json()["sources"]
        assert api.get("/healthz").status_code == 200  # health needs no token


QUESTIONS = [
    "What is LoRA?",
    "What is RLHF?",
    "What is the attention mechanism?",
    "Which resources does the roadmap give for Mixture of Experts?",
    "What does the curriculum say about quantization?",
    "What is retrieval-augmented generation?",
    "What should I study before transformers?",
    "How do I bake sourdough bread?",
]


def test_eight_concurrent_streams_do_not_cross_talk(assistant: Assistant) -> None:
    expected = {q: assistant.ask(q).text for q in QUESTIONS}
    assert len(set(expected.values())) == len(QUESTIONS)  # distinct answers, so a mix-up would show
    with serving(assistant, api_max_concurrent=8) as api:

        def stream(question: str) -> tuple[str, str, str]:
            with api.stream("POST", "/ask", json={"question": question, "stream": True}) as response:
                assert response.status_code == 200, response.read()
                received = events(response)
            text = "".join(data["text"] for name, data in received if name == "delta")
            answer = received[-1][1]
            return answer["question"], text, answer["answer"]

        barrier = threading.Barrier(len(QUESTIONS), timeout=30)

        def together(question: str) -> tuple[str, str, str]:
            barrier.wait()  # all eight requests in flight at once
            return stream(question)

        with ThreadPoolExecutor(len(QUESTIONS)) as pool:
            results = list(pool.map(together, QUESTIONS))
        for question, (echoed, text, answer) in zip(QUESTIONS, results, strict=True):
            assert echoed == question and text == answer == expected[question]
        # Streams dropped halfway give their slot back: with 2 slots, 6 abandoned streams leave room.
    with serving(assistant, api_max_concurrent=2) as api:
        for _ in range(6):
            with api.stream("POST", "/ask", json={"question": "What is LoRA?", "stream": True}) as response:
                next(response.iter_lines())
        assert api.post("/ask", json={"question": "What is LoRA?"}).status_code == 200


def test_roadmap_rag_serve_starts_on_loopback(assistant: Assistant) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROADMAP_RAG_")}
    env |= {
        "ROADMAP_RAG_DATA_DIR": str(assistant.settings.data_dir),
        "ROADMAP_RAG_CORPUS_DIR": str(CORPUS),
        "ROADMAP_RAG_LLM": "extractive",
        "ROADMAP_RAG_MODEL_CACHE": os.environ["ROADMAP_RAG_MODEL_CACHE"],
    }
    cmd = [sys.executable, "-m", "roadmap_rag", "serve", "--port", str(port)]
    proc = subprocess.Popen(cmd, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:  # bounded: 60 s to listen
            assert proc.poll() is None and time.monotonic() < deadline, "`roadmap-rag serve` did not start"
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.3)
        body = httpx.post(f"http://127.0.0.1:{port}/ask", json={"question": "What is LoRA?"}, timeout=60).json()
        assert body["grounded"] and body["citations"]
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=15)
    assert f"roadmap-rag API: http://127.0.0.1:{port}" in output
