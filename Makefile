# make demo / make test work from a fresh clone: the venv is created and filled on first use.
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' && echo $$p && break; done)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

TEST_PG ?= postgresql://postgres@127.0.0.1:5432/test
TEST_REDIS ?= redis://127.0.0.1:6379/0

.PHONY: demo test test-sqlite test-postgres lint bench clean

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "leadhub needs Python >= 3.11 on PATH"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	@touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/leadhub demo

# The suite runs on SQLite + the embedded queue, then the storage and queue tests again on PostgreSQL + Redis.
test: test-sqlite test-postgres

test-sqlite: $(STAMP)
	LEADHUB_TEST_BACKEND=sqlite $(PY) -m pytest

test-postgres: $(STAMP)
	LEADHUB_TEST_BACKEND=postgres LEADHUB_TEST_DATABASE_URL=$(TEST_PG) LEADHUB_TEST_REDIS_URL=$(TEST_REDIS) \
		$(PY) -m pytest -m backend

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

bench: $(STAMP)
	$(PY) bench/intake.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
