"""`python -m etl`: the analyst's commands. A thin layer over library functions that tests call directly."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from etl.admin import on_screen
from etl.errors import LoadError
from etl.summary import REPLACED_BY_SOURCE
from etl.warehouse import WarehouseError

DB_HELP = "Warehouse file (default: $HOTSPOTS_DB, else data/hotspots.duckdb)."
ACCOUNTS_HELP = "Account store (default: $HOTSPOTS_ACCOUNTS, else hotspots-accounts.db beside the warehouse)."
REASON_MAX = 300    # a refused load's reason in its audit row: one line, not a file's worth of quoted cells


def _account_options(command):
    """--accounts and --db: which account store (by default the one beside the warehouse)."""
    command = click.option("--db", type=click.Path(dir_okay=False), help=DB_HELP)(command)
    return click.option("--accounts", type=click.Path(dir_okay=False), help=ACCOUNTS_HELP)(command)


def _echo(message: str = "", err: bool = False) -> None:
    """Every line these commands print, with control characters shown as escapes (ESC as \\x1b; etl.admin's
    `on_screen`, as `etl rejects` shows raw values). Summaries, notes and errors quote partners' files (cell
    values, headers, sheet and file names), and an escape sequence, carriage return or backspace among them
    would act on the analyst's terminal (clear it, hide a line, fake '0 rejected') rather than be seen. Each
    message is one line: a line break inside one is file content too, and is shown as \\n."""
    click.echo(on_screen(message), err=err)


def _fail(message: str) -> None:
    _echo(f"error: {message}", err=True)
    sys.exit(2)


class _Group(click.Group):
    """Turn the errors an analyst can act on into one line and a non-zero exit, never a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (LoadError, WarehouseError) as exc:
            _fail(str(exc))
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except Exception as exc:  # an analyst gets one line; a developer sets HOTSPOTS_DEBUG=1 for the traceback
            from access.store import AuditNotWritten

            if isinstance(exc, AuditNotWritten):    # the change stands: never "nothing was changed"
                _fail(str(exc))
            if os.environ.get("HOTSPOTS_DEBUG"):
                raise
            if isinstance(exc, OSError) and exc.filename:      # an --out folder that isn't there, a read-only file
                where = Path(exc.filename)
                if isinstance(exc, FileNotFoundError) and not where.parent.exists():
                    _fail(f"{where}: the folder {where.parent} does not exist (nothing was changed)")
                _fail(f"{where}: {exc.strerror or exc} (nothing was changed)")
            _fail(f"unexpected {exc.__class__.__name__}: {exc} (nothing was changed; "
                  f"set HOTSPOTS_DEBUG=1 to see the details)")


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Hotspots ETL: load council HMO registers, reports, victim cases, boundaries and postcodes."""


@main.command()
@click.option("--db", type=click.Path(dir_okay=False), help=DB_HELP)
def init(db: str | None) -> None:
    """Create the warehouse schema, or upgrade an older warehouse in place."""
    from etl.admin import init_warehouse

    path, applied = init_warehouse(db)
    if applied:
        _echo(f"{path}: applied migrations {', '.join(applied)}")
    else:
        _echo(f"{path}: schema is up to date")


@main.command()
@click.argument("kind", type=click.Choice(["hmo", "reports", "cases", "boundaries", "postcodes", "visits"]))
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False), metavar="FILE...")
@click.option("--source", help="Who the file is from, e.g. 'Fenland District Council' (default: the file's name). "
                                "With several files, every one is from this source.")
@click.option("--mapping", type=click.Path(dir_okay=False),
              help="TOML file of our field = \"their header\", for headers we don't recognise.")
@click.option("--sheet", help="XLSX sheet to read (default: the one with the expected headers, the first on a tie).")
@click.option("--whole-register", is_flag=True,
              help="HMO only: this file is the source's whole current register, even though loading it ends most of "
                   "the licences current now (a licensing scheme ended). Without it, such a load is refused.")
@_account_options
def load(kind: str, files: tuple[str, ...], source: str | None, mapping: str | None, sheet: str | None,
         whole_register: bool, accounts: str | None, db: str | None) -> None:
    """Load each FILE of KIND (hmo, reports, cases, boundaries, postcodes) into the warehouse.

    Several files (a folder of monthly police.uk downloads: `reports *.csv`) load one after another,
    each on its own: one that fails changes nothing and the rest still load; the exit code says
    whether all did. KIND visits loads visit outcomes into the operations store beside the
    warehouse instead, where a rebuilt warehouse never reaches them. Each file loaded or refused is
    audited.
    """
    import datetime as dt

    _refuse_before_reading(kind, files, source, whole_register, accounts, db)
    failed = 0
    for i, file in enumerate(files):
        if i:
            _echo()
        started = dt.datetime.now()    # the clock `loads.started_at` is stamped with
        try:
            summary = _load_one(kind, file, db, source, mapping, sheet, whole_register)
        except Exception as exc:
            _audit_loads(accounts, db, [_refused_load(kind, file, source, db, started, exc, mapping)])
            if len(files) == 1 or not isinstance(exc, LoadError):
                raise
            failed += 1
            _echo(f"error: {exc}", err=True)
        else:
            _audit_loads(accounts, db, [{"kind": summary.kind, "file": summary.file_name, "source": summary.source,
                                         "load_id": summary.load_id, "rows_loaded": summary.rows_loaded,
                                         "rows_rejected": summary.rows_rejected, "status": summary.status}])
    if failed == len(files):
        _fail(f"none of the {len(files)} files loaded (each left the warehouse as it was)")
    if failed:
        _fail(f"{failed} of {len(files)} files failed to load (each left the warehouse as it was); "
              "the others loaded")


def _refuse_before_reading(kind: str, files: tuple[str, ...], source: str | None, whole_register: bool,
                           accounts: str | None, db: str | None) -> None:
    """Refuse a load the options alone rule out, before any file is read: audited as load_failed, one row per
    file named, with the reason, as every other refused load is."""
    from etl.loading import WHOLE_REGISTER_IS_FOR_HMO

    names, why, shown = files, None, None
    if whole_register and kind == "visits":    # visit outcomes bypass load_file, which checks the other kinds
        why = WHOLE_REGISTER_IS_FOR_HMO
    elif len(files) > 1 and source and kind in REPLACED_BY_SOURCE:
        why = (f"each {kind} file replaces what its source loaded before, so several files can't share "
               "one --source: leave --source out (each file is named after itself) or load them one by one")
    elif spaced := _path_split_at_spaces(files):
        names = (spaced,)    # one file, given in pieces; the audit keeps its name, never the folders
        why = "a path with spaces was not in quotes"
        shown = (f"no file named {files[0]!r}, but there is {spaced!r}: a path with spaces must be in quotes "
                 f'(python -m etl load {kind} "{spaced}")')
    if why is None:
        return
    _audit_loads(accounts, db, [{"kind": kind, "file": Path(f).name, "source": source or Path(f).stem,
                                 "load_id": None, "rows_loaded": 0, "rows_rejected": 0, "status": "failed",
                                 "reason": why} for f in names])
    raise LoadError(shown or why)


def _path_split_at_spaces(files: tuple[str, ...]) -> str | None:
    """The one existing file that FILES name when joined with spaces, if none of them is a file itself: a path
    with spaces, unquoted, reaches us in pieces, and loading the pieces would fail once per piece."""
    if len(files) < 2 or any(Path(f).exists() for f in files):
        return None
    joined = " ".join(files)
    return joined if Path(joined).is_file() else None


def _load_one(kind: str, file: str, db: str | None, source: str | None, mapping: str | None,
              sheet: str | None, whole_register: bool = False):
    from etl.loading import load_file
    from etl.progress import RowProgress

    if kind == "visits":
        if source:
            _echo("note: --source is not used for visit outcomes: each outcome keeps the file it came from "
                       "and who loaded it", err=True)
        return _load_visits(file, db, mapping, sheet)
    with RowProgress(f"reading {Path(file).name}") as progress:
        summary = load_file(kind, file, db=db, source=source, mapping=mapping, sheet=sheet, progress=progress,
                            whole_register=whole_register)
    for line in summary.lines():
        _echo(line)
    return summary


def _load_visits(file: str, db: str | None, mapping: str | None, sheet: str | None):
    import getpass

    from etl.loaders import visits
    from operations.store import OperationsStore

    store = OperationsStore(db=db)
    summary = visits.load(file, db=db, store=store, mapping=mapping, sheet=sheet, loaded_by=getpass.getuser())
    for line in summary.lines():
        _echo(line)
    if summary.rows_rejected:
        _echo("Rejected rows (fix them and load the file again; the rows already loaded are not doubled):")
        for line in visits.reject_lines(Path(file), store.rejects(summary.load_id).itertuples(index=False)):
            _echo(line)
    return summary


def _refused_load(kind: str, file: str, source: str | None, db: str | None, started, exc: BaseException,
                  mapping: str | None = None) -> dict:
    """A refused file's audit entry; its load id is the one `loads` gave the failure, if it got that far (a
    missing file, a wrong option or a visits file never does). The source defaults as load_file's does.

    A load with an id has its reason in `loads.message`; one without has no record but this, so the reason goes
    into the audit row, with the folders of the paths given taken out (a path can hold a person's name)."""
    source = source or Path(file).stem
    ids = [r["load_id"] for r in (_loads_since(db, started) or []) if r["status"] == "failed" and r["kind"] == kind
           and r["source"] == source and r["file"] == Path(file).name] if kind != "visits" else []
    entry = {"kind": kind, "file": Path(file).name, "source": source, "load_id": max(ids, default=None),
             "rows_loaded": 0, "rows_rejected": 0, "status": "failed"}
    if entry["load_id"] is None:
        reason = str(exc) if isinstance(exc, LoadError) else f"{exc.__class__.__name__}: {exc}"
        for given in filter(None, (file, mapping)):
            for form in {str(Path(given).resolve()), str(Path(given))}:
                reason = reason.replace(form, Path(given).name)
        entry["reason"] = " ".join(reason.split())[:REASON_MAX]
    return entry


def _loads_since(db, started) -> list[dict] | None:
    """The warehouse's `loads` rows begun at or after `started`, as audit entries ([] without a warehouse);
    None if it can't be read, for the caller to say what that leaves out of the audit log."""
    from etl.warehouse import Warehouse

    wh = Warehouse(db)
    if not wh.exists():
        return []
    try:
        con = wh.connect_read_only()
        try:
            rows = con.execute("SELECT kind, file_name, source, load_id, rows_loaded, rows_rejected, status FROM loads "
                               "WHERE started_at >= ? ORDER BY load_id", [started]).fetchall()
        finally:
            con.close()
    except Exception:  # noqa: BLE001 - the load's own outcome is already said, and stands
        return None
    keys = ("kind", "file", "source", "load_id", "rows_loaded", "rows_rejected", "status")
    return [dict(zip(keys, r)) for r in rows]


def _audit_loads(accounts: str | None, db: str | None, entries: list[dict]) -> None:
    """One audit row per file loaded ("load") or refused ("load_failed"), target its source, the file by name
    only (a path can hold a person's name). The data is in (or refused) before it is audited, so a store that
    can't be written fails no load, unlike `remove` or `rejects --out`: the load stands and standard error says
    which files the audit log misses. The first failure ends the writing: the rest would fail the same way."""
    from access.store import failure_reason, store_path

    for done, entry in enumerate(entries):
        detail = {k: entry[k] for k in ("kind", "file", "load_id", "rows_loaded", "rows_rejected", "status", "reason")
                  if k in entry}
        try:
            _store(accounts, db).audit(_cli_actor(), "load_failed" if entry["status"] == "failed" else "load",
                                       entry["source"], detail, rows=entry["rows_loaded"])
        except Exception as exc:  # noqa: BLE001 - said on standard error below
            reason = failure_reason(exc)
            missed = ", ".join(e["file"] for e in entries[done:])
            _echo(f"warning: the audit log {store_path(accounts, db)} could not be written ({reason}): it has no "
                  f"row for {missed} (the loads themselves are as said above)", err=True)
            return


@main.command()
@click.option("--db", type=click.Path(dir_okay=False), help=DB_HELP)
def status(db: str | None) -> None:
    """Per source: row counts, last load, rejects and freshness."""
    from etl.admin import status_rows

    rows = status_rows(db)
    if not rows:
        _echo("The warehouse is empty: load files with `python -m etl load KIND FILE`, or run `python -m etl demo`.")
        return
    header = ["kind", "source", "rows", "last load", "rejected", "not geocoded", "freshness"]
    table = [header] + [[r.kind, r.source, f"{r.rows:,}", r.last_load, f"{r.rejected:,}", f"{r.ungeocoded:,}",
                         r.freshness] for r in rows]
    widths = [max(len(str(row[i])) for row in table) for i in range(len(header))]
    for row in table:
        _echo("  ".join(str(v).ljust(w) for v, w in zip(row, widths)).rstrip())


@main.command()
@click.option("--load", "load_id", type=int, help="Only this load (default: every load).")
@click.option("--out", type=click.Path(dir_okay=False),
              help="Write CSV here, readable only by you, audited as an export (default: print to the screen).")
@_account_options
def rejects(load_id: int | None, out: str | None, accounts: str | None, db: str | None) -> None:
    """The rejected rows, with file, row number, reason and raw values, as CSV for fixing. A file written with
    --out is recorded in the audit log as an export: raw values may name people."""
    from etl.admin import write_rejects

    if out:   # a file of partners' raw values leaves the warehouse: audited as the dashboard's download is
        _audit_log_ready(accounts, db, f"nothing was written to {out}")
    count = write_rejects(db, load_id, out)
    if out:
        _audit_written_file(out, accounts, db, {"command": "rejects", "load_id": load_id, "format": "csv"}, count)
    if not count:  # said beside the CSV, not in it: on the screen the CSV alone goes to standard output
        none = f"load {load_id} rejected no rows" if load_id is not None else "no load has rejected rows"
        _echo(f"{none}; wrote only the header to {out}" if out else none, err=not out)
    elif out:
        _echo(f"wrote {count:,} rejected row(s) to {out}")


class _ScaleParam(click.ParamType):
    """`--scale`: a whole number, or a named scale from etl/demo/scales.toml ('national')."""

    name = "N|national"

    def convert(self, value, param, ctx):
        from etl.demo import Scale

        text = str(value).strip().lower()
        try:
            Scale.of(text)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)
        return int(text) if text.isdigit() else text


