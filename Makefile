# The two commands of the README's Quick start, and the few a developer adds to them.
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: setup demo test test-all bench lint screenshots clean

setup:
	@scripts/setup.sh

demo: setup
	$(VENV)/bin/pos-terminal demo

test: setup
	@scripts/run-tests.sh

test-all: setup
	@POS_SLOW=1 scripts/run-tests.sh

bench: setup
	@scripts/with-xvfb.sh $(PY) -m bench

lint: setup
	$(VENV)/bin/ruff check terminal provisioning tests bench

screenshots: setup
	@scripts/with-xvfb.sh $(PY) -m pytest -q tests/screens/test_screenshots.py tests/provisioning/web/test_browser.py --screenshots

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache build *.egg-info
