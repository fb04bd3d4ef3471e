"""Read-only queries behind the dashboard. No Streamlit here, so tests and other tools can call them.

Every function opens its own read-only connection and closes it before returning: an analyst's
load swaps a new warehouse file in with a rename (see `etl.warehouse`), and a page that held a
connection open would keep showing the old file.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import duckdb

from etl.config import warehouse_path
from etl.warehouse import Warehouse, WarehouseError

__all__ = ["COUNTED_TABLES", "MissingTable", "SourceLoad", "WarehouseError", "missing_tables", "is_synthetic",
           "resolve_path", "row_counts", "counts", "source_loads", "warehouse_exists"]

# Table (or view) -> what one row is, in the words the page uses.
COUNTED_TABLES: dict[str, str] = {
    "hmo_licences": "HMO licences (latest registers)",
    "reports": "Intelligence reports",
    "cases": "People in victim cases",
    "boundaries": "Boundaries",
    "postcodes": "Postcodes",
}
REQUIRED_TABLES = ("meta", "loads", *COUNTED_TABLES)


class MissingTable(WarehouseError):
    """The file is there but a table is not: an older or half-initialised warehouse."""

    def __init__(self, table: str):
        self.table = table
        super().__init__(f"the warehouse has no `{table}` table: run `python -m etl init` to bring it up to date")


@dataclass(frozen=True)
class SourceLoad:
    """The latest successful load of one source of one kind."""
    kind: str
    source: str
    file_name: str
    last_load: dt.datetime | None
    rows_loaded: int
    rows_rejected: int
    rows_ungeocoded: int
    failed_since: int  # failed attempts after that load, which left the data as it was


def resolve_path(path: str | os.PathLike | None = None) -> Path:
    """`path`, else $HOTSPOTS_DB, else data/hotspots.duckdb (read at call time, never cached)."""
    return warehouse_path(path)


def warehouse_exists(path: str | os.PathLike | None = None) -> bool:
    return Warehouse(resolve_path(path)).exists()


@contextlib.contextmanager
def _read(path: str | os.PathLike | None) -> Iterator[duckdb.DuckDBPyConnection]:
    con = Warehouse(resolve_path(path)).connect_read_only()
    try:
        yield con
    finally:
        con.close()


def _existing(con: duckdb.DuckDBPyConnection, names: tuple[str, ...] | list[str]) -> set[str]:
    rows = con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' AND list_contains(?, table_name)",
        [list(names)],
    ).fetchall()
    return {r[0] for r in rows}


def missing_tables(path: str | os.PathLike | None = None) -> list[str]:
    """The tables the page reads that this warehouse lacks, in a stable order."""
    with _read(path) as con:
        have = _existing(con, REQUIRED_TABLES)
    return [t for t in REQUIRED_TABLES if t not in have]


def is_synthetic(path: str | os.PathLike | None = None) -> bool:
    """True when `meta` says the warehouse was built from made-up data (`python -m etl demo`)."""
    with _read(path) as con:
        if "meta" not in _existing(con, ["meta"]):
            raise MissingTable("meta")
        row = con.execute("SELECT value FROM meta WHERE key = ?", ["synthetic"]).fetchone()
    return row is not None and str(row[0]).strip().lower() == "true"


def source_loads(path: str | os.PathLike | None = None) -> list[SourceLoad]:
    """One row per (kind, source) that has loaded successfully, from its latest successful load."""
    with _read(path) as con:
        if "loads" not in _existing(con, ["loads"]):
            raise MissingTable("loads")
        rows = con.execute(
            """
            WITH latest AS (
                SELECT *, row_number() OVER (PARTITION BY kind, source ORDER BY load_id DESC) AS n
                FROM loads WHERE status = ?
            )
            SELECT l.kind, l.source, l.file_name, coalesce(l.finished_at, l.started_at),
                   coalesce(l.rows_loaded, 0), coalesce(l.rows_rejected, 0), coalesce(l.rows_ungeocoded, 0),
                   (SELECT count(*) FROM loads f
                     WHERE f.kind = l.kind AND f.source = l.source AND f.status = ? AND f.load_id > l.load_id)
            FROM latest l WHERE n = 1
            ORDER BY l.kind, l.source
            """,
            ["loaded", "failed"],
        ).fetchall()
    return [SourceLoad(*r) for r in rows]


def row_counts(path: str | os.PathLike | None = None) -> dict[str, int | None]:
    """Rows in each counted table; None for a table this warehouse lacks."""
    with _read(path) as con:
        return counts(con)


def counts(con: duckdb.DuckDBPyConnection) -> dict[str, int | None]:
    """`row_counts` over an open connection (the dashboard's pinned version of the file)."""
    have = _existing(con, list(COUNTED_TABLES))
    out: dict[str, int | None] = {}
    for table in COUNTED_TABLES:  # names come from the constant above, never from input
        out[table] = con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] if table in have else None
    return out
