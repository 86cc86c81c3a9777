# make test: every test, from a fresh machine. make run: the service locally.
# Both first run scripts/setup-system: the system packages they need (installed as root).
# make package: the deployable template and zip in build/package (docs/deploy.md).
# make deploy STACK=... BUCKET=..., make destroy STACK=...: a stack in AWS (docs/deploy.md).
# make bench: the benchmarks in bench/, written to docs/benchmarks.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# make run: ports on 127.0.0.1, and the schedule's period (short for the demo).
# API_TLS_PORT serves the same API over HTTPS, for kubectl (.local/kubeconfig).
API_PORT ?= 8000
API_TLS_PORT ?= 8443
AWS_PORT ?= 5000
REGISTRY_PORT ?= 5050
SCHEDULE_SECONDS ?= 30

# make package: the Lambda runtime's Python version. Chalice names the runtime after the
# interpreter it runs on, so packaging runs in a venv of that version (infra/find-python).
# Unless given, 3.12, or 3.13 on a machine that has only that one (infra/find-python --runtime).
ifndef LAMBDA_PYTHON
LAMBDA_PYTHON := $(shell infra/find-python --runtime)
endif
STAGE ?= dev
PACKAGE := build/package
PACKAGE_VENV := .venv-package
PACKAGE_STAMP := $(PACKAGE_VENV)/.installed-$(LAMBDA_PYTHON)
# The functions' architecture is .chalice/config.json's lambda_architecture (arm64, Graviton;
# or x86_64), which Chalice writes into the template; the wheels must be that machine's.
LAMBDA_ARCHITECTURE := $(shell $(PYTHON) -c 'import json; print(json.load(open(".chalice/config.json")).get("lambda_architecture", "x86_64"))')
LAMBDA_MACHINE := $(if $(filter arm64,$(LAMBDA_ARCHITECTURE)),aarch64,x86_64)
WHEELHOUSE := build/wheelhouse-py$(LAMBDA_PYTHON)-$(LAMBDA_MACHINE)
# Lambda's Python 3.12+ runtimes run Amazon Linux 2023 (glibc 2.34); pip takes each
# --platform literally, so every manylinux tag up to that glibc is listed.
LAMBDA_PLATFORMS := manylinux2014_$(LAMBDA_MACHINE) $(foreach minor,$(shell seq 17 34),manylinux_2_$(minor)_$(LAMBDA_MACHINE))
# checkov, which make lint runs on the template, in a venv of its own: its pins clash with
# requirements-dev.txt's (requirements-checkov.txt says which).
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed
# The package is built from the wheelhouse alone: the zip holds exactly the pinned versions.
CHALICE_PACKAGE = AWS_DEFAULT_REGION=us-east-1 PIP_NO_INDEX=1 PIP_FIND_LINKS=$(CURDIR)/$(WHEELHOUSE) \
	$(PACKAGE_VENV)/bin/chalice package --stage $(STAGE) --merge-template build/merge-template.json

# make deploy, make destroy: stack STACK in the account of the environment's AWS credentials
# and in AWS_REGION (or AWS_DEFAULT_REGION). BUCKET, an S3 bucket in that region, receives
# the code and the template (over CloudFormation's 51,200 bytes for a template sent inline).
# PARAMETERS: stack parameters as Key=Value words; a later deploy keeps those it omits.
STACK ?=
BUCKET ?=
PARAMETERS ?=
DEPLOY_REGION := $(or $(AWS_REGION),$(AWS_DEFAULT_REGION))
DEPLOY := build/deploy/$(STACK)
# The AWS CLI (v1, pinned in requirements-dev.txt) reads AWS_DEFAULT_REGION only.
AWS_CLI = AWS_DEFAULT_REGION=$(DEPLOY_REGION) $(BIN)/aws
STACK_OUTPUT = $(AWS_CLI) cloudformation describe-stacks --stack-name $(STACK) --output text \
	--query "Stacks[0].Outputs[?OutputKey=='$(1)'].OutputValue"
