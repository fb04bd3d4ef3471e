"""Take one source's rows out of the warehouse: a file loaded under the wrong --source, into the wrong
warehouse, or from a partner whose data may no longer be held.

Loading again cannot undo such a load. Reports and cases are added to by each load, so a wrong file's
rows stay; a register is replaced only under its own source name, so one loaded under a misspelt name
stays beside the right one. Boundaries and postcodes are not removed this way: without them nothing is
placed, and loading the right file replaces them.

Everything goes in one copy-and-swap transaction (`Warehouse.transaction`), with what depends on the
rows: the addresses only they named, the licence matches, the filter values, and the raw rejected
rows of the source's loads (a wrong file's cells are as unwanted as its stored rows). The source's
loads stay listed, marked `removed`, so the history still says what was loaded and what was undone;
loading the same file again then loads it afresh.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from etl import address_ids, address_matches, filter_values
from etl.errors import LoadError
from etl.loading import prepare
from etl.warehouse import Warehouse

# kind → the table its rows are stored in.
REMOVABLE = {"reports": "reports", "cases": "cases", "hmo": "hmo_licence_history"}


@dataclass(frozen=True)
class Removal:
    kind: str
    source: str
    rows: int            # stored rows removed (for a register: every licence version it held, ended ones too)
    loads: int           # loads marked removed
    rejects: int         # rejected rows of those loads removed
    addresses: int       # addresses only the removed reports named


def held(kind: str, source: str, db: str | os.PathLike | None = None) -> tuple[int, int]:
    """(rows, loads) the warehouse holds of this source: what `remove` would take out. Read-only, so an
    unknown source is refused before the warehouse is copied for the change."""
    table = _table(kind)
    con = Warehouse(db).connect_read_only()
    try:
        rows, loads = _held(con, table, kind, source)
        if not rows and not loads:
            raise LoadError(_unknown_source(con, table, kind, source))
        return rows, loads
    finally:
        con.close()


def remove(kind: str, source: str, db: str | os.PathLike | None = None) -> Removal:
    """Remove every row of `source` of `kind`, and what only those rows held; one transaction."""
    table = _table(kind)
    with Warehouse(db).transaction() as con:
        prepare(con)
        rows, loads = _held(con, table, kind, source)
        if not rows and not loads:
            raise LoadError(_unknown_source(con, table, kind, source))
        con.execute(f"DELETE FROM {table} WHERE source = ?", [source])
        load_ids = "SELECT load_id FROM loads WHERE kind = ? AND source = ?"
        rejects = con.execute(f"SELECT count(*) FROM rejects WHERE load_id IN ({load_ids})", [kind, source]).fetchone()[0]
        con.execute(f"DELETE FROM rejects WHERE load_id IN ({load_ids})", [kind, source])
        con.execute("UPDATE loads SET status = 'removed' WHERE kind = ? AND source = ? AND status IN "
                    "('loaded', 'already_loaded')", [kind, source])
        addresses = 0
        if kind == "reports":
            addresses = address_ids.forget_unused(con)   # rebuilds the licence matches too
        elif kind == "hmo":
            address_matches.rebuild(con)
        filter_values.rebuild(con)
    return Removal(kind, source, int(rows), int(loads), int(rejects), int(addresses))


def _table(kind: str) -> str:
    if kind not in REMOVABLE:
        raise LoadError(f"{kind} cannot be removed by source (use one of {', '.join(REMOVABLE)}); "
                        "load the right boundaries or postcodes file instead: it replaces what is there")
    return REMOVABLE[kind]


def _held(con, table: str, kind: str, source: str) -> tuple[int, int]:
    """(rows, loads) of the source. A file loaded again under another --source is recorded as "already loaded"
    under that name, but its rows are the first source's: such a load alone makes no source to remove."""
    rows = con.execute(f"SELECT count(*) FROM {table} WHERE source = ?", [source]).fetchone()[0]
    loads = con.execute("SELECT count(*) FROM loads WHERE kind = ? AND source = ? AND status = 'loaded'",
                        [kind, source]).fetchone()[0]
    return int(rows), int(loads)


def _unknown_source(con, table: str, kind: str, source: str) -> str:
    """No such source: say which ones there are, since a name typed from memory is easily a letter off."""
    names = [r[0] for r in con.execute(f"SELECT DISTINCT source FROM {table} ORDER BY 1 LIMIT 21").fetchall()]
    if not names:
        return f"no {kind} source {source!r}: the warehouse holds no {kind} at all"
    shown = ", ".join(repr(n) for n in names[:20]) + (" …" if len(names) > 20 else "")
    return f"no {kind} source {source!r} in the warehouse (sources are matched exactly); its {kind} sources: {shown}"
