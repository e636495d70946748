# ReplyDesk: one command to set up and run the demo, one to set up and run the tests.
#   make demo    create .venv, install everything, index the sample knowledge, draft replies
#   make test    create .venv, install everything, run lint, types and the test suite

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: setup demo test lint bench constraints clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[dev]"
	touch $(STAMP)

demo: setup
	$(BIN)/replydesk demo

lint: setup
	$(BIN)/ruff check bot tests benchmarks
	$(BIN)/ruff format --check bot tests benchmarks
	$(BIN)/mypy  # strict over bot, tests and benchmarks (see pyproject.toml)

test: lint
	$(BIN)/pytest

bench: setup
	$(BIN)/python benchmarks/retrieval.py
	$(BIN)/python benchmarks/latency.py

# Pins what a fresh install brings in (a fresh venv: nothing left over from earlier installs).
constraints:
	rm -rf .constraints-venv && $(PYTHON) -m venv .constraints-venv
	.constraints-venv/bin/pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[dev]"
	.constraints-venv/bin/pip freeze --exclude-editable | grep -v '^replydesk' > constraints.body
	{ head -2 constraints.txt; cat constraints.body; } > constraints.new && mv constraints.new constraints.txt
	rm -rf constraints.body .constraints-venv

clean:
	rm -rf $(VENV) .replydesk .pytest_cache .mypy_cache .ruff_cache
