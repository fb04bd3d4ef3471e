"""Row 1: ETL throughput for a big reports CSV with eastings/northings, against DuckDB's own CSV reader.

The file is synthetic (numpy/pandas, written here) and geocodes against the demo's synthetic
postcode lookup and six bench-only rectangles standing in for the district boundaries (the
force area's box cut 3 × 2; not real shapes). Each timed load copies a warehouse that already
holds those boundaries and postcodes and runs `etl.loading.load_file('reports', ...)`: staging,
validation, geocoding, district assignment and the merge, as an analyst's load does. The floor
is `CREATE TABLE AS SELECT * FROM read_csv(...)` of the same file into a fresh DuckDB file.
"""
from __future__ import annotations

import collections
import contextlib
import datetime as dt
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from bench.common import (
    env_for_children, MB, fmt_bytes, fmt_rate, fmt_seconds, ROOT, Row, Runs, say, Section, spread, status_kb, verdict
)

TARGET_RATIO = 3.0
SEED = 2024
DISTRICT_GRID = [["E06000031", "E07000010", "E07000009"],     # north row, west to east
                 ["E07000011", "E07000012", "E07000008"]]     # south row


# ---------------------------------------------------------------- bench-only input files

def write_boundaries(path: Path) -> Path:
    """Six rectangles covering the force area's box (3 columns × 2 rows), one per district code."""
    from etl import vocab

    box = vocab.load("area")["bbox"]
    names = vocab.area_districts()
    lons = np.linspace(box["min_lon"], box["max_lon"], 4)
    lats = np.linspace(box["max_lat"], box["min_lat"], 3)     # north first
    features = []
    for r, row in enumerate(DISTRICT_GRID):
        for c, code in enumerate(row):
            w, e, n, s = float(lons[c]), float(lons[c + 1]), float(lats[r]), float(lats[r + 1])
            ring = [[w, s], [e, s], [e, n], [w, n], [w, s]]
            features.append({"type": "Feature", "properties": {"LAD24CD": code, "LAD24NM": names[code]},
                             "geometry": {"type": "Polygon", "coordinates": [ring]}})
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def write_reports_csv(path: Path, rows: int, postcodes_csv: Path, today: dt.date) -> Path:
    """`rows` reports in a police-style layout with British National Grid eastings/northings instead of lat/lon."""
    from pyproj import Transformer

    rng = np.random.default_rng(SEED)
    pc = pd.read_csv(postcodes_csv, dtype={"postcode": str})
    at = rng.integers(0, len(pc), rows)
    lat = pc["latitude"].to_numpy()[at] + rng.normal(0, 0.0003, rows)
    lon = pc["longitude"].to_numpy()[at] + rng.normal(0, 0.0005, rows)
    east, north = Transformer.from_crs(4326, 27700, always_xy=True).transform(lon, lat)
    streets = np.array(["Mill Lane", "Station Road", "Church Street", "Orchard Close", "High Street", "Fen Road",
                        "Bridge Street", "Park Avenue", "Meadow Way", "Willow Drive"], dtype=object)
    towns = np.array(["Peterborough", "Wisbech", "March", "Cambridge", "Huntingdon", "Ely", "St Neots"], dtype=object)
    number = pd.Series(rng.integers(1, 300, rows)).astype(str)
    address = number + " " + pd.Series(streets[rng.integers(0, len(streets), rows)]) + ", " + \
        pd.Series(towns[rng.integers(0, len(towns), rows)])
    signs = np.array(["overcrowded", "many people coming and going", "curtains always drawn; bars on windows",
                      "people collected by van early morning; long hours for little pay", "mattresses on floors",
                      "fear of police; not allowed to leave", "works at car wash", "passports held by landlord"],
                     dtype=object)
    summaries = np.array(["Caller reports that many people are seen coming and going.",
                          "Officer on patrol noted that the curtains are always drawn and there are bars on the windows.",
                          "Housing officer visited and found that the property appears overcrowded. Around 9 people were seen.",
                          "Helpline caller states that people are collected by a van early in the morning."], dtype=object)
    pick = lambda values: np.asarray(values, dtype=object)[rng.integers(0, len(values), rows)]  # noqa: E731
    days = np.datetime64(today, "D") - rng.integers(0, 730, rows).astype("timedelta64[D]")
    frame = pd.DataFrame({
        "Report Ref": np.char.mod("BENCH-%08d", np.arange(1, rows + 1)),
        "Date Received": np.datetime_as_string(days, unit="D"),
        "Source Type": pick(["Member of public", "Police officer", "Council housing", "GLAA", "NCA",
                             "Modern Slavery Helpline"]),
        "Address": address,
        "Postcode": pc["postcode"].to_numpy()[at],
        "Easting": np.rint(east).astype(np.int64),
        "Northing": np.rint(north).astype(np.int64),
        "Indicators": pick(signs),
        "Exploitation Type": pick(["Labour exploitation", "Sexual exploitation", "Criminal exploitation",
                                   "Domestic servitude", "Unknown"]),
        "Nationalities": pick(["Romanian", "Lithuanian", "Polish", "Vietnamese", "Albanian", "Romanian; Bulgarian"]),
        "People Seen": rng.integers(1, 13, rows),
        "Grading": pick(["2-B-P", "1-A-P", "3-C-P", "2-C-C", "2-D-P"]),
        "Summary": pick(summaries),
    })
    frame.to_csv(path, index=False, lineterminator="\n")
    return path


