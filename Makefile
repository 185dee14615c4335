# The two commands: `make run` (the bot) and `make test` (the whole suite); `make bench` measures.
# Each creates .venv and installs what it needs when missing.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint bench check-program clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m bot run

test: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m pytest

# Benchmarks (not tests): figures to bench/results/latest.json; see docs/performance.md.
bench: $(STAMP)
	$(PY) -m bench

lint: $(STAMP)
	$(PY) -m ruff check .

check-program: $(STAMP)
	$(PY) -m bot check-program

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
