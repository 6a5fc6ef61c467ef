# The two set-up commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint typecheck unit clean bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

## Install into .venv, create the demo database with Flexibelt's policy, serve on :8000.
demo: $(STAMP)
	$(BIN)/privaat demo

## Install into .venv and run everything CI runs: lint, types, the whole test suite.
test: $(STAMP) lint typecheck
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

## Benchmarks; SIZE scales every workload (CI runs them small).
bench: $(STAMP)
	$(BIN)/python -m bench.run --size $(or $(SIZE),10000)

clean:
	rm -rf $(VENV) var/*.db var/*.db-wal var/*.db-shm
