# Two entry points: `make demo` and `make test`. Both set up .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test test-slow lint typecheck pytest demo bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check publisher tests bench
	$(BIN)/ruff format --check publisher tests bench

typecheck: $(STAMP)
	$(BIN)/mypy publisher tests bench

# `make test` runs every suite but the long ones marked `slow` (fault runs, kills at every
# phase); `make test-slow` runs those, and CI runs both.
pytest: $(STAMP)
	$(BIN)/pytest -q -m "not slow" $(PYTEST_ARGS)

test: lint typecheck pytest

test-slow: $(STAMP)
	$(BIN)/pytest -q -m slow $(PYTEST_ARGS)

demo: $(STAMP)
	scripts/demo.sh

bench: $(STAMP)
	$(BIN)/python bench/report.py

clean:
	rm -rf _site .publisher .mypy_cache .ruff_cache .pytest_cache
