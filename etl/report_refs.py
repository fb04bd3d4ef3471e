"""References for reports that come without one: police.uk's anti-social behaviour rows, a web form's export.

A reload must find such a report again, or the same incident is counted twice. So its reference is
made from what the report says, as parsed and stored (`IDENTITY`), never from the file's cells: the
same month of police.uk saved from Excel as XLSX, or exported with its columns in another order, has
other cells but the same reports. Columns we do not store ("Falls within", "LSOA name") take no part.

Identical reports may be separate incidents (police.uk publishes many such rows), so each copy is
numbered in file order: 'auto-<12 hex digits>-<copy>'. The load summary counts the copies and names
their rows beside the first (`repeated_rows`): a block pasted twice into a file reads the same way.
A file's point is part of a report's identity only when it has no postcode: the postcode then says where
it is, and a point from the file can give way to the postcode's (a coarse grid reference does), which the
stored row could not tell apart.

The same macro rewrote the references stored before it existed (migration 0012), from stored columns.

A reference of the file's own may name several addresses: police systems export one row per address of a
report, each with the report's reference. Each address is kept, as a part of its report numbered in file
order: the first under the reference itself, the others as 'INT-77 (address 2)', … (`number_addresses`).
Rows of one reference at one address are versions of one row, and collapse into the last as before.
"""
from __future__ import annotations

import duckdb

# The stored report columns that make a report's identity, in hashing order. Never reorder: stored
# references were made in this order.
IDENTITY = ("received_on", "address", "postcode", "point_lat", "point_lon", "indicators_text", "people_count",
            "grading", "summary")

PREFIX = "auto-"
# A part of a report after its first address: the reference, then this with the part's number.
PART = " (address {})"
PART_RE = r"^(.*) \(address ([0-9]+)\)$"


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


def repeated_rows(con: duckdb.DuckDBPyConnection) -> str | None:
    """Say which valid rows of the temp table `parsed` without a reference of their own are identical to an
    earlier row of the file (`assign` numbered them its second copy and on), or None.

    They are kept: two sightings can read alike, and police.uk publishes such rows as separate crimes. But a
    block of a file pasted twice reads the same way, and doubles those reports on every count without a word:
    counted and named, the analyst can tell. Set-wise: only the copies are joined to their first row."""
    first = f"left(report_ref, {len(PREFIX) + 12}) || '-1'"
    copies = f"starts_with(report_ref, '{PREFIX}') AND NOT suffix(report_ref, '-1') AND reason IS NULL"
    n = con.execute(f"SELECT count(*) FROM parsed WHERE {copies}").fetchone()[0]
    if not n:
        return None
    pairs = con.execute(f"""
        SELECT c.row_number, o.row_number FROM (SELECT row_number, {first} AS first FROM parsed WHERE {copies}) c
        JOIN parsed o ON o.report_ref = c.first
        ORDER BY c.row_number LIMIT 7""").fetchall()
    more = " …" if n > 6 else ""
    rows, earlier = (", ".join(str(p[i]) for p in pairs[:6]) for i in (0, 1))
    return (f"{n:,} row(s) identical to an earlier row of the file (the same date, place, indicators, people seen, "
            f"grading and text), with no reference to tell them apart: row(s) {rows}{more} repeat row(s) "
            f"{earlier}{more}; kept as separate reports, as two sightings can read alike. If a block of the file "
            "was pasted twice, remove the copy and load the file again")


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


def _place(table: str) -> str:
    """SQL: where a row of `table` (parsed) says the report is, as compared between its rows: the address as
    `address_key` spells it ('12 Mill Rd' and '12 MILL ROAD.' are one), with its postcode ('12 Mill Road' of
    Cambridge and of Huntingdon are two), and the file's point only when both are missing."""
    return (f"concat_ws('|', nullif({table}.addr_key, ''), {table}.postcode, CASE WHEN nullif({table}.addr_key, '') "
            f"IS NULL AND {table}.postcode IS NULL THEN concat_ws(',', {table}.lat, {table}.lon) END)")


def register_parts(con: duckdb.DuckDBPyConnection) -> None:
    """Define ref_base(ref) and ref_part(ref): a part's reference split into its report's and its number (1 for
    any other reference). The LIKE first: almost no reference is a part, and it is cheaper than the expression."""
    con.execute(f"CREATE OR REPLACE TEMP MACRO ref_base(r) AS CASE WHEN r LIKE '% (address %)' "
                f"THEN coalesce(nullif(regexp_extract(r, '{PART_RE}', 1), ''), r) ELSE r END")
    con.execute(f"CREATE OR REPLACE TEMP MACRO ref_part(r) AS CASE WHEN r LIKE '% (address %)' "
                f"THEN coalesce(TRY_CAST(nullif(regexp_extract(r, '{PART_RE}', 2), '') AS INTEGER), 1) ELSE 1 END")


