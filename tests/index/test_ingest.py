"""Ingestion into real Chroma with the real embedding model: incremental, idempotent, repairable."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from roadmap_rag.corpus.chunking import chunk_document
from roadmap_rag.corpus.documents import discover, iter_documents, load_manifest
from roadmap_rag.index.chroma_server import ChromaServer, free_port
from roadmap_rag.index.embeddings import embedding_space
from roadmap_rag.index.ingest import ingest
from roadmap_rag.index.lexical import Lexical, signature
from roadmap_rag.index.records import chunk_record
from roadmap_rag.index.state import index_status
from roadmap_rag.index.store import ChromaStore
from roadmap_rag.settings import Settings
from tests.conftest import CORPUS
from tests.fakes import HashingEmbedder, MemoryStore


def expected_chunk_ids(settings: Settings, root: Path) -> set[str]:
    files, _ = discover([root], settings)
    ids: set[str] = set()
    for doc in iter_documents(files, settings, load_manifest(root)):
        if not isinstance(doc, Exception):
            ids |= {c.id for c in chunk_document(doc, settings.chunk_size, settings.chunk_max)}
    return ids


def stored_ids(settings: Settings) -> list[str]:
    store = ChromaStore(settings, embedding_space(settings))
    return [c.id for c in store.all_chunks()]


def test_cold_then_unchanged_then_edit_then_delete(make_settings, corpus_copy, embedder) -> None:
    settings = make_settings(corpus_dir=corpus_copy)
    cold = ingest(settings, embedder=embedder)
    assert cold.ok and cold.documents_seen == 5
    assert cold.added == len(expected_chunk_ids(settings, corpus_copy)) > 80
    assert sorted(stored_ids(settings)) == sorted(expected_chunk_ids(settings, corpus_copy))

    again = ingest(settings, embedder=embedder)
    assert (again.added, again.updated, again.removed) == (0, 0, 0)
    assert again.unchanged == cold.added

    # Edit the first paragraph: its chunk is replaced, later chunks only move.
    path = corpus_copy / "roadmaps/complete-llm-learning-roadmap.txt"
    path.write_text(path.read_text().replace("sophisticated AI systems", "AI systems"))
    edited = ingest(settings, embedder=embedder)
    assert edited.added == 1 and edited.removed == 1
    assert edited.updated > 10  # offsets shifted, metadata rewritten without re-embedding
    assert sorted(stored_ids(settings)) == sorted(expected_chunk_ids(settings, corpus_copy))
    store = ChromaStore(settings, embedding_space(settings))
    first = next(c for c in store.all_chunks() if c.doc_id == "complete-llm-roadmap" and c.ordinal == 1)
    assert path.read_text()[: first.end].endswith(first.text[-20:])

    # Drop a document's aliases from the manifest: the stored chunks lose them too (Chroma merges
    # metadata on update, so a key that is gone has to be deleted explicitly).
    manifest = corpus_copy / "manifest.yaml"
    manifest.write_text(
        manifest.read_text().replace('    aliases: ["complete roadmap", "complete LLM learning roadmap"]\n', "")
    )
    unaliased = ingest(settings, embedder=embedder)
    assert unaliased.added == 0 and unaliased.updated == len(
        [i for i in stored_ids(settings) if i.startswith("complete-llm-roadmap:")]
    )
    complete = [c for c in store.all_chunks() if c.doc_id == "complete-llm-roadmap"]
    assert complete and all(c.aliases == () for c in complete)

    # Delete a document: its chunks leave the index, the rest stay.
    curriculum = [i for i in stored_ids(settings) if i.startswith("comprehensive-llm-curriculum:")]
    (corpus_copy / "roadmaps/comprehensive-llm-curriculum.txt").unlink()
    deleted = ingest(settings, embedder=embedder)
    assert deleted.documents_removed == 1 and deleted.removed == len(curriculum) > 10
    remaining = stored_ids(settings)
    assert not any(i.startswith("comprehensive-llm-curriculum:") for i in remaining)
    assert sorted(remaining) == sorted(expected_chunk_ids(settings, corpus_copy))
    assert "comprehensive-llm-curriculum" not in index_status(settings).documents


def test_a_file_that_turns_bad_keeps_its_chunks(make_settings, corpus_copy, embedder) -> None:
    settings = make_settings(corpus_dir=corpus_copy)
    ingest(settings, embedder=embedder)
    before = stored_ids(settings)
    (corpus_copy / "roadmaps/core-llm-roadmap.md").write_bytes(b"\xff\xfe\x00broken")
    report = ingest(settings, embedder=embedder)
    assert not report.ok and "core-llm-roadmap.md" in str(report.failures[0])
    assert sorted(stored_ids(settings)) == sorted(before)


def run_cli(*args: str, env: dict[str, str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "roadmap_rag", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def cli_env(data_dir: Path, corpus: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROADMAP_RAG_")}
    env.update(ROADMAP_RAG_DATA_DIR=str(data_dir), ROADMAP_RAG_CORPUS_DIR=str(corpus), HF_HUB_OFFLINE="1")
    env.update(extra)
    return env


def test_cli_reports_each_bad_input_and_ingests_the_rest(tmp_path: Path, corpus_copy: Path) -> None:
    bad = corpus_copy / "bad"
    bad.mkdir()
    (bad / "empty.md").write_text("")
    (bad / "binary.txt").write_bytes(b"\x00\x01\x02" * 100)
    (bad / "latin1.txt").write_bytes("na\xefve".encode("latin-1"))
    (bad / "corrupt.pdf").write_bytes(b"%PDF-1.7 not really")
    (bad / "huge.md").write_text("x" * 30000)
    env = cli_env(tmp_path / "data", corpus_copy, ROADMAP_RAG_MAX_FILE_BYTES="20000")
    result = run_cli("ingest", str(corpus_copy), str(tmp_path / "missing.md"), env=env, cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    for name, reason in [
        ("empty.md", "is empty"),
        ("binary.txt", "binary"),
        ("latin1.txt", "not valid UTF-8"),
        ("corrupt.pdf", "not a readable PDF"),
        ("huge.md", "max_file_bytes"),
        ("missing.md", "does not exist"),
    ]:
        line = next((ln for ln in result.stderr.splitlines() if name in ln), "")
        assert reason in line, (name, result.stderr)
    assert "5 documents seen" in result.stdout and "6 failed" in result.stdout

    status = run_cli("status", "--json", env=env, cwd=tmp_path)
    want = len(expected_chunk_ids(Settings(corpus_dir=CORPUS), CORPUS))  # the bad files add nothing
    assert status.returncode == 0 and f'"chunks": {want}' in status.stdout


def test_sigkill_mid_ingest_then_rerun_leaves_every_chunk_once(tmp_path: Path, corpus_copy: Path, ledger) -> None:
    # Ten documents so that the kill lands between two documents' writes.
    for path in list((corpus_copy / "roadmaps").iterdir()):
        shutil.copy(path, path.with_name("copy-" + path.name))
    env = cli_env(tmp_path / "data", corpus_copy, ROADMAP_RAG_EMBEDDING_BATCH_SIZE="8")
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=corpus_copy)
    expected = expected_chunk_ids(settings, corpus_copy)

    for kill_after_lines in (0, 1, 4):  # before any write, after the first, after several
        proc = subprocess.Popen(
            [sys.executable, "-m", "roadmap_rag", "ingest", "--verbose"],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        deadline = time.monotonic() + 240
        seen = 0
        assert proc.stdout is not None
        while seen < kill_after_lines and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            seen += line.startswith("written ")
        if kill_after_lines == 0:
            time.sleep(2)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        assert proc.returncode == -signal.SIGKILL

    result = run_cli("ingest", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    ids = stored_ids(settings)
    assert len(ids) == len(set(ids)) == len(expected)
    assert set(ids) == expected
    store = ChromaStore(settings, embedding_space(settings))
    assert store.without_passages() == set()  # every chunk has its lines
    lexical = Lexical(settings.lexical_dir)  # and the lexical index holds each chunk, with its current record
    assert lexical.signatures() == {cid: signature(chunk_record(c)) for cid, c in store.records().items()}
    assert lexical.generation == store.generation()
    rerun = run_cli("ingest", env=env, cwd=tmp_path)
    assert "0 added, 0 updated, 0 removed" in rerun.stdout
    ledger.add(
        "faults",
        "SIGKILL during ingest 3 times (before any Chroma write, after the first, after several); re-run",
        f"re-run repaired the index: {len(ids)} chunks, each exactly once, every chunk with its passages, "
        "the lexical index in step with Chroma (same chunks, same records, same generation)",
    )


def test_chunks_missing_their_passages_are_rewritten(make_settings, corpus_copy, embedder) -> None:
    """An index from before passages existed (or a store that lost them) is repaired, not rebuilt."""
    settings = make_settings(corpus_dir=corpus_copy)
    ingest(settings, embedder=embedder)
    store = ChromaStore(settings, embedder.name)
    doc_chunks = [c for c in store.all_chunks() if c.doc_id == "core-llm-roadmap"]
    store._passages.delete(where={"doc_id": "core-llm-roadmap"})
    store._passages.add(ids=["gone:0#0"], embeddings=[[0.0] * 384], metadatas=[{"chunk_id": "gone:0"}])
    assert store.without_passages() == {c.id for c in doc_chunks}  # and the orphan is dropped
    repaired = ingest(settings, embedder=embedder)
    assert repaired.added == len(doc_chunks) and repaired.removed == 0
    assert store.without_passages() == set()
    hits = store.query_passages(embedder.embed_query("Chatbot with Memory"), 3, {"doc_id": "core-llm-roadmap"})
    assert hits and hits[0][0] in {c.id for c in doc_chunks}


def test_chroma_server_mode(tmp_path: Path, make_settings, corpus_copy, embedder) -> None:
    with ChromaServer(tmp_path / "server", free_port()) as server:
        settings = make_settings(chroma_host="127.0.0.1", chroma_port=server.port, corpus_dir=corpus_copy)
        report = ingest(settings, embedder=embedder)
        assert report.ok and report.added == len(expected_chunk_ids(settings, corpus_copy))
        assert not settings.chroma_dir.exists()  # nothing was written locally
        store = ChromaStore(settings, embedder.name)
        hits = store.query(embedder.embed_query("Mixture of Experts and quantization papers"), 3)
        assert "6.2 Scaling & Efficiency" in hits[0][0].section
        assert ingest(settings, embedder=embedder).added == 0
        assert "chroma server http://127.0.0.1" in index_status(settings).store


def test_unreachable_chroma_server_says_how_to_start_it(make_settings) -> None:
    from roadmap_rag.errors import IndexUnavailable

    settings = make_settings(chroma_host="127.0.0.1", chroma_port=free_port())
    with pytest.raises(IndexUnavailable, match=r"chroma run --host 127\.0\.0\.1"):
        ChromaStore(settings, embedding_space(settings))


# -- the fast tier: planning on the in-memory store (the same phases, no model, no Chroma) --------------
@pytest.mark.fast
def test_fast_plan_adds_then_keeps_then_moves_then_removes(make_settings, corpus_copy) -> None:
    settings, embedder, store = make_settings(corpus_dir=corpus_copy), HashingEmbedder(), MemoryStore()
    cold = ingest(settings, embedder=embedder, store=store)
    assert cold.added == store.count() == len(expected_chunk_ids(settings, corpus_copy))

    writes = store.writes
    again = ingest(settings, embedder=embedder, store=store)
    assert (again.added, again.updated, again.removed, store.writes) == (0, 0, 0, writes)  # nothing written

    path = corpus_copy / "roadmaps/complete-llm-learning-roadmap.txt"
    path.write_text(path.read_text().replace("sophisticated AI systems", "AI systems"))
    edited = ingest(settings, embedder=embedder, store=store)
    assert (edited.added, edited.removed) == (1, 1) and edited.updated > 10  # later chunks only moved
    assert {c.id for c in store.all_chunks()} == expected_chunk_ids(settings, corpus_copy)

    (corpus_copy / "roadmaps/comprehensive-llm-curriculum.txt").unlink()
    deleted = ingest(settings, embedder=embedder, store=store)
    assert deleted.documents_removed == 1 and not store.document_chunks("comprehensive-llm-curriculum")


@pytest.mark.fast
def test_fast_an_interrupted_ingest_is_completed_by_the_next(make_settings, corpus_copy) -> None:
    settings, embedder, store = make_settings(corpus_dir=corpus_copy), HashingEmbedder(), MemoryStore()

    def crash_after_two(stage: str, done: int, total: int) -> None:
        if stage == "written" and done == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ingest(settings, embedder=embedder, store=store, progress=crash_after_two)
    written = store.count()
    repaired = ingest(settings, embedder=embedder, store=store)
    assert 0 < written < store.count() and repaired.added == store.count() - written
    assert {c.id for c in store.all_chunks()} == expected_chunk_ids(settings, corpus_copy)


@pytest.mark.fast
def test_fast_a_later_file_with_a_held_id_is_refused_not_a_silent_replacement(
    make_settings, corpus_copy: Path, tmp_path: Path, ledger
) -> None:
    """Issue 29, item 1: `ingest mine/` with a file named like a shipped roadmap deleted the roadmap's chunks,
    and two folders each holding notes.md replaced each other on every ingest."""
    settings, embedder, store = make_settings(corpus_dir=corpus_copy), HashingEmbedder(), MemoryStore()
    ingest(settings, embedder=embedder, store=store)
    shipped = {c.id for c in store.document_chunks("core-llm-roadmap")}
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "core-llm-roadmap.md").write_text("# My notes\n\nMy own notes on attention and LoRA.\n")

    report = ingest(settings, [mine], embedder=embedder, store=store)
    assert not report.ok and report.added == report.removed == 0
    (failure,) = report.failures
    reason = str(failure)
    assert str(mine / "core-llm-roadmap.md") in reason and str(corpus_copy / "roadmaps") in reason
    assert "rename" in reason and "core-llm-roadmap" in reason
    assert {c.id for c in store.document_chunks("core-llm-roadmap")} == shipped  # nothing lost

    a, b = tmp_path / "a", tmp_path / "b"
    for folder, topic in ((a, "tokenizers"), (b, "quantization")):
        folder.mkdir()
        (folder / "notes.md").write_text(f"# Notes\n\nMy notes on {topic}.\n")
    assert ingest(settings, [a], embedder=embedder, store=store).ok
    assert not ingest(settings, [b], embedder=embedder, store=store).ok
    assert "tokenizers" in store.document_chunks("notes")[0].text  # a's notes stay

    (a / "notes.md").unlink()  # a file that is gone gives its id up: a move is not a clash
    assert ingest(settings, [b], embedder=embedder, store=store).ok
    assert "quantization" in store.document_chunks("notes")[0].text
    ledger.add(
        "data loss",
        "`ingest mine/` holding a file named like a shipped roadmap; "
        "two folders each holding notes.md, ingested in turn",
        f"refused with a line naming both files ('{reason[:60]}...'); the shipped roadmap kept its "
        f"{len(shipped)} chunks, the first notes.md kept its id; once it was deleted the other took the id",
    )
