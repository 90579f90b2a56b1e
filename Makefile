# cleaner: `make clean-corpus` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
CORPUS ?= seeds
OUT    ?= out
RULES  ?= rules

.PHONY: clean-corpus test lint golden venv clean

# The venv is rebuilt when pyproject.toml changes.
$(BIN)/cleaner: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

venv: $(BIN)/cleaner

clean-corpus: $(BIN)/cleaner
	$(BIN)/cleaner clean $(CORPUS) --rules $(RULES) --out $(OUT)/clean.jsonl --report $(OUT)/reports --overwrite

lint: $(BIN)/cleaner
	$(BIN)/ruff check cleaner tests
	$(BIN)/ruff format --check cleaner tests

test: $(BIN)/cleaner lint
	$(BIN)/cleaner rules validate $(RULES)
	$(BIN)/cleaner rules test $(RULES)
	$(BIN)/python -m pytest -q

# Regenerates the golden files under tests/golden/ from seeds/. Review the diff before committing.
golden: $(BIN)/cleaner
	$(BIN)/python -m tests.golden

clean:
	rm -rf $(OUT) $(VENV) *.egg-info
