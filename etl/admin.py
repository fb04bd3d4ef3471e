"""Library functions behind `init`, `status`, `rejects` and `demo`."""
from __future__ import annotations

import csv
import datetime as dt
import os
import sys
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from etl import migrate, vocab
from etl.uk_time import local_to_uk
from etl.warehouse import Warehouse, WarehouseError

TABLE_OF_KIND = {"hmo": "hmo_licences", "reports": "reports", "cases": "cases", "boundaries": "boundaries",
                 "postcodes": "postcodes"}
# The kinds whose records are events, and the date column that says when the newest one happened.
# What says how recent a source's records are, beside its load date: (a record, the date column, its verb).
# A council's register has new licences every month; one whose newest licence started years ago is an
# old export, however recently loaded.
EVENT_DATE = {"reports": ("report", "received_on", "received"), "cases": ("case", "opened_on", "opened"),
              "hmo": ("licence", "licence_start", "started")}
# A rejected victim case keeps its case key in place of its reference, so that a corrected row can be matched;
# nobody may see a case key. These keys are dropped from a rejected row's raw values wherever they leave the
# warehouse: this command's CSV and the Data page (analysis/rejects.py).
HIDDEN_RAW_KEYS = ("case_key",)


def raw_as_shown(column: str = "raw") -> str:
    """SQL for a rejected row's raw values as text, without HIDDEN_RAW_KEYS.

    A merge patch would turn a raw value that is not an object (NULL for a refused file) into the patch itself.
    """
    patch = "{" + ", ".join(f'"{k}": null' for k in HIDDEN_RAW_KEYS) + "}"
    return (f"CASE WHEN json_type({column}) = 'OBJECT' THEN CAST(json_merge_patch({column}, '{patch}') AS VARCHAR)"
            f" ELSE CAST({column} AS VARCHAR) END")


def init_warehouse(db=None) -> tuple[Path, list[str]]:
    from etl.loading import prepare

    wh = Warehouse(db)
    with wh.transaction() as con:
        before = migrate.current_version(con)
        prepare(con)
    return wh.path, [f"{v:04d}_{n}" for v, n, _ in migrate.available() if v > before]


@dataclass
class SourceStatus:
    kind: str
    source: str
    rows: int
    last_load: str     # UK time (BST in summer), as the Data page gives it: the stamp is the machine's clock
    rejected: int      # by the source's last load (earlier loads' outstanding ones: `listed_rejects`)
    ungeocoded: int
    freshness: str
    age_days: int


def status_rows(db=None, today: dt.date | None = None) -> list[SourceStatus]:
    """One row per (kind, source) that has ever loaded successfully."""
    wh = Warehouse(db)
    today = today or dt.date.today()
    limits = vocab.load("area")["freshness"]
    con = wh.connect_read_only()
    try:
        last = con.execute("""
            SELECT kind, source, max(finished_at) AS last_at,
                   sum(rows_rejected) FILTER (WHERE load_id = (SELECT max(l2.load_id) FROM loads l2
                       WHERE l2.kind = l.kind AND l2.source = l.source AND l2.status = 'loaded')) AS rejected
            FROM loads l WHERE status = 'loaded' GROUP BY kind, source ORDER BY kind, source
        """).fetchall()
        out = []
        for kind, source, last_at, rejected in last:
            rows, ungeocoded = _counts(con, kind, source)
            age = (today - last_at.date()).days
            limit = limits.get(kind, 365)
            fresh = f"{age} days old" + (f" (older than {limit} days: refresh it)" if age > limit else "")
            fresh += _newest_record(con, kind, source, today, limit)
            out.append(SourceStatus(kind, source, rows, f"{local_to_uk(last_at):%Y-%m-%d %H:%M}", rejected or 0,
                                    ungeocoded, fresh, age))
        return out
    finally:
        con.close()


def _newest_record(con, kind: str, source: str, today: dt.date, limit: int) -> str:
    """"; newest report 2021-01-01 (older than 30 days)": a file loaded today can still hold only old events."""
    if kind not in EVENT_DATE:
        return ""
    what, column, _ = EVENT_DATE[kind]
    newest = con.execute(f"SELECT max({column}) FROM {TABLE_OF_KIND[kind]} WHERE source = ?", [source]).fetchone()[0]
    if newest is None:
        return ""
    return f"; newest {what} {newest:%Y-%m-%d}" + (f" (older than {limit} days)" if (today - newest).days > limit else "")


