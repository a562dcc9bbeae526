# Hospital EHR: developer and CI entry points (GNU make).
#
#   make run     migrate, sync roles, seed the demo hospital, serve on http://127.0.0.1:8000
#                with one background-job worker and the scheduler beside it
#   make test    the whole test suite on SQLite
#
# A fresh machine needs only Python 3.11: the first target that needs it builds .venv/.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
VENV_PY := $(VENV)/bin/python
VENV_STAMP := $(VENV)/.installed

HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_PASSWORD ?= Demo-Passw0rd!
# The suite runs on every core (at most 4 workers); PYTEST_ARGS='-n 0' runs it in one process.
PYTEST_ARGS ?= -n auto --maxprocesses=4

# make test-postgres: the services .ci/run starts (override on the command line if yours differ).
PG_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/ehr
PG_REDIS_URL ?= redis://127.0.0.1:6379/1

MANAGE := DJANGO_SETTINGS_MODULE=ehr.settings.local $(VENV_PY) manage.py
# A throw-away key, made at run time, for commands that load production settings but sign
# nothing (check --deploy, collectstatic).
RANDOM_KEY = $$($(VENV_PY) -c 'import secrets;print(secrets.token_urlsafe(64))')

.PHONY: help run test test-postgres fuzz-api lint check migrate shell collectstatic clean venv

help: ## List the targets
	@echo "Usage: make <target> [VAR=value ...]"
	@echo
	@grep -E '^[a-z][a-zA-Z_-]*:.*## ' $(MAKEFILE_LIST) \
		| awk 'BEGIN {FS = ":.*## "}; {printf "  %-15s %s\n", $$1, $$2}'
	@echo
	@echo "Variables: HOST=$(HOST) PORT=$(PORT) DEMO_PASSWORD=$(DEMO_PASSWORD)"
	@echo "           PYTEST_ARGS='$(PYTEST_ARGS)' (e.g. PYTEST_ARGS='-n 0 -x -k login')"
	@echo "           PYTHON=$(PYTHON)"

venv: $(VENV_STAMP) ## Build .venv from requirements/local.txt (done automatically)

$(VENV_STAMP): $(wildcard requirements/*.txt)
	@if [ -z "$(PYTHON)" ]; then echo "Python 3.11 not found: install python3.11 or pass PYTHON=/path/to/python3.11" >&2; exit 1; fi
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' \
		|| { echo "$(PYTHON) is Python $$($(PYTHON) -c 'import platform;print(platform.python_version())'); this project needs 3.11 (pass PYTHON=/path/to/python3.11)" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	@$(VENV_PY) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' \
		|| { echo "$(VENV) was built with another Python; run 'make clean' first" >&2; exit 1; }
	$(VENV)/bin/pip install -q -r requirements/local.txt
	@touch $@

run: $(VENV_STAMP) ## Migrate, sync roles, seed demo data, serve on http://HOST:PORT
	$(MANAGE) migrate --noinput
	$(MANAGE) load_icd10
	$(MANAGE) load_lab_catalogue
	$(MANAGE) load_medication_knowledge
	$(MANAGE) sync_roles
	$(MANAGE) seed_demo --password "$(DEMO_PASSWORD)"
	@line() { printf '| %-76s |\n' "$$1"; }; \
	rule="+$$(printf '%.0s-' $$(seq 78))+"; \
	echo; echo "$$rule"; \
	line "Demo accounts - every one uses the password: $(DEMO_PASSWORD)"; \
	echo "$$rule"; \
	line "Staff sign in at http://$(HOST):$(PORT)/accounts/login/"; \
	line "  admin@example.org        Administrator (enrols an authenticator app,"; \
	line "                           TOTP, at first sign-in)"; \
	line "  doctor@example.org       Doctor"; \
	line "  doctor2@example.org      Doctor"; \
	line "  nurse@example.org        Nurse"; \
	line "  reception@example.org    Receptionist"; \
	line "  lab@example.org          Lab technician"; \
	line "  lab2@example.org         Lab technician (verifies what lab@ entered)"; \
	line "  pharmacy@example.org     Pharmacist"; \
	line ""; \
	line "Patients sign in at http://$(HOST):$(PORT)/portal/login/"; \
	line "  patient@example.org      Patient"; \
	line "  patient2@example.org     Patient"; \
	echo "$$rule"; echo
	@echo "Starting a background-job worker and the scheduler beside the web server (Ctrl-C stops all three)."
	@$(MANAGE) db_worker --queue-name '*' --interval 1 --no-reload & worker=$$!; \
	$(MANAGE) run_scheduled --loop 60 --verbosity 0 & scheduler=$$!; \
	trap 'kill $$worker $$scheduler 2>/dev/null; wait $$worker $$scheduler 2>/dev/null' EXIT; \
	$(MANAGE) runserver $(HOST):$(PORT)

# pytest exits 5 when it collects no tests; that is a failure here, never a pass.
define run_pytest
	@$(1) $(VENV_PY) -m pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests (exit 5): treated as a failure" >&2; fi; \
	exit $$rc
endef

test: $(VENV_STAMP) ## Run the test suite on SQLite (settings: ehr.settings.test)
	$(call run_pytest,DATABASE_URL="sqlite:///$(CURDIR)/db.sqlite3" REDIS_URL=)

test-postgres: $(VENV_STAMP) ## Run the test suite on PostgreSQL + Redis (see PG_DATABASE_URL, PG_REDIS_URL)
	$(call run_pytest,DATABASE_URL="$(PG_DATABASE_URL)" REDIS_URL="$(PG_REDIS_URL)")

fuzz-api: $(VENV_STAMP) ## Fuzz the JSON API from its schema (schemathesis) on a fresh PostgreSQL database ehr_fuzz
	DEMO_PASSWORD="$(DEMO_PASSWORD)" VENV_BIN=$(VENV)/bin scripts/fuzz_api.sh

lint: $(VENV_STAMP) ## ruff check, ruff format --check and djLint on the templates
	@rc=0; \
	$(VENV)/bin/ruff check . || rc=1; \
	$(VENV)/bin/ruff format --check . || rc=1; \
	$(VENV)/bin/djlint templates --lint || rc=1; \
	exit $$rc

check: $(VENV_STAMP) ## Migrations in sync; check --deploy clean with production settings
	$(MANAGE) makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=ehr.settings.production SECRET_KEY="$(RANDOM_KEY)" \
		ALLOWED_HOSTS=ehr.example.org $(VENV_PY) manage.py check --deploy --fail-level WARNING

migrate: $(VENV_STAMP) ## Apply migrations to the local database
	$(MANAGE) migrate --noinput

shell: $(VENV_STAMP) ## Django shell with local settings
	$(MANAGE) shell

collectstatic: $(VENV_STAMP) ## Collect static files with production storage into STATIC_ROOT (default ./staticfiles)
	DJANGO_SETTINGS_MODULE=ehr.settings.production SECRET_KEY="$${SECRET_KEY:-$(RANDOM_KEY)}" \
		$(VENV_PY) manage.py collectstatic --noinput

clean: ## Remove .venv, the local SQLite database and collected static files
	rm -rf $(VENV) staticfiles
	rm -f db.sqlite3 db.sqlite3-*
