# Hotspots: `make run` builds everything it needs and starts the dashboard.
#   make venv       .venv with requirements.txt installed (re-installs only when requirements.txt changes)
#   make demo       synthetic demo warehouse (skipped if the warehouse file already exists)
#   make run        venv + demo if missing, then the dashboard on $PORT (default 8501)
#   make test       every test, browser and slow ones included
#   make test-fast  skip tests marked browser or slow
#   make clean      remove the venv and caches (never the warehouse: it may hold real loads)

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# The same file the ETL and the dashboard use: $HOTSPOTS_DB, else data/hotspots.duckdb.
DB     ?= $(or $(HOTSPOTS_DB),data/hotspots.duckdb)

.PHONY: venv demo run test test-fast clean bench

venv: $(STAMP)

$(PY):
	@command -v $(PYTHON) >/dev/null 2>&1 || { \
		echo "error: $(PYTHON) not found; install Python 3.11 or newer, or run: make PYTHON=/path/to/python3.11 venv" >&2; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || { \
		echo "error: Hotspots needs Python 3.11 or newer, but $(PYTHON) is $$($(PYTHON) -c 'import platform; print(platform.python_version())')." >&2; \
		echo "       run: make PYTHON=/path/to/python3.11 venv" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
		echo "error: '$(PYTHON) -m venv' failed; on Debian/Ubuntu run: apt-get install python3-venv" >&2; exit 1; }

# The stamp is newer than requirements.txt only after a complete install.
$(STAMP): requirements.txt | $(PY)
	@$(PY) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || { \
		echo "error: $(VENV) was made with Python older than 3.11; run: make clean venv" >&2; exit 1; }
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $(STAMP)

demo: venv
	@if [ -f "$(DB)" ]; then echo "$(DB) exists; leaving it as it is (delete it to rebuild the demo)"; \
	else echo "$(PY) -m etl demo --db $(DB)"; $(PY) -m etl demo --db "$(DB)"; fi

run: venv demo
	@# An existing warehouse made by an older version gets the newer migrations (in place, rows kept).
	$(PY) -m etl init --db "$(DB)"
	HOTSPOTS_DB="$(DB)" $(VENV)/bin/streamlit run dashboard/app.py --server.port $${PORT:-8501} --server.headless true

# --durations lists the slowest tests at the end, so a CI log says where the suite's time goes.
test: venv
	$(PY) -m pytest -m "" --durations=40

test-fast: venv
	$(PY) -m pytest -m "not browser and not slow"

# County and national benchmark: 10-15 minutes on two cores, up to ~8 GB of RAM and ~5 GB under data/bench/ (git-ignored).
# Prints one table and writes it to docs/benchmarks.md. BENCH_ARGS=--quick for a one-minute smoke run.
bench: venv
	$(PY) -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