@main.command()
@click.option("--seed", type=int, default=42, show_default=True, help="Same seed, same data.")
@click.option("--scale", type=_ScaleParam(), default="1", show_default=True,
              help="Multiply the volumes: a whole number, or 'national' (500k licences, 5M reports, 100k cases; "
                   "a few GB, so give it its own --out and --db, e.g. under data/bench/).")
@click.option("--out", type=click.Path(file_okay=False), default="data/demo", show_default=True,
              help="Where the synthetic input files are written.")
@_account_options
def demo(seed: int, scale: int | str, out: str, accounts: str | None, db: str | None) -> None:
    """Write synthetic input files and load them through the real loaders into a fresh warehouse; each file's
    load is audited."""
    import datetime as dt

    from etl.admin import build_demo
    from etl.warehouse import Warehouse

    started = dt.datetime.now()    # the clock `loads.started_at` is stamped with
    try:
        lines = build_demo(db, seed=seed, scale=scale, out=Path(out))
    except Exception:  # the new warehouse is dropped: only the file that failed is audited (its load id is the build's)
        _audit_loads(accounts, db, [r for r in _loads_since(Warehouse(db).demo_build_path, started) or []
                                    if r["status"] == "failed"])
        raise
    for line in lines:
        _echo(line)
    loads = _loads_since(db, started)
    if loads is None:
        _echo(f"warning: the demo's loads could not be read back from {Warehouse(db).path}: the audit log has no "
              "row for them; the demo warehouse is ready", err=True)
        return
    written = {p.name for p in Path(out).iterdir()}   # not a load someone ran on the new warehouse since
    _audit_loads(accounts, db, [r for r in loads if r["file"] in written])


