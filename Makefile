# One target per step. Strict shell: any failing command fails the target.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-builtin-rules

PYTHON_BOOT ?= python3
VENV := .venv
PY := $(VENV)/bin/python
TOOLS_VENV := .venv-tools
# pytest in PYTEST_WORKERS processes (pytest-xdist; 0 runs in this one). A file's tests stay in one
# worker, so module fixtures (a dev stack, a broker, a gateway) start once.
PYTEST_WORKERS ?= 2
PYTEST := $(PY) -m pytest -q -p no:cacheprovider -n $(PYTEST_WORKERS) --dist loadfile
STAMP := $(VENV)/.installed-$(shell cat requirements.lock requirements-tools.lock gateway/package-lock.json protos/package-lock.json tests/http-audit/package-lock.json 2>/dev/null | sha1sum | cut -c1-12)

.PHONY: help setup protos lint test test-pytest test-fast dev supergraph bench clean helm-check import-sample token web web-test chromium envelope

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): requirements.lock requirements-tools.lock gateway/package-lock.json protos/package-lock.json tests/http-audit/package-lock.json
	@$(PYTHON_BOOT) -c 'import sys; assert sys.version_info >= (3, 11), "Python >= 3.11 is required"'
	@node -e 'if (+process.versions.node.split(".")[0] < 20) { console.error("Node >= 20 is required"); process.exit(1) }'
	test -x $(PY) || $(PYTHON_BOOT) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip uv
	$(VENV)/bin/uv pip install -q --python $(PY) -r requirements.lock
	$(PY) scripts/install_pth.py
	# checkov pins packages that clash with the service stack, so it lives in its own venv.
	test -x $(TOOLS_VENV)/bin/python || $(VENV)/bin/uv venv -q --python $(PY) $(TOOLS_VENV)
	$(VENV)/bin/uv pip install -q --python $(TOOLS_VENV)/bin/python -r requirements-tools.lock
	cd gateway && npm ci --no-audit --no-fund --loglevel=error
	cd protos && npm ci --no-audit --no-fund --loglevel=error
	cd tests/http-audit && npm ci --no-audit --no-fund --loglevel=error
	rm -f $(VENV)/.installed-* && touch $@

setup: $(STAMP) ## create .venv, install the locked Python and Node dependencies

protos: setup ## generate Python stubs (+ .pyi) from protos/ into gen/
	$(PY) scripts/gen_protos.py

lint: protos ## ruff + mypy --strict + import-linter + buf lint
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .
	$(VENV)/bin/lint-imports
	cd protos && ./node_modules/.bin/buf lint

# lint and helm-check run beside pytest: most of pytest's time is spent waiting (for PostgreSQL, for
# processes to start), which leaves a core for them. Each step's output is printed when it ends.
test: ## every test: lint, helm-check, pytest (unit, PostgreSQL + SQLite integration, e2e, contract, helm), explorer
	$(MAKE) --no-print-directory -j3 --output-sync=target lint helm-check test-pytest web-test

# web: the e2e test of `make dev` runs `make dev`, which builds the explorer when it is stale; built
# here first, it is never built twice at once (make test builds it for web-test at the same time).
test-pytest: protos web ## every pytest test (unit, integration, e2e), without lint and helm-check
	$(PYTEST) tests

test-fast: protos ## tests without the end-to-end ones
	$(PYTEST) -m "not e2e" tests

dev: protos web ## run the whole platform locally (broker, four services, gateway, explorer); Ctrl-C stops it
	$(PY) scripts/devstack.py

envelope: setup ## add every service's new events to EventEnvelope's oneof (commit it; numbers never move)
	$(PY) scripts/gen_envelope.py

supergraph: protos ## compose the four subgraphs into gateway/supergraph.graphql (committed)
	$(PY) scripts/dump_sdl.py gateway/subgraphs
	node gateway/compose.mjs

helm-check: setup ## lint, render, validate and harden-check the Helm chart offline
	$(PY) scripts/helm_check.py

bench: protos ## every benchmark, side by side with its peer or floor; writes bench/results/
	$(PY) -m bench

import-sample: protos ## import the shared registry exports into the dev stack's databases
	$(PY) -m importers.cli ../shared/data/registry-exports

token: setup ## print a dev token: make token ARGS="--sub alice --org ORG --role ACCOUNT_HOLDER"
	@$(PY) -m carbon_runtime.transport.auth $(ARGS)

clean: ## remove generated code, caches and local data (var/)
	rm -rf gen var .mypy_cache .ruff_cache .pytest_cache .hypothesis
	find . -name __pycache__ -type d -prune -not -path './.venv/*' -not -path './node_modules/*' -exec rm -rf {} +

WEB_SRC := $(shell find web/src web/public web/server -type f 2>/dev/null) web/index.html web/vite.config.ts web/tsconfig.json web/package.json

web/node_modules/.package-lock.json: web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error

web/dist/index.html: web/node_modules/.package-lock.json $(WEB_SRC)
	cd web && npm run build && npm run size

web: web/dist/index.html ## build the public explorer into web/dist (tsc, vite, bundle-size budget)

# Browser tests drive Debian's Chromium (Playwright's own browser downloads are not reachable);
# installed once, as root, when missing.
chromium:
	@test -x /usr/bin/chromium || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-ipafont-gothic; }

web-test: web chromium ## explorer: vitest, then Playwright in Debian's Chromium
	cd web && npm test
