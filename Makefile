# The README's commands. Each bootstraps .venv with a Python 3.12+ found on the machine.
SHELL := /bin/bash
VENV  := .venv
PY    := $(VENV)/bin/python
BIN   := $(VENV)/bin

# First Python >= 3.12 that actually runs (pyenv shims exist for versions that are not active).
FIND_PYTHON = for p in "$$ZENGSHOU_PYTHON" python3.12 python3.13 python3 \
	  $$HOME/.pyenv/versions/3.12*/bin/python3.12 $$HOME/.pyenv/versions/3.13*/bin/python3.13 \
	  /usr/local/bin/python3.1[2-9] /usr/bin/python3.1[2-9]; do \
	  [ -n "$$p" ] && command -v "$$p" >/dev/null 2>&1 && \
	  "$$p" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { command -v "$$p"; break; }; \
	done

.PHONY: setup setup-dev demo test lint bench serve lab app browser clean

$(VENV)/bin/activate:
	@py=$$($(FIND_PYTHON)); \
	if [ -z "$$py" ]; then echo "zengshou needs Python 3.12 or newer; none found (set ZENGSHOU_PYTHON)." >&2; exit 1; fi; \
	echo "Creating $(VENV) with $$py"; "$$py" -m venv $(VENV)
	@$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(VENV)/bin/activate pyproject.toml
	$(PY) -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: $(VENV)/bin/activate pyproject.toml
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $(VENV)/.installed $@

$(VENV)/.installed-lab: $(VENV)/bin/activate pyproject.toml
	$(PY) -m pip install --quiet -e ".[lab]"
	@touch $(VENV)/.installed $@

setup: $(VENV)/.installed
setup-dev: $(VENV)/.installed-dev

demo: $(VENV)/.installed
	$(BIN)/zengshou demo

# The browser tests drive Debian's chromium (never a downloaded browser) and need a CJK font to
# show Chinese; CI runs `make test` as root on a fresh machine, so root installs them with apt.
BROWSER_PACKAGES := chromium fonts-noto-cjk
browser:
	@missing=$$(for p in $(BROWSER_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing $$missing (apt)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else \
	    echo "Missing $$missing: install them (apt-get install $$missing) or the browser tests are skipped." >&2; \
	  fi; \
	fi

test: $(VENV)/.installed-dev browser
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

bench: $(VENV)/.installed-dev
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

serve: $(VENV)/.installed
	$(BIN)/zengshou serve

app: $(VENV)/.installed
	$(BIN)/zengshou app

# Jupyter refuses to start as root unless told to: containers and CI machines often run as root.
LAB_OPTIONS := --notebook-dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root)

lab: $(VENV)/.installed-lab
	$(PY) -m ipykernel install --sys-prefix --name zengshou --display-name "zengshou (.venv)"
	$(BIN)/jupyter lab $(LAB_OPTIONS)

clean:
	rm -rf $(VENV) data/generated .pytest_cache .ruff_cache
