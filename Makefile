# OCOP Marketplace: `make run` serves the site, `make test` runs the whole suite.
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask
export FLASK_APP := wsgi.py

.PHONY: install run serve test migrate seed clean browser-deps

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check -q -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
	$(FLASK) i18n compile

migrate: install
	$(FLASK) db upgrade

seed: migrate
	$(FLASK) seed

run: seed
	$(FLASK) search reindex --if-missing
	$(FLASK) run --host 127.0.0.1 --port 5000

serve: migrate
	$(VENV)/bin/gunicorn -c gunicorn.conf.py wsgi:app

# The browser journeys drive Debian's Chromium; install it when we can (root with apt).
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Debian chromium for the browser journeys..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "NOTE: browser journeys need /usr/bin/chromium (apt-get install chromium)"; fi; }

test: install browser-deps
	$(PY) -m pytest -q $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache
