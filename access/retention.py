"""Retention: delete reports and victim cases older than the retention period, and record it in the audit log."""
from __future__ import annotations

import datetime as dt
import os

from access.store import AuditNotWritten, Store
from etl import address_ids, filter_values
from etl.loading import prepare
from etl.warehouse import Warehouse


def cutoff(years: int, today: dt.date | None = None) -> dt.date:
    today = today or dt.date.today()
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def apply(years: int, *, db: str | os.PathLike | None = None, accounts: str | os.PathLike | None = None,
          actor: str | None = None, today: dt.date | None = None) -> dict[str, object]:
    """Delete reports received and cases opened before the cutoff (one copy-and-swap transaction), the
    addresses and filter values only those rows held, and the rejected rows (raw values) of loads made
    before it.
    Returns what was deleted; the audit log says the same. An audit row that can't be written after the
    deletion raises AuditNotWritten, which says what was deleted: the deletion stands."""
    if years < 1:
        raise ValueError("the retention period is at least one year")
    before = cutoff(years, today)
    wh = Warehouse(db)
    counts: dict[str, object] = {"cutoff": before.isoformat(), "years": years}
    with wh.transaction() as con:
        prepare(con)
        for table, column in (("reports", "received_on"), ("cases", "opened_on")):
            counts[table] = con.execute(f"SELECT count(*) FROM {table} WHERE {column} < ?", [before]).fetchone()[0]
            con.execute(f"DELETE FROM {table} WHERE {column} < ?", [before])
        counts["addresses"] = address_ids.forget_unused(con)   # addresses known only from deleted reports
        filter_values.rebuild(con)                             # nor a filter value only they held
        counts["rejects"] = con.execute(
            "SELECT count(*) FROM rejects WHERE load_id IN (SELECT load_id FROM loads WHERE started_at < ?)",
            [before]).fetchone()[0]
        con.execute("DELETE FROM rejects WHERE load_id IN (SELECT load_id FROM loads WHERE started_at < ?)", [before])
    store = Store(accounts, db)
    try:
        store.audit(actor, "retention", str(wh.path), counts, rows=int(counts["reports"]) + int(counts["cases"]))
    except Exception as exc:   # the rows are gone: the error must say so, not that nothing changed
        raise AuditNotWritten(deleted(counts), store.path, exc) from exc
    return counts


def deleted(counts: dict[str, object]) -> str:
    """What a retention run deleted, in one line (`counts` as `apply` returns them)."""
    return (f"deleted {counts['reports']:,} report(s), {counts['cases']:,} case(s) and {counts['rejects']:,} "
            f"rejected row(s) from before {counts['cutoff']}, and {counts['addresses']:,} address(es) only "
            "those reports named")
