# Find Color: the two README commands are `make run` and `make test`.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# Extra pytest arguments, e.g. `make test PYTEST_ARGS="-x -k upload"`.
PYTEST_ARGS ?=
PYTEST := $(PY) -m pytest -q -rfEs -p no:cacheprovider --durations=10
# PostgreSQL pass: DATABASE_URL_TEST if set, else the server on 127.0.0.1:5432 (trust auth, user postgres)
# with a database name unique to this run, so parallel runs do not drop each other's test database.
# pytest-django drops test_<name> at the end; when it cannot (a connection left open), the run drops its own.
ifeq ($(origin PG_TEST_URL),undefined)
ifeq ($(DATABASE_URL_TEST),)
PG_OWN_DB := test_findcolor_$(shell echo $$$$)
PG_TEST_URL := postgres://postgres@127.0.0.1:5432/$(PG_OWN_DB:test_%=%)
else
PG_TEST_URL := $(DATABASE_URL_TEST)
endif
endif
STAMP := $(VENV)/.findcolor-installed
# The browser tests' own npm tools (axe-core, ...): tests/browser/package.json, installed into its ignored
# node_modules/ when the lock file changes; never shipped.
BROWSER_TOOLS := tests/browser/node_modules/.package-lock.json tests/browser/mirador/node_modules/.package-lock.json

.PHONY: help venv run migrate demo worker test test-sqlite test-postgres lint format bench clean-var messages compilemessages

help:
	@echo "make run           create .venv if needed, migrate, load the demo collection, serve http://$(HOST):$(PORT)"
	@echo "make test          the whole suite on PostgreSQL, the embedded-mode and browser tests on SQLite (all on SQLite without PostgreSQL)"
	@echo "make worker        a Celery worker (deployments with REDIS_URL)"
	@echo "make lint          ruff check + ruff format --check + import contracts (lint-imports)"
	@echo "make bench         run the benchmarks under bench/"
	@echo "make messages      update the Korean catalogues locale/ko/LC_MESSAGES/django.po and djangojs.po"
	@echo "make compilemessages  compile the catalogues to .mo (committed; needs gettext's msgfmt)"

# The virtual environment, (re)installed when pyproject.toml changes. pip's find-links (/opt/wheels on
# the build machines) supplies torch==2.13.0 CPU.
venv: $(STAMP)
$(STAMP): pyproject.toml
	@test -x $(PY) || { echo "creating $(VENV) with $(PYTHON)"; $(PYTHON) -m venv $(VENV); }
	$(PY) -m pip install -q -e '.[test]'
	@touch $@

migrate: venv
	@mkdir -p "$${FINDCOLOR_VAR_DIR:-var}"
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py load_demo

# Embedded mode: SQLite and media under var/, in-memory channel layer, in-process job executor (the
# background worker runs inside the server process). No PostgreSQL, Redis or broker needed.
run: demo
	@echo "Find Color at http://$(HOST):$(PORT)/  (Ctrl-C stops it)"
	$(PY) -m daphne -b $(HOST) -p $(PORT) config.asgi:application

worker: venv
	@test -n "$${REDIS_URL:-}" || { echo "make worker needs REDIS_URL (Celery broker); 'make run' needs no worker"; exit 2; }
	$(PY) -m celery -A config worker -l info -Q findcolor

# With PostgreSQL (production's database) the whole suite runs on it, and the SQLite pass keeps what the
# embedded mode of `make run` adds: the tests marked `embedded` (engine-specific queries, the in-process worker,
# `make run` itself) and the browser tests, whose server is an embedded one. Without PostgreSQL (a laptop) the
# whole suite runs on SQLite; CI always has PostgreSQL.
PG_REACHABLE := { [ -n "$${DATABASE_URL_TEST:-}" ] || $(PY) -c "import socket; socket.create_connection(('127.0.0.1', 5432), 2).close()" 2>/dev/null; }
test: venv
	@start=$$SECONDS; status=0; \
	if $(PG_REACHABLE); then \
		$(MAKE) --no-print-directory test-sqlite SQLITE_MARK="embedded and not browser" || status=1; \
		$(MAKE) --no-print-directory test-postgres || status=1; \
	elif [ "$${CI:-}" = "true" ]; then \
		echo "CI: PostgreSQL is not reachable at 127.0.0.1:5432"; exit 1; \
	else \
		echo "== PostgreSQL is not reachable: the whole suite runs on SQLite"; \
		$(MAKE) --no-print-directory test-sqlite || status=1; \
	fi; \
	echo "== whole suite: $$((SECONDS - start)) s, $$([ $$status = 0 ] && echo passed || echo FAILED)"; \
	exit $$status

