# enms-analytics: `make run` (demo plant, embedded DuckDB) and `make test`. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
DEMO_DB := data/enms.duckdb
TEST_DB := data/enms-test.duckdb
DEMO_ARGS ?= --days 400 --seed 7 --resolution 1min
TEST_ARGS := --days 400 --seed 7 --resolution 15min

export PLOOMBER_STATS_ENABLED := false
export PLOOMBER_VERSION_CHECK_DISABLED := true
export PYDEVD_DISABLE_FILE_VALIDATION := 1
# Rebuild pipeline steps when the package changes (Ploomber only tracks the notebooks' own source).
export ENMS_CODE_VERSION := $(shell cat $$(find src/enms -name '*.py' | sort) | sha1sum | cut -c1-12)
# env.pg.yaml reports on this month (default: the previous calendar month).
export ENMS_REPORT_PERIOD ?= $(shell date -d "$$(date +%Y-%m-01) -1 month" +%Y-%m)

.PHONY: help setup data run test test-data lint lab bench clean report

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

setup: $(INSTALLED) ## create .venv with the pinned dependencies (requirements.lock) and the enms package

$(INSTALLED): requirements.lock pyproject.toml
	@echo "== creating $(VENV) with $(PYTHON) and the pinned dependencies (a few minutes the first time)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --progress-bar off -r requirements.lock 2> >(grep -v "is ignored: it is neither" >&2)
	$(BIN)/pip install --quiet --no-deps -e . 2> >(grep -v "is ignored: it is neither" >&2)
	touch $@

data: $(DEMO_DB) ## build the demo plant warehouse (data/enms.duckdb) if it is absent

$(DEMO_DB): | $(INSTALLED)
	$(BIN)/enms demo $(DEMO_ARGS) --out $@

test-data: $(TEST_DB) ## build the small test plant (15-minute readings)

$(TEST_DB): | $(INSTALLED)
	$(BIN)/enms demo $(TEST_ARGS) --out $@

run: $(INSTALLED) $(DEMO_DB) ## install, build the demo plant if absent, run the pipeline (only what changed)
	$(BIN)/ploomber build --entry-point pipeline.yaml
	@echo "== stakeholder reports in reports/ (open the HTML in a browser); step pages products/demo/*.html; parquet per step in products/demo"

FACTORY ?= demo-manufacturing-plant
PERIOD ?=
PERIOD_END ?=
REPORT_PRODUCTS ?= products/demo
REPORTS ?= reports

report: $(INSTALLED) ## one factory's report for a local month, without Ploomber: make report FACTORY=demo-manufacturing-plant PERIOD=2025-10
	@test -n "$(PERIOD)" || { echo "usage: make report FACTORY=<slug or name> PERIOD=YYYY-MM (or PERIOD=YYYY-MM-DD PERIOD_END=YYYY-MM-DD)"; exit 2; }
	@test -d $(REPORT_PRODUCTS)/kpis || { echo "$(REPORT_PRODUCTS) lacks the pipeline's products: run make run first"; exit 2; }
	@mkdir -p $(REPORTS) $(REPORT_PRODUCTS)/reports
	@$(BIN)/jupytext --quiet --to ipynb -o $(REPORT_PRODUCTS)/reports/report.ipynb notebooks/report.py
	@name=$$($(BIN)/python -c 'import sys; from enms.report import report_filename; print(report_filename(*sys.argv[1:]).removesuffix(".html"))' "$(FACTORY)" "$(PERIOD)" "$(PERIOD_END)") && \
	p=$(CURDIR)/$(REPORT_PRODUCTS) && \
	$(BIN)/papermill --log-level WARNING --no-progress-bar $$p/reports/report.ipynb $$p/reports/$$name.ipynb \
	  -r factory "$(FACTORY)" -r period_start "$(PERIOD)" -r period_end "$(PERIOD_END)" -r code_version "$(ENMS_CODE_VERSION)" \
	  -y "{upstream: {extract: {data: $$p/extract}, quality: {data: $$p/quality}, baselines: {data: $$p/baselines}, anomalies: {data: $$p/anomalies}, forecasts: {data: $$p/forecasts}, kpis: {data: $$p/kpis}}, product: {nb: $$p/reports/$$name.ipynb}}" && \
	$(BIN)/jupyter nbconvert --log-level ERROR --to html --no-input --no-prompt $$p/reports/$$name.ipynb --output-dir $(REPORTS) --output $$name && \
	echo "== $(REPORTS)/$$name.html (executed notebook: $(REPORT_PRODUCTS)/reports/$$name.ipynb)"

lint: $(INSTALLED) ## ruff over src, notebooks and tests
	$(BIN)/ruff check src notebooks tests benchmarks

test: $(INSTALLED) $(TEST_DB) lint ## every test tier: unit, pipeline on the small plant, nbval, PostgreSQL
	PLOOMBER_ENV_FILENAME=env.test.yaml $(BIN)/ploomber build --entry-point pipeline.yaml
	$(BIN)/pytest tests --nbval-lax products/test/*.ipynb

lab: $(INSTALLED) $(DEMO_DB) ## JupyterLab on the notebooks, parameters injected from env.yaml
	$(BIN)/ploomber nb --inject --entry-point pipeline.yaml
	$(BIN)/jupyter lab notebooks; $(BIN)/ploomber nb --remove --entry-point pipeline.yaml

bench: $(INSTALLED) ## demo generation time and memory, cold and warm `make run`
	$(BIN)/python benchmarks/run.py

clean: ## remove products, executed notebooks and the test plant (keeps .venv and the demo plant)
	rm -rf products $(TEST_DB) reports/*.html reports/*.png
