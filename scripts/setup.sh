#!/usr/bin/env bash
# Create .venv and install roadmap-rag with everything it needs, offline models included.
# torch comes first, pinned to the CPU build: an unpinned torch pulls a multi-GB CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet torch==2.13.0
# llama-cpp-python has no wheel on PyPI: the first install compiles it (about 5 minutes on 2 cores).
echo "installing roadmap-rag (the first run compiles llama-cpp-python, ~5 min)..."
.venv/bin/python -m pip install --quiet -e ".[dev]"
echo "setup done: .venv/bin/roadmap-rag"
