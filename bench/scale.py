"""The whole `retrieve()` at scale (issue 18): hybrid, with passages, through the persistent lexical index,
beside today's in-memory BM25 (the index the retriever used to rebuild from every chunk in the store),
measured in the same run: latency, cold start to the first answer, RSS, disk per index, ingest throughput.

The index holds the shipped corpus and synthetic papers (150 chunks each) up to the size: each synthetic
chunk is two corpus lines (two passages, two sentence runs), its vector mixed from two real chunks'.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from roadmap_rag import Assistant, Settings
from roadmap_rag.corpus.chunking import Chunk
from roadmap_rag.index.chroma_server import ChromaServer, free_port
from roadmap_rag.index.embeddings import embedding_space
from roadmap_rag.index.lexical import Lexical, documents_of
from roadmap_rag.index.records import chunk_record
from roadmap_rag.index.store import ChromaStore
from roadmap_rag.observe.querylog import QueryLog
from roadmap_rag.retrieve.hybrid import HybridRetriever
from roadmap_rag.retrieve.scope import Filters
from roadmap_rag.types import Kind

REPO = Path(__file__).resolve().parents[1]
PAPER_CHUNKS = 150  # chunks per synthetic paper: a 20-page paper's text
_BATCH = 2048  # chunks per write: their 4,096 passages stay under Chroma's largest batch (5,461)


class InMemoryBM25(HybridRetriever):
    """The retriever as it was before the lexical index persisted: BM25 (bm25s) built in memory from every
    chunk in the store on the first question, and rebuilt whenever the store's count changes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._memory: tuple[int, Any, list[Chunk]] | None = None
        self._memory_lock = threading.Lock()

    def lexical(self, query: str, k: int, filters: Filters, refresh: bool = True) -> list[tuple[Chunk, float]]:
        import bm25s

        from roadmap_rag.index.lexical import _TOKEN_PATTERN, _stemmer

        self._sync(refresh)
        count = self.store.count()  # the old staleness check
        with self._memory_lock:
            if self._memory is None or self._memory[0] != count:
                chunks = self.store.all_chunks()
                index = bm25s.BM25()
                texts = [c.embedding_text() for c in chunks]
                tokens = bm25s.tokenize(
                    texts, stopwords="en", stemmer=_stemmer(), token_pattern=_TOKEN_PATTERN, show_progress=False
                )
                index.index(tokens, show_progress=False)
                self._memory = (count, index, chunks)
            _, index, chunks = self._memory
        query_tokens = bm25s.tokenize(query, stemmer=_stemmer(), token_pattern=_TOKEN_PATTERN, show_progress=False)
        depth = len(chunks) if filters.where() else min(k, len(chunks))
        ids, scores = index.retrieve(query_tokens, k=depth, show_progress=False)
        out = []
        for i, score in zip(ids[0], scores[0], strict=True):
            chunk = chunks[int(i)]
            if score > 0 and filters.accepts(chunk):
                out.append((chunk, float(score)))
                if len(out) >= k:
                    break
        return out


def synthetic(base: Sequence[Chunk], vectors: np.ndarray, size: int, seed: int = 7) -> tuple[list[Chunk], np.ndarray]:
    """The corpus' own chunks, then synthetic papers up to ``size`` chunks: a team's few hundred papers beside
    the roadmaps. Each synthetic chunk holds two corpus lines, its vector mixed from two real chunks'."""
    size -= len(base)
    rng = np.random.default_rng(seed)
    lines = [line for c in base for line in c.text.split("\n") if len(line) > 20]
    picks = rng.integers(0, len(base), size=(size, 2))
    weights = rng.random((size, 1))
    mixed = weights * vectors[picks[:, 0]] + (1 - weights) * vectors[picks[:, 1]]
    mixed += rng.normal(0, 0.02, mixed.shape)
    mixed /= np.linalg.norm(mixed, axis=1, keepdims=True)
    chosen = rng.integers(0, len(lines), size=(size, 2))
    chunks = []
    for i in range(size):
        text = f"{lines[chosen[i, 0]]}\n{lines[chosen[i, 1]]}"
        source = base[picks[i, 0]]
        paper = i // PAPER_CHUNKS
        chunks.append(
            Chunk(
                id=f"synthetic-paper-{paper}:{i:08d}",
                doc_id=f"synthetic-paper-{paper}",
                doc_title=f"Synthetic paper {paper}",
                kind=Kind.PAPER,
                section=source.section,
                text=text,
                start=0,
                end=len(text),
                ordinal=i % PAPER_CHUNKS,
                page=1 + (i % PAPER_CHUNKS) // 8,
            )
        )
    return [*base, *chunks], np.vstack([vectors, mixed]).astype(np.float32)


