"""The query log and the traces: what an evaluator reads about each question, and what a collector receives."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path

import grpc
import pytest
from opentelemetry import trace as trace_api
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from roadmap_rag import Assistant, Settings
from roadmap_rag.index.chroma_server import free_port
from roadmap_rag.observe.querylog import LOG_NAME, QueryLog
from roadmap_rag.observe.tracing import _otlp_provider
from tests.fakes import HashingEmbedder, MemoryStore, with_lexical_index

FakeIndex = tuple[Settings, HashingEmbedder, MemoryStore]
STAGES = {"retrieve", "lane.dense", "lane.lexical", "fuse", "generate", "verify"}


def _assistant(fake_index: FakeIndex, data_dir: Path, **settings: object) -> Assistant:
    base, embedder, store = fake_index
    data_dir = with_lexical_index(base.data_dir, data_dir)
    changed = base.model_copy(update={"data_dir": data_dir, "min_passage_score": 0.15, **settings})
    return Assistant(changed, embedder=embedder, store=store)


def _records(data_dir: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (data_dir / LOG_NAME).read_text(encoding="utf-8").splitlines()]


@pytest.mark.fast
def test_fast_each_ask_appends_what_was_asked_found_and_answered(fake_index: FakeIndex, tmp_path: Path) -> None:
    assistant = _assistant(fake_index, tmp_path / "data")
    answer = assistant.ask("What does the roadmap say about LoRA?", k=4)
    refused = _assistant(fake_index, tmp_path / "data", min_passage_score=1.0).ask("How do I bake sourdough bread?")
    first, second = _records(tmp_path / "data")
    assert (first["id"], second["id"]) == (answer.id, refused.id) and answer.id != refused.id
    assert first["question"] == "What does the roadmap say about LoRA?" and first["k"] == 4
    assert first["backend"] == "extractive" and first["grounded"] is True and first["answer"] == answer.text
    assert first["removed"] == answer.unsupported and first["error"] is None
    sources = first["sources"]
    assert isinstance(sources, list) and [s["id"] for s in sources] == [s.id for s in answer.sources]
    # Each source says where each retriever lane ranked it; a fused source was found by at least one lane.
    assert all(s["lanes"] and all(rank >= 1 for rank in s["lanes"].values()) for s in sources)
    timings = first["timings_ms"]
    assert isinstance(timings, dict) and set(timings) >= STAGES
    assert timings["lane.dense"] <= timings["retrieve"] <= timings["total"]
    assert second["grounded"] is False and second["backend"] == "none" and "generate" not in second["timings_ms"]


@pytest.mark.fast
def test_fast_a_follow_up_logs_its_standalone_query(fake_index: FakeIndex, tmp_path: Path) -> None:
    assistant = _assistant(fake_index, tmp_path / "data")
    first = assistant.ask("What is LoRA?")
    assistant.ask("and QLoRA?", history=first.history)
    record = _records(tmp_path / "data")[-1]
    assert record["query"] == "What is QLoRA?" and record["turn"] == 2


@pytest.mark.fast
def test_fast_an_abandoned_stream_is_logged_with_its_error(fake_index: FakeIndex, tmp_path: Path) -> None:
    stream = _assistant(fake_index, tmp_path / "data").stream("What is RLHF?")
    iterator = iter(stream)
    next(iterator)
    del iterator, stream  # the reader went away mid-answer (a closed browser tab)
    record = _records(tmp_path / "data")[-1]
    assert record["question"] == "What is RLHF?" and "closed before it was complete" in str(record["error"])


@pytest.mark.fast
def test_fast_the_log_can_be_turned_off_and_writes_only_in_the_data_dir(
    fake_index: FakeIndex, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _assistant(fake_index, tmp_path / "off", query_log=False).ask("What is RLHF?")
    _assistant(fake_index, tmp_path / "on").ask("What is RLHF?")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["off", "on"]  # nothing outside the data dirs
    assert [p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob(LOG_NAME)] == [f"on/{LOG_NAME}"]


@pytest.mark.fast
def test_fast_the_log_rotates_and_keeps_the_newest_records(tmp_path: Path) -> None:
    log = QueryLog(Settings(data_dir=tmp_path, query_log_max_bytes=1_000, query_log_backups=2))
    for n in range(60):
        log.append({"n": n, "pad": "x" * 80})
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["queries.1.jsonl", "queries.2.jsonl", "queries.jsonl"]
    assert all(p.stat().st_size <= 1_000 for p in tmp_path.iterdir())
    kept = [r["n"] for r in log.records()]
    assert kept == list(range(60 - len(kept), 60)) and 20 <= len(kept) < 60  # the newest, oldest first


@pytest.mark.fast
def test_fast_a_torn_last_line_does_not_hide_the_rest(tmp_path: Path) -> None:
    log = QueryLog(Settings(data_dir=tmp_path))
    log.append({"n": 1})
    with log.path.open("a", encoding="utf-8") as f:
        f.write('{"n": 2, "answ')  # a crash mid-write
    log.append({"n": 3})
    assert [r["n"] for r in log.records()] == [1, 3]


@pytest.mark.fast
def test_fast_a_lone_surrogate_is_logged_as_it_came(tmp_path: Path) -> None:
    """Text a browser or a client can send (a lone surrogate) no longer raises UnicodeEncodeError out of the
    log (which cost the learner the answer): it is kept as its JSON escape and read back as itself."""
    log = QueryLog(Settings(data_dir=tmp_path))
    log.append({"question": "What is LoRA?\ud800", "n": 1})
    assert [(r["question"], r["n"]) for r in log.records()] == [("What is LoRA?\ud800", 1)]
    assert (tmp_path / LOG_NAME).read_bytes().decode("utf-8")  # the file stays valid UTF-8


@pytest.mark.fast
def test_fast_a_record_holding_a_line_separator_stays_readable(tmp_path: Path) -> None:
    log = QueryLog(Settings(data_dir=tmp_path))
    for text in ("one\u2028two", "three\u2029\x85\x0c\x1cfour"):
        log.append({"question": text})
    assert [r["question"] for r in log.records()] == ["one\u2028two", "three\u2029\x85\x0c\x1cfour"]


@pytest.mark.fast
def test_fast_a_log_that_cannot_be_written_is_warned_once_and_never_costs_the_answer(
    fake_index: FakeIndex, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocked = tmp_path / "data" / LOG_NAME
    blocked.mkdir(parents=True)  # a folder where the log should be: every write fails
    assistant = _assistant(fake_index, tmp_path / "data")
    with caplog.at_level("WARNING", logger="roadmap_rag"):
        answers = [assistant.ask("What is LoRA?"), assistant.ask("What is RLHF?")]
    assert all(a.id and a.sources for a in answers)  # both answered, as if the log were fine
    warned = [r.getMessage() for r in caplog.records if "could not be written" in r.getMessage()]
    assert len(warned) == 1 and str(blocked) in warned[0]


# -- OpenTelemetry ------------------------------------------------------------------------------
@pytest.fixture
def spans(monkeypatch: pytest.MonkeyPatch) -> Iterator[InMemorySpanExporter]:
    """A tracer provider configured by the host process, exporting to memory."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    monkeypatch.setattr(trace_api, "_TRACER_PROVIDER", provider)
    yield exporter
    provider.shutdown()