def base_warehouse(folder: Path, today: dt.date) -> tuple[Path, Path]:
    """A warehouse holding only the bench boundaries and the demo's synthetic postcodes; and the postcode file."""
    from etl.demo import generate
    from etl.loading import load_file

    files = generate(folder / "demo_files", seed=42, scale=1, today=today)
    postcodes = next(f.path for f in files if f.kind == "postcodes")
    db = folder / "base.duckdb"
    for leftover in folder.glob("base.duckdb*"):
        leftover.unlink()
    load_file("boundaries", write_boundaries(folder / "bench_districts.geojson"), db=db, source="Bench rectangles")
    load_file("postcodes", postcodes, db=db, source="Synthetic postcode lookup (demo)")
    return db, postcodes


# ---------------------------------------------------------------- one run of each

def load_once(csv: Path, base: Path, folder: Path) -> tuple[float, object]:
    from etl.loading import load_file

    db = folder / "run.duckdb"
    _remove(db)
    shutil.copyfile(base, db)
    try:
        start = time.perf_counter()
        summary = load_file("reports", csv, db=db, source="Bench reports")
        return time.perf_counter() - start, summary
    finally:
        _remove(db)


def load_in_child(csv: Path, base: Path, folder: Path) -> dict:
    """`load_once` in a fresh Python process, as an analyst's `python -m etl load` runs, so its peak RSS is
    the load's own (imports included), not the bench process's: that had just written the file and run
    the floor, and its first load in three peaked 0.8 GB higher than the other two. Returns seconds,
    peak_bytes and the load summary's counts."""
    done = subprocess.run([sys.executable, "-m", "bench.etl_speed", str(csv), str(base), str(folder)], cwd=ROOT,
                          env=env_for_children(), capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"the timed load failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _child(argv: list[str]) -> int:
    """One timed load, printed as JSON on the last line (see `load_in_child`)."""
    csv, base, folder = (Path(a) for a in argv)
    seconds, summary = load_once(csv, base, folder)
    print(json.dumps({"seconds": seconds, "peak_bytes": (status_kb("VmHWM") or 0) * 1024,
                      "rows_loaded": summary.rows_loaded, "rows_rejected": summary.rows_rejected,
                      "rows_ungeocoded": summary.rows_ungeocoded}))
    return 0


def floor_once(csv: Path, folder: Path) -> float:
    db = folder / "floor.duckdb"
    _remove(db)
    try:
        start = time.perf_counter()
        con = duckdb.connect(str(db))
        con.execute("CREATE TABLE t AS SELECT * FROM read_csv(?)", [str(csv)])
        con.close()
        return time.perf_counter() - start
    finally:
        _remove(db)


def _remove(db: Path) -> None:
    for p in db.parent.glob(db.name + "*"):
        p.unlink(missing_ok=True)


@contextlib.contextmanager
def statement_timer():
    """Time every DuckDB `execute` while active: yields a list of (seconds, sql)."""
    log: list[tuple[float, str]] = []
    real = duckdb.DuckDBPyConnection.execute

    def execute(self, query, *args, **kwargs):
        start = time.perf_counter()
        try:
            return real(self, query, *args, **kwargs)
        finally:
            log.append((time.perf_counter() - start, str(query)))

    duckdb.DuckDBPyConnection.execute = execute
    try:
        yield log
    finally:
        duckdb.DuckDBPyConnection.execute = real


def _statement_label(sql: str) -> str:
    """The first meaningful words of a statement, e.g. 'UPDATE incoming ... FROM boundaries b'."""
    flat = re.sub(r"\s+", " ", sql).strip()
    head = flat[:70]
    where = re.search(r"\bFROM (\w+)", flat)
    return head + ("…" if len(flat) > 70 else "") + (f" [FROM {where.group(1)}]" if where and where.group(1) not in head else "")


def profile(csv: Path, base: Path, folder: Path, total: float) -> list[str]:
    """One more load with every SQL statement timed: the slowest ones, and what was outside SQL."""
    with statement_timer() as log:
        seconds, _ = load_once(csv, base, folder)
    by_label: dict[str, list[float]] = collections.defaultdict(list)
    for s, sql in log:
        by_label[_statement_label(sql)].append(s)
    ranked = sorted(by_label.items(), key=lambda kv: -sum(kv[1]))
    in_sql = sum(s for s, _ in log)
    lines = [f"Profile of one more {fmt_seconds(seconds)} load ({len(log)} SQL statements, "
             f"{fmt_seconds(in_sql)} inside DuckDB, {fmt_seconds(seconds - in_sql)} outside it: hashing the file, "
             f"copying the warehouse, Python):"]
    for label, times in ranked[:8]:
        share = sum(times) / seconds
        count = f" ×{len(times)}" if len(times) > 1 else ""
        lines.append(f"    - {fmt_seconds(sum(times))} ({share:.0%}){count}: `{label.replace('`', '')}`")
    return lines


# ---------------------------------------------------------------- the measurement

def measure(folder: Path, rows: int, runs: int, today: dt.date, log=say) -> Section:
    folder.mkdir(parents=True, exist_ok=True)
    base, postcodes = base_warehouse(folder, today)
    csv = folder / f"reports_{rows}.csv"
    log(f"  writing {rows:,} synthetic reports with eastings/northings to {csv}")
    write_reports_csv(csv, rows, postcodes, today)
    loads, floors, peaks = Runs(), Runs(), Runs()
    summary = {}
    for i in range(runs):
        floors.add(floor_once(csv, folder))
        summary = load_in_child(csv, base, folder)
        loads.add(summary["seconds"])
        if summary["peak_bytes"]:
            peaks.add(summary["peak_bytes"])
        log(f"  run {i + 1}/{runs}: load_file {fmt_seconds(summary['seconds'])}, "
            f"DuckDB read_csv floor {fmt_seconds(floors.values[-1])}")
    ratio = Runs([l / f for l, f in zip(loads.values, floors.values)])
    rate = Runs([rows / s for s in loads.values])
    floor_rate = Runs([rows / s for s in floors.values])
    ok = ratio.median <= TARGET_RATIO
    size = csv.stat().st_size
    sec = Section()
    label = f"reports CSV, {rows:,} rows with eastings/northings ({size / 2**20:,.0f} MB)"
    sec.rows += [
        Row("1. ETL", f"`load_file('reports')` throughput: {label}", "bench file", fmt_rate(rate.median),
            spread(rate, fmt_rate), runs=str(runs)),
        Row("1. ETL", "floor: DuckDB `CREATE TABLE AS SELECT * FROM read_csv(...)`, same file", "bench file",
            fmt_rate(floor_rate.median), spread(floor_rate, fmt_rate), runs=str(runs)),
        Row("1. ETL", "load time ÷ floor time", "bench file", f"{ratio.median:.1f}×",
            spread(ratio, lambda v: f"{v:.1f}×"), runs=str(runs), target=f"≤ {TARGET_RATIO:g}×", met=verdict(ok)),
    ]
    if peaks.n:
        from etl.warehouse import etl_memory_limit

        sec.rows.append(Row("5. Memory", f"ETL peak RSS: a fresh process loading the {rows:,}-row file, imports "
                                         f"included (the ETL's own DuckDB memory_limit, {etl_memory_limit() or 'none'})",
                            "bench file",
                            fmt_bytes(peaks.median), spread(peaks, fmt_bytes), runs=str(peaks.n), target="≤ 2 GB",
                            met=verdict(peaks.median <= 2 * 1024 * MB)))
    sec.notes.append(
        f"ETL: {rows:,} rows ({size / 2**20:,.0f} MB) loaded in {fmt_seconds(loads.median)} (median) against a floor of "
        f"{fmt_seconds(floors.median)}: {summary['rows_loaded']:,} rows stored, {summary['rows_rejected']:,} "
        f"rejected, {summary['rows_ungeocoded']:,} not geocoded; each load in a fresh process, timed inside it.")
    if not ok:
        log("  target missed: profiling one more load statement by statement")
        sec.notes += profile(csv, base, folder, loads.median)
    sec.data["etl"] = {"rows": rows, "bytes": size, "load_seconds": loads.values, "floor_seconds": floors.values,
                       "load_peak_rss_bytes": peaks.values,
                       "rows_loaded": summary["rows_loaded"], "rows_rejected": summary["rows_rejected"]}
    csv.unlink(missing_ok=True)
    return sec


if __name__ == "__main__":
    raise SystemExit(_child(sys.argv[1:]))
