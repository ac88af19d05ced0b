#!/usr/bin/env bash
# Regenerate the hashed lock files in requirements/ from pyproject.toml (CONTRIBUTING.md, "The lock"):
#   requirements/base.txt  the runtime dependencies (`make demo`, `make setup`)
#   requirements/dev.txt   + the dev extra (`make setup-dev`, `make check`, `make test-fast`)
#   requirements/test.txt  + the dev and llamacpp extras (`make setup-test`, `make test`)
#   requirements/pip.txt   pip itself, upgraded first in the new .venv
# Usage (or `make lock`):
#   bash scripts/lock.sh                            keep every pin pyproject.toml still allows; pin what is new
#   bash scripts/lock.sh --upgrade                  every package to the newest release pyproject.toml allows
#   bash scripts/lock.sh --upgrade-package NAME     one package (repeatable), and what it needs
# pip-compile runs in a throwaway venv with this machine's pip configuration, so torch resolves to the local
# CPU wheel (torch==2.13.0+cpu, found through pip's find-links) and its hash is that file's.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
tools=$(mktemp -d)
trap 'rm -rf "$tools"' EXIT
"$PY" -m venv "$tools"
"$tools/bin/python" -m pip install --quiet "pip==26.3" "pip-tools==7.6.2"
export CUSTOM_COMPILE_COMMAND="bash scripts/lock.sh"
mkdir -p requirements
compile() { # output file, input file, then pip-compile options
  local out=$1 src=$2
  shift 2
  "$tools/bin/pip-compile" --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
    --no-emit-find-links --no-emit-trusted-host --output-file "$out" "$@" "$src"
}
# The full set first. The smaller sets start from its pins (pip-compile keeps the pins it finds in its output
# file), so a package has the same version in all three files and `make setup` after `make setup-test` changes nothing.
compile requirements/test.txt pyproject.toml --extra dev --extra llamacpp "$@"
cp requirements/test.txt requirements/dev.txt
compile requirements/dev.txt pyproject.toml --extra dev
cp requirements/test.txt requirements/base.txt
compile requirements/base.txt pyproject.toml
# pip itself, which scripts/setup.sh installs first into the new venv.
echo "pip" | compile requirements/pip.txt - "$@"
echo "lock written: requirements/base.txt dev.txt test.txt pip.txt"
