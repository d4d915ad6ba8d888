# enms-analytics: `make run` (demo plant, embedded DuckDB) and `make test`. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
export PLOOMBER_STATS_ENABLED := false
export PLOOMBER_VERSION_CHECK_DISABLED := true
export PYDEVD_DISABLE_FILE_VALIDATION := 1
# The environment: demo (env.yaml alone), pg (PostgreSQL from ENMS_DATABASE_URL) or test (the small plant).
ENV ?= demo
FACTORY ?= demo-manufacturing-plant
PERIOD ?=
PERIOD_END ?=
# Another warehouse than the environment's (your imported meters): make run WAREHOUSE=duckdb:data/mine.duckdb runs
# the environment's settings on it, products in products/<its name>/, reports in reports/<its name>/.
WAREHOUSE ?=
# What started the run, recorded with the models it trains: scheduled (default) or manual.
TRIGGER ?=
# Values a user passes (make report FACTORY=…) are data, never make or shell code: taken as written (a `$(…)` in
# them is not expanded by make), handed to the recipes only as environment variables ("$$FACTORY"), and ENV,
# which also names files and targets, must be one of the environments.
override ENV := $(value ENV)
override FACTORY := $(value FACTORY)
override PERIOD := $(value PERIOD)
override PERIOD_END := $(value PERIOD_END)
override WAREHOUSE := $(value WAREHOUSE)
override TRIGGER := $(value TRIGGER)
export ENV FACTORY PERIOD PERIOD_END WAREHOUSE
# The pipeline and `enms report` read it as ENMS_WAREHOUSE (empty: the environment's own warehouse).
export ENMS_WAREHOUSE := $(WAREHOUSE)
export ENMS_TRIGGER := $(TRIGGER)
ifneq ($(words $(ENV)) $(filter demo pg test,$(ENV)),1 $(ENV))
$(error ENV must be demo, pg or test (got "$(ENV)"))
endif
PLOOMBER := $(BIN)/ploomber build --entry-point enms.pipeline.make

.PHONY: help setup data run pipeline test lint lab bench clean report

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

setup: $(INSTALLED) ## create .venv with the pinned dependencies (requirements.lock) and the enms package

$(INSTALLED): requirements.lock pyproject.toml
	@echo "== creating $(VENV) with $(PYTHON) and the pinned dependencies (a few minutes the first time)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --progress-bar off -r requirements.lock 2> >(grep -v "is ignored: it is neither" >&2)
	$(BIN)/pip install --quiet --no-deps -e . 2> >(grep -v "is ignored: it is neither" >&2)
	touch $@

data: $(INSTALLED) ## build the environment's demo plant if it is absent (data/enms.duckdb; ENV=test: the small one); with WAREHOUSE=…, check that one exists
	@if [ -z "$$WAREHOUSE" ]; then $(BIN)/enms demo --env "$$ENV"; \
	elif ! err=$$($(BIN)/enms info --warehouse "$$WAREHOUSE" 2>&1 > /dev/null); then \
	echo "make data: WAREHOUSE is yours, never a demo plant: import your meters into it first (enms import meters FILE --warehouse …); $${err#enms info: error: }" | sed "s/: build the demo plant.*/./" >&2; exit 2; fi

# With nothing changed since the last run of an environment, make itself stops here instead of loading Ploomber
# (3-4 s): the stamp is newer than every input. ENV=pg always asks Ploomber: its warehouse is a live database; so
# does a WAREHOUSE=… run (its name is the user's, never part of a make target).
RUN_INPUTS := $(shell find src/enms notebooks -name '*.py') pipeline.yaml env.yaml $(wildcard env.$(ENV).yaml) $(wildcard data/.)

run: $(INSTALLED) $(if $(filter pg,$(ENV))$(WAREHOUSE),pipeline,products/.run-$(ENV)) ## install, build the demo plant if absent, run the pipeline (only what changed); ENV=pg for PostgreSQL; WAREHOUSE=duckdb:data/mine.duckdb for your imported meters
	@if [ -n "$$WAREHOUSE" ]; then $(BIN)/python -c 'import sys; from enms.environments import settings; \
	v = settings(sys.argv[1]); print("== stakeholder reports in", v["reports"], "; step pages and parquet in", v["products"])' "$$ENV"; \
	else echo "== stakeholder reports in reports/ (open the HTML in a browser); step pages products/$(ENV)/*.html; parquet per step in products/$(ENV)"; fi

products/.run-$(ENV): $(RUN_INPUTS) | $(INSTALLED)
	@$(MAKE) --no-print-directory pipeline
	@touch $@

pipeline: data
	$(PLOOMBER) --env "$$ENV"

report: $(INSTALLED) ## one factory's report for a local month, without Ploomber: make report FACTORY=demo-manufacturing-plant PERIOD=2025-10 [ENV=pg] [WAREHOUSE=…]
	@test -n "$$PERIOD" || { echo "usage: make report FACTORY=<slug or name> PERIOD=YYYY-MM (or PERIOD=YYYY-MM-DD PERIOD_END=YYYY-MM-DD) [ENV=pg]"; exit 2; }
	@$(BIN)/enms report --env "$$ENV" --factory "$$FACTORY" --period "$$PERIOD" --period-end "$$PERIOD_END"

lint: $(INSTALLED) ## ruff over src, notebooks and tests
	$(BIN)/ruff check src notebooks tests benchmarks

test: $(INSTALLED) lint ## every test tier: unit, pipeline on the small plant (built in-process), PostgreSQL, then nbval
	$(BIN)/pytest --durations=8 tests
	$(BIN)/pytest --nbval-lax products/test/*.ipynb

lab: data ## JupyterLab on the notebooks, parameters injected from env.yaml
	$(BIN)/ploomber nb --inject --entry-point enms.pipeline.make
	$(BIN)/jupyter lab notebooks; $(BIN)/ploomber nb --remove --entry-point enms.pipeline.make

# Fleet sizes `make bench` generates and runs the whole pipeline on (`make bench FLEET="100 300"`).
FLEET ?= 100 300 1000
override FLEET := $(value FLEET)
export FLEET

bench: $(INSTALLED) ## demo plant: generation, cold and warm `make run`; fleets of FLEET machines: generation and pipeline per step
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/fleet.py $$FLEET

clean: ## remove products, executed notebooks and the test plant (keeps .venv and the demo plant)
	rm -rf products data/enms-test.duckdb reports/*.html reports/*.png

.PHONY: bench-real
bench-real: $(INSTALLED) ## real meters (eemeter 4.1.1's samples, imported): ours against eemeter and statsforecast; not in make test
	$(BIN)/python benchmarks/real/run.py
