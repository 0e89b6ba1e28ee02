# lakehouse-code: every target installs what it needs into .venv first.
# Quick start: `make smoke` (the main job) and `make test` (the harness's own tests).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | cksum | cut -d' ' -f1)
PYTEST_WORKERS ?= 2
# KPI-quickstart's clock starts here, when make reads this file: before `venv` builds .venv (whole seconds, rounded down).
# With it this boot's id and clock (seconds since boot): the wall clock can be stepped back, the harness times the
# start on the boot clock (lakehouse/startclock.py). Empty where /proc has neither (not Linux): the start is not timed.
QUICKSTART_STARTED := $(shell date +%s)
QUICKSTART_BOOT_ID := $(shell cat /proc/sys/kernel/random/boot_id 2>/dev/null)
QUICKSTART_UPTIME_S := $(shell cut -d' ' -f1 /proc/uptime 2>/dev/null)

# Offline machines: the library itself finds a provider mirror holding the pinned hashicorp/aws
# (lakehouse/tfmirror.py), so make, tox and `pytest features/` run alike.

.PHONY: help venv browser policy scan smoke test fuzz unit up deploy pipeline demo destroy reap nuke status lint guard docs docs-check report bench clean

help:
	@echo "make smoke    deploy the local stack, verify the exit criteria, destroy (writes reports/)"
	@echo "make test     the harness's own tests (unit, emulator, integration)"
	@echo "make up       deploy the local stack and leave it running (TARGET=aws for a real account)"
	@echo "make pipeline load fixtures/data through Bronze, Silver, Gold on the make-up stack (DATA_DIR=...)"
	@echo "make demo     run the demo queries on Gold (run_demo_queries.sh)"
	@echo "make destroy  destroy what make up deployed and stop its emulator (STACK_ID=... for one)"
	@echo "make reap     list expired stacks; YES=1 destroys them (TARGET=aws: orphans in the account too)"
	@echo "make nuke     destroy every stack the harness made, expired or not (asks; YES=1 does not; TARGET=aws)"
	@echo "make status   list recorded stacks"
	@echo "make lint     ruff, mypy, terraform fmt/validate, workflow rules, policies (checkov, plan norms, zizmor)"
	@echo "make guard    the guard suite (lint + test), recorded in reports/guard-ledger.jsonl (exit check 3)"
	@echo "make docs     regenerate README's exit-criteria table from features/ and docs/checker-policy*.json"
	@echo "make report   re-render reports/evidence.html from reports/evidence.json"
	@echo "make fuzz     property-based tests with many more examples (HYPOTHESIS_PROFILE=fuzz)"
	@echo "make bench    benchmarks: verification vs terraform floor, pipeline vs DuckDB, query latency (reports/bench.json)"

venv: $(STAMP)

$(STAMP):
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

# A headless Chromium (exit check 4's screenshot, the report's visual test), installed where we may.
browser:
	@scripts/ensure-chromium

smoke: venv browser
	$(BIN)/pytest features/ --junitxml=reports/junit.xml --cucumberjson=reports/cucumber.json $(PYTEST_ARGS)

test: venv
	@scripts/ensure-chromium --optional
	$(BIN)/pytest tests/ -n $(PYTEST_WORKERS) --dist loadgroup --durations=25 $(PYTEST_ARGS)

# Property-based tests (hypothesis) run long: `make test` runs them bounded, this for thousands of examples.
fuzz: venv
	HYPOTHESIS_PROFILE=fuzz $(BIN)/pytest tests/emulator/test_ssn_property.py tests/emulator/test_data_loop_property.py -q $(PYTEST_ARGS)

unit: venv
	$(BIN)/pytest tests/unit $(PYTEST_ARGS)

up deploy: venv
	LAKEHOUSE_QUICKSTART_STARTED=$(QUICKSTART_STARTED) LAKEHOUSE_QUICKSTART_BOOT_ID=$(QUICKSTART_BOOT_ID) \
	LAKEHOUSE_QUICKSTART_UPTIME_S=$(QUICKSTART_UPTIME_S) $(BIN)/lakehouse up $(if $(TARGET),--target $(TARGET)) $(if $(STACK_ID),--stack-id $(STACK_ID))

pipeline: venv
	$(BIN)/lakehouse pipeline $(if $(STACK_ID),--stack-id $(STACK_ID)) $(if $(DATA_DIR),--data-dir $(DATA_DIR))

demo: venv
	./run_demo_queries.sh $(if $(STACK_ID),--stack-id $(STACK_ID))

destroy: venv
	$(BIN)/lakehouse destroy $(if $(STACK_ID),--stack-id $(STACK_ID)) $(if $(ALL),--all)

# Auto-destroy (lakehouse reap): dry run unless YES=1; TARGET=aws also reaps orphans of the account.
reap: venv
	$(BIN)/lakehouse reap $(if $(TARGET),--target $(TARGET)) $(if $(YES),--yes)

nuke: venv
	$(BIN)/lakehouse reap --all $(if $(TARGET),--target $(TARGET)) $(if $(YES),--yes,--confirm)

status: venv
	$(BIN)/lakehouse status

lint: venv
	$(BIN)/ruff check lakehouse steps tests bench fixtures/load conftest.py
	$(BIN)/ruff format --check lakehouse steps tests bench fixtures/load conftest.py
	$(BIN)/mypy
	terraform fmt -check -recursive infra
	$(BIN)/lakehouse validate
	$(BIN)/lakehouse docs --check
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	$(BIN)/check-jsonschema --builtin-schema vendor.github-actions .github/actions/common/action.yml
	$(BIN)/python -m lakehouse.workflows
	$(MAKE) --no-print-directory policy

# Policy as code: checkov on infra/, the plan's norms on a plan of infra/ (lakehouse.policies), zizmor on
# .github/. checkov and zizmor live in their own venv (requirements-checkov.txt, exact pins): their many
# dependencies would otherwise constrain ours.
POLICY_VENV  := .venv-checkov
POLICY_STAMP := $(POLICY_VENV)/.installed-$(shell cksum < requirements-checkov.txt | cut -d' ' -f1)

$(POLICY_STAMP): requirements-checkov.txt
	$(PYTHON) -m venv $(POLICY_VENV)
	$(POLICY_VENV)/bin/python -m pip install --quiet --no-deps -r requirements-checkov.txt
	rm -f $(POLICY_VENV)/.installed-*
	touch $@

policy: venv scan
	$(BIN)/python -m lakehouse.policies

# checkov on infra/ and zizmor on .github/ alone (tests/integration/test_scanners.py runs this in `make test`).
scan: $(POLICY_STAMP)
	$(POLICY_VENV)/bin/checkov --config-file .github/checkov.yaml
	$(POLICY_VENV)/bin/zizmor --offline --config .github/zizmor.yml .

# The guard suite (what .github/workflows/guard.yml runs, policies included). Every run is
# appended to reports/guard-ledger.jsonl; exit check 3 reads it when GitHub cannot be asked.
guard: venv
	$(BIN)/python -m lakehouse.guard run -- $(MAKE) --no-print-directory lint test

docs: venv
	$(BIN)/lakehouse docs

report: venv
	$(BIN)/lakehouse report $(if $(EVIDENCE),--evidence $(EVIDENCE))

# Benchmarks (not tests): writes reports/bench.json (BENCH_ARGS="--out PATH --rows N --load-seconds S").
bench: venv
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf reports/* .pytest_cache
