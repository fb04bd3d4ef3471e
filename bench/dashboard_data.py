"""Row 2: the data behind the map page and the visit list, timed query by query at national scale.

Each query gets its own `Warehouse(db).connect_read_only()`, as the dashboard's
dashboard/connection.py opens one per query; the time to open it is reported on its own and
included in the page totals. Streamlit's result cache is not involved: these are the cold
answers a first visitor (or a new filter) waits for.
"""
from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

from bench.common import fmt_seconds, Row, Runs, say, Section, spread, verdict

TARGET_P95 = 0.300
NARROW_DISTRICT = "E06000031"      # Peterborough: the busiest district, so the narrow case's worst


def filter_cases(today: dt.date) -> dict[str, object]:
    from analysis.filters import Filters

    return {
        "default filters (90 days, all districts)": Filters.default(today),
        "one district (Peterborough), 30 days": Filters(date_from=today - dt.timedelta(days=29), date_to=today,
                                                        districts=(NARROW_DISTRICT,)),
    }


def queries(today: dt.date) -> dict[str, tuple[str, object]]:
    """name → (page, call): the map page's data (hexes, markers, cases, hotspots) and the visit list."""
    from analysis import hotspots, map_layers, visits

    return {
        "report_hexes(res 8)": ("map", lambda con, f: map_layers.report_hexes(con, f, 8)),
        "hmo_markers": ("map", lambda con, f: map_layers.hmo_markers(con, f, today)),
        "case_hexes": ("map", lambda con, f: map_layers.case_hexes(con, f)),
        "hotspots.compute": ("map", lambda con, f: hotspots.compute(con, f)),
        "visit_list(limit 100)": ("visits", lambda con, f: visits.visit_list(con, f, today, limit=100)),
    }


def measure(db: Path, scale: str, runs: int, today: dt.date, log=say, warmup: int = 1) -> Section:
    from etl.warehouse import Warehouse

    wh = Warehouse(db)
    sec = Section()
    data = {}
    for case, f in filter_cases(today).items():
        per_query = {name: Runs() for name in queries(today)}
        opens, map_total, visit_total = Runs(), Runs(), Runs()
        sizes = {}
        for i in range(warmup + runs):
            totals = {"map": 0.0, "visits": 0.0}
            for name, (page, call) in queries(today).items():
                start = time.perf_counter()
                con = wh.connect_read_only()
                opened = time.perf_counter()
                try:
                    result = call(con, f)
                finally:
                    done = time.perf_counter()
                    con.close()
                if i >= warmup:
                    opens.add(opened - start)
                    per_query[name].add(done - opened)
                    sizes[name] = len(getattr(result, "cells", result))
                totals[page] += time.perf_counter() - start
            if i >= warmup:
                map_total.add(totals["map"])
                visit_total.add(totals["visits"])
        log(f"  {case}: map page data p95 {fmt_seconds(map_total.p95)}, visit list p95 {fmt_seconds(visit_total.p95)}")
        for name, r in per_query.items():
            sec.rows.append(Row("2. Dashboard data", f"{case}: `{name}` ({sizes[name]:,} rows)", scale,
                                fmt_seconds(r.median), spread(r, fmt_seconds), fmt_seconds(r.p95), str(r.n)))
        sec.rows.append(Row("2. Dashboard data", f"{case}: open a read-only connection (once per query)", scale,
                            fmt_seconds(opens.median), spread(opens, fmt_seconds), fmt_seconds(opens.p95), str(opens.n)))
        for label, r in (("**map page data** (hexes + markers + cases + hotspots, 4 connections)", map_total),
                         ("**visit list** (1 connection)", visit_total)):
            sec.rows.append(Row("2. Dashboard data", f"{case}: {label}", scale, fmt_seconds(r.median),
                                spread(r, fmt_seconds), fmt_seconds(r.p95), str(r.n),
                                target=f"p95 ≤ {TARGET_P95 * 1000:.0f} ms", met=verdict(r.p95 <= TARGET_P95)))
        data[case] = {"queries": {k: v.values for k, v in per_query.items()}, "open": opens.values,
                      "map_total": map_total.values, "visit_total": visit_total.values, "rows": sizes}
    sec.notes.append(f"Dashboard data: {warmup} untimed warm-up pass per filter case, then {runs} timed passes; "
                     "every query opens its own read-only connection, as the dashboard does; no Streamlit cache.")
    sec.data[f"dashboard_{scale}"] = data
    return sec
