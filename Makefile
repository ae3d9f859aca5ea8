# datagen developer commands. `make run` and `make test` are what the README tells users.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PLUGIN_DIRS := $(sort $(dir $(wildcard plugins/*/pyproject.toml)))
CUSTOMERS ?= 1000
DIST_DIR ?= dist
BUILD_FLAGS ?=

.PHONY: setup run test unit lint stack-up stack-down docs bench mutation dist clean

setup: $(BIN)/.installed

# examples/ are not installed here: one of them changes the bank's distributions on purpose;
# their tests install them into throw-away environments
$(BIN)/.installed: pyproject.toml $(wildcard plugins/*/pyproject.toml)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]" $(foreach d,$(PLUGIN_DIRS),-e $(d))
	touch $@

run: setup  ## generate the whole bank as JSON Lines files in ./datagen-out (no server needed)
	$(BIN)/datagen run --customers $(CUSTOMERS) --sink json -o json.path=./datagen-out

lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy

unit: setup  ## tests that need no server
	$(BIN)/pytest -m "not integration"

stack-up:
	scripts/stack up

stack-down:
	scripts/stack down

test: setup  ## lint + every test, with Kafka, the Schema Registry and PostgreSQL started locally
	$(MAKE) lint
	scripts/stack up
	eval "$$(scripts/stack env)"; DATAGEN_REQUIRE_STACK=1 $(BIN)/pytest; rc=$$?; \
	  scripts/stack down; \
	  if [ $$rc -eq 5 ]; then echo "pytest collected no test: failing"; exit 1; fi; exit $$rc

docs: setup  ## regenerate the generated docs (CLI reference, hook reference, data catalog)
	$(BIN)/python scripts/gen_cli_docs.py
	$(BIN)/python scripts/gen_hook_docs.py
	$(BIN)/python scripts/gen_catalog_doc.py

REPEAT ?= 3
# every benchmark prints its machine, commit and rerun command, runs each measurement
# $(REPEAT) times (at least 3) and reports the median; kafka and postgres need the stack
bench: setup  ## benchmarks, medians of $(REPEAT) runs each (speed figures live here, not in the tests)
	for b in benchmarks/bench_*.py plugins/*/benchmarks/bench_*.py; do \
	  $(BIN)/python $$b --repeat $(REPEAT) || exit 1; done

mutation: setup  ## mutation testing of the kernel's core and the codecs (CPU heavy; see docs/testing.md)
	$(BIN)/pip install --quiet "mutmut==2.5.1"
	$(BIN)/python scripts/mutation.py $(TARGETS)

dist: setup  ## wheels and sdists of the kernel and every plugins/* distribution, into $(DIST_DIR)/
	rm -rf $(DIST_DIR) && mkdir -p $(DIST_DIR)
	for d in . $(PLUGIN_DIRS); do $(BIN)/python -m build $(BUILD_FLAGS) --outdir $(DIST_DIR) $$d || exit 1; done
	@ls $(DIST_DIR)

clean:  ## also removes the build/ and *.egg-info setuptools left in plugin folders before they built with hatchling
	rm -rf datagen-out dist build .pytest_cache .mypy_cache .ruff_cache .mutmut-cache
	rm -rf plugins/*/build plugins/*/src/*.egg-info examples/*/build examples/*/src/*.egg-info
