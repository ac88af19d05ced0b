"""The benchmark runs end to end on a tiny size and writes its JSON and its table (issue 7's smoke test)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from roadmap_rag import Assistant, Settings
from tests.conftest import REPO


def test_bench_quick_run_writes_results_and_table(tmp_path: Path) -> None:
    out, doc = tmp_path / "results", tmp_path / "benchmarks.md"
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    cmd = [sys.executable, "-m", "roadmap_rag", "bench", "--quick", "--out", str(out), "--doc", str(doc)]
    done = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    (result,) = out.glob("*.json")
    assert "## The Ollama path: statements shown once checked" in doc.read_text()
    figures = json.loads(result.read_text())
    assert "failed" not in figures
    assert figures["ingest"]["chunks"] > 0 and figures["ingest"]["unchanged_reingest_s"] > 0
    for mode in ("dense", "lexical", "hybrid"):
        assert 0.0 <= figures["retrieval"][mode]["hit@5"] <= 1.0 and figures["retrieval"][mode]["p95"] > 0
    assert 0.0 <= figures["baseline"]["hit@5"] <= 1.0 and figures["baseline"]["p95"] > 0
    splits = figures["retrieval"]["splits"]  # issue 32: quality beside speed, per lane, on the held-out splits
    assert "retrieval holdout (issue 32)" in splits and set(splits) == set(figures["baseline"]["splits"])
    for lanes in splits.values():
        assert set(lanes) == {"dense", "lexical", "hybrid"}
        assert all(0.0 <= min(q.values()) <= max(q.values()) <= 1.0 and len(q) == 3 for q in lanes.values())
    paired = figures["baseline"]["paired"]  # ours and the starter, in alternating passes
    assert paired["hybrid"]["n"] == paired["starter"]["n"] == figures["questions"] and paired["starter"]["p95"] > 0
    assert {row["backend"].split(",")[0] for row in figures["embedding"]["rows"]} >= {
        "onnx fp32 (default)",
        "onnx int8",
    }
    assert 0.0 <= figures["embedding"]["int8_quality"]["int8"]["hit@5"] <= 1.0
    assert figures["answering"]["llamacpp_tokens_per_s"] > 0
    llm = figures["llm_path"]  # issue 28: the first checked statement, and the check's cost beside generation
    assert llm["answers"] == 3 and llm["first_verified_statement_s"]["p50"] > 0
    assert 0 < llm["verify_share_of_generation"]["p50"] < 1 and llm["verify_s_per_answer"]["p50"] > 0
    assert figures["answering"]["default_backend"] and figures["answering"]["default_total_s"]["p95"] > 0
    assert figures["cold_ask"]["default"]["wall_s"] > figures["cold_ask"]["python -c pass"]["wall_s"] > 0
    (row,) = figures["scale"]  # issue 18: the whole retrieve(), ours beside the in-memory BM25, same run
    assert row["size"] == 500 and row["store"] == "embedded" and 500 < row["ingest"]["passages"] <= 1000
    for which in ("ours", "in-memory BM25 (before)"):
        assert row[which]["grounded"] in (True, False) and 0 < row[which]["p50_s"] <= row[which]["p95_s"], row
        assert row[which]["first_answer_s"] > row[which]["assistant_s"] > 0 and row[which]["peak_rss_mb"] > 0
        assert row[which]["rss"] == "VmHWM"  # the child's own peak, not the bench process's
    assert row["disk_mb"]["lexical (tantivy)"] > 0 and row["ingest"]["lexical_per_s"] > 0
    observed = figures["observability"]  # issue 17: the log's and the tracing's cost, against both off
    assert all(observed[name]["n"] == observed["off"]["n"] > 0 for name in ("query log", "tracing", "both"))
    assert observed["spans_per_ask"] >= 6 and observed["log_bytes_per_ask"] > 500
    table = doc.read_text()
    assert "LlamaIndex starter" in table and "## Targets (issues 7, 15, 18 and 32)" in table and "(--quick" in table
    assert "## Scale: the whole hybrid `retrieve()`" in table
    assert "| retrieval holdout (issue 32) | ours (fused) |" in table
    assert "## Observability: the query log and the tracing, per `ask`" in table
    assert "cold `roadmap-rag ask`, default backend" in table and "`python -c pass` (same rounds)" in table
    assert (tmp_path / "benchmarks-scale.png").read_bytes()[:4] == b"\x89PNG"


def test_two_versions_are_compared_on_one_prebuilt_index(assistant: Assistant, tmp_path: Path) -> None:
    """`python -m bench.compare`: an older commit (a temporary worktree) and the working tree, in fresh processes,
    on an index built once; both rows measured, the worktree removed again."""
    import numpy as np
    from bench.compare import main
    from bench.scale import build, synthetic

    base = assistant.store.all_chunks()
    vectors = np.array(assistant.embedder.embed_documents([c.embedding_text() for c in base]), dtype=np.float32)
    data = tmp_path / "index"
    chunks, mixed = synthetic(base, vectors, 600)
    build(Settings(data_dir=data, collection="whole600"), chunks, mixed)
    doc = tmp_path / "compare.md"
    path = main(
        ["--before", "HEAD", "--index", f"{data}:600", "--rounds", "1", "--out", str(tmp_path), "--doc", str(doc)]
    )
    rows = json.loads(path.read_text())["rows"]
    assert [r["version"].split(" ")[0] for r in rows] == ["before", "after"]
    assert all(r["first_answer_s"] > r["assistant_s"] > 0 and 0 < r["p50_s"] <= r["p95_s"] for r in rows), rows
    assert "| 600 | before (" in doc.read_text()
    worktrees = subprocess.run(["git", "worktree", "list"], cwd=REPO, capture_output=True, text=True).stdout
    assert "bench-compare-" not in worktrees
