"""Faults: a Chroma server that goes away mid-session and comes back, a read-only data dir, a truncated
GGUF. Each ends in a clear message and an index with every chunk exactly once; nothing hangs.
(SIGKILL during ingest is in tests/index/test_ingest.py; Ollama's drops, stalls and bad JSON in
tests/answer/generation/test_ollama.py.)"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from roadmap_rag import Assistant, BackendUnavailable, IndexUnavailable, Settings
from roadmap_rag.answer.generation import make_llm
from roadmap_rag.answer.generation.llamacpp import default_gguf
from roadmap_rag.index.chroma_server import ChromaServer, free_port
from roadmap_rag.index.embeddings import embedding_space
from roadmap_rag.index.ingest import ingest
from roadmap_rag.index.store import make_store
from tests.conftest import CORPUS

ONE_ROADMAP = CORPUS / "roadmaps" / "getting-started-with-llms.txt"


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[ChromaServer]:
    server = ChromaServer(tmp_path / "server", free_port())
    yield server
    server.stop()


def test_chroma_server_stopped_mid_session_then_restarted(chroma_server, tmp_path: Path, embedder, ledger) -> None:
    port = chroma_server.start().port
    settings = Settings(
        data_dir=tmp_path / "data", corpus_dir=CORPUS, chroma_host="127.0.0.1", chroma_port=port, llm="extractive"
    )
    report = ingest(settings, [ONE_ROADMAP], embedder=embedder)
    assistant = Assistant(settings, embedder=embedder)
    before = [s.id for s in assistant.retrieve("What is prompt engineering?")]

    chroma_server.stop()
    started = time.perf_counter()
    with pytest.raises(IndexUnavailable, match=rf"chroma run --host 127\.0\.0\.1 --port {port}"):
        assistant.retrieve("What is prompt engineering?")
    failed_after = time.perf_counter() - started

    chroma_server.start()  # the same path and port
    assert [s.id for s in assistant.retrieve("What is prompt engineering?")] == before  # same Assistant, no restart
    store = make_store(settings, embedder.name)
    assert store.count() == report.added and len({c.id for c in store.all_chunks()}) == report.added
    ledger.add(
        "faults",
        "Chroma server stopped mid-session, then restarted on the same path and port",
        f"IndexUnavailable naming `chroma run` after {failed_after * 1000:.0f} ms; after restart the same "
        f"Assistant answered identically; {report.added} chunks, each once",
    )


def test_chroma_server_stopped_during_an_ingest_write_then_repaired(
    chroma_server, tmp_path: Path, embedder, ledger
) -> None:
    """The server goes away between two documents' writes: the ingest stops with IndexUnavailable and its
    hint, and the next ingest, once the server is back, completes the index with every chunk once."""
    port = chroma_server.start().port
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=CORPUS, chroma_host="127.0.0.1", chroma_port=port)
    files = [ONE_ROADMAP, CORPUS / "roadmaps" / "comprehensive-llm-curriculum.txt"]

    def stop_after_the_first_document(stage: str, done: int, total: int) -> None:
        if stage == "written" and done == 1:
            chroma_server.stop()

    with pytest.raises(IndexUnavailable, match=rf"chroma run --host 127\.0\.0\.1 --port {port}.*repairs"):
        ingest(settings, files, embedder=embedder, progress=stop_after_the_first_document)

    chroma_server.start()  # the same path and port
    store = make_store(settings, embedder.name)
    partial = store.count()
    repaired = ingest(settings, files, embedder=embedder)
    fresh = Settings(data_dir=tmp_path / "fresh", corpus_dir=CORPUS)
    expected = ingest(fresh, files, embedder=embedder)
    assert repaired.ok and 0 < partial < expected.added
    assert repaired.added == expected.added - partial  # only what the interrupted run had not written
    chunks = store.all_chunks()
    assert sorted(c.id for c in chunks) == sorted(c.id for c in make_store(fresh, embedder.name).all_chunks())
    assert not store.without_passages()  # every chunk has its passages
    ledger.add(
        "faults",
        "Chroma server stopped during an ingest write, then restarted",
        f"IndexUnavailable naming `chroma run`; {partial} of {expected.added} chunks had been written; "
        f"the next ingest added the other {repaired.added} and the index equals a fresh one",
    )


def test_read_only_data_dir_is_a_clear_error_and_keeps_the_index(assistant: Assistant, ledger) -> None:
    """Run as another user (root ignores permissions) against a copy of the index that it cannot write."""
    root = Path(tempfile.mkdtemp(prefix="roadmap-rag-readonly-"))
    try:
        data = root / "data"
        shutil.copytree(assistant.settings.data_dir, data, ignore=shutil.ignore_patterns("models"))
        (root / "home").mkdir()
        os.chmod(root, 0o755)
        os.chmod(root / "home", 0o777)
        subprocess.run(["chmod", "-R", "a+rX,a-w", str(data)], check=True)
        env = {
            **os.environ,
            "HOME": str(root / "home"),
            "ROADMAP_RAG_DATA_DIR": str(data),
            "ROADMAP_RAG_CORPUS_DIR": str(CORPUS),
            "HF_HUB_OFFLINE": "1",
        }
        prefix: list[str] = []
        if os.geteuid() == 0:
            if not shutil.which("setpriv"):
                pytest.skip("running as root without setpriv: cannot make a directory read-only for ourselves")
            prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        results = {}
        for command in (["ingest"], ["ask", "What is LoRA?", "--llm", "extractive"]):
            done = subprocess.run(
                [*prefix, sys.executable, "-m", "roadmap_rag", *command],
                env=env,
                cwd=root,
                capture_output=True,
                text=True,
                timeout=180,
            )
            assert done.returncode == 2, done.stdout + done.stderr
            assert "writable" in done.stderr and "Traceback" not in done.stderr
            results[command[0]] = done.returncode
        subprocess.run(["chmod", "-R", "u+w", str(data)], check=True)
        copy = make_store(assistant.settings.model_copy(update={"data_dir": data}), embedding_space(assistant.settings))
        assert copy.count() == assistant.store.count()
        kept = copy.count()
        ledger.add(
            "faults",
            "read-only data dir: `ingest` and `ask` as a user who cannot write it",
            f"both exit {results['ingest']} with 'is ... writable'; the index kept all {kept} chunks",
        )
    finally:
        subprocess.run(["chmod", "-R", "u+w", str(root)], check=False)
        shutil.rmtree(root, ignore_errors=True)


def test_truncated_gguf_is_a_clear_error_and_auto_never_needs_it(assistant: Assistant, tmp_path: Path, ledger) -> None:
    shipped = default_gguf(assistant.settings)
    broken = tmp_path / "truncated.gguf"
    with shipped.open("rb") as src, broken.open("wb") as dst:
        dst.write(src.read(shipped.stat().st_size // 4))
    settings = assistant.settings.model_copy(
        update={"gguf_path": broken, "ollama_host": f"http://127.0.0.1:{free_port()}", "llm": "auto"}
    )
    with pytest.raises(BackendUnavailable, match="complete GGUF"):
        make_llm(settings, "llamacpp")
    broken_assistant = Assistant(settings, embedder=assistant.embedder, store=assistant.store)
    with pytest.raises(BackendUnavailable, match="complete GGUF"):
        broken_assistant.ask("What is LoRA?", llm="llamacpp")
    answer = broken_assistant.ask("What is LoRA?")  # auto without Ollama answers with the composer
    assert answer.grounded and answer.backend == "extractive" and answer.citations
    ledger.add(
        "faults",
        "GGUF truncated to a quarter; llm=llamacpp, then llm=auto with no Ollama",
        "BackendUnavailable 'is the file a complete GGUF?'; auto answered from the sources (the composer)",
    )
