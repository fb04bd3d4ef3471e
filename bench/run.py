"""`python -m bench`: build the warehouses, run every measurement, print and write the table.

Full run (the default, `make bench`): county build ×3 and national build ×1, ETL throughput on
2,000,000 rows ×3, dashboard data ×10 per filter case at national scale, map payload at both
scales, the map page in Chromium (3 fresh servers, a cold and two warm loads each), Gi* on
50,311 cells ×5. Tens of minutes on two cores; the national build needs about 20 GB of disk
under data/bench/ while it runs.

`--quick`: county scale only, a 20,000-row ETL file and one run of everything (a smoke run).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import subprocess
import time
import traceback
from pathlib import Path

from bench.common import ROOT, MB, Row, Runs, Section, fmt_bytes, fmt_rate, fmt_seconds, isolate, merge, spread, \
    console, output_to, say, verdict

BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
TARGET_ETL_MEMORY = 2 * 1024 * MB


# ---------------------------------------------------------------- the machine

def machine() -> dict[str, str]:
    import duckdb

    cpu = "unknown"
    try:
        found = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.M)
        cpu = found.group(1).strip() if found else cpu
    except OSError:
        pass
    ram = "unknown"
    try:
        kb = int(re.search(r"^MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text(), re.M).group(1))
        ram = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, AttributeError):
        pass
    commit = "unknown"
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                                check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True).stdout
        commit += " (with uncommitted changes)" if dirty.strip() else ""
    except (OSError, subprocess.CalledProcessError):
        pass
    return {"CPU": cpu, "cores": str(os.cpu_count()), "RAM": ram, "OS": platform.platform(),
            "Python": platform.python_version(), "DuckDB": duckdb.__version__,
            "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "commit": commit}


# ---------------------------------------------------------------- builds

def build_rows(label: str, scale: str, results: list[dict], single: bool) -> Section:
    """Rows for one scale's build(s): total, generation, each load, and the ETL's memory."""
    sec = Section()
    runs = str(len(results)) + (" (single run: slow)" if single else "")
    total = Runs([r["total_seconds"] for r in results])
    generate = Runs([next(s["seconds"] for s in r["steps"] if s["step"] == "generate") for r in results])
    loads = [s for s in results[0]["steps"] if s["step"] == "load"]
    sec.rows.append(Row("0. Build", f"`python -m etl demo{label}`: whole build (generate + load {len(loads)} files + swap)",
                        scale, fmt_seconds(total.median), spread(total, fmt_seconds), runs=runs))
    sec.rows.append(Row("0. Build", "… generating the synthetic files", scale, fmt_seconds(generate.median),
                        spread(generate, fmt_seconds), runs=runs))
    for step in loads:
        times = Runs([next(s["seconds"] for s in r["steps"] if s.get("file") == step["file"]) for r in results])
        rate = step["rows_read"] / times.median if times.median else 0
        sec.rows.append(Row("0. Build", f"… loading {step['file']} ({step['rows_read']:,} rows, "
                                        f"{fmt_bytes(step['bytes'])}; {fmt_rate(rate)})", scale,
                            fmt_seconds(times.median), spread(times, fmt_seconds), runs=runs))
    counts = results[0]["counts"]
    sec.notes.append(f"{scale.capitalize()} warehouse: {counts['hmo_licences']:,} HMO licences, {counts['reports']:,} "
                     f"reports, {counts['cases']:,} victim cases loaded (planted errors rejected), "
                     f"{counts['postcodes']:,} postcodes.")
    memory = Runs([(r["memory"].get("load_hwm_kb") or max(
        v for k, v in r["memory"]["sampled_kb"].items() if k.startswith("load"))) * 1024 for r in results])
    gen_memory = Runs([(r["memory"].get("generate_hwm_kb") or 0) * 1024 for r in results])
    limit = results[0].get("duckdb_memory_limit")
    capped = f"; DuckDB capped at {limit} by the bench" if limit else ""
    sec.rows.append(Row("5. Memory", f"ETL peak RSS: loading the {len(loads)} files (`load_file`, whole build process"
                                     f"{capped})", scale, fmt_bytes(memory.median), spread(memory, fmt_bytes),
                        runs=runs, target="≤ 2 GB", met=verdict(memory.median <= TARGET_ETL_MEMORY)))
    sec.rows.append(Row("5. Memory", "generator peak RSS (writing the files; not the ETL)", scale,
                        fmt_bytes(gen_memory.median), spread(gen_memory, fmt_bytes), runs=runs))
    if not results[0]["memory"].get("hwm_reset"):
        sec.notes.append(f"{scale}: the kernel refused to reset VmHWM, so the load peak is the sampled peak (every 50 ms).")
    sec.data[f"build_{scale}"] = results
    return sec


def build_scale(work: Path, scale: str, runs: int, memory_limit: str | None, log) -> tuple[Path, Section]:
    from bench.build import run_build

    folder = work / ("county" if scale == "1" else scale)
    db = folder / "hotspots.duckdb"
    results = []
    for i in range(runs):
        log(f"building the {scale} warehouse ({i + 1}/{runs}) into {db} ...")
        result = run_build(db, folder / "files", scale, memory_limit=memory_limit)
        log(f"  {fmt_seconds(result['total_seconds'])}, counts {result['counts']}")
        results.append(result)
    label = "" if scale == "1" else f" --scale {scale}"
    return db, build_rows(label, "county" if scale == "1" else scale, results, single=runs == 1 and scale != "1")


def reused(db: Path, scale: str) -> bool:
    """A warehouse built earlier by the bench at this scale (for --reuse-national)."""
    import duckdb

    if not db.exists():
        return False
    try:
        con = duckdb.connect(str(db), read_only=True)
        try:
            row = con.execute("SELECT value FROM meta WHERE key = 'demo_scale'").fetchone()
        finally:
            con.close()
        return row is not None and row[0] == scale
    except duckdb.Error:
        return False


# ---------------------------------------------------------------- the report

def table(rows: list[Row]) -> str:
    head = ["#", "Measurement", "Scale", "Median", "Min – max", "p95", "Runs", "Target", "Met"]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    for r in rows:
        cells = [r.section, r.what, r.scale, r.median, r.spread, r.p95, r.runs, r.target, r.met]
        lines.append("| " + " | ".join(str(c).replace("|", "\\|").replace("\\\\|", "\\|") for c in cells) + " |")
    return "\n".join(lines)


def report(info: dict[str, str], result: Section, quick: bool, seconds: float) -> str:
    kind = "Quick run (`python -m bench --quick`): one run each, county scale only — not the benchmark" if quick \
        else "Full run (`make bench`)"
    machine_line = " · ".join(f"**{k}** {v}" for k, v in info.items())
    targets = [r for r in result.rows if r.met in ("yes", "**no**")]
    met = sum(r.met == "yes" for r in targets)
    parts = [
        f"{kind}, finished in {fmt_seconds(seconds)}.",
        "",
        f"Machine: {machine_line}",
        "",
        "Times are the median of the runs with min – max; p95 is interpolated between the closest runs. "
        "Synthetic data only (`etl/demo`); the national warehouse is `--scale national`.",
        "",
        table(result.rows),
        "",
        f"Targets met: {met} of {len(targets)}.",
        "",
    ]
    if result.notes:
        parts += ["Notes:", ""] + [n if n.startswith("    ") else f"- {n}" for n in result.notes] + [""]
    return "\n".join(parts)


def write_report(path: Path, body: str) -> None:
    """Replace the generated part of `path` (between the bench markers), keeping anything written around it."""
    block = f"{BEGIN}\n{body}\n{END}"
    if path.exists():
        text = path.read_text()
        if BEGIN in text and END in text:
            head, rest = text.split(BEGIN, 1)
            tail = rest.split(END, 1)[1]
            path.write_text(head + block + tail)
            return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("# Benchmarks\n\nWritten by `make bench` (`python -m bench`); rerun it to refresh the table.\n\n"
                    + block + "\n")


# ---------------------------------------------------------------- main

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="county scale only, small ETL file, one run each")
    parser.add_argument("--work", type=Path, help="where warehouses and files go (default data/bench, quick: data/bench/quick)")
    parser.add_argument("--report", type=Path, help="markdown to write (default docs/benchmarks.md, quick: WORK/benchmarks.md)")
    parser.add_argument("--runs", type=int, help="timed runs of each measurement (default 3; quick 1)")
    parser.add_argument("--dashboard-runs", type=int, help="timed runs per dashboard query (default 10; quick 1)")
    parser.add_argument("--etl-rows", type=int, help="rows in the ETL throughput file (default 2,000,000; quick 20,000)")
    parser.add_argument("--no-browser", action="store_true", help="skip the Chromium page loads")
    parser.add_argument("--reuse-national", action="store_true",
                        help="keep an existing national warehouse instead of rebuilding it (its build is then not timed)")
    parser.add_argument("--duckdb-memory-limit", default="none",
                        help="an extra DuckDB memory_limit for the national build's connections (default none: the "
                             "ETL's own limit applies, $HOTSPOTS_ETL_MEMORY, else 1GB)")
    args = parser.parse_args(argv)
    quick = args.quick
    work = (args.work or ROOT / "data" / "bench" / ("quick" if quick else "")).resolve()
    report_path = args.report or (work / "benchmarks.md" if quick else ROOT / "docs" / "benchmarks.md")
    runs = args.runs or (1 if quick else 3)
    dash_runs = args.dashboard_runs or (1 if quick else 10)
    etl_rows = args.etl_rows or (20_000 if quick else 2_000_000)
    rings = 40 if quick else 129
    limit = None if args.duckdb_memory_limit.lower() == "none" else args.duckdb_memory_limit
    work.mkdir(parents=True, exist_ok=True)
    isolate(work)
    today = dt.date.today()
    started = time.perf_counter()

    log = say

    from bench import browser, dashboard_data, etl_speed, gistar, host_speed, map_bytes

    info = machine()
    log("machine: " + ", ".join(f"{k} {v}" for k, v in info.items()))
    sections: list[Section] = []
    failures: list[str] = []

    def attempt(name: str, fn, *a, **k):
        try:
            with output_to(work / "output.log"):  # DuckDB's progress bars, warnings
                return fn(*a, **k)
        except Exception as exc:  # noqa: BLE001 - one broken measurement must not lose the others
            log(f"{name} failed: {exc}")
            traceback.print_exc(file=console())
            failures.append(f"{name} failed: {exc.__class__.__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
            return None

    county = attempt("county build", build_scale, work, "1", runs, None, log)
    dbs = {}
    if county:
        dbs["county"] = county[0]
        sections.append(county[1])
    if not quick:
        national_db = work / "national" / "hotspots.duckdb"
        if args.reuse_national and reused(national_db, "national"):
            log(f"reusing {national_db} (not rebuilt, so its build is not timed)")
            dbs["national"] = national_db
            sections.append(Section(notes=["The national warehouse was reused from an earlier run (--reuse-national): "
                                           "its build is not in this table."]))
        else:
            national = attempt("national build", build_scale, work, "national", 1, limit, log)
            if national:
                dbs["national"] = national[0]
                sections.append(national[1])
    big = "national" if "national" in dbs else "county"

    log(f"ETL throughput: {etl_rows:,} rows, {runs} run(s)")
    sec = attempt("ETL throughput", etl_speed.measure, work / "etl", etl_rows, runs, today, log)
    sections += [sec] if sec else []
    log("host speed, before the dashboard data")
    sec = attempt("host speed", host_speed.measure, "before the dashboard data", 1 if quick else 5)
    sections += [sec] if sec else []
    if big in dbs:
        log(f"dashboard data at {big} scale, {dash_runs} run(s) per query")
        sec = attempt("dashboard data", dashboard_data.measure, dbs[big], big, dash_runs, today, log)
        sections += [sec] if sec else []
    if dbs:
        log("map payload")
        sec = attempt("map payload", map_bytes.measure, dbs, runs, today, log)
        sections += [sec] if sec else []
    if big in dbs and not args.no_browser:
        log(f"map page in Chromium at {big} scale")
        sec = attempt("Chromium", browser.measure, dbs[big], big, 1 if quick else 3, 1 if quick else 2, work, log)
        sections += [sec] if sec else []
    log(f"Gi* on a {rings}-ring disk of res-9 cells, {max(runs, 1 if quick else 5)} run(s)")
    sec = attempt("Gi*", gistar.measure, rings, max(runs, 1 if quick else 5), log)
    sections += [sec] if sec else []

    log("host speed, at the end")
    sec = attempt("host speed", host_speed.measure, "at the end", 1 if quick else 5)
    sections += [sec] if sec else []

    order = ["0.", "1.", "2.", "3.", "4.", "5.", "6."]
    result = merge(sections)
    result.rows.sort(key=lambda r: next(i for i, p in enumerate(order) if r.section.startswith(p)))
    result.notes += failures
    body = report(info, result, quick, time.perf_counter() - started)
    print("\n" + body)
    write_report(report_path, body)
    (work / "results.json").write_text(json.dumps({"machine": info, "data": result.data}, indent=1, default=str))
    log(f"wrote {report_path} and {work / 'results.json'}")
    return 1 if failures else 0
