"""`etl load KIND FILE...`: each file loaded on its own into the warehouse (visit outcomes into the
operations store), and audited whether it loaded or was refused."""
from __future__ import annotations

from pathlib import Path

import click

from etl.cli import load_audit
from etl.cli.common import account_options, cli_actor, echo, fail, main
from etl.errors import LoadError
from etl.summary import REPLACED_BY_SOURCE

REASON_MAX = 300    # a refused load's reason in its audit row: one line, not a file's worth of quoted cells


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
@account_options
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
            echo()
        started = dt.datetime.now()    # the clock `loads.started_at` is stamped with
        try:
            summary = _load_one(kind, file, db, source, mapping, sheet, whole_register)
        except Exception as exc:
            load_audit.audit_loads(accounts, db, [_refused_load(kind, file, source, db, started, exc, mapping)])
            if len(files) == 1 or not isinstance(exc, LoadError):
                raise
            failed += 1
            echo(f"error: {exc}", err=True)
        else:
            load_audit.audit_loads(accounts, db, [{
                "kind": summary.kind, "file": summary.file_name, "source": summary.source, "load_id": summary.load_id,
                "rows_loaded": summary.rows_loaded, "rows_rejected": summary.rows_rejected, "status": summary.status}])
    if failed == len(files):
        fail(f"none of the {len(files)} files loaded (each left the warehouse as it was)")
    if failed:
        fail(f"{failed} of {len(files)} files failed to load (each left the warehouse as it was); "
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
    load_audit.audit_loads(accounts, db, [{"kind": kind, "file": Path(f).name, "source": source or Path(f).stem,
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
            echo("note: --source is not used for visit outcomes: each outcome keeps the file it came from "
                 "and who loaded it", err=True)
        return _load_visits(file, db, mapping, sheet)
    with RowProgress(f"reading {Path(file).name}") as progress:
        summary = load_file(kind, file, db=db, source=source, mapping=mapping, sheet=sheet, progress=progress,
                            whole_register=whole_register)
    for line in summary.lines():
        echo(line)
    return summary


def _load_visits(file: str, db: str | None, mapping: str | None, sheet: str | None):
    """Outcomes loaded here are recorded by the command line's actor (cli:NAME), as everything else it does: never
    the bare login, which a dashboard account of that name could be taken for (account names hold no ':'). They
    are withdrawn with `etl outcomes withdraw`, as an admin, so those loaded before under the bare login still are."""
    from etl.loaders import visits
    from operations.store import OperationsStore

    store = OperationsStore(db=db)
    summary = visits.load(file, db=db, store=store, mapping=mapping, sheet=sheet, loaded_by=cli_actor())
    for line in summary.lines():
        echo(line)
    if summary.rows_rejected:
        echo("Rejected rows (fix them and load the file again; the rows already loaded are not doubled):")
        for line in visits.reject_lines(Path(file), store.rejects(summary.load_id).itertuples(index=False)):
            echo(line)
    return summary


def _refused_load(kind: str, file: str, source: str | None, db: str | None, started, exc: BaseException,
                  mapping: str | None = None) -> dict:
    """A refused file's audit entry; its load id and rejected rows are those `loads` recorded for the failure, if
    it got that far (a missing file, a wrong option or a visits file never does): a file whose rows were all
    rejected fails whole, but keeps its rejects under that id. The source defaults as load_file's does.

    A load with an id has its reason in `loads.message`; one without has no record but this, so the reason goes
    into the audit row, with the folders of the paths given taken out (a path can hold a person's name)."""
    source = source or Path(file).stem
    failures = [r for r in (load_audit.loads_since(db, started) or []) if r["status"] == "failed" and r["kind"] == kind
                and r["source"] == source and r["file"] == Path(file).name] if kind != "visits" else []
    recorded = max(failures, key=lambda r: r["load_id"], default={})
    entry = {"kind": kind, "file": Path(file).name, "source": source, "load_id": recorded.get("load_id"),
             "rows_loaded": 0, "rows_rejected": recorded.get("rows_rejected") or 0, "status": "failed"}
    if entry["load_id"] is None:
        reason = str(exc) if isinstance(exc, LoadError) else f"{exc.__class__.__name__}: {exc}"
        for given in filter(None, (file, mapping)):
            for form in {str(Path(given).resolve()), str(Path(given))}:
                reason = reason.replace(form, Path(given).name)
        entry["reason"] = " ".join(reason.split())[:REASON_MAX]
    return entry