def _filter_options(command):
    """The dashboard's filters, so an export reproduces what a tactical lead sees."""
    options = [
        click.option("--from", "date_from", type=click.DateTime(["%Y-%m-%d"]), help="First day (default: 90 days ago)."),
        click.option("--to", "date_to", type=click.DateTime(["%Y-%m-%d"]), help="Last day (default: today)."),
        click.option("--district", multiple=True,
                     help="District code or name, or 'unknown' for rows placed in no district (the dashboard's "
                          "'Unknown district'); repeat for several (default: all)."),
        click.option("--exploitation", multiple=True,
                     help="Exploitation type (labour, sexual, criminal, domestic servitude, organ harvesting, unknown)."),
        click.option("--db", type=click.Path(dir_okay=False), help=DB_HELP),
        click.option("--accounts", type=click.Path(dir_okay=False), help=ACCOUNTS_HELP + " Each export is audited."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _filters(date_from, date_to, district, exploitation):
    from analysis.filters import NO_DISTRICT, Filters
    from analysis.settings import UNKNOWN_DISTRICT
    from etl import vocab

    default = Filters.default()
    by_name = {name.lower(): code for code, name in vocab.area_districts().items()}
    # The dashboard offers the rows placed in no district as a choice of their own: so does the export.
    by_name.update({NO_DISTRICT: NO_DISTRICT, UNKNOWN_DISTRICT.lower(): NO_DISTRICT})
    codes = []
    for d in district:
        code = d if d in vocab.area_districts() else by_name.get(d.strip().lower())
        if not code:
            raise click.BadParameter(f"unknown district {d!r}; use one of: {', '.join(vocab.area_districts().values())}"
                                     f" or {NO_DISTRICT!r}", param_hint="--district")
        codes.append(code)
    return Filters(date_from=date_from.date() if date_from else default.date_from,
                   date_to=date_to.date() if date_to else default.date_to,
                   districts=tuple(sorted(codes)), exploitation_types=tuple(sorted(exploitation)))


@main.group()
def export() -> None:
    """Export hotspots or visit priorities, filtered as on the dashboard."""


def _export(frame_of, out: str, formats: tuple[str, ...], filters: tuple, db, accounts=None) -> tuple:
    """Read-only: build the frame for the filters, write it in the format the extension names, and audit
    it: who, when, which filters, how many rows."""
    from analysis.export_files import ExportError, write
    from etl.warehouse import Warehouse

    con = Warehouse(db).connect_read_only()
    try:
        frame = frame_of(con, _filters(*filters))
    finally:
        con.close()
    from etl.admin import private_file

    _audit_log_ready(accounts, db, f"nothing was written to {out}")
    try:
        with private_file(out):
            fmt = write(frame, Path(out), formats)
    except ExportError as exc:
        _fail(str(exc))
    date_from, date_to, district, exploitation = filters
    ctx = click.get_current_context(silent=True)
    _audit_written_file(out, accounts, db, {
        "command": f"export {ctx.info_name}" if ctx else "export", "format": fmt,
        "filters": {"from": date_from.date().isoformat() if date_from else None,
                    "to": date_to.date().isoformat() if date_to else None,
                    "district": list(district), "exploitation": list(exploitation)}}, len(frame))
    return frame, fmt


def _audit_log_ready(accounts: str | None, db: str | None, nothing_done: str) -> None:
    """Refuse a change or a file that is audited before making it, if the audit log can't be written now:
    then the refusal's "nothing was done" is true. (One that fails after all is said by `_audit_done`.)"""
    from access.store import failure_reason

    store = _store(accounts, db)
    try:
        with store.connect():
            pass
    except Exception as exc:  # noqa: BLE001 - said in the one line below
        _fail(f"the audit log {store.path} can't be written ({failure_reason(exc)}), and this is audited: "
              f"{nothing_done}")


def _audit_done(accounts: str | None, db: str | None, done: str, action: str, target: str, detail: dict,
                rows: int | None) -> None:
    """Audit a change already made. If the row can't be written, the change still stands: AuditNotWritten says
    `done` and that the audit misses it, and the command exits non-zero."""
    store = _store(accounts, db)
    try:
        store.audit(_cli_actor(), action, target, detail, rows=rows)
    except Exception as exc:
        from access.store import AuditNotWritten

        raise AuditNotWritten(done, store.path, exc) from exc


def _audit_written_file(out: str, accounts: str | None, db: str | None, detail: dict, rows: int) -> None:
    """Audit a file written as an export; one whose audit row can't be written is deleted again, as no file
    leaves without its row (the dashboard's downloads hold to the same)."""
    from access.store import failure_reason

    store = _store(accounts, db)
    try:
        store.audit(_cli_actor(), "export", str(out), detail, rows=rows)
    except Exception as exc:  # noqa: BLE001 - said in the one line below
        Path(out).unlink(missing_ok=True)
        _fail(f"the audit log {store.path} could not be written ({failure_reason(exc)}), so {out} was deleted "
              "again: nothing was exported")


@export.command("hotspots")
@click.option("--out", required=True, type=click.Path(dir_okay=False),
              help="CSV, GeoJSON or GeoPackage, chosen by the extension (.csv, .geojson, .gpkg).")
@click.option("--resolution", type=click.IntRange(7, 9), help="H3 resolution (default: analysis/hotspots.toml).")
@_filter_options
def export_hotspots(out, resolution, date_from, date_to, district, exploitation, db, accounts) -> None:
    """One row per cell of the study area: h3, reports, gi_z, gi_p, gi_bin, trend."""
    from analysis.export_files import hotspot_frame

    warnings = []

    def cells(con, f):
        frame, warning = hotspot_frame(con, f, resolution)
        warnings.append(warning)
        return frame

    frame, fmt = _export(cells, out, ("CSV", "GeoJSON", "GPKG"), (date_from, date_to, district, exploitation), db,
                         accounts)
    hot = int((frame["gi_bin"] > 0).sum())
    _echo(f"wrote {len(frame):,} cell{'' if len(frame) == 1 else 's'} ({hot:,} hot at 90% or more) to {out} as {fmt}")
    for warning in filter(None, warnings):
        _echo(f"warning: {warning}")


@export.command("priorities")
@click.option("--out", required=True, type=click.Path(dir_okay=False),
              help="CSV, XLSX or GeoJSON, chosen by the extension (.csv, .xlsx, .geojson).")
@_filter_options
def export_priorities(out, date_from, date_to, district, exploitation, db, accounts) -> None:
    """Addresses to visit, best first: rank, address, postcode, lat, lon, score, reasons, languages, last visit
    and its outcome."""
    import datetime as dt

    from analysis.export_files import priority_frame
    from operations.store import OperationsStore

    outcomes = OperationsStore(db=db).outcomes()
    frame, fmt = _export(lambda con, f: priority_frame(con, f, dt.date.today(), outcomes), out, ("CSV", "XLSX", "GeoJSON"),
                         (date_from, date_to, district, exploitation), db, accounts)
    why = ""
    if frame.empty:
        from analysis.export_files import why_no_priorities
        from etl.warehouse import Warehouse

        con = Warehouse(db).connect_read_only()
        try:
            why = f": {why_no_priorities(con, _filters(date_from, date_to, district, exploitation))}"
        finally:
            con.close()
    addresses = "address" if len(frame) == 1 else "addresses"   # wording.plural only adds an "s"
    _echo(f"wrote {len(frame):,} {addresses} to {out} as {fmt}{why}")


# --- visit outcomes: the ones loaded from files have no plan page to be withdrawn on ----------------------------


@main.group()
def outcomes() -> None:
    """Visit outcomes in the operations store: list, withdraw (one loaded from a file with `load visits`, which no
    plan's page shows)."""


@outcomes.command("list")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]),
              help="First visit date to list (default: 90 days ago).")
