# One-word entry points: `make setup`, `make console`, `make test` (see README.md).
VENV   ?= .venv
PYTHON ?= python3
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export PIP_CONSTRAINT := $(CURDIR)/constraints.txt

.PHONY: setup console test lint bench clean

setup: $(STAMP)

# torch first, pinned to the CPU build ("+cpu"); the constraints file keeps it that way.
# From the package index pip is configured with when it has that build (this machine's
# wheel cache does); PyPI has only the CUDA one, so elsewhere from PyTorch's CPU index.
# The onnx extra too, so the tests of the ONNX backends run instead of skipping:
# onnxruntime and onnx need no torch and add about 37 MB (about 9 s of installing, about
# 40 s of tests).
TORCH     := torch==2.13.0+cpu
TORCH_CPU := https://download.pytorch.org/whl/cpu
$(STAMP): pyproject.toml constraints.txt Makefile
	@$(PYTHON) -c "import sys; sys.exit(0 if sys.version_info >= (3, 11) else 'quotebot needs Python 3.11 or newer: make setup PYTHON=python3.11')"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet "$(TORCH)" 2>/dev/null \
	  || $(BIN)/pip install --quiet --extra-index-url $(TORCH_CPU) "$(TORCH)"
	$(BIN)/pip install --quiet -e '.[dev,onnx]'
	@$(BIN)/python -c "import torch, sys; sys.exit(0 if torch.version.cuda is None else 'CUDA torch installed: refusing')"
	touch $(STAMP)

console: setup
	$(BIN)/quotebot console

# The checks first (seconds), then the suite: the one test command, and what CI runs.
test: lint
	$(BIN)/python -m pytest -q

# lint-imports: the import contracts in pyproject.toml ([tool.importlinter]).
lint: setup
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/mypy && $(BIN)/lint-imports

bench: setup
	$(BIN)/python -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) index .pytest_cache .ruff_cache .mypy_cache
