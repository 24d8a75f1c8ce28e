# leadflow — `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
export LEADFLOW_VAR_DIR ?= var

.DEFAULT_GOAL := help

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# --no-compile: pip would byte-compile every installed package (numpy, scikit-learn...), most
# of the install's time; Python compiles the modules leadflow imports when it first runs.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --no-compile -e .
	touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --no-compile -e ".[dev]"
	touch $@ $(STAMP)

install: $(STAMP) ## Create .venv and install leadflow

run: $(STAMP) ## Serve API + UI + worker on http://127.0.0.1:8000 (SQLite under ./var, demo data)
	$(BIN)/leadflow serve --with-worker --demo-if-empty

worker: $(STAMP) ## Run a background worker
	$(BIN)/leadflow worker

browser: ## Install Debian's Chromium for the browser tests when missing
	@command -v /usr/bin/chromium >/dev/null || { \
	  echo "installing chromium (apt-get)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

axe: ## Install axe-core (npm ci) for the accessibility test when missing
	@test -f node_modules/axe-core/axe.min.js || { \
	  echo "installing axe-core (npm ci)"; npm ci --no-audit --no-fund --silent; }

lint: $(DEV_STAMP) ## ruff (lint + format check) and mypy
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports --no-logo --no-cache

# The suite starts dozens of Python processes (CLI calls, workers, servers): each would
# compile leadflow's modules again where the environment says not to keep bytecode.
# Lint runs beside the tests, its report printed after theirs: mypy alone kept one of
# two cores busy and the other idle for 13 s before the first test.
LINT_LOG := $(VENV)/lint.log
TESTS ?=
test: $(DEV_STAMP) browser axe ## Everything: lint, mypy, tests on SQLite and PostgreSQL (TESTS=tests/unit: some)
	@$(MAKE) --no-print-directory lint > $(LINT_LOG) 2>&1 & linting=$$!; \
	PYTHONDONTWRITEBYTECODE= $(BIN)/pytest -n 2 --dist loadgroup -p no:cacheprovider --durations=25 $(TESTS); \
	tested=$$?; wait $$linting; linted=$$?; cat $(LINT_LOG); \
	if [ $$linted -ne 0 ]; then echo "make test: lint failed (above)"; fi; \
	[ $$tested -eq 0 ] && [ $$linted -eq 0 ]

format: $(DEV_STAMP) ## Apply ruff format and fixes
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

MUTATE ?=
MUTATE_CHILDREN ?= 1
mutate: $(DEV_STAMP) ## Mutation testing of the pure rule modules (slow, not in CI; MUTATE='leadflow.users.domain*' for one)
	$(BIN)/mutmut run --max-children $(MUTATE_CHILDREN) $(MUTATE)
	$(BIN)/mutmut results

property: $(DEV_STAMP) ## The property tests with a large example budget (nightly or on demand)
	LEADFLOW_HYPOTHESIS_PROFILE=thorough $(BIN)/pytest -p no:cacheprovider -m property

bench: $(DEV_STAMP) ## Read benchmark on a generated data set (see bench/README.md)
	$(BIN)/python bench/api_read.py

clean: ## Remove the venv and local data
	rm -rf $(VENV) var

.PHONY: help install run worker browser axe lint test format mutate property bench clean