def build(settings: Settings, chunks: Sequence[Chunk], vectors: np.ndarray, seed: int = 11) -> dict[str, float]:
    """Write the chunks, their line passages and the lexical index as ingest does; seconds and rates."""
    rng = np.random.default_rng(seed)
    store = ChromaStore(settings, embedding_space(settings))  # the space the Assistant's queries are in
    timings: dict[str, float] = {}
    started = time.perf_counter()
    for i in range(0, len(chunks), _BATCH):
        part = chunks[i : i + _BATCH]
        store._collection.add(
            ids=[c.id for c in part],
            embeddings=vectors[i : i + _BATCH],
            documents=[c.text for c in part],
            metadatas=[chunk_record(c) for c in part],
        )
    timings["chunks_s"] = time.perf_counter() - started
    started = time.perf_counter()
    passages = 0
    for i in range(0, len(chunks), _BATCH):
        part = chunks[i : i + _BATCH]
        lines = [(c, n, f"{c.section}: {line}") for c in part for n, line in enumerate(c.text.split("\n")[:2])]
        owners = [j for j, c in enumerate(part) for _ in c.text.split("\n")[:2]]
        noisy = vectors[i : i + _BATCH][owners]
        noisy = noisy + rng.normal(0, 0.05, noisy.shape).astype(np.float32)
        noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
        store._passages.add(
            ids=[f"{c.id}#{n}" for c, n, _ in lines],
            embeddings=noisy,
            documents=[text for _, _, text in lines],
            metadatas=[{"chunk_id": c.id, "doc_id": c.doc_id, "kind": str(c.kind)} for c, _, _ in lines],
        )
        passages += len(lines)
    timings["passages_s"] = time.perf_counter() - started
    started = time.perf_counter()
    lexical = Lexical(settings.lexical_dir)
    generation = uuid.uuid4().hex
    with lexical.writing() as write:
        for i in range(0, len(chunks), _BATCH):
            write.add(chunks[i : i + _BATCH])
        write.documents = documents_of(chunks)
        write.commit(generation)
    store.set_generation(generation)
    from roadmap_rag.index.guides import save_guides  # here: `bench.compare` runs `child` on older trees too

    save_guides(settings.lexical_dir, generation, store)  # as ingest does: the roadmaps' and cards' vectors
    timings["lexical_s"] = time.perf_counter() - started
    n = len(chunks)
    return timings | {
        "passages": passages,
        "chunks_per_s": n / timings["chunks_s"],
        "passages_per_s": passages / timings["passages_s"],
        "lexical_per_s": n / timings["lexical_s"],
    }


def _dir_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6 if path.exists() else 0.0


def child(settings_json: str, questions_json: str, which: str) -> None:
    """In a fresh process: the Assistant, its first answer, then every question through `retrieve`;
    prints seconds, latencies and peak RSS as JSON (bench/scale.py runs this)."""
    started = time.perf_counter()
    settings = Settings(**json.loads(settings_json))
    questions = json.loads(questions_json)
    assistant = Assistant(settings)
    if which == "in-memory BM25 (before)":
        assistant.retriever = InMemoryBM25(settings, assistant.store, assistant.embedder)
    made = time.perf_counter()
    answer = assistant.ask(questions[0])
    first = time.perf_counter()
    times = []
    for question in questions:
        t0 = time.perf_counter()
        assistant.retrieve(question)
        times.append(time.perf_counter() - t0)
    times.sort()
    log = QueryLog(settings)
    first_record = next(iter(log.records()), {})  # the first answer's stages, from the query log
    result = {
        "first_answer_stages_ms": first_record.get("timings_ms", {}),
        "assistant_s": made - started,
        "first_answer_s": first - started,
        "grounded": answer.grounded,
        "p50_s": times[len(times) // 2],
        "p95_s": times[min(len(times) - 1, int(len(times) * 0.95))],
        "peak_rss_mb": _peak_rss_mb(),
        "rss": "VmHWM",
    }
    print(json.dumps(result))


def _peak_rss_mb() -> float:
    """This process's own peak RSS (VmHWM): ru_maxrss carries the parent's high-water mark across exec, so a
    child of the big bench process reported the bench's peak, not its own."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _run_child(settings: Settings, questions: Sequence[str], which: str, timeout: float) -> dict[str, Any]:
    values = {
        "data_dir": str(settings.data_dir),
        "collection": settings.collection,
        "llm": "extractive",
        "corpus_dir": str(REPO / "corpus"),
        "chroma_host": settings.chroma_host,
        "chroma_port": settings.chroma_port,
    }
    script = "import sys; from bench.scale import child; child(sys.argv[1], sys.argv[2], sys.argv[3])"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROADMAP_RAG_")} | {"HF_HUB_OFFLINE": "1"}
    env["ROADMAP_RAG_MODEL_CACHE"] = str(Settings().models_dir.resolve())
    cmd = [sys.executable, "-c", script, json.dumps(values), json.dumps(list(questions)), which]
    started = time.perf_counter()
    try:
        done = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"failed": f"did not finish within {timeout:.0f} s"}
    if done.returncode != 0:
        return {"failed": done.stderr[-500:]}
    return json.loads(done.stdout.strip().splitlines()[-1]) | {"process_s": time.perf_counter() - started}


def measure_retrieve_scale(
    base: Sequence[Chunk],
    vectors: np.ndarray,
    questions: Sequence[str],
    sizes: Sequence[int],
    work: Path,
    server_max: int = 0,
    before_timeout: float = 900.0,
) -> list[dict[str, Any]]:
    """One row per size and store: build, then ours and the in-memory BM25 retriever in fresh processes."""
    rows = []
    for size in sizes:
        chunks, mixed = synthetic(base, vectors, size)
        for where in ("embedded", "server") if size <= server_max else ("embedded",):
            data = work / f"whole-{size}-{where}"
            settings = Settings(data_dir=data, collection=f"whole{size}")
            server = ChromaServer(data / "server", free_port()).start() if where == "server" else None
            if server:
                settings = settings.model_copy(update={"chroma_host": "127.0.0.1", "chroma_port": server.port})
            try:
                built = build(settings, chunks, mixed)
                row: dict[str, Any] = {"size": size, "store": where, "ingest": built}
                row["disk_mb"] = {
                    "chroma (chunks + passages)": _dir_mb(data / "server" if server else settings.chroma_dir),
                    "lexical (tantivy)": _dir_mb(settings.lexical_dir),
                }
                for which in ("ours", "in-memory BM25 (before)"):
                    print(f"bench: whole retrieve at {size:,} ({where}), {which} ...", flush=True)
                    row[which] = _run_child(settings, questions, which, before_timeout)
                rows.append(row)
            finally:
                if server:
                    server.stop()
                shutil.rmtree(data, ignore_errors=True)
    return rows
