# Two commands do all set-up on a fresh machine: `make run` and `make test`.
# Django 6 needs Python 3.12+; the machine's default python3 may be older, so
# pick 3.13 explicitly (pyenv's, or whatever python3.13 is on PATH).
PYTHON ?= $(shell command -v python3.13 2>/dev/null || ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.13*/bin/python 2>/dev/null | tail -n 1)
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# `make test` runs the suite in parallel (pytest-xdist), one database per
# worker; TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= auto
# Schemathesis's generated tests (one per API operation) run in a pytest call
# of their own: collected under xdist beside other modules, all but their
# parent functions silently drop out (76 of 80 were never run).
SCHEMA_TESTS := tests/matchmaking/api/test_schema.py
# .ci/run runs the suite on SQLite and again on PostgreSQL; what gains nothing
# from a second database runs once: TEST_MARKERS (a pytest -m expression)
# leaves tests out of one run, SCHEMA_TESTS_RUN=0 leaves out Schemathesis.
TEST_MARKERS ?=
SCHEMA_TESTS_RUN ?= 1

.PHONY: venv install run test lint typecheck format migrate demo clean messages compile

# The virtual environment alone (with a current pip); .ci/run builds PyICU's
# wheel with it while `make install` runs.
$(PY):
	@test -n "$(PYTHON)" || { echo "Python 3.13 not found: install it (pyenv install 3.13) or set PYTHON=/path/to/python3.13"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

venv: $(PY)

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed

migrate: install
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py load_demo

run: demo
	$(PY) manage.py runserver $(HOST):$(PORT)

test: install
	@command -v chromium >/dev/null 2>&1 || echo "NOTE: chromium is not installed: the browser tests will be skipped (apt-get install -y chromium)."
	@command -v redis-server >/dev/null 2>&1 || echo "NOTE: redis-server is not installed: the cache-outage tests will be skipped (apt-get install -y redis-server)."
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup --ignore=$(SCHEMA_TESTS) $(if $(TEST_MARKERS),-m "$(TEST_MARKERS)") $(PYTEST_ARGS)
	$(if $(filter 1,$(SCHEMA_TESTS_RUN)),$(PY) -m pytest -n $(TEST_WORKERS) $(SCHEMA_TESTS) $(PYTEST_ARGS),@echo "Schemathesis left out of this run (SCHEMA_TESTS_RUN=0)")

# The project's bytecode, as a deployment writes it at install: the service
# cannot write __pycache__ beside the code (deploy/README.md), and neither can
# Python where PYTHONDONTWRITEBYTECODE is set.
compile: install
	$(PY) -m compileall -q config matchmaking roundtable

# Compile locale/*/LC_MESSAGES/django.po into the committed .mo files (GNU
# gettext); `manage.py check_translations` says whether they are complete.
messages: install
	$(PY) manage.py compilemessages --ignore=.venv --ignore=staticfiles

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

# mypy with the Django and DRF plugins ([tool.mypy] in pyproject.toml).
typecheck: install
	$(VENV)/bin/mypy

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
