"""References for reports that come without one: police.uk's anti-social behaviour rows, a web form's export.

A reload must find such a report again, or the same incident is counted twice. So its reference is
made from what the report says, as parsed and stored (`IDENTITY`), never from the file's cells: the
same month of police.uk saved from Excel as XLSX, or exported with its columns in another order, has
other cells but the same reports. Columns we do not store ("Falls within", "LSOA name") take no part.

Identical reports may be separate incidents (police.uk publishes many such rows), so each copy is
numbered in file order: 'auto-<12 hex digits>-<copy>'. A file's point is part of a report's identity
only when it has no postcode: the postcode then says where it is, and a point from the file can give
way to the postcode's (a coarse grid reference does), which the stored row could not tell apart.

The same macro rewrote the references stored before it existed (migration 0012), from stored columns.
"""
from __future__ import annotations

import duckdb

# The stored report columns that make a report's identity, in hashing order. Never reorder: stored
# references were made in this order.
IDENTITY = ("received_on", "address", "postcode", "point_lat", "point_lon", "indicators_text", "people_count",
            "grading", "summary")

PREFIX = "auto-"


def register(con: duckdb.DuckDBPyConnection) -> None:
    """Define report_identity(...): the hash part of an automatic reference, from `IDENTITY`'s values."""
    parts = ", ".join(f"coalesce(CAST({c} AS VARCHAR), '')" for c in IDENTITY)
    con.execute(f"CREATE OR REPLACE TEMP MACRO report_identity({', '.join(IDENTITY)}) AS "
                f"'{PREFIX}' || left(md5(concat_ws('|', {parts})), 12)")


def identity_call(table: str, point_known: str) -> str:
    """SQL: report_identity(...) over the columns of `table` (a parsed or stored report); `point_known`
    is SQL saying whether its lat/lon are the file's own."""
    point = lambda axis: f"CASE WHEN {table}.postcode IS NULL AND {point_known} THEN {table}.{axis} END"  # noqa: E731
    values = {"point_lat": point("lat"), "point_lon": point("lon")}
    return f"report_identity({', '.join(values.get(c, f'{table}.{c}') for c in IDENTITY)})"


def assign(con: duckdb.DuckDBPyConnection) -> int:
    """Give the valid rows of the temp table `parsed` that have no reference their automatic one; return
    how many. While parsing, lat/lon are the file's own point (geocoding comes later)."""
    missing = con.execute("SELECT count(*) FROM parsed WHERE report_ref IS NULL AND reason IS NULL").fetchone()[0]
    if missing:
        register(con)
        identity = identity_call("p", "true")
        con.execute(f"""
            UPDATE parsed SET report_ref = a.ref
            FROM (SELECT row_number, id || '-' || row_number() OVER (PARTITION BY id ORDER BY row_number) AS ref
                  FROM (SELECT p.row_number, {identity} AS id FROM parsed p
                        WHERE p.report_ref IS NULL AND p.reason IS NULL)) a
            WHERE parsed.row_number = a.row_number
        """)
    return int(missing)


def match_earlier_forms(con: duckdb.DuckDBPyConnection, source: str) -> list[tuple[str, str]]:
    """Give each reference of the temp table `incoming` that an earlier load of `source` stored in another
    form that form; return the (as given, as stored) pairs.

    A re-export may write an earlier load's references differently: Excel drops the zeros of '00345', and
    another system writes 'pr-0001' or 'PR 0001' for 'PR-0001'. Taken as new, each would be a second copy of
    its report, counted twice on every page. A reference with no exact match among the source's stored
    reports takes the stored form of the one stored reference that differs from it only so (`ref_key`:
    case, spaces and punctuation, a number's leading zeros), when that form is not in the file itself and
    no other reference in the file claims it. Automatic references are exact by design and left alone.
    """
    if not con.execute("SELECT count(*) > 0 FROM reports WHERE source = ?", [source]).fetchone()[0]:
        return []
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE ref_forms AS
        WITH given AS (SELECT DISTINCT report_ref FROM incoming i
                       WHERE NOT starts_with(report_ref, '{PREFIX}')
                         AND NOT EXISTS (SELECT 1 FROM reports t WHERE t.source = ? AND t.report_ref = i.report_ref)),
             stored AS (SELECT DISTINCT report_ref FROM reports t
                        WHERE t.source = ? AND NOT starts_with(report_ref, '{PREFIX}')
                          AND NOT EXISTS (SELECT 1 FROM incoming i WHERE i.report_ref = t.report_ref)),
             pairs AS (SELECT g.report_ref AS given, s.report_ref AS stored
                       FROM given g JOIN stored s ON ref_key(g.report_ref) = ref_key(s.report_ref))
        SELECT * FROM pairs
        WHERE given IN (SELECT given FROM pairs GROUP BY 1 HAVING count(*) = 1)
          AND stored IN (SELECT stored FROM pairs GROUP BY 1 HAVING count(*) = 1)
    """, [source, source])
    pairs = con.execute("SELECT given, stored FROM ref_forms ORDER BY given").fetchall()
    if pairs:
        con.execute("UPDATE incoming SET report_ref = f.stored FROM ref_forms f WHERE incoming.report_ref = f.given")
    con.execute("DROP TABLE ref_forms")
    return pairs
