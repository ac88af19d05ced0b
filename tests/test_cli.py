"""The `roadmap-rag` command as a learner meets it (issue 30, item 10), and an empty index (item 5) in the
Python API and the CLI: every failure a sentence with its remedy, exit codes a script can rely on."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from roadmap_rag import Assistant, Settings
from roadmap_rag.cli import app
from roadmap_rag.embeddings import Embedder
from roadmap_rag.errors import IndexUnavailable

from .conftest import CORPUS


def env_for(data_dir: Path, **extra: str) -> dict[str, str]:
    return {"ROADMAP_RAG_DATA_DIR": str(data_dir), "ROADMAP_RAG_CORPUS_DIR": str(CORPUS), **extra}


@pytest.fixture
def cli_env(assistant: Assistant) -> dict[str, str]:
    return env_for(assistant.settings.data_dir)


def test_an_empty_index_says_ingest_first_not_not_covered(tmp_path: Path, embedder: Embedder) -> None:
    empty = Assistant(Settings(data_dir=tmp_path / "data", corpus_dir=CORPUS, llm="extractive"), embedder=embedder)
    with pytest.raises(IndexUnavailable, match=r"nothing is indexed yet: run `roadmap-rag ingest`"):
        empty.ask("What is LoRA?")
    with pytest.raises(IndexUnavailable, match=r"nothing is indexed yet"):
        empty.retrieve("What is LoRA?")
    asked = CliRunner().invoke(app, ["ask", "What is LoRA?"], env=env_for(tmp_path / "data"), terminal_width=200)
    assert asked.exit_code == 2, asked.output
    assert "nothing is indexed yet: run `roadmap-rag ingest`" in asked.output
    assert "not cover" not in asked.output and "Traceback" not in asked.output