@click.option("--db", type=click.Path(dir_okay=False), help=DB_HELP)
def outcomes_list(since, db) -> None:
    """Recorded outcomes, oldest visit first: id, visit date, address, outcome, the file (and row) it was loaded
    from or the plan it was recorded on, who recorded it, and whether it was withdrawn."""
    import datetime as dt

    from operations import vocabulary
    from operations.store import OperationsStore

    store = OperationsStore(db=db)
    first = since.date() if since else dt.date.today() - dt.timedelta(days=90)
    frame = store.outcomes(first, include_withdrawn=True)
    if frame.empty:
        _echo(f"no outcome of a visit on or after {first:%d %b %Y} in {store.path}")
        return
    files = store.load_files()
    table = [["id", "visited", "address", "outcome", "from", "recorded by", "withdrawn"]] + [
        [str(r.id), f"{r.visited_on:%d %b %Y}", r.address, vocabulary.outcome_label(r.outcome),
         _outcome_origin(r, files), r.recorded_by or "", _withdrawn(r)] for r in frame.itertuples(index=False)]
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for row in table:
        _echo("  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip())


def _outcome_origin(r, files: dict[int, str]) -> str:
    """Where an outcome came from: 'visits_nov.csv row 4', 'plan 3' or 'the dashboard'."""
    if r.load_id is not None and r.load_id == r.load_id:     # NaN in a frame whose other rows have one
        row = f" row {int(r.source_row)}" if r.source_row is not None and r.source_row == r.source_row else ""
        return f"{files.get(int(r.load_id), f'outcome load {int(r.load_id)}')}{row}"
    if r.plan_id is not None and r.plan_id == r.plan_id:
        return f"plan {int(r.plan_id)}"
    return "the dashboard"


def _withdrawn(r) -> str:
    return f"{r.withdrawn_at[:10]} by {r.withdrawn_by}" if isinstance(r.withdrawn_at, str) else ""


@outcomes.command("withdraw")
@click.argument("outcome_id", metavar="ID", type=int)
@click.option("--reason", required=True, help="Why it is withdrawn: one short line, no names "
                                                "(e.g. 'date corrected in visits_nov.csv').")
@_account_options
def outcomes_withdraw(outcome_id, reason, accounts, db) -> None:
    """Withdraw outcome ID, saved by mistake: it is kept, with who withdrew it, when and why, and counts nowhere
    (the visit list, the maps, the Overview, plan progress, exports). Final: an outcome withdrawn by mistake is
    recorded again. Audited. `python -m etl outcomes list` shows the ids."""
    import datetime as dt

    from operations import vocabulary
    from operations.store import OperationsStore

    store = OperationsStore(db=db)
    if not store.path.exists():
        _fail(f"no outcome {outcome_id}: no outcome has been recorded yet ({store.path} does not exist)")
    _audit_log_ready(accounts, db, "nothing was withdrawn")
    try:   # the command line is the administrator's, as `users` is: any outcome, whoever recorded it
        was = store.withdraw(outcome_id, by=_cli_actor(), reason=reason, admin=True)
    except KeyError:
        _fail(f"no outcome {outcome_id} in {store.path}: `python -m etl outcomes list --since DATE` shows the ids")
    except ValueError as exc:       # no reason, a reason too long, or withdrawn already
        _fail(f"not withdrawn: {exc}")
    files = store.load_files()
    load_id = was["load_id"]
    origin = f"from {files.get(load_id, f'outcome load {load_id}')}" if load_id is not None else \
        f"on plan {was['plan_id']}" if was["plan_id"] is not None else "on the dashboard"
    _echo(f"withdrew outcome {outcome_id} ({vocabulary.outcome_label(was['outcome'])} on "
          f"{dt.date.fromisoformat(was['visited_on']):%d %b %Y} at {was['address']}, {origin}): it is kept, with "
          "who withdrew it, when and why, and counts nowhere")
    _audit_done(accounts, db, f"outcome {outcome_id} was withdrawn", "outcome_withdrawn", f"outcome {outcome_id}",
                {"command": "outcomes withdraw", "plan_id": was["plan_id"], "outcome": was["outcome"],
                 "recorded_by": was["recorded_by"], "load_id": was["load_id"], "file": files.get(was["load_id"])},
                1)


# --- access control: accounts, the audit log, retention ------------------------------------------------------


def _cli_actor() -> str:
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # noqa: BLE001 - no login name (a container): still say it was the command line
        return "cli"


def _store(accounts: str | None, db: str | None = None):
    from access.store import Store

    return Store(accounts, db)


def _accounts(call):
    """Run an account change; an AccountError is one line and exit status 2."""
    from access.store import AccountError

    try:
        return call()
    except AccountError as exc:
        _fail(str(exc))


@main.group()
def users() -> None:
    """Dashboard accounts: add, remove, set-role, set-password, unlock, list."""


@users.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(["viewer", "analyst", "admin"]))
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
@click.option("--sso", is_flag=True, help="NAME signs in through single sign-on ([auth] in .streamlit/secrets.toml): "
                                          "their e-mail address or user principal name; no password.")
