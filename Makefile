# nbsec: every set-up step lives here, so a fresh machine needs only `make test` or `make demo`.
#
#   make test   install everything, then lint + type checks + all tests but the long ones
#               (the panel's unit tests run with jest, the rest with pytest)
#   make test-long  the long tests (fuzzers, scale): marked `long`, left out of `make test`
#   make demo   install everything, then scan example_notebooks/ and write reports/
#   make lab    install everything, then start JupyterLab with nbsec ready
#   make bench  install everything, then run the benchmarks (peers go in side environments)

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := test

PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
PY := $(BIN)/python
export PATH := $(BIN):$(PATH)
export PIP_DISABLE_PIP_VERSION_CHECK := 1
# pin of the CPU build of torch, used only to test nbsec's torch guards (see ENVIRONMENT notes)
TORCH := torch==2.13.0
STAMP := $(VENV)/.nbsec-installed
LABEXT_SOURCES := $(wildcard labextension/src/*.ts labextension/src/*.tsx labextension/style/* labextension/schema/*)
LABEXT_BUILT := nbsec/labextension/package.json

.PHONY: install test test-long lint pytest jest demo lab bench clean

install: $(STAMP) $(LABEXT_BUILT) chromium java

$(STAMP): pyproject.toml labextension/package.json labextension/yarn.lock
	@command -v uv >/dev/null || $(PYTHON) -m pip install --quiet uv
	@test -x $(PY) || uv venv --quiet --python $(PYTHON) $(VENV)
	uv pip install --quiet --python $(PY) pip
	# the editable install runs the labextension build (jlpm install + build:prod) through
	# hatch-jupyter-builder
	uv pip install --quiet --python $(PY) -e ".[test,lint,polars,archives]"
	# torch from pip, pinned: uv would fetch a multi-GB CUDA build
	$(PY) -m pip install --quiet $(TORCH)
	@touch $(STAMP)

# rebuild the panel when its sources change after the first install
$(LABEXT_BUILT): $(LABEXT_SOURCES) labextension/package.json | $(STAMP)
	cd labextension && $(BIN)/jlpm install --immutable && $(BIN)/jlpm build:prod
	@touch $(LABEXT_BUILT)

.PHONY: chromium
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
		echo "installing Debian's chromium for the browser tests"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; \
	fi

# a Java runtime for the local SparkSession of the Spark tests and benchmark
.PHONY: java
java:
	@if ! command -v java >/dev/null && [ -z "$${JAVA_HOME:-}" ]; then \
		echo "installing Debian's openjdk-17-jre-headless for the Spark tests"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq openjdk-17-jre-headless >/dev/null; \
	fi

lint: install
	$(BIN)/ruff check nbsec tests benchmarks example_notebooks
	$(BIN)/ruff format --check nbsec tests benchmarks example_notebooks
	$(BIN)/mypy
	cd labextension && $(BIN)/jlpm run lint:check

pytest: install
	$(PY) -m pytest

# the panel's unit tests (view models, protocol parsing, React views in jsdom)
jest: install
	cd labextension && $(BIN)/jlpm run test

test: lint jest pytest

# fuzzers and scale tests: `@pytest.mark.long`, deselected by default (pyproject addopts)
test-long: install
	$(PY) -m pytest -m long || [ $$? = 5 ]   # 5: no long tests collected

demo: install
	$(PY) example_notebooks/run_demo.py

lab: install
	$(BIN)/jupyter lab --allow-root --notebook-dir=example_notebooks

# Each benchmark prints nbsec beside its peers in one run; peers that conflict with our
# dependencies are installed by the benchmark itself into side environments under
# benchmarks/.cache/ (uv venv + uv pip install, from the package registries).
BENCHMARKS := $(sort $(wildcard benchmarks/bench_*.py))
# the distributed benchmark defaults to 100M rows (~12 GB on disk); make bench runs a smaller size
BENCH_DIST_ROWS ?= 2000000

bench: install
	uv pip install --quiet --python $(PY) -e ".[bench]"
	@failed=""; \
	for b in $(BENCHMARKS); do \
		echo "== $$b"; \
		case $$b in */bench_distributed.py) args="--rows $(BENCH_DIST_ROWS)";; *) args="";; esac; \
		$(PY) $$b $$args || failed="$$failed $$b"; \
	done; \
	if [ -n "$$failed" ]; then echo "benchmarks that failed:$$failed"; exit 1; fi

clean:
	rm -rf $(VENV) nbsec/labextension labextension/node_modules labextension/lib reports
