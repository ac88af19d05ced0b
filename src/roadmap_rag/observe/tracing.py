"""What one question cost, stage by stage: a Trace records each stage's time and each retriever lane's
ranking; the query log writes it, and OpenTelemetry receives it as spans when a tracer is configured.

The Assistant holds the request's Trace explicitly (its answer is a generator, read across threads by the
HTTP API); the retriever's stages reach it through a context variable, set only around the synchronous
``retrieve`` call. Without an active Trace every hook here is a no-op.
"""

from __future__ import annotations

import atexit
import functools
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from opentelemetry.trace import Tracer, TracerProvider

Attribute = str | int | float | bool


class Ranked(Protocol):
    """What a lane ranks: anything with an id (a Chunk)."""

    @property
    def id(self) -> str: ...


@dataclass
class Stage:
    """One stage of a question: seconds since the trace began, and its parent's index in ``Trace.stages``."""

    name: str
    start: float
    end: float = 0.0
    parent: int | None = None
    attributes: dict[str, Attribute] = field(default_factory=dict)

    @property
    def ms(self) -> float:
        return (self.end - self.start) * 1000


class Trace:
    """The stages of one question, nested as they ran, and the rankings of each retriever lane."""

    def __init__(self, name: str = "ask") -> None:
        self.id = uuid.uuid4().hex
        self.name = name
        self.wall_ns = time.time_ns()
        self._origin = time.perf_counter()
        self.stages: list[Stage] = []
        self.lanes: list[tuple[str, list[str]]] = []  # (lane, chunk ids best first), one per lane run
        self._open: list[int] = []

    def now(self) -> float:
        return time.perf_counter() - self._origin

    @contextmanager
    def stage(self, name: str, **attributes: Attribute) -> Iterator[Stage]:
        parent = self._open[-1] if self._open else None
        stage = Stage(name, self.now(), parent=parent, attributes=dict(attributes))
        self.stages.append(stage)
        self._open.append(len(self.stages) - 1)
        try:
            yield stage
        finally:
            stage.end = self.now()
            self._open.pop()

    def lane(self, name: str, hits: Sequence[tuple[Ranked, float]]) -> None:
        """A retriever lane's ranking (a routed question runs each lane once per search)."""
        self.lanes.append((name, [chunk.id for chunk, _ in hits]))

    def ranks(self, chunk_id: str) -> dict[str, int]:
        """The best 1-based rank of a chunk in each lane that found it."""
        out: dict[str, int] = {}
        for lane, ranked in self.lanes:
            if chunk_id in ranked:
                rank = ranked.index(chunk_id) + 1
                out[lane] = min(rank, out.get(lane, rank))
        return out

    def timings_ms(self) -> dict[str, float]:
        """Milliseconds per stage name (summed over repeats: a routed question runs each lane twice)."""
        out: dict[str, float] = {}
        for stage in self.stages:
            out[stage.name] = round(out.get(stage.name, 0.0) + stage.ms, 3)
        return out


_active: ContextVar[Trace | None] = ContextVar("roadmap_rag_trace", default=None)


@contextmanager
def active(trace: Trace) -> Iterator[Trace]:
    """Make ``trace`` the one the retriever's hooks write to, for a block that does not yield."""
    token = _active.set(trace)
    try:
        yield trace
    finally:
        _active.reset(token)


@contextmanager
def stage(name: str, **attributes: Attribute) -> Iterator[None]:
    """A stage of the active trace, if any."""
    trace = _active.get()
    if trace is None:
        yield
        return
    with trace.stage(name, **attributes):
        yield


def lane(name: str, hits: Sequence[tuple[Ranked, float]]) -> None:
    trace = _active.get()
    if trace is not None:
        trace.lane(name, hits)


# -- OpenTelemetry ------------------------------------------------------------------------------
def tracer(endpoint: str | None, provider: TracerProvider | None = None) -> Tracer | None:
    """Where spans go: ``provider`` when the caller passed one; an OTLP/gRPC exporter to ``endpoint`` when it is
    set; else the tracer provider the host process configured (an SDK TracerProvider); None when none of
    these, so nothing is built per question."""
    if provider is not None:
        return provider.get_tracer("roadmap_rag")
    if endpoint:
        otlp: Tracer = _otlp_provider(endpoint).get_tracer("roadmap_rag")
        return otlp
    from opentelemetry import trace as trace_api
    from opentelemetry.sdk.trace import TracerProvider as SDKTracerProvider

    configured = trace_api.get_tracer_provider()
    return configured.get_tracer("roadmap_rag") if isinstance(configured, SDKTracerProvider) else None


@functools.lru_cache(maxsize=4)
def _otlp_provider(endpoint: str) -> Any:
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": "roadmap-rag"}))
    insecure = endpoint.startswith("http://")
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint, insecure=insecure)))
    atexit.register(provider.shutdown)  # a CLI question's spans leave before the process does
    return provider


_export_lock = threading.Lock()


def export(trace: Trace, to: Tracer, attributes: dict[str, Attribute], error: str | None = None) -> None:
    """The trace as spans: a root span for the question, and one child per stage, with the stages' own
    start and end times (recorded as they ran, so a streamed answer's spans need no open context)."""
    from opentelemetry import trace as trace_api
    from opentelemetry.trace import Status, StatusCode

    def at(seconds: float) -> int:
        return trace.wall_ns + int(seconds * 1e9)

    end = trace.now()
    with _export_lock:
        root = to.start_span(f"roadmap_rag.{trace.name}", start_time=trace.wall_ns, attributes=attributes)
        spans: list[Any] = []
        for stage in trace.stages:
            parent = root if stage.parent is None else spans[stage.parent]
            context = trace_api.set_span_in_context(parent)
            span = to.start_span(stage.name, context=context, start_time=at(stage.start), attributes=stage.attributes)
            spans.append(span)
        for span, stage in zip(spans, trace.stages, strict=True):
            span.end(end_time=at(stage.end))
        if error:
            root.set_status(Status(StatusCode.ERROR, error))
        root.end(end_time=at(end))
