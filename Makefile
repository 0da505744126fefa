# LoanPilot developer tasks. Works on a fresh clone: `make test` builds .venv first.
#
#   make venv        create .venv and install the project with its dev extras
#   make demo        migrate, build the demo bank (once) and serve it on http://127.0.0.1:8000
#   make lint        ruff check + ruff format --check
#   make typecheck   mypy (configured in pyproject.toml)
#   make test        lint, typecheck, then pytest against SQLite and a throwaway PostgreSQL
#                    (installs Debian's chromium for the browser tests when it is missing)
#   make fmt         ruff format + ruff check --fix
#   make bench       run every bench/*.py
#   make clean       remove var/ and test/tool artefacts (keeps .venv)
#
# Pass extra pytest arguments with PYTEST_ARGS, e.g. `make test PYTEST_ARGS='-x -k risk'`.

SHELL := /bin/bash

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LINT_PATHS := src tests bench
PYTEST_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help venv demo lint typecheck test fmt clean bench

help:
	@sed -n 's/^#   make /make /p' $(firstword $(MAKEFILE_LIST))

venv: $(STAMP)

# Re-installs only when pyproject.toml is newer than the stamp. If the interpreter lacks
# ensurepip (Debian's python3 without python3-venv), that package is installed when root.
$(STAMP): pyproject.toml
	@if [ ! -x $(BIN)/python ]; then \
	  echo "creating $(VENV) with $$($(PYTHON) --version 2>&1)"; \
	  if ! $(PYTHON) -m venv $(VENV); then \
	    rm -rf $(VENV); \
	    if [ "$$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then \
	      echo "python3 -m venv failed; installing python3-venv"; \
	      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv \
	        && $(PYTHON) -m venv $(VENV) || exit 1; \
	    else \
	      echo "python3 -m venv failed: install the python3-venv package" >&2; exit 1; \
	    fi; \
	  fi; \
	fi
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

demo: venv
	$(BIN)/loanpilot db upgrade
	$(BIN)/loanpilot demo build --if-missing
	$(BIN)/loanpilot serve --host 127.0.0.1 --port 8000

lint: venv
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)

typecheck: venv
	$(BIN)/mypy

# One thread per BLAS/OpenMP pool: faster and reproducible under pytest.
test: export OMP_NUM_THREADS := 1
test: export OPENBLAS_NUM_THREADS := 1
test: export MKL_NUM_THREADS := 1
test: venv
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory typecheck
	@# One recipe line, so the trap stops the server whatever pytest does (fail, crash, Ctrl-C).
	@# Two xdist workers (one per CI core), whole files per worker; PYTEST_ARGS='-n 0' runs in-process.
	@scripts/browser.sh || exit 1; \
	export PG_STATE="$$(mktemp /tmp/loanpilot-pg-state.XXXXXXXX)"; \
	trap 'scripts/pg.sh stop' EXIT; \
	trap 'exit 130' INT; trap 'exit 143' TERM; trap 'exit 129' HUP; \
	url="$$(scripts/pg.sh start)" || { echo "could not start PostgreSQL for the tests" >&2; exit 1; }; \
	echo "LOANPILOT_TEST_POSTGRES_URL=$$url"; \
	LOANPILOT_TEST_POSTGRES_URL="$$url" $(BIN)/pytest -n 2 --dist loadfile $(PYTEST_ARGS); \
	status=$$?; \
	exit $$status

fmt: venv
	$(BIN)/ruff format $(LINT_PATHS)
	$(BIN)/ruff check --fix $(LINT_PATHS)

bench: venv
	@set -e; for script in bench/*.py; do \
	  [ -e "$$script" ] || { echo "no benchmarks in bench/"; break; }; \
	  echo "== $$script"; \
	  $(BIN)/python "$$script"; \
	done

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache .hypothesis .coverage .coverage.* htmlcov \
	  build dist src/*.egg-info test-results playwright-report
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +
