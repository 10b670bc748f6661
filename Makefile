# The two commands: `make run` and `make test`. Everything else is optional.
SHELL := /bin/bash
PYTHON_BOOT ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
DEVSTACK := $(PY) scripts/devstack.py
ROWS ?= 500000
SAMPLE := var/samples/products-$(ROWS).csv

.PHONY: run test lint format install install-dev chromium sample bench bench-list bench-webhooks clean

run: $(VENV)/.installed
	$(DEVSTACK) run

test: $(VENV)/.installed-dev chromium
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(DEVSTACK) exec -- $(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: $(VENV)/.installed-dev
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

$(VENV)/bin/python:
	$(PYTHON_BOOT) -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install --disable-pip-version-check -q -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(PY) -m pip install --disable-pip-version-check -q -r requirements-dev.txt
	touch $(VENV)/.installed $@

chromium:
	@bash scripts/chromium_ensure.sh

sample: $(VENV)/.installed
	$(PY) scripts/sample_csv.py --rows $(ROWS) --out $(SAMPLE)

$(SAMPLE): | $(VENV)/.installed
	$(PY) scripts/sample_csv.py --rows $(ROWS) --out $(SAMPLE)

bench: $(VENV)/.installed-dev $(SAMPLE)
	$(DEVSTACK) exec --scratch -- $(PY) -m benchmarks.bench_import --file $(SAMPLE)

bench-list: $(VENV)/.installed-dev $(SAMPLE)
	$(DEVSTACK) exec --scratch -- $(PY) -m benchmarks.bench_list --file $(SAMPLE)

bench-webhooks: $(VENV)/.installed-dev
	$(DEVSTACK) exec --scratch -- $(PY) -m benchmarks.bench_webhooks

clean:
	rm -rf var/static var/media var/samples .pytest_cache
