"""Files that leave the warehouse: `etl rejects` (partners' raw values) and `etl export hotspots|priorities`
(filtered as on the dashboard). Each file written is audited as an export, or not written at all."""
from __future__ import annotations

from pathlib import Path

import click

from etl.cli.common import (ACCOUNTS_HELP, DB_HELP, account_options, account_store, audit_log_ready, cli_actor, echo,
                            fail, main)


@main.command()
@click.option("--load", "load_id", type=int, help="Only this load, every rejected row of it (default: every load's "
                                                  "outstanding ones).")
@click.option("--all", "every", is_flag=True,
              help="Also the rows a later load of the same source has since loaded, and those of a register a "
                   "later one superseded.")
@click.option("--out", type=click.Path(dir_okay=False),
              help="Write CSV here, readable only by you, audited as an export (default: print to the screen).")
@account_options
def rejects(load_id: int | None, every: bool, out: str | None, accounts: str | None, db: str | None) -> None:
    """The rejected rows still to fix, with file, row number, reason, raw values and status, as CSV for fixing:
    by default the outstanding ones of every load, not those a later load of the same source has since loaded
    (status "since loaded (load N)") nor those of an HMO register a later one replaced ("superseded by load
    N"); --all lists them too, and --load N all of one load's. A file written with --out is recorded in the
    audit log as an export: raw values may name people."""
    from etl.admin import listed_rejects, write_rejects_csv

    if out:   # a file of partners' raw values leaves the warehouse: audited as the dashboard's download is
        audit_log_ready(accounts, db, f"nothing was written to {out}")
    rows, left_out = listed_rejects(db, load_id, every)
    write_rejects_csv(rows, out)
    count = len(rows)
    if out:
        _audit_written_file(out, accounts, db, {"command": "rejects", "load_id": load_id, "all": every,
                                                "format": "csv"}, count)
    # Said beside the CSV, not in it: on the screen the CSV alone goes to standard output.
    if not count:
        none = f"load {load_id} rejected no rows" if load_id is not None else \
            "no rejected row is outstanding" if left_out else "no load has rejected rows"
        echo(f"{none}; wrote only the header to {out}" if out else none, err=not out)
    elif out:
        echo(f"wrote {count:,} rejected row(s) to {out}")
    if left_out:
        echo(_left_out(left_out), err=not out)
    if load_id is None and (visit_rejects := _visit_file_rejects(db)):
        echo(f"{visit_rejects:,} rejected row(s) of visits files are kept with the outcomes, apart from the "
             "warehouse: python -m etl outcomes rejects lists them", err=not out)


def _visit_file_rejects(db: str | None) -> int:
    """How many rows of visits files were rejected (the operations store's, which this listing does not read)."""
    from operations.store import OperationsStore

    store = OperationsStore(db=db)
    return len(store.rejects()) if store.path.exists() else 0


def _left_out(left_out: dict[str, int]) -> str:
    """What the default listing left out, and how to see it: "not listed: 9 since loaded by a later load of
    their source, 3 of HMO registers a later one superseded (--all lists them too)"."""
    from analysis.rejects import SINCE_LOADED, SUPERSEDED

    parts = []
    if left_out.get(SINCE_LOADED):
        parts.append(f"{left_out[SINCE_LOADED]:,} since loaded by a later load of their source")
    if left_out.get(SUPERSEDED):
        parts.append(f"{left_out[SUPERSEDED]:,} of HMO registers a later one of the same source superseded")
    return f"not listed, as no longer to fix: {', '.join(parts)} (--all lists them too)"


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

    audit_log_ready(accounts, db, f"nothing was written to {out}")
    try:
        with private_file(out):
            fmt = write(frame, Path(out), formats)
    except ExportError as exc:
        fail(str(exc))
    date_from, date_to, district, exploitation = filters
    ctx = click.get_current_context(silent=True)
    _audit_written_file(out, accounts, db, {
        "command": f"export {ctx.info_name}" if ctx else "export", "format": fmt,
        "filters": {"from": date_from.date().isoformat() if date_from else None,
                    "to": date_to.date().isoformat() if date_to else None,
                    "district": list(district), "exploitation": list(exploitation)}}, len(frame))
    return frame, fmt


def _audit_written_file(out: str, accounts: str | None, db: str | None, detail: dict, rows: int) -> None:
    """Audit a file written as an export; one whose audit row can't be written is deleted again, as no file
    leaves without its row (the dashboard's downloads hold to the same)."""
    from access.store import failure_reason

    store = account_store(accounts, db)
    try:
        store.audit(cli_actor(), "export", str(out), detail, rows=rows)
    except Exception as exc:  # noqa: BLE001 - said in the one line below
        Path(out).unlink(missing_ok=True)
        fail(f"the audit log {store.path} could not be written ({failure_reason(exc)}), so {out} was deleted "
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
    echo(f"wrote {len(frame):,} cell{'' if len(frame) == 1 else 's'} ({hot:,} hot at 90% or more) to {out} as {fmt}")
    for warning in filter(None, warnings):
        echo(f"warning: {warning}")


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
    echo(f"wrote {len(frame):,} {addresses} to {out} as {fmt}{why}")
