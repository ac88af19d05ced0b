"""Which engine should keep the lexical index on disk (issue 18)? bm25s saved to disk, SQLite FTS5 and tantivy,
on the same tokens (the corpus' own chunks, then synthetic chunks of corpus lines up to the size):
build time, disk, reopen time, query latency, and how far each one's ranking is from bm25s' in memory.

    python -m bench.lexical_engines [--size 100000]    # writes docs/lexical-engines.md
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from bench.measure import REPO
from roadmap_rag import Settings
from roadmap_rag.corpus.chunking import chunk_document
from roadmap_rag.errors import InputFileError
from roadmap_rag.evaluation import load_dataset
from roadmap_rag.index.ingest import collect
from roadmap_rag.index.lexical import Lexical, document_tokens, documents_of, query_tokens
from roadmap_rag.types import Kind

Search = Callable[[list[str]], list[str]]


def _texts(size: int, seed: int = 7) -> tuple[list[str], list[str]]:
    """The corpus' chunks (read and chunked as ingest does; nothing embedded), then synthetic ones."""
    settings = Settings(corpus_dir=REPO / "corpus")
    found = collect(settings, None)
    documents = [d for d in found.documents(settings) if not isinstance(d, InputFileError)]
    base = [c for d in documents for c in chunk_document(d, settings.chunk_size, settings.chunk_max)]
    rng = np.random.default_rng(seed)
    lines = [line for c in base for line in c.text.split("\n") if len(line) > 20]
    ids = [c.id for c in base] + [f"synthetic:{i}" for i in range(size - len(base))]
    texts = [c.embedding_text() for c in base]
    texts += [f"{lines[a]}\n{lines[b]}" for a, b in rng.integers(0, len(lines), size=(size - len(base), 2))]
    return ids, texts


