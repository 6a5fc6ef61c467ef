# The two set-up commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# the browser tests' tools (tests/e2e): Debian's chromium, driven by Playwright for Python (a
# dev dependency, with its own browser download never run), and axe-core from the npm registry
CHROMIUM := /usr/bin/chromium
AXE      := $(VENV)/axe/node_modules/axe-core/axe.min.js

.PHONY: demo test lint typecheck unit clean bench browser-tools chromium

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

## Install into .venv, create the demo database with Flexibelt's policy, serve on :8000.
demo: $(STAMP)
	$(BIN)/privaat demo

## Install into .venv and run everything CI runs: lint, types, the whole test suite.
test: $(STAMP) lint typecheck browser-tools
	$(BIN)/pytest -n 2 --durations=30  # the slowest tests named: where CI time goes

## What the browser tests need besides .venv: chromium (apt, as root) and axe-core (npm).
browser-tools: chromium $(AXE)

# CI runs as root on a fresh machine and installs it; a developer without root is told why the
# browser tests will skip (under CI=true they fail instead: tests/e2e/conftest.py)
chromium:
	@if [ -x $(CHROMIUM) ]; then :; \
	elif [ "$$(id -u)" != 0 ]; then \
	  echo "make: $(CHROMIUM) is missing and this is not root: the browser tests will be" \
	       "skipped (install it with: sudo apt-get install chromium)"; \
	else \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y -q chromium || { apt-get update -q && apt-get install -y -q chromium; }; \
	fi

# kept inside .venv, so `make clean` removes it too; the tests hand it to each page themselves
$(AXE): | $(STAMP)
	@if ! command -v npm >/dev/null && [ "$$(id -u)" = 0 ]; then \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y -q npm || { apt-get update -q && apt-get install -y -q npm; }; \
	fi
	@if command -v npm >/dev/null; then \
	  npm install --prefix $(VENV)/axe --no-audit --no-fund --loglevel=error axe-core@4; \
	else \
	  echo "make: npm is missing and this is not root: the browser tests will be skipped"; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

## Benchmarks; SIZE scales every workload (CI runs them small).
bench: $(STAMP)
	$(BIN)/python -m bench.run --size $(or $(SIZE),10000)

clean:
	rm -rf $(VENV) test-output var/*.db var/*.db-wal var/*.db-shm
