"""`roadmap-rag doctor`: each broken thing is found, named with a fix, and --repair mends what it can."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from roadmap_rag import Assistant
from roadmap_rag.answer.generation.llamacpp import default_gguf
from roadmap_rag.cli.doctor import check_data_dir, check_gguf, check_index, run_checks
from roadmap_rag.index.embeddings import embedding_space
from roadmap_rag.index.ingest import ingest
from roadmap_rag.index.lexical import Lexical
from roadmap_rag.index.state import read_state
from roadmap_rag.index.store import make_store
from roadmap_rag.settings import Settings
from tests.conftest import CORPUS


@pytest.fixture
def index_copy(assistant: Assistant, tmp_path: Path) -> Settings:
    """A private copy of the session index, safe to damage."""
    data = tmp_path / "data"
    shutil.copytree(assistant.settings.data_dir / "chroma", data / "chroma")
    shutil.copytree(assistant.settings.data_dir / "lexical", data / "lexical")
    shutil.copy(assistant.settings.state_path, data / "ingest_state.json")
    return Settings(data_dir=data, corpus_dir=CORPUS, llm="extractive")


def test_a_healthy_installation_passes(index_copy: Settings) -> None:
    checks = {c.name: c for c in run_checks(index_copy)}
    assert {"python", "packages", "data dir", "embedding model", "GGUF model", "ollama", "index"} <= set(checks)
    assert all(c.status != "fail" for c in checks.values()), checks
    assert checks["index"].detail.endswith("consistent")
    assert checks["ollama"].status == "warn"  # no Ollama here: a warning with a fix, not a failure
    assert "ollama serve" in checks["ollama"].fix


def test_chunks_lost_from_chroma_are_found_and_repaired(index_copy: Settings) -> None:
    store = make_store(index_copy, embedding_space(index_copy))
    before = store.count()
    lost = [c.id for c in store.all_chunks()[:7]]
    store.delete(lost)
    broken = check_index(index_copy, repair=False)
    assert (
        broken.status == "fail" and f"{before - 7} chunks in Chroma, {before} in the ingestion record" in broken.detail
    )
    assert "--repair" in broken.fix
    repaired = check_index(index_copy, repair=True)
    assert repaired.status == "ok" and "7 added" in repaired.detail
    assert check_index(index_copy, repair=False).status == "ok"
    assert make_store(index_copy, embedding_space(index_copy)).count() == before


def test_a_lexical_index_behind_chroma_is_found_and_repaired(index_copy: Settings) -> None:
    make_store(index_copy, embedding_space(index_copy)).set_generation("an-ingest-elsewhere")
    broken = check_index(index_copy, repair=False)
    assert broken.status == "fail" and "the lexical index is behind Chroma" in broken.detail
    assert check_index(index_copy, repair=True).status == "ok"
    assert check_index(index_copy, repair=False).detail.endswith("consistent")
    assert Lexical(index_copy.lexical_dir).generation == "an-ingest-elsewhere"


def test_a_truncated_gguf_is_found_and_reassembled(tmp_path: Path) -> None:
    # A model cache of its own: truncating the session's shared GGUF in place would pull the pages from under
    # every llama.cpp model that has it mapped (a Bus error in a later test).
    settings = Settings(data_dir=tmp_path / "data", model_cache=tmp_path / "models")
    path = default_gguf(settings)
    assert path.is_relative_to(tmp_path)
    size = path.stat().st_size
    with path.open("r+b") as f:
        f.truncate(size // 3)
    broken = check_gguf(settings, repair=False)
    assert broken.status == "fail" and "damaged" in broken.detail and "--repair" in broken.fix
    assert check_gguf(settings, repair=True).status == "ok"
    assert path.stat().st_size == size and check_gguf(settings, repair=False).detail.endswith("checksum ok)")


def test_unwritable_data_dir_fails_with_a_fix(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    check = check_data_dir(Settings(data_dir=blocker / "data"))
    assert check.status == "fail" and "not writable" in check.detail and "ROADMAP_RAG_DATA_DIR" in check.fix


def test_the_command_exits_non_zero_when_something_is_broken(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    env = {**os.environ, "ROADMAP_RAG_DATA_DIR": str(blocker / "data"), "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "roadmap_rag", "doctor"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        cwd=tmp_path,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "data dir" in done.stdout and "fail" in done.stdout and "failed" in done.stdout


def test_an_interrupted_ingest_of_another_folder_is_named_and_finished_by_repair(
    index_copy: Settings, tmp_path: Path, embedder, ledger
) -> None:
    """Issue 29, item 4: after a killed `ingest <folder outside the corpus>`, `doctor --repair` re-ran the
    default ingest, said "repaired", and the next `doctor` failed again with the same fix."""
    mine = tmp_path / "mine"
    mine.mkdir()
    for n, topic in enumerate(("tokenizers", "attention", "quantization")):
        (mine / f"notes-{n}.md").write_text(f"# Notes {n}\n\nMy notes on {topic}, written for myself.\n")

    def killed_after_one(stage: str, done: int, total: int) -> None:
        if stage == "written" and done == 1:
            raise KeyboardInterrupt  # as SIGKILL between two documents' writes

    with pytest.raises(KeyboardInterrupt):
        ingest(index_copy, [mine], embedder=embedder, progress=killed_after_one)

    broken = check_index(index_copy, repair=False)
    assert broken.status == "fail" and "an ingest was interrupted" in broken.detail
    assert f"roadmap-rag ingest {mine}" in broken.detail and "missing from the ingestion record" in broken.detail
    repaired = check_index(index_copy, repair=True)
    assert repaired.status == "ok" and "repaired, now consistent" in repaired.detail, repaired.detail
    again = check_index(index_copy, repair=False)
    assert again.status == "ok" and again.detail.endswith("consistent"), again.detail
    assert {"notes-0", "notes-1", "notes-2"} <= set(read_state(index_copy)["documents"])
    ledger.add(
        "faults",
        "an ingest of a folder outside the corpus killed between two documents' writes; "
        "doctor, doctor --repair, doctor",
        "doctor named the interrupted ingest and its command; --repair ran it and said 'repaired' only after its "
        f"checks passed; the next doctor: {again.detail}",
    )
