"""The bench command: the benchmarks of bench/, run from this checkout."""

from __future__ import annotations

import sys

import typer

from roadmap_rag.cli.console import _fail
from roadmap_rag.cli.serving import app_script
from roadmap_rag.errors import RoadmapRagError


def bench_cmd(ctx: typer.Context) -> None:
    """Benchmarks against the LlamaIndex starter baseline: runs `python -m bench` (see bench/__main__.py).

    Options pass through: --sizes 10000,100000,1000000, --no-server, --quick, --llamacpp-questions N.
    """
    import subprocess

    root = app_script().parents[1]
    if not (root / "bench" / "__main__.py").is_file():
        raise _fail(RoadmapRagError(f"bench/ not found under {root}; run from the roadmap-rag checkout"))
    raise typer.Exit(subprocess.call([sys.executable, "-m", "bench", *ctx.args], cwd=root))
