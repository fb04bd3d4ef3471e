"""Row 2: the data behind the map page and the visit list, timed query by query at national scale.

As the dashboard does (dashboard/connection.py), one read-only connection is opened per version
of the warehouse file and every query runs on a cursor of it; the time to open that connection
(once per version, not per page) is reported on its own. Streamlit's result cache is not
involved: these are the cold answers a first visitor (or a new filter) waits for. The map page's
queries are those dashboard/views/map.py makes with its default controls: hexagons at the three
resolutions of "follows the zoom" (one query), the capped HMO marker layer, victim-case hexagons,
hotspots (without the kernel density, which the page asks for only when its layer is ticked).
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
        "report_hexes_by_resolution(7, 8, 9)": ("map", lambda con, f: _rows(
            map_layers.report_hexes_by_resolution(con, f, (7, 8, 9)))),
        "hmo_marker_layer(limit 5,000)": ("map", lambda con, f: map_layers.hmo_marker_layer(con, f, today, 5000)
                                          .markers),
        "case_hexes": ("map", lambda con, f: map_layers.case_hexes(con, f)),
        "hotspots.compute": ("map", lambda con, f: hotspots.compute(con, f)),
        "visit_list(limit 100)": ("visits", lambda con, f: visits.visit_list(con, f, today, limit=100)),
    }


def _rows(frames: dict) -> list:
    """Every hexagon of every resolution, so the table's row count is the hexagons drawn."""
    return [row for frame in frames.values() for row in frame.itertuples(index=False)]


def measure(db: Path, scale: str, runs: int, today: dt.date, log=say, warmup: int = 1) -> Section:
    from analysis import report_index
    from dashboard import heap
    from dashboard.connection import READER_CONFIG, _open_instance, query_modules

    sec = Section()
    data = {}
    # The warm-up pass makes the copy (the dashboard makes it in the background when it opens a version).
    report_index.use(report_index.ON_FIRST_USE)
    opens = Runs()
    for _ in range(5):
        start = time.perf_counter()
        _open_instance(str(db)).close()
        opens.add(time.perf_counter() - start)
    copies, copy_bytes = Runs(), 0
    for _ in range(3):
        instance = _open_instance(str(db))
        try:
            con = instance.cursor()
            con.execute("USE wh")
            start = time.perf_counter()
            copy_bytes = report_index.build(con).nbytes
            copies.add(time.perf_counter() - start)
        finally:
            instance.close()
    shared = _open_instance(str(db))
    heap.freeze_startup_heap(query_modules())      # as dashboard/app.py does at start-up
    for case, f in filter_cases(today).items():
        per_query = {name: Runs() for name in queries(today)}
        map_total, visit_total = Runs(), Runs()
        sizes = {}
        for i in range(warmup + runs):
            totals = {"map": 0.0, "visits": 0.0}
            for name, (page, call) in queries(today).items():
                start = time.perf_counter()
                con = shared.cursor()
                try:
                    con.execute("USE wh")
                    result = call(con, f)
                finally:
                    con.close()
                done = time.perf_counter()
                if i >= warmup:
                    per_query[name].add(done - start)
                    sizes[name] = len(getattr(result, "cells", result))
                totals[page] += done - start
            if i >= warmup:
                map_total.add(totals["map"])
                visit_total.add(totals["visits"])
        log(f"  {case}: map page data p95 {fmt_seconds(map_total.p95)}, visit list p95 {fmt_seconds(visit_total.p95)}")
        for name, r in per_query.items():
            sec.rows.append(Row("2. Dashboard data", f"{case}: `{name}` ({sizes[name]:,} rows)", scale,
                                fmt_seconds(r.median), spread(r, fmt_seconds), fmt_seconds(r.p95), str(r.n)))
        for label, r in (("**map page data** (hexes ×3 + markers + cases + hotspots, one shared connection)",
                          map_total),
                         ("**visit list** (one shared connection)", visit_total)):
            sec.rows.append(Row("2. Dashboard data", f"{case}: {label}", scale, fmt_seconds(r.median),
                                spread(r, fmt_seconds), fmt_seconds(r.p95), str(r.n),
                                target=f"p95 ≤ {TARGET_P95 * 1000:.0f} ms", met=verdict(r.p95 <= TARGET_P95)))
        data[case] = {"queries": {k: v.values for k, v in per_query.items()},
                      "map_total": map_total.values, "visit_total": visit_total.values, "rows": sizes}
    shared.close()
    sec.rows.append(Row("2. Dashboard data", "open the shared read-only connection (once per warehouse version, "
                                             f"not per query; DuckDB capped at {READER_CONFIG['memory_limit']})", scale,
                        fmt_seconds(opens.median), spread(opens, fmt_seconds), fmt_seconds(opens.p95), str(opens.n)))
    data["open"] = opens.values
    sec.rows.append(Row("2. Dashboard data", "make the in-memory copy of the reports' fixed-width facts "
                                             f"(analysis/report_index.py: once per warehouse version, made by the "
                                             f"warm-up pass; {copy_bytes / 2**20:,.0f} MiB)", scale,
                        fmt_seconds(copies.median), spread(copies, fmt_seconds), fmt_seconds(copies.p95),
                        str(copies.n)))
    data["report_copy"] = {"seconds": copies.values, "bytes": copy_bytes}
    sec.notes.append(f"Dashboard data: {warmup} untimed warm-up pass per filter case, then {runs} timed passes; "
                     "every query runs on a cursor of one shared read-only connection, as the dashboard now does; "
                     "no Streamlit cache; the start-up heap frozen out of Python's cycle collector, as the "
                     "dashboard does (dashboard/heap.py).")
    sec.data[f"dashboard_{scale}"] = data
    return sec
