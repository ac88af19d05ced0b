#!/usr/bin/env bash
# Create .venv and install roadmap-rag with everything it needs, offline models included, from the hashed lock
# files in requirements/ (scripts/lock.sh writes them from pyproject.toml; CONTRIBUTING.md, "The lock").
# torch is locked to the CPU build, torch==2.13.0+cpu, whose wheel pip finds through this machine's pip
# configuration (find-links); its hash is that file's. PyPI has no +cpu build, so where the wheel is missing the
# install stops with "no matching distribution" instead of pulling the multi-GB CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --require-hashes -r requirements/pip.txt
# EXTRAS: "" for the demo; "dev" for the checks; "dev,llamacpp" for the tests. llama-cpp-python has no wheel on
# PyPI: the llamacpp extra compiles it (about 5 minutes on 2 cores, once; pip caches the wheel).
EXTRAS=${EXTRAS:-}
case "$EXTRAS" in
  "") lock=requirements/base.txt ;;
  dev) lock=requirements/dev.txt ;;
  dev,llamacpp | llamacpp,dev | llamacpp) lock=requirements/test.txt ;;
  *) echo "setup.sh: no lock file for EXTRAS=$EXTRAS (use \"\", dev or dev,llamacpp)" >&2; exit 2 ;;
esac
case "$EXTRAS" in *llamacpp*) echo "installing $lock (the first run compiles llama-cpp-python, ~5 min)...";;
  *) echo "installing $lock...";; esac
# llama.cpp built for the machine it compiles on (GGML_NATIVE) uses AMX on Sapphire Rapids-class CPUs, and its AMX
# matrix multiply segfaults on the first token with a Q4_K_M model there (ggml-org/llama.cpp#20824): seen here on a
# 2-core machine with amx_int8, every completion. A portable build (AVX2, FMA, F16C; no AMX, no AVX-512) runs on
# every x86-64 machine of the last decade; CMAKE_ARGS set by the caller wins.
export CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF}"
.venv/bin/python -m pip install --quiet --require-hashes -r "$lock"
# The project itself, without dependencies (the lock has them all) and without build isolation (setuptools
# comes from the lock too).
.venv/bin/python -m pip install --quiet --no-deps --no-build-isolation -e .
echo "setup done: .venv/bin/roadmap-rag${EXTRAS:+ (with $EXTRAS)}"