# Browser tests run in a pytest process of their own: Playwright's sync API keeps an event loop running
# in the main thread for the whole session, which async tests and async_to_sync cannot share.
tests/browser/node_modules/.package-lock.json: tests/browser/package-lock.json
	npm ci --prefix tests/browser --no-audit --no-fund
	@touch $@

tests/browser/mirador/node_modules/.package-lock.json: tests/browser/mirador/package-lock.json
	npm ci --prefix tests/browser/mirador --no-audit --no-fund
	@touch $@

# SQLITE_MARK: which non-browser tests run on SQLite (`make test` narrows it to "embedded and not browser").
SQLITE_MARK ?= not browser
test-sqlite: venv $(BROWSER_TOOLS)
	@echo "== pass 1: SQLite, tests: $(SQLITE_MARK) (then the browser tests, in their own process)"
	@start=$$SECONDS; status=0; \
	env -u DATABASE_URL $(PYTEST) -m "$(SQLITE_MARK)" $(PYTEST_ARGS) || status=$$?; \
	if [ $$status = 5 ]; then status=0; fi; \
	echo "== SQLite pass without browser tests: $$((SECONDS - start)) s"; \
	bstart=$$SECONDS; bstatus=0; \
	env -u DATABASE_URL $(PYTEST) -m browser $(PYTEST_ARGS) || bstatus=$$?; \
	if [ $$bstatus = 5 ]; then bstatus=0; fi; \
	echo "== SQLite browser tests: $$((SECONDS - bstart)) s; SQLite pass: $$((SECONDS - start)) s"; \
	[ $$status = 0 ] && [ $$bstatus = 0 ]

test-postgres: venv
	@if ! $(PG_REACHABLE); then \
		if [ "$${CI:-}" = "true" ]; then echo "CI: PostgreSQL is not reachable at 127.0.0.1:5432"; exit 1; fi; \
		echo "== pass 2: PostgreSQL skipped (set DATABASE_URL_TEST or start PostgreSQL on 127.0.0.1:5432)"; \
		exit 0; \
	fi; \
	echo "== pass 2: PostgreSQL (database test_$(lastword $(subst /, ,$(PG_TEST_URL)))), browser tests excluded"; \
	start=$$SECONDS; status=0; \
	DATABASE_URL='$(PG_TEST_URL)' $(PYTEST) -m "not browser" $(PYTEST_ARGS) || status=$$?; \
	if [ -n "$(PG_OWN_DB)" ]; then $(PY) -c "import psycopg2; c = psycopg2.connect('postgres://postgres@127.0.0.1:5432/postgres'); c.autocommit = True; c.cursor().execute('DROP DATABASE IF EXISTS $(PG_OWN_DB) WITH (FORCE)')" || true; fi; \
	echo "== PostgreSQL pass: $$((SECONDS - start)) s"; \
	exit $$status

lint: venv
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports

format: venv
	$(PY) -m ruff format .

# `make bench` runs every script under bench/ with its defaults; one of them:
# `make bench BENCH=bench/ws_fanout.py BENCH_ARGS="--help"`.
BENCH ?= bench/*.py
BENCH_ARGS ?=
bench: venv
	@shopt -s nullglob; scripts=($(BENCH)); \
	if [ $${#scripts[@]} -eq 0 ]; then echo "nothing under bench/ yet"; exit 0; fi; \
	for script in "$${scripts[@]}"; do echo "== $$script"; $(PY) "$$script" $(BENCH_ARGS); done

# Translations (docs/i18n.md): extract every translatable string into the Korean catalogues, translate the new
# entries in the .po files, then compile. Both the .po and the .mo files are committed.
I18N_IGNORE := --ignore=.venv --ignore=var --ignore=tests --ignore=bench --ignore=ml --ignore=docs --ignore=platform
messages: venv
	$(PY) manage.py makemessages -l ko -d django --no-obsolete --add-location=file $(I18N_IGNORE)
	$(PY) manage.py makemessages -l ko -d djangojs --no-obsolete --add-location=file $(I18N_IGNORE) --ignore=var/staticfiles

compilemessages: venv
	$(PY) manage.py compilemessages -l ko $(I18N_IGNORE)

clean-var:
	rm -rf var/