def _counts(con, kind: str, source: str) -> tuple[int, int]:
    table = TABLE_OF_KIND[kind]
    if kind in ("boundaries", "postcodes"):
        return con.execute(f"SELECT count(*), 0 FROM {table} WHERE source = ?", [source]).fetchone()
    return con.execute(f"SELECT count(*), count(*) FILTER (WHERE geocode_status = 'not_geocoded') "
                       f"FROM {table} WHERE source = ?", [source]).fetchone()


def write_rejects(db=None, load_id: int | None = None, out: str | None = None, every: bool = False) -> int:
    """Write the rejected rows `listed_rejects` picks as CSV to `out` or the screen; return how many."""
    rows, _ = listed_rejects(db, load_id, every)
    write_rejects_csv(rows, out)
    return len(rows)


def listed_rejects(db=None, load_id: int | None = None, every: bool = False) -> tuple[list[tuple], dict[str, int]]:
    """The rejected rows `etl rejects` lists, each with its state last ("outstanding", "since loaded (load 7)",
    "superseded by load 9": analysis.rejects.reject_states), and how many it left out, by state.

    One load's (`load_id`) are all listed, whatever their state, so what --load shows is the load's whole
    record. Without it, only the outstanding ones, unless `every`: a row a later load of its source stored, or
    of a register a later one replaced, needs no fixing, and listing it beside the others offered it to fix
    again. A load id that names no load is an error rather than an empty CSV, which a mistyped id would
    otherwise pass for: a load that rejected nothing.
    """
    from analysis.rejects import OUTSTANDING, reject_states, state_sql

    con = Warehouse(db).connect_read_only()
    try:
        if load_id is not None:
            _require_load(con, load_id)
        states, params = reject_states(con)
        everything = every or load_id is not None
        rows = con.execute(f"""
            WITH states AS ({states})
            SELECT r.load_id, l.file_name, l.source, r.row_number, r.reason, {raw_as_shown("r.raw")}, {state_sql()}
            FROM rejects r JOIN loads l USING (load_id) JOIN states s ON s.rid = r.rowid
            WHERE (? IS NULL OR r.load_id = ?) AND (? OR s.state = ?)
            ORDER BY r.load_id, r.row_number
        """, [*params, load_id, load_id, everything, OUTSTANDING]).fetchall()
        left_out = dict(con.execute(f"""
            WITH states AS ({states})
            SELECT state, count(*) FROM states WHERE NOT ? AND state <> ? GROUP BY 1
        """, [*params, everything, OUTSTANDING]).fetchall())
    finally:
        con.close()
    return rows, left_out


def write_rejects_csv(rows: list[tuple], out: str | None = None) -> None:
    """`listed_rejects`'s rows as CSV, to the file `out` (private, formula-safe, for Excel) or the screen."""
    if out:
        # With a byte-order mark: without one, Excel on Windows reads the file as Windows-1252 and shows
        # 'Šarūnas' and '£50' garbled. The screen gets none; a terminal or a pipe wants plain UTF-8.
        from analysis.spreadsheets import neutralise

        with private_file(out), open(out, "w", newline="", encoding="utf-8-sig") as fh:
            _write_rejects_csv(fh, ([neutralise(v) for v in row] for row in rows))
    else:
        _write_rejects_csv(sys.stdout, ([on_screen(v) for v in row] for row in rows))


@contextmanager
def private_file(path):
    """A file the command line writes holds warehouse data: readable by its owner only (0600), as `etl audit`
    writes the audit log. The umask covers a file a library creates itself (a GeoPackage and its journal); a
    file written over is made private before it is, since writing keeps its old mode."""
    path = Path(path)
    if path.exists():
        path.chmod(0o600)
    old = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(old)
        if path.exists():
            path.chmod(0o600)


# Characters that steer a terminal or reorder the text shown (right-to-left overrides) beside the control ones.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def on_screen(value):
    """A cell as printed to a terminal: control characters written as escapes (ESC as \\x1b). A rejected row's
    raw values are a partner's file as it came, and an escape sequence in one would act on the analyst's
    terminal (move the cursor, retitle the window, hide the lines above) rather than be seen."""
    if not isinstance(value, str):
        return value
    return "".join(ch.encode("unicode_escape").decode("ascii")
                   if unicodedata.category(ch) == "Cc" or ch in _BIDI_CONTROLS else ch for ch in value)


