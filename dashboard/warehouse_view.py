"""The Data page's row counts. No Streamlit here: the page asks for them as the `row_counts` query
(dashboard/connection.py), so they are read from the same pinned version of the file as the rest of
the page, and tests call `counts` on a connection of their own.
"""
from __future__ import annotations

import duckdb

__all__ = ["COUNTED_TABLES", "counts"]

# Table (or view) -> what one row is, in the words the page uses.
COUNTED_TABLES: dict[str, str] = {
    "hmo_licences": "HMO licences (latest registers)",
    "reports": "Intelligence reports",
    "cases": "People in victim cases",
    "boundaries": "Boundaries",
    "postcodes": "Postcodes",
}


def _existing(con: duckdb.DuckDBPyConnection, names: tuple[str, ...] | list[str]) -> set[str]:
    rows = con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' AND list_contains(?, table_name)",
        [list(names)],
    ).fetchall()
    return {r[0] for r in rows}


def counts(con: duckdb.DuckDBPyConnection) -> dict[str, int | None]:
    """Rows in each counted table; None for a table this warehouse lacks (an older or half-made one), which
    the page shows as "missing" rather than failing."""
    have = _existing(con, list(COUNTED_TABLES))
    out: dict[str, int | None] = {}
    for table in COUNTED_TABLES:  # names come from the constant above, never from input
        out[table] = con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] if table in have else None
    return out
