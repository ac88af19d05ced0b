"""The whole `retrieve()` of two versions on the same prebuilt indexes, in one run (issue 32): an older commit
(checked out in a temporary worktree) and the working tree, each in fresh processes, alternating, so both meet
the same machine and the same page cache. Building a million-chunk index takes most of an hour on 2 cores;
this measures versions on indexes `python -m bench --sizes ...` (or `bench.scale.build`) left behind.

    python -m bench.compare --before 2dc30da --index /tmp/s1m/whole-100000:100000 --index /tmp/s1m/whole-1000000:1000000

Writes bench/results/compare-<date>.json and docs/benchmarks-compare.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.measure import REPO
from roadmap_rag import Settings
from roadmap_rag.evaluation import load_dataset


def run_child(src: Path, data: Path, size: int, questions: list[str], timeout: float) -> dict[str, Any]:
    """`bench.scale.child` with ``src`` first on the path: that version's Assistant on the index at ``data``."""
    values = {
        "data_dir": str(data),
        "collection": f"whole{size}",
        "llm": "extractive",
        "corpus_dir": str(REPO / "corpus"),
    }
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROADMAP_RAG_")} | {"HF_HUB_OFFLINE": "1"}
    env["ROADMAP_RAG_MODEL_CACHE"] = str(Settings().models_dir.resolve())
    env["PYTHONPATH"] = os.pathsep.join([str(src), str(REPO)])
    script = "import sys; from bench.scale import child; child(sys.argv[1], sys.argv[2], 'ours')"
    cmd = [sys.executable, "-c", script, json.dumps(values), json.dumps(questions)]
    done = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        return {"failed": done.stderr[-800:]}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(prog="python -m bench.compare", description=__doc__.split("\n")[0])
    parser.add_argument("--before", required=True, help="the older commit")
    parser.add_argument("--index", action="append", required=True, help="DIR:SIZE of a prebuilt index")
    parser.add_argument("--rounds", type=int, default=2, help="fresh processes per version and index")
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results")
    parser.add_argument("--doc", type=Path, default=REPO / "docs" / "benchmarks-compare.md")
    args = parser.parse_args(argv)
    questions = [i.question for i in load_dataset(REPO / "eval" / "datasets" / "roadmap_qa.jsonl")]
    before = subprocess.run(["git", "rev-parse", "--short", args.before], cwd=REPO, capture_output=True, text=True)
    rev = before.stdout.strip()
    after = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True)
    dirty = bool(subprocess.run(["git", "status", "--porcelain"], cwd=REPO, capture_output=True, text=True).stdout)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-compare-") as tmp:
        tree = Path(tmp) / "before"
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(tree), rev], cwd=REPO, check=True, capture_output=True
        )
        try:
            versions = {
                f"before ({rev})": tree / "src",
                f"after ({after.stdout.strip()}{'+' if dirty else ''})": REPO / "src",
            }
            for spec in args.index:
                data, size = spec.rsplit(":", 1)
                runs: dict[str, list[dict[str, Any]]] = {name: [] for name in versions}
                for n in range(args.rounds):
                    order = list(versions.items()) if n % 2 else list(reversed(versions.items()))
                    for name, src in order:
                        print(f"bench.compare: {int(size):,} chunks, {name}, round {n + 1} ...", flush=True)
                        runs[name].append(run_child(src, Path(data), int(size), questions, args.timeout))
                for name, got in runs.items():
                    ok = [r for r in got if "failed" not in r]
                    row: dict[str, Any] = {"size": int(size), "version": name, "runs": got}
                    for key in ("assistant_s", "first_answer_s", "p50_s", "p95_s", "peak_rss_mb"):
                        row[key] = statistics.median(r[key] for r in ok) if ok else None
                    rows.append(row)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=REPO, capture_output=True)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"compare-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    result = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "cpus": os.cpu_count(), "rows": rows}
    path.write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(table(rows))
    doc = args.doc
    doc.write_text(
        "# Two versions on the same prebuilt indexes\n\n"
        f"Written by `python -m bench.compare` on {result['date']} ({result['cpus']} cores) from `{path.name}`: "
        "each version in fresh processes, alternating, on the same index (synthetic papers beside the shipped "
        "corpus, `bench/scale.py`); `Assistant()`, a first `ask`, then every golden question through `retrieve()`. "
        "Medians of the rounds.\n\n" + table(rows) + "\n",
        encoding="utf-8",
    )
    print(f"bench.compare: wrote {path} and {doc}")
    return path


def table(rows: list[dict[str, Any]]) -> str:
    def cell(value: float | None, unit: str, scale: float = 1.0) -> str:
        return "failed" if value is None else f"{value * scale:.{1 if unit == 'ms' else 2}f} {unit}"

    lines = [
        "| chunks | version | p50 | p95 | `Assistant()` | first answer after start | peak RSS |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['size']:,} | {r['version']} | {cell(r['p50_s'], 'ms', 1000)} | {cell(r['p95_s'], 'ms', 1000)} "
            f"| {cell(r['assistant_s'], 's')} | {cell(r['first_answer_s'], 's')} | {cell(r['peak_rss_mb'], 'MB')} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
