"""Row 6: how fast the host is at the moment, on two fixed workloads that never change with our code.

The bench runs on a shared machine whose speed drifts: the same dashboard code measured 30-40% apart
twenty minutes later, with the machine otherwise idle. Two tiny fixed workloads, timed just before the
dashboard data and again at the end, say how fast the host was when the run was made, so two runs'
tables can be compared (and a slow run told from a slower product). The DuckDB one is a hash
aggregation, bound by memory as the dashboard's queries are: a compute-bound one (a hash sum) stayed
within 10% while the dashboard's times moved by 30%, and this one moved with them.
"""
from __future__ import annotations

import time

from bench.common import fmt_seconds, Row, Runs, Section, spread

DUCKDB_ROWS = 10_000_000      # grouped on about a million keys: a hash aggregation, like the dashboard's
PYTHON_STEPS = 3_000_000


def measure(when: str, runs: int = 5) -> Section:
    """Both workloads `runs` times each; `when` names the moment in the run ("before the dashboard data")."""
    import duckdb

    con = duckdb.connect(config={"threads": 2})
    engine, interpreter = Runs(), Runs()
    try:
        for _ in range(runs):
            start = time.perf_counter()
            con.execute("SELECT count(*), sum(n) FROM (SELECT hash(i) % 1000003 AS k, count(*) AS n "
                        "FROM range(?) t(i) GROUP BY k)", [DUCKDB_ROWS]).fetchall()
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
        Row("6. Host speed", f"{when}: DuckDB, {DUCKDB_ROWS:,} integers grouped on ~1,000,000 keys, 2 threads",
            "fixed",
            fmt_seconds(engine.median), spread(engine, fmt_seconds), "–", str(engine.n)),
        Row("6. Host speed", f"{when}: Python loop of {PYTHON_STEPS:,} multiply-adds", "fixed",
            fmt_seconds(interpreter.median), spread(interpreter, fmt_seconds), "–", str(interpreter.n)),
    ])