def number_addresses(con: duckdb.DuckDBPyConnection) -> tuple[int, int, list[str]]:
    """Give each address after the first of a reference of the temp table `parsed` its part's reference,
    numbered in file order, and record in its `_ref_parts` column how many addresses the file gives that
    reference (NULL: one), which `drop_stale_parts` reads. Return how many such parts the valid rows make, of
    how many reports, and the references of the first such report (an example for the summary).

    Rejected rows are numbered too: a row rejected now keeps its part's number, so the valid rows' parts keep
    theirs, and the part an earlier load stored for it stays until the row is fixed. Only repeated references
    are looked at, found by a narrow GROUP BY: a big file's references are almost all single."""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE ref_parts AS
        WITH repeated AS (SELECT report_ref FROM parsed WHERE report_ref IS NOT NULL GROUP BY 1 HAVING count(*) > 1),
             places AS (SELECT report_ref, {_place('p')} AS place, min(row_number) AS first_row
                        FROM parsed p SEMI JOIN repeated USING (report_ref) GROUP BY 1, 2)
        SELECT * FROM (SELECT report_ref, place, row_number() OVER (PARTITION BY report_ref ORDER BY first_row) AS part,
                              count(*) OVER (PARTITION BY report_ref) AS parts FROM places)
        WHERE parts > 1
    """)
    if not con.execute("SELECT count(*) FROM ref_parts").fetchone()[0]:
        con.execute("DROP TABLE ref_parts")
        return 0, 0, []
    con.execute(f"""
        UPDATE parsed SET _ref_parts = r.parts,
               report_ref = CASE WHEN r.part = 1 THEN parsed.report_ref
                                 ELSE parsed.report_ref || format('{PART}', r.part) END
        FROM ref_parts r
        WHERE parsed.report_ref = r.report_ref AND {_place('parsed')} = r.place
    """)
    con.execute("DROP TABLE ref_parts")
    register_parts(con)
    parts, reports = con.execute("SELECT count(DISTINCT report_ref), count(DISTINCT ref_base(report_ref)) FROM parsed "
                                 "WHERE reason IS NULL AND _ref_parts IS NOT NULL").fetchone()
    example = [r for (r,) in con.execute("""
        SELECT DISTINCT report_ref FROM parsed WHERE reason IS NULL AND ref_base(report_ref) = (
            SELECT ref_base(report_ref) FROM parsed WHERE reason IS NULL AND _ref_parts IS NOT NULL
            ORDER BY row_number LIMIT 1)
        ORDER BY ref_part(report_ref)""").fetchall()] if parts else []
    return int(parts), int(reports), example


def drop_stale_parts(con: duckdb.DuckDBPyConnection, source: str) -> tuple[int, list[str]]:
    """Delete the stored parts of the source's reports to which the temp table `incoming` gives fewer addresses
    now; return how many, and a few of their references.

    A reference in a file is its report as it stands: a later file giving 'INT-77' one address corrects the
    report, and its addresses 2 and 3 stored before would otherwise stay on the map as if still reported.
    Run after `match_earlier_forms`, so that the references compared are in their stored form."""
    register_parts(con)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE stale_parts AS
        WITH stored AS (SELECT report_ref, ref_base(report_ref) AS base, ref_part(report_ref) AS part FROM reports
                        WHERE source = ? AND report_ref LIKE '% (address %)'),
             given AS (SELECT ref_base(report_ref) AS base, coalesce(max(_ref_parts), 1) AS parts FROM incoming
                       WHERE NOT starts_with(report_ref, '{PREFIX}') AND ref_base(report_ref) IN (SELECT base FROM stored)
                       GROUP BY 1)
        SELECT s.report_ref FROM stored s JOIN given g ON g.base = s.base WHERE s.part > g.parts
    """, [source])
    n = con.execute("SELECT count(*) FROM stale_parts").fetchone()[0]
    refs = [r for (r,) in con.execute("SELECT report_ref FROM stale_parts ORDER BY 1 LIMIT 4").fetchall()]
    if n:
        con.execute("DELETE FROM reports WHERE source = ? AND report_ref IN (SELECT report_ref FROM stale_parts)",
                    [source])
    con.execute("DROP TABLE stale_parts")
    return int(n), refs
