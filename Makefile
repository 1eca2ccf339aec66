# Mueang: `make demo` runs the product, `make test` runs every check. Both are idempotent.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := .make
HOST ?= 127.0.0.1
PORT ?= 8000
# Debian 12 / Ubuntu package names; PostGIS follows the distribution's default PostgreSQL.
# python3-qgis (QGIS 3.22 for the system Python; qgis-providers holds its OGC API - Features
# provider) is for the tests only (tests/geoapp/test_qgis.py runs a headless QGIS against the
# API and tiles): 171 packages, 889 MiB installed, 63 s on a bookworm machine with gdal-bin.
# nodejs (any of Debian 12's 18 or NodeSource's 20) runs the npm Open311 client of the tests.
SYSTEM_PACKAGES := postgresql postgresql-postgis gdal-bin chromium gettext \
	python3 python3-venv python3-dev fonts-thai-tlwg ca-certificates poppler-utils \
	python3-qgis qgis-providers nodejs

.PHONY: help setup setup-dev db messages demo serve test check lint pytest fuzz bench loadtest backup \
	restore clean

help:
	@echo "make demo   install, start PostGIS, load the demo municipality, serve on http://$(HOST):$(PORT)"
	@echo "make test   install and run every check (ruff, import-linter, mypy, migrations, pytest, browser)"
	@echo "make check  lint and the tests that need no browser (the edit-test loop)"
	@echo "make bench  run the benchmarks (ratios against a baseline measured in the same run)"
	@echo "make fuzz   the fuzz and property tests with new random examples (300 per form)"
	@echo "make loadtest  50 users for 60 s on loopback, p50/p95 latency per request kind"
	@echo "make backup / make restore FILE=backups/....tar   database + uploaded files"

$(STAMP):
	@mkdir -p $(STAMP)

$(STAMP)/sysdeps: Makefile scripts/sysdeps.sh | $(STAMP)
	scripts/sysdeps.sh $(SYSTEM_PACKAGES)
	@touch $@

# One stamp per requirements file: the product's pins (all `make demo` needs), then the test
# and development tools, then what running the notebooks needs (the tests execute them).
$(STAMP)/venv: requirements.txt $(STAMP)/sysdeps
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@touch $@

$(STAMP)/venv-dev: requirements-dev.txt $(STAMP)/venv
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	@touch $@

$(STAMP)/venv-notebooks: requirements-notebooks.txt $(STAMP)/venv
	$(BIN)/python -m pip install --quiet -r requirements-notebooks.txt
	@touch $@

$(STAMP)/messages: $(wildcard geoapp/locale/*/LC_MESSAGES/*.po) $(STAMP)/venv
	$(BIN)/python manage.py compilemessages -v 0 --ignore "$(VENV)/*"
	@touch $@

setup: $(STAMP)/venv $(STAMP)/messages

# The npm `open311` client library that tests/geoapp/test_open311_client_js.py runs against the
# Open311 server (decision 0026): 5 packages, 7.4 MB, about 2 s with an empty npm cache. Node.js
# is a system package; npm comes with NodeSource's nodejs, Debian's is the package `npm`.
$(STAMP)/open311-client: tests/clients/open311/package.json tests/clients/open311/package-lock.json \
		$(STAMP)/sysdeps | $(STAMP)
	command -v npm >/dev/null || scripts/sysdeps.sh npm
	cd tests/clients/open311 && npm ci --ignore-scripts --no-audit --no-fund
	@touch $@

# Everything the checks need on top of `setup`: test tools, linters, the notebooks' kernel and
# the npm Open311 client.
setup-dev: setup $(STAMP)/venv-dev $(STAMP)/venv-notebooks $(STAMP)/open311-client

# Find or start PostgreSQL, create role, database and PostGIS, write .env; then migrate.
db: setup
	$(BIN)/python scripts/db_setup.py
	$(BIN)/python manage.py migrate --noinput -v 0

demo: db
	$(BIN)/python manage.py load_demo
	@echo
	@echo "Mueang is starting on http://$(HOST):$(PORT)/ (gunicorn; stop with Ctrl-C)"
	@echo "Demo logins (password mueang-demo-2569), Nakhon Si Thammarat: nst-viewer, nst-planner,"
	@echo "  nst-health, nst-disaster, nst-editor, nst-admin; Chon Buri: chon-viewer ... chon-admin;"
	@echo "  platform superuser: platform-admin"
	@echo
	@# gunicorn (DEBUG off, static files by WhiteNoise) and the job worker beside it, never as
	@# root: as root the script runs both as the system user `mueang` (scripts/demo_serve.sh).
	HOST=$(HOST) PORT=$(PORT) scripts/demo_serve.sh

serve: db
	$(BIN)/python manage.py run_jobs & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

lint: setup-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/python manage.py makemigrations --check --dry-run -v 1

pytest: db setup-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The edit-test loop: lint, then the tests that need no browser, on a fresh test database
# (copied from the PostGIS template in seconds: a reused one keeps the append-only access log
# rows that earlier runs committed, and the PDPA tests count those).
# Left out (they run in `make test`): the browser tests (tests/e2e, and the e2e marker
# elsewhere), the PostgreSQL restarts (faults), the demo server started as a service and the
# slowest modules (tests/conftest.py SLOW_MODULES). Narrow it further while editing:
# make check PYTEST_ARGS=tests/analysis
CHECK_PYTEST := --create-db -m "not e2e and not faults and not slow" --ignore=tests/e2e \
	--ignore=tests/security/test_demo_server.py

check: lint db
	$(BIN)/python -m pytest $(CHECK_PYTEST) $(PYTEST_ARGS)

# `make test` builds the test database afresh (from the PostGIS template, about 15 s) so that
# nothing left by an earlier checkout or run can decide the result; `make pytest` reuses it.
test: lint
	$(MAKE) pytest PYTEST_ARGS="--create-db $(PYTEST_ARGS)"

bench: db setup-dev
	$(BIN)/python manage.py load_demo -v 0
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

# The fuzz and property tests with fresh random examples (make test repeats fixed ones).
fuzz: db setup-dev
	MUEANG_HYPOTHESIS=hunt MUEANG_FUZZ_EXAMPLES=$${MUEANG_FUZZ_EXAMPLES:-300} \
	$(BIN)/python -m pytest tests/geoapp/test_forms_fuzz.py tests/geoapp/test_api_fuzz.py $(PYTEST_ARGS)
	MUEANG_HYPOTHESIS=hunt $(BIN)/python -m pytest -m "not e2e" tests/analysis tests/layers $(PYTEST_ARGS)

# 50 users for 60 s over map pages, tiles and the API on loopback (gunicorn); p50/p95 per kind.
loadtest: db
	$(BIN)/python manage.py load_demo -v 0
	$(BIN)/python scripts/loadtest.py $(LOADTEST_ARGS)

# A .tar in backups/: pg_dump (custom format) + media/ + a manifest of row counts and checksums.
backup: db
	$(BIN)/python scripts/backup.py backup

# Replaces the database with the backup (after a check of every table against its manifest).
restore: db
	@test -n "$(FILE)" || { echo "usage: make restore FILE=backups/mueang-....tar"; exit 2; }
	$(BIN)/python scripts/backup.py restore "$(FILE)" --force

clean:
	rm -rf $(STAMP) staticfiles .pytest_cache .ruff_cache
