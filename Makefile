# cleaner: `make clean-corpus` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
CORPUS ?= seeds
OUT    ?= out
RULES  ?= rules


.PHONY: clean-corpus test lint golden docs venv clean bench bench-quick bench-html bench-repeated review-check

# The venv is rebuilt when pyproject.toml changes.
$(BIN)/cleaner: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,ray,datatrove,parquet]'
	touch $@

venv: $(BIN)/cleaner

clean-corpus: $(BIN)/cleaner
	$(BIN)/cleaner clean $(CORPUS) --rules $(RULES) --out $(OUT)/clean.jsonl --report $(OUT)/reports --overwrite

lint: $(BIN)/cleaner
	$(BIN)/ruff check cleaner tests bench
	$(BIN)/ruff format --check cleaner tests bench

test: $(BIN)/cleaner lint
	$(BIN)/cleaner rules validate $(RULES)
	$(BIN)/cleaner rules test $(RULES)
	$(BIN)/python -m pytest -q -n auto

# The seed corpus must not move: a fresh run of seeds/ compared with the committed goldens, as
# examples/ci/ compares a pull request's rules with the base branch's (`.ci/run` calls it).
REVIEW_OUT ?= $(OUT)/review-check
review-check: $(BIN)/cleaner
	$(BIN)/cleaner clean seeds --rules $(RULES) --out $(REVIEW_OUT)/clean.jsonl --overwrite -q
	$(BIN)/cleaner compare tests/golden $(REVIEW_OUT) --fail-on-change --out $(REVIEW_OUT)/compare

# docs/rules.md: every shipped rule (tests/test_docs.py checks it is current).
docs: $(BIN)/cleaner
	$(BIN)/cleaner rules list --rules $(RULES) --markdown > docs/rules.md

# Regenerates the golden files under tests/golden/ from seeds/. Review the diff before committing.
golden: $(BIN)/cleaner
	$(BIN)/python -m tests.golden

# datatrove is only a yardstick: it lives in its own venv, never in cleaner's dependencies.
DT_VENV := bench/.venv-datatrove
$(DT_VENV)/bin/python:
	$(PYTHON) -m venv $(DT_VENV)
	$(DT_VENV)/bin/python -m pip install --quiet 'datatrove>=0.4' 'orjson>=3.10' 'regex>=2024.4'

bench: $(BIN)/cleaner $(DT_VENV)/bin/python
	$(BIN)/python -m bench.run --docs 50000 --datatrove $(DT_VENV)/bin/python

# cleaner vs trafilatura on ../shared/bench/scrapinghub-aeb (skipped when that is not there).
bench-html: $(BIN)/cleaner
	$(BIN)/python -m bench.html

# --drop-repeated on a labelled multi-site corpus, and the memory of mining up to 1M documents.
bench-repeated: $(BIN)/cleaner
	$(BIN)/python -m bench.repeated

bench-quick: $(BIN)/cleaner
	$(BIN)/python -m bench.run --docs 5000

clean:
	rm -rf $(OUT) $(VENV) $(DT_VENV) *.egg-info
