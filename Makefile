# OCOP Marketplace: `make run` serves the site, `make test` runs the whole suite.
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask
export FLASK_APP := wsgi.py
# Where `make run` serves (`make run PORT=5400 HOST=0.0.0.0`); exported so that the app's links
# follow the address actually served when PUBLIC_BASE_URL is not set (marketplace/links.py).
HOST ?= 127.0.0.1
PORT ?= 5000
# Some shells (zsh) set HOST to the machine's name: only HOST= on make's command line counts.
ifeq ($(origin HOST),environment)
HOST := 127.0.0.1
endif
export HOST PORT

.PHONY: install label-fonts run serve test fuzz migrate seed clean browser-deps bench bench-quick lb-deps scale-demo scale-demo-test profile chaos lighthouse

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check -q -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed label-fonts
	$(FLASK) i18n compile

# Label PDFs embed DejaVu Sans (Vietnamese glyphs) from Debian's fonts-dejavu-core
# (LABEL_FONT_DIR points elsewhere); installed here when possible, as for Chromium below.
LABEL_FONT_DIR ?= /usr/share/fonts/truetype/dejavu
label-fonts:
	@if [ -f "$(LABEL_FONT_DIR)/DejaVuSans.ttf" ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "Installing fonts-dejavu-core for the label PDFs..."; \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-dejavu-core >/dev/null; } \
	    || echo "WARNING: could not install fonts-dejavu-core: label PDFs will fail"; \
	else \
	  echo "WARNING: no DejaVu Sans in $(LABEL_FONT_DIR): install fonts-dejavu-core for the label PDFs."; \
	fi

migrate: install
	$(FLASK) db upgrade

seed: migrate
	$(FLASK) seed

run: seed
	$(FLASK) demo accounts
	$(FLASK) search reindex --if-missing
	$(FLASK) run --host $(HOST) --port $(PORT)

serve: migrate
	$(VENV)/bin/gunicorn -c gunicorn.conf.py wsgi:app

# The browser journeys drive Debian's Chromium (tests/browser reads CHROMIUM_PATH too). `make test`
# installs it when it can (root with apt); otherwise it says so and the journeys are skipped.
CHROMIUM_PATH ?= /usr/bin/chromium
export CHROMIUM_PATH

browser-deps:
	@if [ -x "$(CHROMIUM_PATH)" ]; then :; \
	elif [ "$(CHROMIUM_PATH)" = /usr/bin/chromium ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "Installing Debian chromium for the browser journeys..."; \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
	    || echo "WARNING: could not install chromium: the browser journeys will be SKIPPED"; \
	else \
	  echo "WARNING: no Chromium at $(CHROMIUM_PATH): the browser journeys will be SKIPPED."; \
	  echo "         Install it (apt-get install chromium) or run: make test CHROMIUM_PATH=/path/to/chromium"; \
	fi

test: install browser-deps
	$(PY) -m pytest -q $(PYTEST_ARGS)

# A longer fuzz of the whole API than the bounded run inside `make test`.
fuzz: install
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-200} $(PY) -m pytest -q tests/hardening/test_fuzz_api.py

# Lighthouse 12 (npx, mobile preset) on the seeded app's public and signed-in pages; reports
# under test-artifacts/lighthouse/, scores printed. Needs Node.js and Chromium.
lighthouse: install
	$(PY) scripts/lighthouse.py $(LIGHTHOUSE_ARGS)

bench: install
	$(PY) bench/run.py $(BENCH_ARGS)

bench-quick: install
	$(PY) bench/run.py --quick $(BENCH_ARGS)

profile: install
	$(PY) bench/profile.py $(PROFILE_ARGS)

# `make scale-demo` puts Debian's HAProxy in front of its two app servers; installed here when
# possible (root with apt), as for Chromium above.
lb-deps:
	@if command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "Installing Debian haproxy for the scale demo..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy >/dev/null; \
	else \
	  echo "ERROR: the scale demo needs HAProxy: apt-get install haproxy"; exit 1; \
	fi

scale-demo: install lb-deps
	$(PY) scripts/scale_demo.py $(SCALE_ARGS)

# A short scale demo as a test (minutes long, so not part of `make test`).
scale-demo-test: install lb-deps
	SCALE_DEMO_TEST=1 $(PY) -m pytest -q tests/perf/test_scale_demo_run.py

# Outages under load (PostgreSQL, Redis, the mail server); not part of `make test`.
chaos: install
	$(PY) scripts/chaos.py $(CHAOS_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache
