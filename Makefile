# cleaner: `make clean-corpus` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
CORPUS ?= seeds
OUT    ?= out
RULES  ?= rules


.PHONY: clean-corpus test test-slow lint golden docs venv clean bench bench-quick bench-html bench-repeated bench-quality bench-heldout train review-check

# One .venv, two stamps, each redone when pyproject.toml or a C source changes (pip builds the C
# extensions in place). Cleaning installs only what cleaning needs (`pip install -e .`); the test
# tools, Ray and datatrove (several hundred MB) come with the first dev target (`.[test,ray,datatrove]`), which also satisfies the runtime stamp.
RUNTIME := $(VENV)/.runtime
DEV     := $(VENV)/.dev
NATIVE  := $(wildcard cleaner/*/*.c cleaner/*/*.h)

# pip is upgraded first: the pip that Python 3.11 ships fails to resolve lxml's html-clean extra
# asked for twice (trafilatura and readability-lxml both do).
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUNTIME): pyproject.toml $(NATIVE) | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(DEV): pyproject.toml $(NATIVE) | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,ray,datatrove,parquet]'
	touch $@ $(RUNTIME)

venv: $(DEV)

clean-corpus: $(RUNTIME)
	$(BIN)/cleaner clean "$(CORPUS)" --rules "$(RULES)" --out "$(OUT)/clean.jsonl" --report "$(OUT)/reports" --overwrite

lint: $(DEV)
	$(BIN)/ruff check cleaner tests bench
	$(BIN)/ruff format --check cleaner tests bench

test: $(DEV) lint
	$(BIN)/cleaner rules validate "$(RULES)"
	$(BIN)/cleaner rules test "$(RULES)"
	$(BIN)/python -m pytest -q -n auto --dist loadgroup -m 'not slow'

# The scale tests and the Ray engine (marked slow); CI runs them after `make test`.
test-slow: $(DEV)
	$(BIN)/python -m pytest -q -n auto --dist loadgroup -m slow

# The seed corpus must not move: a fresh run of seeds/ compared with the committed goldens, as
# examples/ci/ compares a pull request's rules with the base branch's (`.ci/run` calls it).
REVIEW_OUT ?= $(OUT)/review-check
review-check: $(RUNTIME)
	$(BIN)/cleaner clean seeds --rules "$(RULES)" --out "$(REVIEW_OUT)/clean.jsonl" --overwrite -q
	$(BIN)/cleaner compare tests/golden "$(REVIEW_OUT)" --fail-on-change --out "$(REVIEW_OUT)/compare" --overwrite

# docs/rules.md: every shipped rule (tests/test_docs.py checks it is current).
docs: $(DEV)
	$(BIN)/cleaner rules list --rules "$(RULES)" --markdown > docs/rules.md

# Regenerates the golden files under tests/golden/ from seeds/. Review the diff before committing.
golden: $(DEV)
	$(BIN)/python -m tests.golden

# The datatrove rows run in the dev venv (its datatrove extra): a yardstick, not a dependency of cleaning.
bench: $(DEV)
	$(BIN)/python -m bench.run --docs 50000 --datatrove $(BIN)/python

# cleaner vs trafilatura on ../shared/bench/scrapinghub-aeb (skipped when that is not there).
bench-html: $(DEV)
	$(BIN)/python -m bench.html

# --drop-repeated on a labelled multi-site corpus, and the memory of mining up to 1M documents.
bench-repeated: $(DEV)
	$(BIN)/python -m bench.repeated

# Profiles of the line classifier and a C4-style filter on ../shared/bench/realtext; writes docs/quality.md.
bench-quality: $(DEV)
	$(BIN)/python -m bench.quality

# The pipeline on sites the line classifier never saw (five folds grouped by site, a model trained on
# four cleaning the fifth); writes its table into docs/quality.md. Needs scikit-learn, as train.
bench-heldout: $(DEV)
	$(BIN)/python -m pip install --quiet -e '.[train]'
	OMP_NUM_THREADS=1 $(BIN)/python -m bench.heldout

# Retrains cleaner/classify/model.npz on the realtext dev labels (deterministic: fixed seeds, one thread).
train: $(DEV)
	$(BIN)/python -m pip install --quiet -e '.[train]'
	OMP_NUM_THREADS=1 $(BIN)/python -m bench.train

bench-quick: $(DEV)
	$(BIN)/python -m bench.run --docs 5000

clean:
	rm -rf "$(OUT)" $(VENV) *.egg-info
