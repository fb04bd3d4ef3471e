"""Build a demo warehouse exactly as `python -m etl demo` does, timing each step and watching memory.

The parent runs this module as a child process (`python -m bench.build ...`) so the build's peak
memory is its own: `build_demo` is called unchanged, with `etl.demo.generate` and
`etl.loading.load_file` wrapped to time them. Peak RSS is read from /proc/self/status: VmHWM is
reset after generation, so the load peak is the loaders' own; a sampling thread also records
the peak of each step.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from bench.common import ROOT, env_for_children, reset_peak_rss, status_kb


class RssSampler(threading.Thread):
    """The highest RSS seen during each named phase, sampled every `interval` seconds."""

    def __init__(self, interval: float = 0.05):
        super().__init__(daemon=True)
        self.interval = interval
        self.phase = "start"
        self.peaks: dict[str, int] = {}
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            rss = status_kb("VmRSS") or 0
            self.peaks[self.phase] = max(self.peaks.get(self.phase, 0), rss)
            self._halt.wait(self.interval)

    def stop(self) -> None:
        self._halt.set()
        self.join()


def cap_duckdb_memory(limit: str) -> None:
    """Give every DuckDB connection this process opens a memory_limit at connect (the ETL's writers then
    SET their own, $HOTSPOTS_ETL_MEMORY or 1GB): over it, DuckDB spills to a temp directory."""
    import duckdb

    real = duckdb.connect

    def connect(database=":memory:", read_only: bool = False, config: dict | None = None, **kwargs):
        config = dict(config or {})
        config.setdefault("memory_limit", limit)
        return real(database, read_only=read_only, config=config, **kwargs)

    duckdb.connect = connect


def build(db: Path, out: Path, scale: str, seed: int) -> dict:
    import etl.demo
    import etl.loading
    from etl.admin import build_demo

    sampler = RssSampler()
    sampler.start()
    steps: list[dict] = []
    memory: dict[str, int | None] = {}
    real_generate, real_load = etl.demo.generate, etl.loading.load_file

    def timed_generate(*args, **kwargs):
        sampler.phase = "generate"
        start = time.perf_counter()
        files = real_generate(*args, **kwargs)
        steps.append({"step": "generate", "seconds": time.perf_counter() - start,
                      "bytes": sum(f.path.stat().st_size for f in files)})
        memory["generate_hwm_kb"] = status_kb("VmHWM")
        memory["hwm_reset"] = reset_peak_rss()
        return files

    def timed_load(kind, path, **kwargs):
        sampler.phase = f"load {Path(path).name}"
        start = time.perf_counter()
        summary = real_load(kind, path, **kwargs)
        steps.append({"step": "load", "kind": kind, "file": Path(path).name, "seconds": time.perf_counter() - start,
                      "bytes": Path(path).stat().st_size, "rows_read": summary.rows_read,
                      "rows_loaded": summary.rows_loaded, "rows_rejected": summary.rows_rejected})
        return summary

    etl.demo.generate, etl.loading.load_file = timed_generate, timed_load
    try:
        start = time.perf_counter()
        build_demo(db, seed=seed, scale=int(scale) if scale.isdigit() else scale, out=out)
        total = time.perf_counter() - start
    finally:
        etl.demo.generate, etl.loading.load_file = real_generate, real_load
        sampler.phase = "done"
        sampler.stop()
    memory["load_hwm_kb"] = status_kb("VmHWM")  # since the reset: the loads and the final swap
    memory["sampled_kb"] = sampler.peaks
    return {"total_seconds": total, "steps": steps, "memory": memory, "counts": counts(db)}


def counts(db: Path) -> dict[str, int]:
    from etl.warehouse import Warehouse

    con = Warehouse(db).connect_read_only()
    try:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("hmo_licences", "reports", "cases", "postcodes", "boundaries")}
    finally:
        con.close()


def run_build(db: Path, out: Path, scale: str, seed: int = 42, memory_limit: str | None = None) -> dict:
    """Run `build` in a child process; add the child's own peak RSS (wait4's ru_maxrss) and wall time.

    The child's output (DuckDB's progress bars among it) goes to a log file beside the warehouse.
    """
    result_file = db.with_name(db.name + ".build.json")
    log_file = db.with_name(db.name + ".build.log")
    result_file.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "bench.build", "--db", str(db), "--out", str(out), "--scale", str(scale),
           "--seed", str(seed), "--json", str(result_file)]
    if memory_limit:
        cmd += ["--duckdb-memory-limit", memory_limit]
    db.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    with open(log_file, "w") as log:
        child = subprocess.Popen(cmd, cwd=ROOT, env=env_for_children(), stdout=log, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    if child.returncode != 0:
        tail = log_file.read_text(errors="replace")[-4000:]
        raise RuntimeError(f"building {db} (scale {scale}) failed; the end of {log_file}:\n{tail}")
    result = json.loads(result_file.read_text())
    result["duckdb_memory_limit"] = memory_limit
    result["wall_seconds"] = wall
    result["memory"]["child_maxrss_kb"] = usage.ru_maxrss
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--scale", default="1")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--json", type=Path, required=True)
    parser.add_argument("--duckdb-memory-limit", help="e.g. 5GB: cap DuckDB's memory (default: DuckDB's own, 80%% of RAM)")
    args = parser.parse_args(argv)
    if args.duckdb_memory_limit:
        cap_duckdb_memory(args.duckdb_memory_limit)
    result = build(args.db, args.out, args.scale, args.seed)
    args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
