# The README's two commands are `make demo` and `make test`; both set up .venv themselves.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
# The CPU build of torch; an unpinned torch would pull a multi-GB CUDA build.
TORCH_CPU := torch==2.13.0
STAMP := $(VENV)/.installed
# checkov (security scan of the k8s manifests) lives in its own venv: its pins clash with pytest's.
CHECKOV := .venv-checkov/bin/checkov
# gRPC code generated from the proto (git-ignored, never edited by hand). The virtual import path
# makes the generated modules import each other as gateway.grpc.generated.*.
PROTO := gateway/grpc/calle.proto
GENERATED := gateway/grpc/generated
GRPC_CODE := $(GENERATED)/calle_pb2.py
# The web page test drives Debian's chromium through chromedriver (no downloads by selenium).
BROWSER := /usr/bin/chromium /usr/bin/chromedriver
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install browser demo test lint format clean

$(STAMP): pyproject.toml Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet $(TORCH_CPU)
	$(PIP) install --quiet -e '.[dev]'
	touch $@

$(GRPC_CODE): $(PROTO) $(STAMP)
	mkdir -p $(GENERATED)
	$(PY) -m grpc_tools.protoc -I$(GENERATED)=$(dir $(PROTO)) --python_out=. --pyi_out=. \
		--grpc_python_out=. $(GENERATED)/$(notdir $(PROTO))
	touch $(GENERATED)/__init__.py

install: $(STAMP) $(GRPC_CODE)

$(CHECKOV):
	$(PYTHON) -m venv .venv-checkov
	.venv-checkov/bin/python -m pip install --quiet checkov==3.3.30

# Idempotent: installs only when a binary is missing.
browser:
	@for f in $(BROWSER); do test -x $$f || missing=1; done; \
	if [ -n "$$missing" ]; then \
		$(SUDO) apt-get update && $(SUDO) apt-get install -y chromium chromium-driver; \
	fi

demo: install
	$(VENV)/bin/calle demo

test: install browser $(CHECKOV)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/pytest

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf build .pytest_cache .ruff_cache
