# Every target installs what is missing first, so each works on a fresh Debian machine as root.
SHELL := /bin/bash
VENV ?= .venv
BIN := $(VENV)/bin
APT_PACKAGES := python3 python3-venv postgresql curl
PYTEST_ARGS ?=

.PHONY: deps apt venv run test bench clean

deps: apt venv

# Install only the Debian packages that are missing; nothing to do when all are there.
apt:
	@missing=$$(for pkg in $(APT_PACKAGES); do \
	    dpkg-query -W -f='$${Status}\n' $$pkg 2>/dev/null | grep -q '^install ok installed' || echo $$pkg; \
	  done); \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:" $$missing; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	fi

venv: $(VENV)/.installed

$(VENV)/.installed: setup.cfg pyproject.toml
	test -x $(BIN)/python || python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

# Serve the API on 127.0.0.1:8080 (SQLite under var/ unless DATABASE_URL is set).
run: deps
	@mkdir -p var
	$(BIN)/cloudsignal-server init
	exec $(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

test: deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: deps
	$(BIN)/python bench/replay.py
	$(BIN)/python bench/api.py

clean:
	rm -rf $(VENV) var
