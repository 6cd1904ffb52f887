# One set-up for people and CI: a local .venv with the CPU build of torch 2.13.0 (installed first, so pip never
# fetches a multi-GB CUDA build) and dslint with every extra, editable.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
STAMP := $(VENV)/.dslint-installed

.PHONY: setup demo test bench readme clean-venv

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[semantic,dev]'
	touch $(STAMP)

setup: $(STAMP)

# Lint the bundled samples: the clean set passes (exit 0), the dirty one fails the gate (exit 1) as it should.
demo: $(STAMP)
	$(BIN)/dslint check sample_data/clean_chat.jsonl
	$(BIN)/dslint check sample_data/dirty_chat.jsonl --statistics; test $$? -eq 1

test: $(STAMP)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python -m bench

readme: $(STAMP)
	$(BIN)/python scripts/update_readme.py

clean-venv:
	rm -rf $(VENV)
