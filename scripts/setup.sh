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
# EXTRAS: "" for the demo; "dev,llamacpp" for the tests. llama-cpp-python has no wheel on PyPI: the
# llamacpp extra compiles it (about 5 minutes on 2 cores, once).
EXTRAS=${EXTRAS:-}
target="."
[ -n "$EXTRAS" ] && target=".[$EXTRAS]"
case "$EXTRAS" in *llamacpp*) echo "installing roadmap-rag[$EXTRAS] (the first run compiles llama-cpp-python, ~5 min)...";;
  *) echo "installing roadmap-rag${EXTRAS:+[$EXTRAS]}...";; esac
.venv/bin/python -m pip install --quiet -e "$target"
echo "setup done: .venv/bin/roadmap-rag${EXTRAS:+ (with $EXTRAS)}"
