# Two commands do all set-up on a fresh Debian machine with Python 3.11:
#   make demo   synthetic Haryana data -> warehouse -> retrain -> app on http://127.0.0.1:8050
#   make test   the test suite (what CI runs)
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test check lint install system-deps bench clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip > $(VENV)/install.log 2>&1 || (tail -40 $(VENV)/install.log; exit 1)
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]' >> $(VENV)/install.log 2>&1 || (grep -v "is ignored" $(VENV)/install.log | tail -40; exit 1)
	touch $(STAMP)

install: $(STAMP)

# Debian packages the browser tests and PDF checks need (needs root; skipped when present);
# fonts-noto-core carries Noto Sans Devanagari for the Hindi drive and duty sheets (--lang hi).
system-deps:
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null || ! command -v pdftoppm >/dev/null \
		|| [ ! -d /usr/share/fonts/truetype/dejavu ] \
		|| [ ! -f /usr/share/fonts/truetype/noto/NotoSansDevanagari-Regular.ttf ]; then \
		echo "installing Debian packages: chromium chromium-driver poppler-utils fonts-dejavu-core fonts-noto-core"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			chromium chromium-driver poppler-utils fonts-dejavu-core fonts-noto-core >/dev/null; \
	fi

demo: $(STAMP)
	$(BIN)/roadsafety --config config/haryana.toml demo

# The formatter and linter gate every test run (CI included).
lint: $(STAMP)
	$(BIN)/ruff format --check --quiet .
	$(BIN)/ruff check --quiet .

test: $(STAMP) system-deps lint
	$(BIN)/python -m pytest -q

# The fast edit loop: everything but the slow, browser and real-data tests, on two workers (a test
# file stays on one worker, so its module fixtures are built once).
check: $(STAMP) lint
	$(BIN)/python -m pytest -q -x -n 2 --dist loadfile -m "not slow and not browser and not realdata"

bench: $(STAMP)
	$(BIN)/python benchmarks/ingest.py

clean:
	rm -rf $(VENV) data/*.duckdb data/synthetic data/models