ifneq ($(filter deploy destroy,$(MAKECMDGOALS)),)
ifeq ($(STACK),)
$(error make $(filter deploy destroy,$(MAKECMDGOALS)) needs STACK=<stack name>)
endif
ifeq ($(DEPLOY_REGION),)
$(error set AWS_REGION (or AWS_DEFAULT_REGION) to the region of the stack)
endif
ifneq ($(filter deploy,$(MAKECMDGOALS)),)
ifeq ($(BUCKET),)
$(error make deploy needs BUCKET=<an S3 bucket in $(DEPLOY_REGION) for the code and template>)
endif
endif
endif

.PHONY: system venv test lint lint-python package package-check run bench deploy destroy clean mutation

system:
	scripts/setup-system

venv: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt isctl/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

test: system venv lint package-check
	$(BIN)/python -m pytest -q tests

# Mutation testing of the access decisions, the cross-namespace source check and the
# address filter of imports (setup.cfg names the files and the tests), then of the address
# filter's tables, which mutmut leaves alone (tests/registry/mutate_tables.py); not part of
# make test. Every survivor is listed, with why it is equivalent, in docs/mutation.md;
# `$(BIN)/mutmut show <name>` shows one.
mutation: venv
	rm -rf mutants
	$(BIN)/mutmut run --max-children 2
	$(BIN)/mutmut results
	$(BIN)/python -m tests.registry.mutate_tables

# Lambda-platform wheels of requirements.txt, fetched once; and this machine's, which the
# packaging venv imports app.py with and which Chalice's first pass (a plain pip download)
# picks before it replaces each one Lambda cannot load by the Lambda platform's.
$(WHEELHOUSE)/.complete: requirements.txt | venv
	rm -rf $(WHEELHOUSE)
	$(BIN)/pip download --quiet --only-binary=:all: --no-deps --dest $(WHEELHOUSE) \
		--implementation cp --python-version $(LAMBDA_PYTHON) \
		--abi cp$(subst .,,$(LAMBDA_PYTHON)) --abi abi3 --abi none \
		$(addprefix --platform ,$(LAMBDA_PLATFORMS)) -r requirements.txt
	$(BIN)/pip download --quiet --only-binary=:all: --no-deps --dest $(WHEELHOUSE) \
		--implementation cp --python-version $(LAMBDA_PYTHON) \
		--abi cp$(subst .,,$(LAMBDA_PYTHON)) --abi abi3 --abi none -r requirements.txt
	touch $@

# Chalice imports app.py to package it, so the app's requirements are installed too.
$(PACKAGE_STAMP): requirements.txt requirements-dev.txt $(WHEELHOUSE)/.complete | venv
	rm -rf $(PACKAGE_VENV)
	interpreter=$$(infra/find-python $(LAMBDA_PYTHON)) && "$$interpreter" -m venv $(PACKAGE_VENV)
	$(PACKAGE_VENV)/bin/pip install --quiet $$(grep -E '^(chalice|botocore|PyYAML)==' requirements-dev.txt)
	$(PACKAGE_VENV)/bin/pip install --quiet --no-index --find-links $(WHEELHOUSE) -r requirements.txt
	touch $@

# The zip as Lambda gets it: each module's bytecode, compiled by the packaging venv's
# Python (the runtime's), then every entry in a fixed order and form.
finish_zip = $(PACKAGE_VENV)/bin/python -m infra.bytecode $(1) && \
	$(BIN)/python -m infra.reproducible $(1)

package: $(PACKAGE_STAMP)
	rm -rf $(PACKAGE)
	$(BIN)/python -m infra.template build/merge-template.json
	$(CHALICE_PACKAGE) $(PACKAGE)
	$(call finish_zip,$(PACKAGE)/deployment.zip)

# Two builds, the second without Chalice's cache of dependencies, give the same bytes.
package-check: package
	rm -rf .chalice/deployments build/package-check
	$(CHALICE_PACKAGE) build/package-check
	$(call finish_zip,build/package-check/deployment.zip)
	cmp $(PACKAGE)/deployment.zip build/package-check/deployment.zip
	cmp $(PACKAGE)/sam.json build/package-check/sam.json

