# `make run`: set up and start the wizard.  `make test`: set up everything, run every test.
# `make lint`: the gates alone (lint, types, layering).  `make test-fast`: the tests that start no server or terminal.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
OUT ?= ejabberd-deploy
# The real programs the tests judge the generated files with (Debian 12 package names).
SYSTEM_PACKAGES := ejabberd erlang-p1-mysql mariadb-server caddy nsd tmux xz-utils imagemagick curl debootstrap shellcheck
PYTEST_WORKERS ?= 2

.PHONY: run test test-fast lint stress-ui setup system-packages bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV) || { echo "python3 -m venv failed: install python3-venv (apt-get install python3-venv)" >&2; exit 1; }
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

setup: $(BIN)/.installed

# Installs the missing packages when run as root; otherwise says what is missing
# (the tests that need them then skip locally, and fail in CI).
system-packages:
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then \
		echo "installing:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	else \
		echo "missing system packages:$$missing (run: sudo apt-get install$$missing)" >&2; \
	fi

run: setup
	$(BIN)/ejabberd-wizard --out $(OUT)

# The gates run before the tests, so that a red gate is the first thing seen.
lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

test: lint system-packages
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) -q

test-fast: lint
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) -q -m "not slow"

# Every test that drives the TUI (Pilot) or a terminal (tmux), $(RUNS) times in a row, beside one
# busy loop per core: a wait for time rather than for a condition shows up here as a failure.
RUNS ?= 20
UI_TESTS := tests/test_tui.py tests/test_tui_review.py tests/test_tui_snapshots.py tests/test_e2e_terminal.py \
	tests/test_tui_flow.py tests/test_tui_guidance.py tests/test_tui_checks.py tests/test_tui_typing.py \
	tests/test_tui_review_layout.py tests/test_tui_whole_texts.py tests/test_tui_typed_values.py tests/test_uberspace_account.py \
	tests/test_bad_inputs.py tests/test_secure_defaults.py tests/test_migrations.py tests/test_register_admin.py
UI_SELECTION := tui or terminal or tmux or wizard_tells or typed_password_reaches
stress-ui: setup system-packages
	@sh -c 'while :; do :; done' & one=$$!; sh -c 'while :; do :; done' & two=$$!; \
	log=$$(mktemp); trap 'kill $$one $$two; rm -f "$$log"' EXIT INT TERM; \
	for run in $$(seq $(RUNS)); do \
		if $(BIN)/python -m pytest -n $(PYTEST_WORKERS) -q -p no:cacheprovider -k "$(UI_SELECTION)" $(UI_TESTS) \
			>"$$log" 2>&1; then echo "run $$run of $(RUNS): $$(tail -1 "$$log")"; \
		else cat "$$log"; echo "run $$run of $(RUNS) failed"; exit 1; fi; \
	done

bench: setup
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) .pytest_cache
