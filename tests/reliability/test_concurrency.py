"""Readers and a writer in separate processes, as people run them: the app, `serve` or `mcp` keep an Assistant
open while a CLI ingest changes the index (issue 29, items 2 and 3).

Property: whatever changes the writer makes (drawn by hypothesis: documents added, edited, deleted, renamed),
every ask of every reader either answers or gives one of our errors (a sentence with its remedy), never a
crash; a reader sees the writer's last document at its next question; and the index ends consistent: the
lexical index at the store's generation holding exactly its chunks, the record listing exactly its
documents, every chunk once. Embedded Chroma and a Chroma server alike.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from roadmap_rag.index.chroma_server import ChromaServer, free_port
from roadmap_rag.index.embeddings import Embedder
from roadmap_rag.index.ingest import ingest
from roadmap_rag.index.lexical import Lexical, in_step, signature
from roadmap_rag.index.records import chunk_record
from roadmap_rag.index.state import read_state
from roadmap_rag.index.store import ChromaStore
from roadmap_rag.settings import Settings
from tests.conftest import CORPUS, REPO
from tests.index.test_ingest import cli_env, expected_chunk_ids, run_cli

READERS, QUOTA = 2, 100  # 200 asks in all, across the writer's 5 ingests
DEADLINE_S = 420.0
# Made-up words: a question about one can only be answered from the document that introduces it.
MARKERS = ["zyzzyva", "quokkanet", "wombatformer", "axolotlora", "narwhalize", "pangolora"]
OPERATIONS = ("add", "rename", "edit", "delete")  # in this order, the first example hypothesis draws does each


def _added(corpus: Path) -> list[Path]:
    return sorted((corpus / "mine").glob("*.md"))


def change(corpus: Path, operation: str, step: int) -> str:
    """One drawn change to the corpus; what was done, in words. Deleting or renaming needs an added document:
    without one, a document is added instead."""
    mine = corpus / "mine"
    mine.mkdir(exist_ok=True)
    added = _added(corpus)
    if operation in ("delete", "rename") and added:
        victim = added[step % len(added)]
        if operation == "delete":
            victim.unlink()
        else:
            victim.rename(victim.with_name(f"renamed-{step}-{victim.name}"))
        return f"{operation} {victim.name}"
    if operation == "edit":
        path = corpus / "roadmaps" / "core-llm-roadmap.md"
        path.write_text(path.read_text(encoding="utf-8") + f"\n\n## Step {step} notes\n\nRevision {step}.\n")
        return "edit core-llm-roadmap.md"
    marker = MARKERS[step % len(MARKERS)]
    text = (
        f"# {marker.capitalize()} tuning\n\n{marker.capitalize()} tuning is a made-up method for small models: "
        f"it trains striped adapters in {step + 2} stages.\n\n## Steps\n\n- stripe the weights\n- train the adapters\n"
    )
    (mine / f"{marker}.md").write_text(text, encoding="utf-8")
    return f"add {marker}.md"


def _readers(env: dict[str, str], work: Path, done: Path) -> list[tuple[subprocess.Popen[bytes], Path]]:
    started = []
    for n in range(READERS):
        out = work / f"reader-{n}.jsonl"
        args = [sys.executable, "-m", "tests.reliability.asker", str(out), str(done), str(QUOTA), str(DEADLINE_S)]
        process = subprocess.Popen(args, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        started.append((process, out))
    return started


def _asks(out: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()] if out.exists() else []


def scenario(mode: str, operations: list[str], embedder: Embedder, work: Path) -> dict[str, object]:
    """Run it; the figures for the ledger. Asserts the property."""
    corpus = work / "corpus"
    shutil.copytree(CORPUS, corpus, ignore=shutil.ignore_patterns("papers"))
    with contextlib.ExitStack() as stack:
        env = cli_env(work / "data", corpus, ROADMAP_RAG_LLM="extractive", ROADMAP_RAG_QUERY_LOG="false")
        settings = Settings(data_dir=work / "data", corpus_dir=corpus, llm="extractive")
        if mode == "server":
            server = stack.enter_context(ChromaServer(work / "server", free_port()))
            env |= {"ROADMAP_RAG_CHROMA_HOST": "127.0.0.1", "ROADMAP_RAG_CHROMA_PORT": str(server.port)}
            settings = settings.model_copy(update={"chroma_host": "127.0.0.1", "chroma_port": server.port})
        assert ingest(settings, embedder=embedder).ok
        done = work / "writer-done"
        readers = _readers(env | {"PYTHONPATH": str(REPO)}, work, done)
        changes = []
        for step, operation in enumerate(operations):
            time.sleep(1.0)  # the readers are asking meanwhile
            changes.append(change(corpus, operation, step))
            result = run_cli("ingest", env=env, cwd=work)
            assert result.returncode == 0, (changes, result.stdout, result.stderr)
        present = [p.stem for p in _added(corpus)]
        marker = next((m for m in reversed(MARKERS) if any(p.endswith(m) for p in present)), "")
        done.write_text(marker, encoding="utf-8")
        for process, _ in readers:
            _, stderr = process.communicate(timeout=DEADLINE_S + 120)
            assert process.returncode == 0, stderr.decode(errors="replace")[-3000:]

        asks = [ask for _, out in readers for ask in _asks(out)]
        outcomes = Counter(str(a["outcome"]) for a in asks if a["question"] != "final")
        crashes = [a["message"] for a in asks if a["outcome"] == "crash"]
        assert not crashes, (changes, crashes[:3])  # never a traceback
        retries = [a["message"] for a in asks if a["outcome"] == "retry"]
        # 0 failures in both modes, not even a retry message: a read that meets the writer's changes settles first
        # (the store reopens an embedded client; a Chroma server compacting after deletes is given 1.7 s).
        assert not retries, (changes, retries[:3])
        during = sum(1 for a in asks if a["question"] != "final" and not a["writer_done"])
        assert sum(outcomes.values()) >= READERS * QUOTA and during > 0, (outcomes, during)
        finals = [a for a in asks if a["question"] == "final"]
        if marker:  # the writer's last document is seen at the next question, by the Assistants kept open
            assert len(finals) == READERS and all(a["seen"] for a in finals), (changes, finals)

        store = stack.enter_context(contextlib.closing(ChromaStore(settings, embedder.name)))
        lexical = Lexical(settings.lexical_dir)
        records = store.records()
        assert in_step(lexical, store)
        assert lexical.signatures() == {cid: signature(chunk_record(c)) for cid, c in records.items()}
        assert set(read_state(settings)["documents"]) == set(store.doc_sources()) == set(lexical.documents())
        assert set(records) == expected_chunk_ids(settings, corpus)  # every chunk of every file, once
        return {
            "asks": sum(outcomes.values()),
            "during": during,
            "changes": changes,
            "chunks": len(records),
            "retries": len(retries),
        }


@pytest.mark.parametrize("mode", ["embedded", "server"])
def test_readers_answer_while_a_writer_ingests(mode: str, embedder: Embedder, ledger) -> None:
    figures: list[dict[str, object]] = []

    # Every kind of change once, in a drawn order, and one more drawn: hypothesis's first example of a plain list
    # is its simplest (five adds), which would never delete or rename while readers ask.
    @given(st.tuples(st.permutations(OPERATIONS), st.sampled_from(OPERATIONS)).map(lambda t: [*t[0], t[1]]))
    @settings(max_examples=1, deadline=None, database=None)
    def property_holds(operations: list[str]) -> None:
        with tempfile.TemporaryDirectory(prefix=f"concurrency-{mode}-") as work:
            figures.append(scenario(mode, operations, embedder, Path(work)))

    property_holds()
    last = figures[-1]
    ledger.add(
        "concurrency",
        f"{READERS} reader processes (one Assistant each, kept open) x {QUOTA} asks while a writer process ran "
        f"{len(last['changes'])} CLI ingests of drawn changes ({', '.join(map(str, last['changes']))}); {mode} Chroma",
        f"{last['asks']} asks, {last['during']} of them during the ingests: all answered ({last['retries']} "
        "retry messages, 0 crashes); each "
        f"reader saw the writer's last document at its next question; index consistent ({last['chunks']} chunks, "
        "each once; the lexical index at the store's generation with the same chunks; the record with the same "
        "documents)",
    )