def _require_load(con, load_id: int) -> None:
    """Fail with what to do instead when `load_id` is no load in this warehouse."""
    if con.execute("SELECT count(*) FROM loads WHERE load_id = ?", [load_id]).fetchone()[0]:
        return
    newest = con.execute("SELECT max(load_id) FROM loads").fetchone()[0]
    if newest is None:
        raise WarehouseError(f"no load {load_id} in the warehouse: nothing has been loaded into it yet")
    raise WarehouseError(f"no load {load_id} in the warehouse (the newest is load {newest}); "
                         "`python -m etl rejects --all` lists every load's rejected rows with their load ids")


# `status` last, after the columns scripts may read by position: outstanding, since loaded (load N) or
# superseded by load N.
REJECTS_CSV_HEADER = ["load_id", "file", "source", "row", "reason", "raw", "status"]


def _write_rejects_csv(fh, rows) -> None:
    writer = csv.writer(fh)
    writer.writerow(REJECTS_CSV_HEADER)
    writer.writerows(rows)


def build_demo(db=None, *, seed: int = 42, scale=1, out: Path = Path("data/demo")) -> list[str]:
    """Write synthetic files and load them through the real loaders into a fresh warehouse.

    `scale` is a whole number (every volume times that), a named scale from etl/demo/scales.toml
    ('national': the benchmark's 500k licences, 5M reports, 100k cases) or an etl.demo.Scale.
    The new warehouse is built beside the old one and swapped in, so a dashboard that is
    open keeps working. A warehouse holding real data is never overwritten.
    """
    import os

    from etl.demo import Scale, generate
    from etl.loading import load_file
    from etl.warehouse import WarehouseError, fsync_folder

    sizes = Scale.of(scale)  # a bad scale fails here, before anything is written
    scale_name = scale.strip().lower() if isinstance(scale, str) and not scale.strip().isdigit() else str(sizes)
    target = Warehouse(db)
    if target.exists() and not is_synthetic(target):
        mixed = demo_mark(target) == "mixed"
        raise WarehouseError(f"{target.path} is " + ("the demo with files loaded into it since" if mixed else
                                                     "not a demo warehouse") +
                             " (it may hold real data); give the demo its own file with --db" +
                             (", or delete that file to build the demo there again" if mixed else ""))
    files = generate(Path(out), seed=seed, scale=sizes)
    building = target.demo_build_path
    for leftover in (building, building.with_name(building.name + ".wal")):
        leftover.unlink(missing_ok=True)
    lines = [f"wrote {len(files)} synthetic input files to {out}"]
    for f in sorted(files, key=lambda f: _DEMO_ORDER.index(f.kind)):
        summary = load_file(f.kind, f.path, db=building, source=f.source)
        lines += summary.lines()
    with Warehouse(building).transaction() as con:
        con.execute("INSERT OR REPLACE INTO meta VALUES ('synthetic', 'true'), ('demo_seed', ?), ('demo_scale', ?)",
                    [str(seed), scale_name])
    # The swap queues behind any load on the target (its writer lock), so a load that started before it
    # finishes first instead of renaming its copy over the new demo afterwards.
    with target.writer_lock():
        os.replace(building, target.path)
        fsync_folder(target.path)
    lines.append(f"demo warehouse ready: {target.path} (SYNTHETIC DEMO DATA)")
    return lines


_DEMO_ORDER = ["boundaries", "postcodes", "hmo", "reports", "cases"]


def is_synthetic(wh: Warehouse) -> bool:
    """Whether the warehouse holds the demo's made-up data only (not 'mixed' with files loaded since)."""
    return demo_mark(wh) == "true"


def demo_mark(wh: Warehouse) -> str | None:
    """meta `synthetic`: 'true' for the demo, 'mixed' once a file was loaded into it (etl/loading.py), else None."""
    con = wh.connect_read_only()
    try:
        row = con.execute("SELECT value FROM meta WHERE key = 'synthetic'").fetchone()
        return row[0] if row else None
    except Exception:
        return None
    finally:
        con.close()