def _latency(search: Search, queries: Sequence[list[str]]) -> tuple[float, float, list[list[str]]]:
    for q in queries[:3]:
        search(q)
    times, tops = [], []
    for q in queries:
        started = time.perf_counter()
        tops.append(search(q))
        times.append(time.perf_counter() - started)
    times.sort()
    return times[len(times) // 2], times[int(len(times) * 0.95)], tops


def _dir_mb(path: Path) -> float:
    return (
        sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6
        if path.is_dir()
        else path.stat().st_size / 1e6
    )


def bm25s_disk(ids: list[str], texts: list[str], work: Path) -> tuple[dict[str, float], Search]:
    import bm25s

    from roadmap_rag.index.lexical import _TOKEN_PATTERN, _stemmer

    started = time.perf_counter()
    index = bm25s.BM25()
    tokens = bm25s.tokenize(
        texts, stopwords="en", stemmer=_stemmer(), token_pattern=_TOKEN_PATTERN, show_progress=False
    )
    index.index(tokens, show_progress=False)
    index.save(str(work / "bm25s"))
    build = time.perf_counter() - started
    started = time.perf_counter()
    index = bm25s.BM25.load(str(work / "bm25s"), mmap=True)
    reopen = time.perf_counter() - started

    def search(q: list[str]) -> list[str]:
        found, scores = index.retrieve([q], k=20, show_progress=False)
        return [ids[int(i)] for i, s in zip(found[0], scores[0], strict=True) if s > 0]

    return {"build_s": build, "reopen_s": reopen, "disk_mb": _dir_mb(work / "bm25s"), "incremental": 0}, search


def fts5(ids: list[str], texts: list[str], work: Path) -> tuple[dict[str, float], Search]:
    started = time.perf_counter()
    bodies = document_tokens(texts)  # the same tokens as the others, tokenized inside the timing as theirs are
    db = sqlite3.connect(work / "fts5.db", check_same_thread=False)
    db.execute("create virtual table fts using fts5(id unindexed, body, tokenize=\"unicode61 tokenchars '_'\")")
    db.executemany("insert into fts(id, body) values (?, ?)", zip(ids, bodies, strict=True))
    db.commit()
    build = time.perf_counter() - started
    started = time.perf_counter()
    db = sqlite3.connect(work / "fts5.db", check_same_thread=False)
    db.execute("select count(*) from fts").fetchone()
    reopen = time.perf_counter() - started

    def search(q: list[str]) -> list[str]:
        terms = " OR ".join(f'"{t}"' for t in q)
        if not terms:
            return []
        return [r[0] for r in db.execute("select id from fts where fts match ? order by bm25(fts) limit 20", (terms,))]

    return {"build_s": build, "reopen_s": reopen, "disk_mb": _dir_mb(work / "fts5.db"), "incremental": 1}, search


def tantivy_index(ids: list[str], texts: list[str], work: Path) -> tuple[dict[str, float], Search]:
    from roadmap_rag.corpus.chunking import Chunk

    chunks = [
        Chunk(
            id=i, doc_id=i.split(":")[0], doc_title="", kind=Kind.ROADMAP, section="", text=t, start=0, end=0, ordinal=n
        )
        for n, (i, t) in enumerate(zip(ids, texts, strict=True))
    ]
    started = time.perf_counter()
    lexical = Lexical(work / "tantivy")
    with lexical.writing() as write:
        for i in range(0, len(chunks), 4096):
            write.add(chunks[i : i + 4096])
        write.documents = documents_of(chunks)
        write.commit("bench")
    build = time.perf_counter() - started
    started = time.perf_counter()
    lexical = Lexical(work / "tantivy")
    lexical.engines["chunks"].searcher()
    reopen = time.perf_counter() - started
    engine = lexical.engines["chunks"]

    def search(q: list[str]) -> list[str]:
        return [doc["id"][0] for doc, _ in engine.search(q, 20)]

    return {"build_s": build, "reopen_s": reopen, "disk_mb": _dir_mb(work / "tantivy"), "incremental": 1}, search


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(prog="python -m bench.lexical_engines", description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--doc", type=Path, default=REPO / "docs" / "lexical-engines.md")
    args = parser.parse_args(argv)
    ids, texts = _texts(args.size)
    queries = [query_tokens(i.question) for i in load_dataset(REPO / "eval/datasets/roadmap_qa.jsonl")]
    work = Path(tempfile.mkdtemp(prefix="lexical-engines-"))
    rows: dict[str, dict[str, Any]] = {}
    try:
        for name, make in (("bm25s, saved to disk", bm25s_disk), ("SQLite FTS5", fts5), ("tantivy", tantivy_index)):
            print(f"bench: {name} on {args.size:,} chunks ...", flush=True)
            figures, search = make(ids, texts, work)
            p50, p95, tops = _latency(search, queries)
            rows[name] = figures | {"p50_s": p50, "p95_s": p95, "tops": tops}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    reference = rows["bm25s, saved to disk"]["tops"]
    lines = [
        "# Lexical engines for the persistent BM25 index",
        "",
        f"Written by `python -m bench.lexical_engines` on {datetime.now(UTC):%Y-%m-%dT%H:%M}Z: "
        f"{args.size:,} chunks (the "
        "corpus' own, then synthetic chunks of two corpus lines), the same BM25 tokens for each engine, the "
        f'{len(queries)} golden-set questions (top 20). "Same top 5" is the share of bm25s\' top 5 each engine '
        "returns in its own top 5; tantivy's row is the index as roadmap-rag runs it (candidates from tantivy, "
        "scored again as bm25s scores). Synthetic chunks repeat corpus lines, so many share a score, and engines "
        "order ties differently; on the corpus itself the tantivy index returns bm25s' rankings and scores "
        "(tests/index/test_lexical.py).",
        "",
        "| engine | updates in place | build | disk | reopen | query p50 | query p95 | same top 5 as bm25s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, r in rows.items():
        same = statistics.mean(
            len(set(a[:5]) & set(b[:5])) / max(1, min(5, len(b))) for a, b in zip(r["tops"], reference, strict=True)
        )
        lines.append(
            f"| {name} | {'yes' if r['incremental'] else 'no: a change rebuilds it'} | {r['build_s']:.1f} s "
            f"| {r['disk_mb']:.0f} MB | {r['reopen_s'] * 1000:.1f} ms | {r['p50_s'] * 1000:.2f} ms "
            f"| {r['p95_s'] * 1000:.2f} ms | {same:.3f} |"
        )
    args.doc.parent.mkdir(parents=True, exist_ok=True)
    args.doc.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"bench: wrote {args.doc}")
    return args.doc


if __name__ == "__main__":
    main()
