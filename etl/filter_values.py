"""The values the dashboard's filters offer (districts, indicators, nationalities...), kept by every load.

Listing them means a DISTINCT over every report, case and licence, lists unnested: seconds at
national scale, paid by the first page of every new version of the warehouse before it shows
anything. The answer only grows when rows are loaded, so the loads keep it in `filter_values`:

- a reports, cases or HMO load adds the values its own rows bring;
- a postcodes or boundaries load can move rows to other districts, so it lists everything afresh.

A value no row holds any more after a corrected file stays offered; choosing it shows nothing.
Retention deletes rows, so it lists everything afresh (`rebuild`): a value seen only in deleted
reports or cases is not kept.
SQL text only; the table macro `filter_value_rows` is also what migration 0005 fills the table with.
"""
from __future__ import annotations

import duckdb

# kind → (table, SQL of the value), every place a filter's values come from.
_PLACES = {
    "district": [("reports", "district_code"), ("cases", "district_code"), ("hmo_licence_history", "district_code")],
    "exploitation": [("reports", "exploitation_type"), ("cases", "exploitation_type")],
    "indicator": [("reports", "unnest(indicators)")],
    "source_type": [("reports", "source_type")],
    "nationality": [("reports", "unnest(nationalities)"), ("cases", "nationality")],
}
KINDS = tuple(_PLACES)
_REFRESH_ALL = ("postcodes", "boundaries")


def _rows_sql() -> str:
    parts = [f"SELECT DISTINCT '{kind}' AS kind, CAST({value} AS VARCHAR) AS value FROM {table} "
             f"WHERE load_filter IS NULL OR load_id = load_filter"
             for kind, places in _PLACES.items() for table, value in places]
    return ("SELECT DISTINCT kind, value FROM (" + " UNION ALL ".join(parts) + ") "
            "WHERE value IS NOT NULL AND trim(value) <> ''")


def register(con: duckdb.DuckDBPyConnection) -> None:
    """The table macro filter_value_rows(load_filter): every value (NULL), or those of one load's rows."""
    con.execute(f"CREATE OR REPLACE TEMP MACRO filter_value_rows(load_filter) AS TABLE {_rows_sql()}")


def refresh(con: duckdb.DuckDBPyConnection, kind: str, load_id: int) -> None:
    """Bring `filter_values` up to date after a load of `kind` (on the load's private copy)."""
    if kind in _REFRESH_ALL:
        rebuild(con)
        return
    con.execute("""
        INSERT INTO filter_values
        SELECT n.* FROM filter_value_rows(?) n
        WHERE NOT EXISTS (SELECT 1 FROM filter_values v WHERE v.kind = n.kind AND v.value = n.value)
    """, [int(load_id)])


def rebuild(con: duckdb.DuckDBPyConnection) -> None:
    """List every value afresh, from the rows the warehouse holds now."""
    con.execute("DELETE FROM filter_values")
    con.execute("INSERT INTO filter_values SELECT * FROM filter_value_rows(NULL)")
