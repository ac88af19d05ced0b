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
from fastapi.testclient import TestClient

from roadmap_rag import Assistant, QuestionError
from roadmap_rag.errors import IndexUnavailable, UnknownDocument
from roadmap_rag.index.chroma_server import free_port
from roadmap_rag.serve.deadlines import server_config
from roadmap_rag.serve.http_api import create_app
from roadmap_rag.settings import Settings
from tests.conftest import CORPUS, REPO


def configured(assistant: Assistant, **settings: object) -> Assistant:
    """The same index and models, other settings."""
    changed = assistant.settings.model_copy(update=settings)
    return Assistant(changed, embedder=assistant.embedder, store=assistant.store)


@contextmanager
def running(app: Any, settings: Settings) -> Iterator[uvicorn.Server]:
    """``app`` on a free loopback port, in a thread, as `roadmap-rag serve` runs it (its read timeouts too)."""
    server = uvicorn.Server(server_config(app, settings, "127.0.0.1", free_port(), log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:  # bounded: 30 s to listen
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start within 30 s"
        time.sleep(0.05)
    try:
        yield server
    finally:
        server.should_exit = True
        thread.join(timeout=15)


@contextmanager
def serving(assistant: Assistant, **settings: object) -> Iterator[httpx.Client]:
    """The API on a free loopback port, in a thread; a client for it."""
    if settings:
        assistant = configured(assistant, **settings)
    with (
        running(create_app(assistant), assistant.settings) as server,
        httpx.Client(base_url=f"http://127.0.0.1:{server.config.port}", timeout=60) as client,
    ):
        yield client


@contextmanager
def in_process(assistant: Assistant, **settings: object) -> Iterator[TestClient]:
    """The API in this process, no socket (the fast tier), addressed as http://127.0.0.1:8000."""
    app = create_app(configured(assistant, **settings) if settings else assistant)
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        yield client


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


LORA = {"question": "What is LoRA?"}


@pytest.mark.fast
def test_fast_host_and_origin_must_be_on_the_allow_lists(fake_assistant: Assistant) -> None:
    with in_process(fake_assistant) as api:  # no token configured, the default: the Host check is what guards
        rebound = api.post("/ask", json=LORA, headers={"Host": "evil.example", "Origin": "http://evil.example"})
        assert rebound.status_code == 421 and "ROADMAP_RAG_API_ALLOWED_HOSTS" in rebound.json()["detail"]
        for host in ["evil.example:8000", "127.0.0.1.evil.example", "localhost@evil.example", "", "[::2]:8000"]:
            assert api.get("/status", headers={"Host": host}).status_code == 421, host
        for path in ["/openapi.json", "/docs"]:
            assert api.get(path, headers={"Host": "evil.example"}).status_code == 421
        assert api.get("/healthz", headers={"Host": "evil.example"}).json() == {"ok": True}  # liveness probes
        for host in ["127.0.0.1", "localhost:1234", "LOCALHOST", "[::1]:8000"]:
            assert api.get("/status", headers={"Host": host}).status_code == 200, host
        # A browser on another site: its Origin is refused, whatever the Host.
        for origin in ["http://evil.example", "https://127.0.0.1.evil.example", "null", "http://localhost.evil:80"]:
            crossed = api.post("/retrieve", json=LORA, headers={"Origin": origin})
            assert crossed.status_code == 403 and "ROADMAP_RAG_API_ALLOWED_ORIGINS" in crossed.json()["detail"]
        # The server's own pages (/docs) and loopback web apps on any port are served.
        for origin in ["http://127.0.0.1:8000", "http://localhost:5173", "http://[::1]:3000"]:
            assert api.post("/retrieve", json=LORA, headers={"Origin": origin}).status_code == 200, origin
    named = {"api_allowed_hosts": ["rag.example"], "api_allowed_origins": ["https://app.example"]}
    with in_process(fake_assistant, **named) as api:
        assert api.get("/status", headers={"Host": "rag.example:8000"}).status_code == 200
        assert api.get("/status").status_code == 421  # loopback is no longer listed
        served = {"Host": "rag.example", "Origin": "https://app.example"}
        assert api.post("/retrieve", json=LORA, headers=served).status_code == 200
        assert api.post("/retrieve", json=LORA, headers=served | {"Origin": "http://app.example"}).status_code == 403
    with in_process(fake_assistant, api_allowed_hosts=["*"], api_allowed_origins=["*"]) as api:
        anywhere = {"Host": "any.example", "Origin": "http://x"}
        assert api.post("/retrieve", json=LORA, headers=anywhere).status_code == 200
    with in_process(fake_assistant, api_allowed_hosts=["*"]) as api:  # any Host: the Origin still guards
        rebound = {"Host": "evil.example", "Origin": "http://evil.example"}  # a rebinding page is "same-origin"
        assert api.post("/retrieve", json=LORA, headers=rebound).status_code == 403


@pytest.mark.fast
def test_fast_allow_lists_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROADMAP_RAG_API_ALLOWED_HOSTS", "rag.example, 10.0.0.5:8000")
    monkeypatch.setenv("ROADMAP_RAG_API_ALLOWED_ORIGINS", '["https://app.example"]')
    settings = Settings()
    assert settings.api_allowed_hosts == ["rag.example", "10.0.0.5:8000"]
    assert settings.api_allowed_origins == ["https://app.example"]


@pytest.mark.fast
def test_fast_unknown_doc_ids_are_a_422_naming_them(fake_assistant: Assistant) -> None:
    with in_process(fake_assistant) as api:
        known = api.get("/status").json()["document_ids"]
        assert "comprehensive-llm-curriculum" in known
        body = {"question": "What is LoRA?", "doc_ids": ["no-such-roadmap", "comprehensive-llm-curriculum"]}
        for response in [
            api.post("/retrieve", json=body),
            api.post("/ask", json=body),
            api.post("/ask", json=body | {"stream": True}),  # a status, not a 200 with an error event
        ]:
            assert response.status_code == 422, response.text
            error = response.json()
            assert error["error"] == "UnknownDocument" and "'no-such-roadmap'" in error["detail"]
            assert "roadmap-rag status" in error["detail"] and "comprehensive" not in error["detail"].split(";")[0]
        near = api.post("/retrieve", json={"question": "LoRA", "doc_ids": ["comprehensive-llm-curiculum"]})
        assert "did you mean 'comprehensive-llm-curriculum'?" in near.json()["detail"]
        sources = api.post("/retrieve", json=body | {"doc_ids": ["comprehensive-llm-curriculum"]}).json()["sources"]
        assert sources and {s["doc_id"] for s in sources} == {"comprehensive-llm-curriculum"}
    # The Python API says the same (it crashed in numpy: "cannot reshape array of size 0").
    with pytest.raises(UnknownDocument, match="no-such-roadmap"):
        fake_assistant.retrieve("What is LoRA?", doc_ids=["no-such-roadmap"])
    with pytest.raises(UnknownDocument, match="no-such-roadmap"):
        fake_assistant.stream("What is LoRA?", doc_ids=["no-such-roadmap"])
    with pytest.raises(QuestionError, match="the kinds are: roadmap, paper, paper-card"):
        fake_assistant.retrieve("What is LoRA?", kinds=["cookbook"])
    # Filters that select nothing indexed (no paper's text is in the fake index) say so; they crashed in numpy too.
    with in_process(fake_assistant) as api:
        none = api.post("/ask", json={"question": "books", "kinds": ["paper"]})
        assert none.status_code == 422 and "no indexed document is of the kinds 'paper'" in none.json()["detail"]
        body = {"question": "books", "doc_ids": ["comprehensive-llm-curriculum"], "kinds": ["paper-card"]}
        both = api.post("/retrieve", json=body)
        assert both.status_code == 422 and "none of 'comprehensive-llm-curriculum' is" in both.json()["detail"]
        backend = api.post("/ask", json={"question": "What is LoRA?", "llm": "gpt-9", "stream": True})
        assert backend.status_code == 400 and "unknown llm 'gpt-9'" in backend.json()["detail"]  # not an event


class _NoIndex(Assistant):
    """An Assistant whose index went missing after it started."""

    def _retrieve(self, *args: Any, **kwargs: Any) -> Any:
        raise IndexUnavailable("the index is missing; run `roadmap-rag ingest`")


@pytest.mark.fast
def test_fast_a_stream_that_fails_before_its_first_event_gets_a_status(fake_assistant: Assistant) -> None:
    settings = fake_assistant.settings.model_copy(update={"api_max_concurrent": 1})
    gone = _NoIndex(settings, embedder=fake_assistant.embedder, store=fake_assistant.store)
    with TestClient(create_app(gone), base_url="http://127.0.0.1:8000") as api:
        for body in [LORA, LORA | {"stream": True}, LORA | {"stream": True}]:  # one slot: each gave it back
            response = api.post("/ask", json=body)
            assert response.status_code == 503 and "roadmap-rag ingest" in response.json()["detail"], response.text


def _raw(api: TestClient, path: str, body: dict[str, Any], **headers: str) -> httpx.Response:
    """``body`` as JSON with its lone surrogates escaped (as a broken client sends them)."""
    return api.post(path, content=json.dumps(body), headers={"Content-Type": "application/json", **headers})


@pytest.mark.fast
def test_fast_unencodable_text_is_dropped_alike_everywhere(fake_assistant: Assistant) -> None:
    """A lone surrogate or a control character in any field: no 500; the HTTP API answers what the Python API
    answers (the Assistant drops them: questions.plain)."""
    question = "What is \ud800LoRA?\u2028\x00\u200f"
    expected = fake_assistant.ask(question).text
    with in_process(fake_assistant) as api:
        asked = _raw(api, "/ask", {"question": question})
        assert asked.status_code == 200 and asked.json()["answer"] == expected
        assert "\ud800" not in asked.json()["question"]
        streamed = _raw(api, "/ask", {"question": question, "stream": True})
        assert streamed.status_code == 200 and events(streamed)[-1][1]["answer"] == expected
        assert _raw(api, "/retrieve", {"question": question}).json()["sources"]
        turn = {"question": "What is LoRA \ud800?", "answer": "LoRA\udfff adapts\x00 weights [1]."}
        follow = _raw(api, "/ask", {"question": "and which papers cover it?", "history": [turn]})
        assert follow.status_code == 200, follow.text
        unknown = _raw(api, "/retrieve", {"question": "LoRA", "doc_ids": ["\ud800x"]})
        assert unknown.status_code == 422 and "'x'" in unknown.json()["detail"]
        backend = _raw(api, "/ask", {"question": "LoRA", "llm": "\ud800\x00"})
        assert backend.status_code == 400 and "unknown llm" in backend.json()["detail"]
        long = _raw(api, "/ask", {"question": "LoRA", "history": [{"question": "\ud800" * 10, "answer": "x" * 30_000}]})
        assert long.status_code == 422 and long.json()["detail"][0]["loc"] == ["body", "history", 0, "answer"]


@pytest.mark.fast
def test_fast_a_non_ascii_token_is_a_wrong_token(fake_assistant: Assistant) -> None:
    with in_process(fake_assistant, api_token="s3cret") as api:
        for credentials in ["Bearer sécret".encode(), "Bearer s\xe9cret".encode("latin-1"), b"Bearer \xff\xfe"]:
            response = api.get("/status", headers={"Authorization": credentials})
            assert response.status_code == 401 and "Authorization: Bearer" in response.json()["detail"]
    with in_process(fake_assistant, api_token="sécret") as api:  # a token may itself be non-ASCII (UTF-8 on the wire)
        assert api.get("/status", headers={"Authorization": "Bearer sécret".encode()}).status_code == 200
        assert api.get("/status", headers={"Authorization": "Bearer secret"}).status_code == 401


class _Held(Assistant):
    """An Assistant whose retrieve and stream wait for ``gate``: a request stays in progress until opened."""

    def __init__(self, assistant: Assistant, **settings: object) -> None:
        changed = assistant.settings.model_copy(update=settings)
        super().__init__(changed, embedder=assistant.embedder, store=assistant.store)
        self.gate, self.inside = threading.Event(), threading.Semaphore(0)

    def _hold(self) -> None:
        self.inside.release()
        assert self.gate.wait(timeout=30)

    def retrieve(self, *args: Any, **kwargs: Any) -> Any:
        self._hold()
        return super().retrieve(*args, **kwargs)

    def stream(self, *args: Any, **kwargs: Any) -> Any:
        self._hold()
        return super().stream(*args, **kwargs)


def test_every_route_has_a_concurrency_limit(fake_assistant: Assistant, monkeypatch: pytest.MonkeyPatch) -> None:
    import roadmap_rag.serve.http_api as http_api

    held = _Held(fake_assistant, api_max_concurrent=1)
    reporting = http_api.index_status

    def slow_status(*args: Any) -> Any:
        held._hold()
        return reporting(*args)

    monkeypatch.setattr(http_api, "index_status", slow_status)
    calls = {"/ask": ("POST", LORA), "/retrieve": ("POST", LORA), "/status": ("GET", None)}
    with (
        running(create_app(held), held.settings) as server,
        ThreadPoolExecutor(3) as pool,
        httpx.Client(base_url=f"http://127.0.0.1:{server.config.port}", timeout=30) as api,
    ):
        for path, (method, body) in calls.items():
            held.gate.clear()
            first = pool.submit(api.request, method, path, json=body)
            assert held.inside.acquire(timeout=10), f"{path} did not start"
            over = api.request(method, path, json=body)
            assert over.status_code == 503 and over.headers["retry-after"] == "1", (path, over.text)
            assert "in progress" in over.json()["detail"] and "ROADMAP_RAG_API_MAX_CONCURRENT" in over.json()["detail"]
            others = [p for p in calls if p != path]  # each route has its own slots
            other = pool.submit(api.request, calls[others[0]][0], others[0], json=calls[others[0]][1])
            assert held.inside.acquire(timeout=10)
            held.gate.set()
            assert first.result(timeout=30).status_code == 200 and other.result(timeout=30).status_code == 200
            assert api.request(method, path, json=body).status_code == 200  # the slot came back
            held.inside = threading.Semaphore(0)
