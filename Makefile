# eoffice: `make run` starts the demo bureau, `make test` runs every test. Both work on a fresh clone.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --disable-pip-version-check -q

.PHONY: run test test-fast lint bench translations clean-data help

help:
	@echo "make run      create .venv, install, migrate, seed the demo bureau, serve http://127.0.0.1:8000"
	@echo "make test     install Debian packages the tests need (as root), then run the whole suite"
	@echo "make lint     ruff and mypy"
	@echo "make bench    benchmarks, JSON summary in bench/results/"

$(BIN)/python:
	@$(PYTHON) -m venv $(VENV) || { echo "Cannot create a venv: install python3-venv (apt-get install python3-venv)"; exit 1; }
	@$(PIP) install --upgrade pip

# Reinstall when pyproject.toml changes.
$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(PIP) install -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(PIP) install -e '.[test,cups,postgres]'
	@touch $@ $(VENV)/.installed-run

translations: | $(BIN)/python
	@$(BIN)/pybabel compile -d intranet/translations -D messages

run: $(VENV)/.installed-run
	@scripts/debian-packages.sh run || true
	@$(MAKE) --no-print-directory translations
	$(BIN)/eoffice demo seed --with-history
	$(BIN)/eoffice run

test:
	@scripts/debian-packages.sh test
	@$(MAKE) --no-print-directory $(VENV)/.installed-test translations
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest $(PYTEST_ARGS)
	@echo "== PostgreSQL pass: the database tests again, on a throwaway PostgreSQL cluster =="
	TEST_EOFFICE_DATABASE=postgresql $(BIN)/python -m pytest $(PYTEST_ARGS)

# Everything but the browser tests, for a quick loop while editing.
test-fast: $(VENV)/.installed-test translations
	$(BIN)/python -m pytest -m "not e2e and not slow" $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: $(VENV)/.installed-test translations
	$(BIN)/python -m bench

clean-data:
	rm -rf var
