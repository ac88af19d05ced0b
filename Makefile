# The two commands of a fresh machine: `make demo` and `make test`.
VENV := .venv
BIN := $(VENV)/bin
QUESTION ?= What does the roadmap say about LoRA?

.PHONY: setup demo test lint

$(BIN)/roadmap-rag: pyproject.toml scripts/setup.sh
	bash scripts/setup.sh
	@touch $@

setup: $(BIN)/roadmap-rag

demo: setup
	HF_HUB_OFFLINE=1 $(BIN)/roadmap-rag ingest
	HF_HUB_OFFLINE=1 $(BIN)/roadmap-rag ask "$(QUESTION)"

test: setup
	$(BIN)/ruff check src tests app
	$(BIN)/ruff format --check src tests app
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check --fix src tests app
	$(BIN)/ruff format src tests app
