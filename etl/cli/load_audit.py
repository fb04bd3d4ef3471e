"""The audit rows of loads, one per file loaded or refused, by `etl load` and `etl demo` alike; read back
from the warehouse's `loads`, which has each attempt's load id and counts."""
from __future__ import annotations

from etl.cli.common import account_store, cli_actor, echo


def loads_since(db, started) -> list[dict] | None:
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


def audit_loads(accounts: str | None, db: str | None, entries: list[dict]) -> None:
    """One audit row per file loaded ("load") or refused ("load_failed"), target its source, the file by name
    only (a path can hold a person's name). The data is in (or refused) before it is audited, so a store that
    can't be written fails no load, unlike `remove` or `rejects --out`: the load stands and standard error says
    which files the audit log misses. The first failure ends the writing: the rest would fail the same way."""
    from access.store import failure_reason, store_path

    for done, entry in enumerate(entries):
        detail = {k: entry[k] for k in ("kind", "file", "load_id", "rows_loaded", "rows_rejected", "status", "reason")
                  if k in entry}
        try:
            account_store(accounts, db).audit(cli_actor(), "load_failed" if entry["status"] == "failed" else "load",
                                              entry["source"], detail, rows=entry["rows_loaded"])
        except Exception as exc:  # noqa: BLE001 - said on standard error below
            reason = failure_reason(exc)
            missed = ", ".join(e["file"] for e in entries[done:])
            echo(f"warning: the audit log {store_path(accounts, db)} could not be written ({reason}): it has no "
                 f"row for {missed} (the loads themselves are as said above)", err=True)
            return
