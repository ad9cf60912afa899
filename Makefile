# Two commands do everything on a fresh machine with Python 3.11+:  make demo  ·  make test
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt 2>/dev/null | cksum | cut -d' ' -f1)

.PHONY: setup demo test lint bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade "pip>=24"
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $@

demo: setup          ## serve the bundled fixture site on 127.0.0.1 and run the whole job offline
	$(BIN)/crawlqa demo

test: setup          ## lint + the whole test suite
	$(BIN)/ruff check .
	$(BIN)/pytest

bench: setup         ## every benchmark (needs ../shared/corpus for the corpus ones)
	$(BIN)/python bench/run_all.py

clean:
	rm -rf data/*/ .pytest_cache .ruff_cache
