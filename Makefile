# Targets for a new user: `make demo`, `make test` and `make bench`. Each builds .venv on its own.
# `make bench BENCH_ARGS="--quick -k matmul"` passes options to bench/run_all.py.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
BENCH_ARGS ?=

.PHONY: demo test bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# An editable install leaves Ember's bytecode uncompiled (pip compiles it for a regular install):
# compile it once, so `import ember` does not recompile ~600 KB of source in every process.
$(VENV)/.demo-installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e ".[demo]"
	$(BIN)/python -m compileall -q ember
	touch $@

$(VENV)/.test-installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e ".[test]"
	$(BIN)/python -m compileall -q ember
	touch $@

demo: $(VENV)/.demo-installed
	$(BIN)/python examples/train_digits.py

test: $(VENV)/.test-installed
	$(BIN)/ruff check ember tests bench examples
	$(BIN)/python -m pytest -n 2 tests

bench: $(VENV)/.test-installed
	$(BIN)/python bench/run_all.py $(BENCH_ARGS)
