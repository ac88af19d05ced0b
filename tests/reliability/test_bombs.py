"""Decompression and nesting bombs: a small file that inflates or nests without bound is refused, or read in
time linear in its size, and never costs unbounded memory. Each test is bounded in time: no input here takes
more than a few seconds on the fixed code."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from roadmap_rag.corpus.documents import load_document
from roadmap_rag.settings import Settings
from tests.pdfs import write_flate_bomb

pytestmark = pytest.mark.fast  # logic only: no model, no Chroma, no server (make test-fast)

BOMB_BYTES = 1_000_000_000  # 1 GB inflated from about 1 MB: 2.0 GB of peak memory before the bound
PEAK_MB = 500

# Loads one file in a fresh interpreter and reports its refusal (or text) and its own peak memory.
_CHILD = """
import json, sys
from pathlib import Path
from roadmap_rag.corpus.documents import load_document
from roadmap_rag.errors import InputFileError
from roadmap_rag.settings import Settings
try:
    doc = load_document(Path(sys.argv[1]), Settings(data_dir=Path(sys.argv[2])))
    outcome = {"text": doc.text[:200]}
except InputFileError as exc:
    outcome = {"error": str(exc)}
# VmHWM is this program's own peak: ru_maxrss keeps the forked parent's size across exec (a 2 GB pytest).
hwm = next(line for line in Path("/proc/self/status").read_text().splitlines() if line.startswith("VmHWM:"))
outcome["peak_mb"] = int(hwm.split()[1]) // 1024
print(json.dumps(outcome))
"""


def test_a_pdf_flate_bomb_is_refused_in_bounded_memory(tmp_path: Path, ledger) -> None:
    bomb = write_flate_bomb(tmp_path / "bomb.pdf", BOMB_BYTES)
    assert bomb.stat().st_size < 2_000_000  # far under max_file_bytes: that limit cannot catch it
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(bomb), str(tmp_path / "data")],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    seconds = time.perf_counter() - started
    outcome = json.loads(done.stdout)
    assert "error" in outcome, outcome
    assert str(bomb) in outcome["error"] and "max_pdf_inflated_bytes=250,000,000" in outcome["error"]
    assert "ROADMAP_RAG_MAX_PDF_INFLATED_BYTES" in outcome["error"]
    assert outcome["peak_mb"] < PEAK_MB, outcome
    ledger.add(
        "decompression bomb",
        f"a {bomb.stat().st_size / 1e6:.1f} MB PDF whose content stream inflates to {BOMB_BYTES / 1e9:g} GB",
        f"refused naming max_pdf_inflated_bytes; peak memory {outcome['peak_mb']} MB "
        f"(bound {PEAK_MB} MB), {seconds:.1f} s in a fresh process",
    )


def _nested(tmp_path: Path, depth: int) -> Path:
    path = tmp_path / f"nested-{depth}.html"
    path.write_text(f"<h2>Deep {'<span>' * 100}heading{'</span>' * 100}</h2>" + "<div>" * depth + "deep text")
    return path


def _load_seconds(path: Path, settings: Settings, tries: int = 3) -> float:
    """The fastest of a few loads: the least disturbed by other work on the machine."""
    best = float("inf")
    for _ in range(tries):
        started = time.perf_counter()
        load_document(path, settings)
        best = min(best, time.perf_counter() - started)
    return best


def test_deeply_nested_html_loads_in_linear_time_and_keeps_its_text(tmp_path: Path, ledger) -> None:
    settings = Settings(data_dir=tmp_path)
    # Scaling first (quadratic growth fails here in seconds, before the big input could take minutes).
    small, large = _nested(tmp_path, 4_000), _nested(tmp_path, 16_000)
    ratio = _load_seconds(large, settings) / _load_seconds(small, settings)
    assert ratio < 8, f"4x the nesting took {ratio:.1f}x the time"
    deep = _nested(tmp_path, 50_000)
    started = time.perf_counter()
    doc = load_document(deep, settings)
    seconds = time.perf_counter() - started
    assert doc.text.startswith("## Deep heading") and doc.text.endswith("deep text")
    ledger.add(
        "nesting bomb",
        f"50,000 nested <div>s ({deep.stat().st_size / 1e3:.0f} kB of HTML)",
        f"loaded with its text in {seconds:.1f} s; 4x the nesting took {ratio:.1f}x the time (226 s before)",
    )
