"""Row 6: how fast the host is at the moment, on two fixed workloads that never change with our code.

The bench runs on a shared machine whose speed drifts: the same dashboard code measured 30-40% apart
twenty minutes later, with the machine otherwise idle. Two tiny fixed workloads, timed just before the
dashboard data and again at the end, say how fast the host was when the run was made, so two runs'
tables can be compared (and a slow run told from a slower product).
"""
from __future__ import annotations

import time

from bench.common import fmt_seconds, Row, Runs, Section, spread

DUCKDB_ROWS = 30_000_000
PYTHON_STEPS = 3_000_000


def measure(when: str, runs: int = 5) -> Section:
    """Both workloads `runs` times each; `when` names the moment in the run ("before the dashboard data")."""
    import duckdb

    con = duckdb.connect(config={"threads": 2})
    engine, interpreter = Runs(), Runs()
    try:
        for _ in range(runs):
            start = time.perf_counter()
            con.execute("SELECT sum(hash(i)) FROM range(?) t(i)", [DUCKDB_ROWS]).fetchall()
            engine.add(time.perf_counter() - start)
    finally:
        con.close()
    for _ in range(runs):
        start = time.perf_counter()
        total = 0
        for i in range(PYTHON_STEPS):
            total += i * i
        interpreter.add(time.perf_counter() - start)
    return Section(rows=[
        Row("6. Host speed", f"{when}: DuckDB `sum(hash(i))` over {DUCKDB_ROWS:,} integers, 2 threads", "fixed",
            fmt_seconds(engine.median), spread(engine, fmt_seconds), "–", str(engine.n)),
        Row("6. Host speed", f"{when}: Python loop of {PYTHON_STEPS:,} multiply-adds", "fixed",
            fmt_seconds(interpreter.median), spread(interpreter, fmt_seconds), "–", str(interpreter.n)),
    ])
