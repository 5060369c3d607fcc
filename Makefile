# Yanxiu build tooling. `make help` lists the targets.
#
# Everything lives in the repository: the Python environment in .venv/, front-end packages in
# node_modules/, data (SQLite database, collected static files, secret key) in var/.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

VENV := .venv
BIN := $(VENV)/bin
PYTHON := $(BIN)/python
YANXIU := $(BIN)/yanxiu

# Stamps: a second `make setup` with unchanged pyproject.toml / package-lock.json does no pip or
# npm work. They live inside .venv/, so removing .venv/ redoes everything.
VENV_STAMP := $(VENV)/.stamp-venv
PIP_STAMP := $(VENV)/.stamp-pip
NPM_STAMP := $(VENV)/.stamp-npm

# `make run` settings.
HOST ?= 127.0.0.1
PORT ?= 8000
WEB_WORKERS ?= 2
# Extra pytest arguments for `make test`/`make test-sqlite`/`make test-postgres`, e.g. PYTEST_ARGS='-x -k login'.
PYTEST_ARGS ?=

# Python 3.12 or later, tried in this order (pyenv: the shim for python3.12 works at the repository
# root thanks to .python-version; elsewhere PYENV_VERSION selects it).
PYTHON_CANDIDATES := "python3.12" "PYENV_VERSION=3.12.1 python3" "python3"

# npm writes node_modules/.package-lock.json; without it node_modules/ is missing or was wiped,
# so the npm stamp cannot be trusted.
NPM_LOCK := $(wildcard package-lock.json)
ifeq ($(wildcard node_modules/.package-lock.json),)
NPM_FORCE := FORCE
endif

.PHONY: help setup system-packages run test test-sqlite test-postgres lint typecheck clean FORCE

help:
	@echo "make setup          system packages (as root), .venv, node_modules, translations, migrations, static files, regions"
	@echo "make run            setup, demo data, then the site on http://$(HOST):$(PORT)/ with a task worker"
	@echo "make test           setup, lint, typecheck, migrations check, import contracts, pytest on SQLite and on PostgreSQL"
	@echo "make test-sqlite    pytest on SQLite only;  make test-postgres: pytest on a throwaway PostgreSQL only"
	@echo "make lint           ruff check"
	@echo "make typecheck      mypy yanxiu"
	@echo "make clean          remove .venv/, node_modules/ and var/"

# --- Setup ------------------------------------------------------------------------------------

setup: system-packages $(PIP_STAMP) $(NPM_STAMP)
	$(YANXIU) compilemessages --ignore=.venv --ignore=node_modules
	$(YANXIU) migrate --noinput
	$(YANXIU) collectstatic --noinput -v0
	$(YANXIU) load-regions

system-packages:
	@scripts/system-packages.sh

$(VENV_STAMP):
	@py=""; \
	for candidate in $(PYTHON_CANDIDATES); do \
	    if env $$candidate -c 'import sys; sys.exit(sys.version_info[:2] < (3, 12))' >/dev/null 2>&1; then \
	        py="$$candidate"; break; \
	    fi; \
	done; \
	if [ -z "$$py" ]; then \
	    echo "error: Yanxiu needs Python 3.12 or later, and none of python3.12, 'PYENV_VERSION=3.12.1 python3'" >&2; \
	    echo "error: or python3 is one. Install it (pyenv install 3.12) and run make again." >&2; \
	    exit 1; \
	fi; \
	echo "Creating $(VENV) with $$py ($$(env $$py --version 2>&1))"; \
	rm -rf $(VENV); \
	env $$py -m venv $(VENV); \
	touch $@

$(PIP_STAMP): pyproject.toml $(VENV_STAMP)
	$(PYTHON) -m pip install --disable-pip-version-check -e '.[dev]'
	@touch $@

$(NPM_STAMP): package.json $(NPM_LOCK) $(NPM_FORCE) | $(VENV_STAMP)
	@command -v npm >/dev/null || { echo "error: npm is not installed (Node.js 18 or later)" >&2; exit 1; }
	@if [ -f package-lock.json ]; then \
	    echo "npm ci --no-audit --no-fund --ignore-scripts"; \
	    npm ci --no-audit --no-fund --ignore-scripts; \
	else \
	    echo "npm install --no-audit --no-fund --ignore-scripts  (no package-lock.json)"; \
	    npm install --no-audit --no-fund --ignore-scripts; \
	fi
	@touch $@

FORCE:

# --- Run --------------------------------------------------------------------------------------

# The server and the worker both run in the background of one shell that waits for the server:
# a signal to that shell (Ctrl-C, or make being stopped) and the server stopping by itself both
# end in the EXIT trap, which stops the worker and the server.
run: setup
	$(YANXIU) demo
	@worker=""; server=""; \
	stop() { \
	    trap - EXIT INT TERM HUP; \
	    [ -n "$$server" ] && kill -TERM "$$server" 2>/dev/null || true; \
	    [ -n "$$worker" ] && kill -TERM "$$worker" 2>/dev/null || true; \
	    wait 2>/dev/null || true; \
	}; \
	trap 'rc=$$?; stop; exit $$rc' EXIT; \
	trap 'exit 129' HUP; trap 'exit 130' INT; trap 'exit 143' TERM; \
	$(YANXIU) db_worker --no-reload --queue-name '*' & worker=$$!; \
	$(BIN)/granian --interface wsgi --host $(HOST) --port $(PORT) --workers $(WEB_WORKERS) --blocking-threads 4 yanxiu.wsgi:application & server=$$!; \
	echo ""; \
	echo "Yanxiu is running at http://$(HOST):$(PORT)/  (Ctrl-C stops the server and the task worker)"; \
	echo ""; \
	wait "$$server"

# --- Checks -----------------------------------------------------------------------------------

test: setup
	$(MAKE) lint
	$(MAKE) typecheck
	$(YANXIU) makemigrations --check --dry-run
	$(BIN)/lint-imports
	$(MAKE) test-sqlite
	$(MAKE) test-postgres

# Any pytest failure fails the target, including exit status 5 (no tests were collected).
test-sqlite: $(PIP_STAMP)
	env -u DATABASE_URL $(BIN)/pytest -q $(PYTEST_ARGS)

test-postgres: $(PIP_STAMP)
	scripts/with-postgres.sh $(BIN)/pytest -q $(PYTEST_ARGS)

lint: $(PIP_STAMP)
	$(BIN)/ruff check .

typecheck: $(PIP_STAMP)
	$(BIN)/mypy yanxiu

# --- Clean ------------------------------------------------------------------------------------

clean:
	rm -rf $(VENV) node_modules var