@pytest.mark.fast
def test_fast_each_stage_is_a_span_under_the_question(
    fake_index: FakeIndex, tmp_path: Path, spans: InMemorySpanExporter
) -> None:
    answer = _assistant(fake_index, tmp_path / "data").ask("What does the roadmap say about LoRA?")
    finished = spans.get_finished_spans()
    roots = [s for s in finished if s.parent is None]
    assert [r.name for r in roots] == ["roadmap_rag.ask"]
    root = roots[0]
    assert root.attributes is not None and root.attributes["roadmap_rag.query_id"] == answer.id
    names = {s.name for s in finished}
    assert names >= STAGES
    by_id = {s.context.span_id: s for s in finished if s.context is not None}
    for span in finished:
        assert span.context is not None and span.context.trace_id == root.context.trace_id  # type: ignore[union-attr]
        assert span.start_time is not None and span.end_time is not None and span.start_time <= span.end_time
        if span.name.startswith("lane.") or span.name == "fuse":  # the lanes and fusion run inside retrieve
            assert span.parent is not None and by_id[span.parent.span_id].name == "retrieve"
    retrieve = next(s for s in finished if s.name == "retrieve")
    assert root.start_time <= retrieve.start_time and retrieve.end_time <= root.end_time  # type: ignore[operator]


@pytest.mark.fast
def test_fast_a_tracer_provider_passed_in_gets_the_spans(fake_index: FakeIndex, tmp_path: Path) -> None:
    exporter, provider = InMemorySpanExporter(), TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    base, embedder, store = fake_index
    settings = base.model_copy(update={"data_dir": tmp_path, "query_log": False})
    Assistant(settings, embedder=embedder, store=store, tracer_provider=provider).ask("What is RLHF?")
    assert STAGES - {"generate", "verify"} <= {s.name for s in exporter.get_finished_spans()}
    assert trace_api.get_tracer_provider() is not provider  # the process's global provider is left alone


class _Collector(trace_service_pb2_grpc.TraceServiceServicer):  # type: ignore[misc]
    """An OTLP/gRPC trace collector on loopback: what a Jaeger, Phoenix or OTel Collector would receive."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.received = threading.Event()

    def Export(self, request: trace_service_pb2.ExportTraceServiceRequest, context: object) -> object:
        for resource in request.resource_spans:
            for scope in resource.scope_spans:
                self.names += [span.name for span in scope.spans]
        self.received.set()
        return trace_service_pb2.ExportTraceServiceResponse()


def test_spans_reach_an_otlp_collector_at_the_configured_endpoint(fake_index: FakeIndex, tmp_path: Path) -> None:
    collector, port = _Collector(), free_port()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(collector, server)
    server.add_insecure_port(f"127.0.0.1:{port}")
    server.start()
    try:
        endpoint = f"http://127.0.0.1:{port}"
        _assistant(fake_index, tmp_path / "data", otel_endpoint=endpoint).ask("What is RLHF?")
        _otlp_provider(endpoint).force_flush(timeout_millis=10_000)
        assert collector.received.wait(10)
        assert "roadmap_rag.ask" in collector.names and set(collector.names) >= STAGES
    finally:
        server.stop(grace=None)