@click.option("--one-time", is_flag=True, help="NAME must choose their own password at their first sign-in: for an "
                                               "account you set up for someone else, who should not keep yours.")
@_account_options
def users_add(name, role, password_stdin, sso, one_time, accounts, db) -> None:
    """Add user NAME with ROLE (viewer, analyst or admin).

    The password is kept unless --one-time: the first admin is usually set up here by the person who will use
    it, and the Users page makes every password an admin chooses for someone else one-time."""
    store = _store(accounts, db)
    if sso:
        if password_stdin:
            _fail("a single sign-on account has no password: leave out --password-stdin")
        user = _accounts(lambda: store.add_sso(name, role, actor=_cli_actor()))
        _echo(f"added {user.name} ({role}, single sign-on) to {store.path}")
        return
    password = _read_password(password_stdin)
    _accounts(lambda: store.add(name, role, password, actor=_cli_actor(), one_time=one_time))
    _echo(f"added {name} ({role}) to {store.path}" +
          (f"; {name} chooses their own password at their first sign-in" if one_time else ""))


def _read_password(from_stdin: bool) -> str:
    """A password someone sets for a user: the first line of standard input, or typed twice, unseen."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@users.command("remove")
@click.argument("name")
@_account_options
def users_remove(name, accounts, db) -> None:
    """Remove user NAME."""
    _accounts(lambda: _store(accounts, db).remove(name, actor=_cli_actor()))
    _echo(f"removed {name}")


@users.command("set-role")
@click.argument("name")
@click.argument("role", type=click.Choice(["viewer", "analyst", "admin"]))
@_account_options
def users_set_role(name, role, accounts, db) -> None:
    """Give user NAME the role ROLE."""
    from access.store import role_with_article

    _accounts(lambda: _store(accounts, db).set_role(name, role, actor=_cli_actor()))
    _echo(f"{name} is now {role_with_article(role)}")


@users.command("set-password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
@_account_options
def users_set_password(name, password_stdin, accounts, db) -> None:
    """Give user NAME a new password, which they must change at their next sign-in (a forgotten password, or
    one somebody else may know). Single sign-on accounts have no password."""
    password = _read_password(password_stdin)
    _accounts(lambda: _store(accounts, db).set_password(name, password, actor=_cli_actor(), one_time=True))
    _echo(f"set a new password for {name}: they must choose their own at their next sign-in")


@users.command("unlock")
@click.argument("name")
@_account_options
def users_unlock(name, accounts, db) -> None:
    """Unlock user NAME now, for every client, after too many failed sign-ins (a lock also ends by itself)."""
    _accounts(lambda: _store(accounts, db).unlock(name, actor=_cli_actor()))
    _echo(f"unlocked {name}")


@users.command("list")
@_account_options
def users_list(accounts, db) -> None:
    """Every account: name, role, lock state, failed sign-ins, last sign-in."""
    rows = _store(accounts, db).users()
    if not rows:
        _echo("no accounts yet: add one with `python -m etl users add NAME --role admin`")
        return
    table = [["name", "role", "signs in with", "state", "failed", "last sign-in"]] + [
        [u.name, u.role, "single sign-on" if u.sso else "password", u.state,
         str(u.failed_attempts), u.last_sign_in or "never"]
        for u in rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
    for r in table:
        _echo("  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip())


@main.command("audit")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="First day (UTC) to include (default: everything).")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="CSV file to write.")
@_account_options
def audit(since, out, accounts, db) -> None:
    """Export the audit log as CSV: sign-ins, page views, exports and downloads, account changes, withdrawn visit
    outcomes, and every file loaded or refused (etl load, etl demo), source removed and retention run."""
    store = _store(accounts, db)
    count = store.write_audit_csv(out, since.date() if since else None)
    store.audit(_cli_actor(), "audit_export", out, {"since": since.date().isoformat() if since else None}, rows=count)
    _echo(f"wrote {count:,} audit row(s) to {out}")


@main.command("retention")
@click.option("--older-than", "years", required=True, type=click.IntRange(min=1),
              help="Delete reports received and victim cases opened more than this many YEARS ago.")
@click.option("--db", type=click.Path(dir_okay=False), help=DB_HELP)
@click.option("--accounts", type=click.Path(dir_okay=False), help=ACCOUNTS_HELP)
def retention(years, db, accounts) -> None:
    """Delete reports and cases past the retention period (and old loads' rejected rows, and addresses only
    deleted reports named); audited."""
    from access.retention import apply, deleted

    _audit_log_ready(accounts, db, "nothing was deleted")
    _echo(deleted(apply(years, db=db, accounts=accounts, actor=_cli_actor())))


@main.command("remove")
@click.argument("kind", type=click.Choice(["hmo", "reports", "cases", "boundaries", "postcodes"]))
@click.argument("source")
@click.option("--yes", is_flag=True, help="Do not ask before removing.")
@_account_options
def remove(kind, source, yes, accounts, db) -> None:
    """Remove every row of one SOURCE of KIND: a file loaded under the wrong --source, or into the wrong
    warehouse. Loading again cannot undo that. The source's loads stay listed as removed; audited. Removing
    boundaries or postcodes places the stored reports, licences and cases again without them."""
    from etl import removal

    rows, loads = removal.held(kind, source, db)
    if not yes:
        again = "; the stored rows are then placed again without them" if kind in removal.REFERENCE else ""
        click.confirm(f"remove {rows:,} {kind} row(s) of source {source!r}, from {loads:,} load(s){again}?",
                      abort=True)
    _audit_log_ready(accounts, db, "nothing was removed")
    done = removal.remove(kind, source, db)
    _echo(f"removed {done.rows:,} {kind} row(s) of source {source!r}, the {done.rejects:,} rejected row(s) of "
               f"its {done.loads:,} load(s) (now listed as removed)"
               + (f", and {done.addresses:,} address(es) only those reports named" if kind == "reports" else ""))
    for note in done.notes:
        _echo(f"  note: {note}")
    _audit_done(accounts, db, f"the {kind} rows of source {source!r} were removed", "remove_source", source,
                {"kind": kind, "loads": done.loads, "rejects": done.rejects, "addresses": done.addresses}, done.rows)
