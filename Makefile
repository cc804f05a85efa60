# noriai — two commands for a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench bench-quick clean

$(STAMP): pyproject.toml setup.py $(wildcard dispatch/native/*)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev,bench]"
	touch $(STAMP)

## Set everything up and run the demo on the bundled town.
demo: $(STAMP)
	$(BIN)/noriai demo

## Set everything up and run the whole test suite (what CI runs).
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## Benchmarks (minutes to hours; see benchmarks/README.md).
bench: $(STAMP)
	$(BIN)/noriai bench matrix
	$(BIN)/noriai bench quality --format lilim --time-limit 10
	$(BIN)/noriai bench quality --format sartori --time-limit 10
	$(BIN)/noriai bench quality --format cordeau --time-limit 30

bench-quick: $(STAMP)
	$(BIN)/noriai bench quality --format lilim --quick
	$(BIN)/noriai bench quality --format sartori --quick
	$(BIN)/noriai bench quality --format cordeau --quick

clean:
	rm -rf $(VENV) .cache .pytest_cache .ruff_cache .hypothesis
