"""Keeping the warehouse: `etl init`, `etl status`, and the audited deletions `etl remove` and `etl retention`."""
from __future__ import annotations

import click

from etl.cli.common import ACCOUNTS_HELP, DB_HELP, account_options, audit_done, audit_log_ready, cli_actor, echo, main


@main.command()
@click.option("--db", type=click.Path(dir_okay=False), help=DB_HELP)
def init(db: str | None) -> None:
    """Create the warehouse schema, or upgrade an older warehouse in place."""
    from etl.admin import init_warehouse

    path, applied = init_warehouse(db)
    if applied:
        echo(f"{path}: applied migrations {', '.join(applied)}")
    else:
        echo(f"{path}: schema is up to date")


@main.command()
@click.option("--db", type=click.Path(dir_okay=False), help=DB_HELP)
def status(db: str | None) -> None:
    """Per source: row counts, last load, the rows that last load rejected, and freshness. Rows earlier loads
    rejected that are still to fix: `python -m etl rejects`."""
    from etl.admin import status_rows
    from etl.uk_time import LABEL

    rows = status_rows(db)
    if not rows:
        echo("The warehouse is empty: load files with `python -m etl load KIND FILE`, or run `python -m etl demo`.")
        return
    header = ["kind", "source", "rows", f"last load ({LABEL})", "rejected (last load)", "not geocoded", "freshness"]
    table = [header] + [[r.kind, r.source, f"{r.rows:,}", r.last_load, f"{r.rejected:,}", f"{r.ungeocoded:,}",
                         r.freshness] for r in rows]
    widths = [max(len(str(row[i])) for row in table) for i in range(len(header))]
    for row in table:
        echo("  ".join(str(v).ljust(w) for v, w in zip(row, widths)).rstrip())
    echo(f"last load: in {LABEL} (BST in summer), as the dashboard's Data page gives it, whatever this machine's "
         "clock is set to")
    echo("rejected (last load): the rows the last load of each source rejected; `python -m etl rejects` lists "
         "every load's rejected rows still to fix")


@main.command("retention")
@click.option("--older-than", "years", required=True, type=click.IntRange(min=1),
              help="Delete reports received and victim cases opened more than this many YEARS ago.")
@click.option("--db", type=click.Path(dir_okay=False), help=DB_HELP)
@click.option("--accounts", type=click.Path(dir_okay=False), help=ACCOUNTS_HELP)
def retention(years, db, accounts) -> None:
    """Delete reports and cases past the retention period (and old loads' rejected rows, and addresses only
    deleted reports named); audited."""
    from access.retention import apply, deleted

    audit_log_ready(accounts, db, "nothing was deleted")
    echo(deleted(apply(years, db=db, accounts=accounts, actor=cli_actor())))


@main.command("remove")
@click.argument("kind", type=click.Choice(["hmo", "reports", "cases", "boundaries", "postcodes"]))
@click.argument("source")
@click.option("--yes", is_flag=True, help="Do not ask before removing.")
@account_options
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
    audit_log_ready(accounts, db, "nothing was removed")
    done = removal.remove(kind, source, db)
    echo(f"removed {done.rows:,} {kind} row(s) of source {source!r}, the {done.rejects:,} rejected row(s) of "
         f"its {done.loads:,} load(s) (now listed as removed)"
         + (f", and {done.addresses:,} address(es) only those reports named" if kind == "reports" else ""))
    for note in done.notes:
        echo(f"  note: {note}")
    audit_done(accounts, db, f"the {kind} rows of source {source!r} were removed", "remove_source", source,
               {"kind": kind, "loads": done.loads, "rejects": done.rejects, "addresses": done.addresses}, done.rows)
