# The one entry point for people and CI. `make run` serves the demo; `make test` checks it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.run-installed
DEV_STAMP := $(VENV)/.dev-installed

CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test lint bench install install-dev browser gettext messages clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "antifraud needs Python 3.11 or newer; set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@ $(RUN_STAMP)

install: $(RUN_STAMP)
install-dev: $(DEV_STAMP)

# Browser tests drive Debian's Chromium through Playwright (Playwright's own browser
# download is not used).
$(CHROMIUM):
	@command -v apt-get >/dev/null || { echo "browser tests need Chromium at $(CHROMIUM); install it with your package manager"; exit 1; }
	$(SUDO) apt-get install -y -qq chromium || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium; }

browser: $(CHROMIUM)

# The translations: each catalogue's .mo is compiled from its .po when the .po is newer (or
# the .mo is missing, as in a fresh clone once .mo files are no longer tracked). Django's
# compilemessages needs GNU gettext's msgfmt.
CATALOGUES := $(patsubst %.po,%.mo,$(wildcard locale/*/LC_MESSAGES/django.po))

gettext:
	@command -v msgfmt >/dev/null || { \
	  command -v apt-get >/dev/null || { echo "compiling the translations needs GNU gettext (msgfmt); install it with your package manager"; exit 1; }; \
	  $(SUDO) apt-get install -y -qq gettext || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq gettext; }; }

locale/%/LC_MESSAGES/django.mo: locale/%/LC_MESSAGES/django.po | $(RUN_STAMP) gettext
	$(BIN)/python manage.py compilemessages --ignore $(VENV) --ignore var --ignore staticfiles --locale $* --verbosity 0
	@touch $@

messages: $(CATALOGUES)

run: install messages
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo --if-empty --seed 1
	@echo ""
	@echo "  antifraud is starting at http://127.0.0.1:8000/  (Ctrl-C stops the web server, worker and beat)"
	@echo ""
	exec $(BIN)/honcho -f Procfile.dev start

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: install-dev browser messages
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Needs PostgreSQL (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/).
bench: install-dev
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var staticfiles
