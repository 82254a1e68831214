# Every target installs what is missing first, so each works on a fresh Debian machine as root.
SHELL := /bin/bash
VENV ?= .venv
BIN := $(VENV)/bin
PLUGIN := broker-config/plugin/cloudsignal_auth.so
APT_PACKAGES := python3 python3-venv postgresql redis-server curl openssl \
	mosquitto mosquitto-clients mosquitto-dev libcjson-dev libcurl4-openssl-dev uthash-dev libssl-dev \
	pkg-config gcc make docker-compose chromium libnss3-tools golang-go nginx
PYTEST_ARGS ?=

.PHONY: deps apt node venv plugin js dashboard docs-ui run tls test test-reliability bench clean

deps: apt venv plugin js docs-ui dashboard

# Install only the Debian packages that are missing; nothing to do when all are there. Debian
# starts its own mosquitto (1883) and nginx (80) services where systemd runs: stop them, ours take
# the ports (the edge, deploy/edge, is nginx with our own configuration).
apt:
	@missing=$$(for pkg in $(APT_PACKAGES); do \
	    dpkg-query -W -f='$${Status}\n' $$pkg 2>/dev/null | grep -q '^install ok installed' || echo $$pkg; \
	  done); \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:" $$missing; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	  for unit in mosquitto nginx; do \
	    if command -v systemctl >/dev/null && systemctl is-active --quiet $$unit 2>/dev/null; then \
	      systemctl disable --now $$unit; fi; \
	  done; \
	fi

venv: $(VENV)/.installed

$(VENV)/.installed: setup.cfg pyproject.toml sdk/python/pyproject.toml
	test -x $(BIN)/python || python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]' -e 'sdk/python[dev]'
	touch $@

# Node.js 20 or newer for the TypeScript SDK: use the machine's if it has one (Debian 12's own
# nodejs is 18, too old for the browser tests' playwright-core).
node:
	@if ! command -v node >/dev/null || ! command -v npm >/dev/null; then \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs npm; fi
	@node -e 'process.exit(Number(process.versions.node.split(".")[0]) < 20 ? 1 : 0)' || \
	  echo "warning: Node.js $$(node --version) is older than 20; the JS SDK's browser test needs 20"

js: node sdk/js/dist/.built

sdk/js/dist/.built: sdk/js/package-lock.json $(shell find sdk/js/src -type f 2>/dev/null)
	cd sdk/js && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build
	touch $@

# Swagger UI for /v2/docs, from the pinned npm package in docs/renderer, copied beside the app so
# the page loads nothing from elsewhere. --ignore-scripts: no install-time scripts (telemetry).
docs-ui: node app/static/docs/.built

app/static/docs/.built: docs/renderer/package-lock.json
	cd docs/renderer && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	mkdir -p app/static/docs
	cp docs/renderer/node_modules/swagger-ui-dist/{swagger-ui-bundle.js,swagger-ui.css,LICENSE} app/static/docs/
	touch $@

# The web console (dashboard/), served by the service at /dashboard/ from dashboard/dist: rebuilt
# when its sources, its lock file or the SDK change.
dashboard: js dashboard/dist/.built

dashboard/dist/.built: sdk/js/dist/.built dashboard/package-lock.json dashboard/index.html dashboard/vite.config.ts \
		$(shell find dashboard/src dashboard/scripts -type f 2>/dev/null)
	cd dashboard && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build
	touch $@

plugin: apt
	$(MAKE) -s -C broker-config/plugin

# Behind the edge (nginx, deploy/edge): the API on 127.0.0.1:8080 (SQLite under var/ unless
# DATABASE_URL is set) and MQTT over WebSockets on 9001; Mosquitto with the plugin on 1883 (MQTT).
# After `make tls`: https on 8443, wss on 9443 (path /mqtt) and MQTTS on 8883.
run: deps
	exec scripts/run-local.sh

# A local CA and a server certificate in var/tls (ca.crt is the file to give clients); `make run`
# then serves https (8443), wss (9443) and MQTTS (8883). CLOUDSIGNAL_TLS_NAMES=host,1.2.3.4 adds names.
tls: apt
	broker-config/make-tls.sh var/tls

test: deps
	$(MAKE) -s -C broker-config/plugin test
	$(BIN)/mypy --strict sdk/python/src/cloudsignal
	$(BIN)/mypy --strict app events wsgi.py gunicorn.conf.py
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The fault suite alone, with a longer soak (make test runs it with a 20 s soak).
test-reliability: deps
	SOAK_SECONDS=180 $(BIN)/python -m pytest -s tests/reliability

# Every benchmark at its full size (make test runs each once with --smoke).
bench: deps
	$(BIN)/python bench/replay.py
	$(BIN)/python bench/api.py
	$(BIN)/python bench/broker.py
	$(BIN)/python bench/publish.py
	$(BIN)/python bench/storm.py

clean:
	rm -rf $(VENV) var sdk/js/node_modules sdk/js/dist
	$(MAKE) -s -C broker-config/plugin clean
