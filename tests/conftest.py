"""Shared fixtures: the real embedding model (once per session) and throwaway data dirs."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("RAGAS_DO_NOT_TRACK", "true")
# Every test's data dir (and the CLI processes they start) shares one models folder inside the clone:
# the ONNX embedder is built and the GGUF file assembled once per clone, not once per test.
# tests/index/test_embeddings.py builds into a folder of its own.
os.environ.setdefault("ROADMAP_RAG_MODEL_CACHE", str(Path(__file__).resolve().parents[1] / ".roadmap_rag" / "models"))

from roadmap_rag.api import Assistant
from roadmap_rag.index.embeddings import Embedder, make_embedder
from roadmap_rag.index.ingest import ingest
from roadmap_rag.retrieve.library import Library
from roadmap_rag.settings import Settings
from tests.fakes import HashingEmbedder, MemoryStore

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpus"


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The default embedder (ONNX, fp32), as `roadmap-rag` builds it."""
    return make_embedder(Settings())


@pytest.fixture(scope="session")
def assistant(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Assistant:
    """The shipped corpus indexed once per session, answering extractively (deterministic)."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("index"), corpus_dir=CORPUS, llm="extractive")
    assert ingest(settings, embedder=embedder).ok
    return Assistant(settings, embedder=embedder)


# -- the fast tier: the same code on small in-memory backends (tests/fakes.py) ----------------------
@pytest.fixture(scope="session")
def fake_index(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, HashingEmbedder, MemoryStore]:
    """The shipped corpus ingested into MemoryStore with HashingEmbedder: half a second, no model."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("fake-index"), corpus_dir=CORPUS, llm="extractive")
    embedder, store = HashingEmbedder(), MemoryStore()
    assert ingest(settings, embedder=embedder, store=store).ok
    return settings, embedder, store


@pytest.fixture(scope="session")
def library(fake_index: tuple[Settings, HashingEmbedder, MemoryStore]) -> Library:
    """The indexed corpus as structure, as the composer reads it."""
    return Library(fake_index[2].all_chunks())


@pytest.fixture(scope="session")
def fake_assistant(fake_index: tuple[Settings, HashingEmbedder, MemoryStore]) -> Assistant:
    """An Assistant on the fakes. Hashed words are not MiniLM: a passage that shares a question's words
    scores lower than MiniLM's paraphrase match, so the off-corpus bar is set for this embedder."""
    settings, embedder, store = fake_index
    return Assistant(settings.model_copy(update={"min_passage_score": 0.15}), embedder=embedder, store=store)


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    def factory(**overrides: object) -> Settings:
        values: dict[str, object] = {"data_dir": tmp_path / "data", "corpus_dir": CORPUS}
        values.update(overrides)
        return Settings(**values)  # type: ignore[arg-type]

    return factory


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Path:
    """A writable copy of the shipped roadmaps, manifest included; without the paper catalog
    (its 50 cards are tested in tests/papers), so ingest figures count the roadmaps alone."""
    target = tmp_path / "corpus"
    shutil.copytree(CORPUS, target, ignore=shutil.ignore_patterns("papers"))
    return target


class Ledger:
    """What the reliability tests tried and what happened, as rows for docs/reliability.md.

    `make reliability` sets ROADMAP_RAG_RELIABILITY_REPORT and the table is written at the end of the run;
    the figures are the run's own, never typed in."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str]] = []

    def add(self, area: str, tried: str, result: str) -> None:
        self.rows.append((area, tried, result))


_LEDGER = Ledger()


@pytest.fixture(scope="session")
def ledger() -> Ledger:
    return _LEDGER


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    target = os.environ.get("ROADMAP_RAG_RELIABILITY_REPORT")
    if not target or not _LEDGER.rows:
        return
    import platform
    from datetime import UTC, datetime

    lines = [
        "# Reliability: what was tried and what happened",
        "",
        f"Produced by `make reliability` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; pytest exit status {exitstatus}. Every figure below is measured "
        "by that run (tests/reliability and the fault tests of ingest and Ollama).",
        "",
        "| area | tried | result |",
        "|---|---|---|",
    ]
    for area, tried, result in sorted(_LEDGER.rows, key=lambda r: r[0]):
        lines.append(f"| {area} | {tried.replace('|', '/')} | {result.replace('|', '/')} |")
    Path(target).write_text("\n".join(lines) + "\n", encoding="utf-8")