$(CHECKOV_STAMP): requirements-checkov.txt
	rm -rf $(CHECKOV_VENV)
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/pip install --quiet --no-deps -r requirements-checkov.txt
	touch $@

# ruff, then mypy, over the Python code first (pyproject.toml says which files, and mypy's
# plugins; seconds, and under one with mypy's cache in .mypy_cache), then the template:
# cfn-lint on the packaged template and on its SAM expansion, any finding fails; then
# checkov on the expansion: any finding not accepted in infra/checkov-skips.yaml fails.
PYTHON_SOURCES := app.py chalicelib local bench testbed isctl
lint: lint-python package $(CHECKOV_STAMP)
	$(BIN)/python -m infra.sam_translate $(PACKAGE)/sam.json build/lint/cloudformation.json
	$(BIN)/cfn-lint $(PACKAGE)/sam.json build/lint/cloudformation.json
	$(BIN)/python -m infra.checkov_scan build/lint/cloudformation.json $(CHECKOV_VENV)/bin/checkov

lint-python: venv
	$(BIN)/ruff check $(PYTHON_SOURCES)
	$(BIN)/mypy

# The template deployed is the SAM template expanded here (infra/sam_translate.py), the one
# make lint checks and the AWS emulator can deploy (it has no SAM transform). Then the first
# admin's token, made on the first deploy only, and the API's URL.
deploy: venv package
	mkdir -p $(DEPLOY)
	$(AWS_CLI) cloudformation package --template-file $(PACKAGE)/sam.json --use-json \
		--s3-bucket $(BUCKET) --s3-prefix $(STACK) --output-template-file $(DEPLOY)/packaged.json
	AWS_DEFAULT_REGION=$(DEPLOY_REGION) $(BIN)/python -m infra.sam_translate \
		$(DEPLOY)/packaged.json $(DEPLOY)/cloudformation.json
	$(AWS_CLI) cloudformation deploy --template-file $(DEPLOY)/cloudformation.json \
		--stack-name $(STACK) --s3-bucket $(BUCKET) --s3-prefix $(STACK) \
		--capabilities CAPABILITY_IAM --no-fail-on-empty-changeset \
		$(if $(strip $(PARAMETERS)),--parameter-overrides $(PARAMETERS))
	table=$$($(call STACK_OUTPUT,TableName)) && AWS_DEFAULT_REGION=$(DEPLOY_REGION) \
		$(BIN)/python -m chalicelib.first_admin --table "$$table" --once
	@echo "API: $$($(call STACK_OUTPUT,EndpointURL))"

# The table outlives the stack (DeletionPolicy RetainExceptOnCreate, deletion protection):
# its name is printed to keep.
destroy: venv
	table=$$($(call STACK_OUTPUT,TableName)) && \
	$(AWS_CLI) cloudformation delete-stack --stack-name $(STACK) && \
	$(AWS_CLI) cloudformation wait stack-delete-complete --stack-name $(STACK) && \
	echo "Deleted stack $(STACK). Kept: table $$table (to delete it: aws dynamodb" \
		"update-table --table-name $$table --no-deletion-protection-enabled, then aws" \
		"dynamodb delete-table --table-name $$table), secrets named $(STACK)/..., and the" \
		"code in your artifact bucket."

run: system venv
	API_PORT=$(API_PORT) API_TLS_PORT=$(API_TLS_PORT) AWS_PORT=$(AWS_PORT) \
		REGISTRY_PORT=$(REGISTRY_PORT) SCHEDULE_SECONDS=$(SCHEDULE_SECONDS) \
		$(BIN)/python -m local.stack

# Needs docker-registry and skopeo, as the registry tests do.
bench: system venv package
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) $(PACKAGE_VENV) $(CHECKOV_VENV) build .pytest_cache .chalice/deployments
