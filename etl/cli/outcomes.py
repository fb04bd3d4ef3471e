"""`etl outcomes list|withdraw`: visit outcomes in the operations store. The ones loaded from files have no
plan page to be withdrawn on."""
from __future__ import annotations

from pathlib import Path

import click

from etl.cli.common import DB_HELP, account_options, audit_done, audit_log_ready, cli_actor, echo, fail, main


@main.group()
def outcomes() -> None:
    """Visit outcomes in the operations store: list, withdraw (one loaded from a file with `load visits`, which no
    plan's page shows), and the rows of visits files that were rejected."""


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
        echo(f"no outcome of a visit on or after {first:%d %b %Y} in {store.path}")
        return
    files = store.load_files()
    table = [["id", "visited", "address", "outcome", "from", "recorded by", "withdrawn"]] + [
        [str(r.id), f"{r.visited_on:%d %b %Y}", r.address, vocabulary.outcome_label(r.outcome),
         _outcome_origin(r, files), r.recorded_by or "", _withdrawn(r)] for r in frame.itertuples(index=False)]
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for row in table:
        echo("  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip())


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


@outcomes.command("rejects")
@click.option("--load", "load_id", type=int, help="Only this outcome load (the load number a visits load prints).")
@click.option("--db", type=click.Path(dir_okay=False), help=DB_HELP)
def outcomes_rejects(load_id, db) -> None:
    """The rows of visits files that were rejected, file by file: row number and reason, as `load visits` printed
    them. Kept in the operations store, not the warehouse, so `python -m etl rejects` does not list them; fix the
    rows and load the file again (rows already loaded are not doubled)."""
    from etl.loaders import visits
    from operations.store import OperationsStore

    store = OperationsStore(db=db)
    frame = store.rejects(load_id) if store.path.exists() else None
    if frame is None or frame.empty:
        what = f"outcome load {load_id}" if load_id is not None else "no visits file"
        echo(f"{what} rejected no rows" if load_id is not None else f"{what} has had rows rejected ({store.path})")
        return
    for (number, file_name), rows in frame.groupby(["load_id", "file_name"], sort=True):
        echo(f"outcome load {int(number)} ({file_name}): {len(rows)} rejected row(s)")
        for line in visits.reject_lines(Path(file_name), rows.itertuples(index=False)):
            echo(line)


@outcomes.command("withdraw")
@click.argument("outcome_id", metavar="ID", type=int)
@click.option("--reason", required=True, help="Why it is withdrawn: one short line, no names "
                                                "(e.g. 'date corrected in visits_nov.csv').")
@account_options
def outcomes_withdraw(outcome_id, reason, accounts, db) -> None:
    """Withdraw outcome ID, saved by mistake: it is kept, with who withdrew it, when and why, and counts nowhere
    (the visit list, the maps, the Overview, plan progress, exports). Final: an outcome withdrawn by mistake is
    recorded again. Audited. `python -m etl outcomes list` shows the ids."""
    import datetime as dt

    from operations import vocabulary
    from operations.store import OperationsStore

    store = OperationsStore(db=db)
    if not store.path.exists():
        fail(f"no outcome {outcome_id}: no outcome has been recorded yet ({store.path} does not exist)")
    audit_log_ready(accounts, db, "nothing was withdrawn")
    try:   # the command line is the administrator's, as `users` is: any outcome, whoever recorded it
        was = store.withdraw(outcome_id, by=cli_actor(), reason=reason, admin=True)
    except KeyError:
        fail(f"no outcome {outcome_id} in {store.path}: `python -m etl outcomes list --since DATE` shows the ids")
    except ValueError as exc:       # no reason, a reason too long, or withdrawn already
        fail(f"not withdrawn: {exc}")
    files = store.load_files()
    load_id = was["load_id"]
    origin = f"from {files.get(load_id, f'outcome load {load_id}')}" if load_id is not None else \
        f"on plan {was['plan_id']}" if was["plan_id"] is not None else "on the dashboard"
    echo(f"withdrew outcome {outcome_id} ({vocabulary.outcome_label(was['outcome'])} on "
         f"{dt.date.fromisoformat(was['visited_on']):%d %b %Y} at {was['address']}, {origin}): it is kept, with "
         "who withdrew it, when and why, and counts nowhere")
    audit_done(accounts, db, f"outcome {outcome_id} was withdrawn", "outcome_withdrawn", f"outcome {outcome_id}",
               {"command": "outcomes withdraw", "plan_id": was["plan_id"], "outcome": was["outcome"],
                "recorded_by": was["recorded_by"], "load_id": was["load_id"], "file": files.get(was["load_id"])},
               1)
