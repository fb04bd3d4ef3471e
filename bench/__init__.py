"""`make bench` / `python -m bench`: how fast and how big Hotspots is at county and national scale.

Builds synthetic warehouses (county: `python -m etl demo`; national: `--scale national`, under
data/bench/), then measures ETL throughput against DuckDB's own CSV reader, the dashboard's data
queries, the map's payload and a real Chromium page load, Gi* against PySAL's esda, and peak
memory. The result is one markdown table, printed and written to docs/benchmarks.md.

Nothing here is a test: no time is asserted. tests/test_bench_smoke.py runs `--quick` so the
code cannot rot.
"""
