# Development tasks. `make` alone lists them.
#
# Python tools (moto_server, boto3, cargo-lambda) live in a local virtualenv, .venv, installed once
# from tools/requirements-dev.txt and again whenever that file changes.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

PYTHON ?= python3
VENV := .venv
REQUIREMENTS := tools/requirements-dev.txt
# Written after a successful install; newer than the requirements file means nothing to do.
VENV_STAMP := $(VENV)/.installed

# Ports used by `make dev`: moto_server, the cargo-lambda invoke server and the local API Gateway.
MOTO_PORT ?= 5005
INVOKE_PORT ?= 9000
GATEWAY_PORT ?= 3000
export MOTO_PORT INVOKE_PORT GATEWAY_PORT

.PHONY: help venv test lint fmt build dev clean-dev bench bench-runtime

help: ## List the targets
	@echo "Usage: make <target>"
	@echo
	@grep -E '^[a-z][a-z-]*:.*## ' $(MAKEFILE_LIST) \
		| awk 'BEGIN {FS = ":.*## "} {printf "  %-10s %s\n", $$1, $$2}'

venv: $(VENV_STAMP) ## Create .venv and install the pinned Python tools (moto, boto3, cargo-lambda)

# An existing .venv is reused (only the install runs); a missing or broken one is created.
$(VENV_STAMP): $(REQUIREMENTS)
	[ -x $(VENV)/bin/python ] || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r $(REQUIREMENTS)
	touch $@

test: $(VENV_STAMP) ## Build the binaries, then run every test (unit, moto_server, end to end)
	cargo build --bins
	cargo test --workspace

lint: ## cargo fmt --check and clippy with warnings as errors
	cargo fmt --all --check
	cargo clippy --all-targets -- -D warnings

fmt: ## Format the code
	cargo fmt --all

build: ## Release build of both Lambda binaries
	cargo build --release --bins

bench: ## criterion benchmarks (verify, crypto backends, the whole authorizer handler) and the overhead summary
	cargo bench -p auth-core -p authorizer
	$(PYTHON) tools/bench_summary.py

bench-runtime: ## Whole-binary benchmark of the authorizer under a loopback Runtime API, with two baselines
	tools/runtime-bench/run.sh

dev: $(VENV_STAMP) ## Serve the API on http://127.0.0.1:3000: local API Gateway + authorizer + functions (Ctrl-C stops everything)
	tools/dev.sh

clean-dev: ## Remove the state of `make dev` (.dev/)
	rm -rf .dev
