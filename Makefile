# Two commands on a fresh clone: `make run` and `make test`. Everything else is for developers.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PORT   ?= 5000

.PHONY: run test install system-deps db lint bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Cần Python 3.11 trở lên")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $@

install: $(STAMP)

system-deps:
	@bash scripts/ensure-system-deps.sh

db: install
	$(BIN)/hoctap db upgrade
	$(BIN)/hoctap content load
	$(BIN)/hoctap search rebuild

# gunicorn + `hoctap worker`; prints the address and the demo accounts; Ctrl+C stops both.
# SERVE_FLAGS passes options to `hoctap serve` (e.g. SERVE_FLAGS=--no-worker).
run: db
	$(BIN)/hoctap serve --host 127.0.0.1 --port $(PORT) $(SERVE_FLAGS)

test: install system-deps
	$(BIN)/ruff check .
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .

bench: install system-deps
	@command -v wrk > /dev/null || (apt-get update -qq && apt-get install -y -qq wrk > /dev/null)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache
