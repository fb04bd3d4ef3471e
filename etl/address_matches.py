"""Which reported addresses are licensed HMOs: kept in `address_matches`, refreshed by every load.

Matching a report to a licence (the rules are in analysis/addresses.py's docstring) joins every
distinct reported address against the whole register. Doing that on each dashboard query cost
seconds at national scale, for an answer that only changes when reports or licences are loaded.
So the loads keep the answer: one row per distinct (addr_key, postcode) of reports that matches a
current licence, naming that licence. An address with no row matches none.

- A reports load adds the matches of the addresses it brought (older addresses cannot have
  changed: the register did not).
- An HMO register load rebuilds the table, since any licence may have started or ended.
- An address that a corrected report no longer uses keeps its row until then: no report joins it.

SQL text only; the matching rules live in the table macro `address_match_rows`, which migration
0004 also uses to fill the table of an older warehouse.
"""
from __future__ import annotations

import duckdb

# Best licence per reported address: same postcode and key, else same postcode and house number,
# else the key alone when either side has no postcode; ties go to the latest expiry, then the
# source and reference, so the answer is the same on every run.
_MATCH_ROWS = """
    WITH keys AS (
        SELECT DISTINCT addr_key, postcode, house_no FROM reports
        WHERE addr_key <> '' AND (load_filter IS NULL OR load_id = load_filter)
    ),
    lic AS (
        SELECT source, licence_ref, postcode, addr_key, house_no, licence_expiry FROM hmo_licences
    ),
    candidates AS (
        SELECT k.addr_key, k.postcode, l.source, l.licence_ref, l.licence_expiry, 1 AS how
            FROM keys k JOIN lic l ON k.postcode = l.postcode AND k.addr_key = l.addr_key
        UNION ALL
        SELECT k.addr_key, k.postcode, l.source, l.licence_ref, l.licence_expiry, 2 AS how
            FROM keys k JOIN lic l ON k.postcode = l.postcode AND k.house_no = l.house_no
        UNION ALL
        SELECT k.addr_key, k.postcode, l.source, l.licence_ref, l.licence_expiry, 3 AS how
            FROM keys k JOIN lic l ON k.addr_key = l.addr_key
            WHERE k.postcode IS NULL OR l.postcode IS NULL
    )
    SELECT addr_key, postcode, arg_min(source, (how, -coalesce(epoch(licence_expiry), -1e12), source, licence_ref))
               AS licence_source,
           arg_min(licence_ref, (how, -coalesce(epoch(licence_expiry), -1e12), source, licence_ref)) AS licence_ref
    FROM candidates
    GROUP BY addr_key, postcode
"""


def register(con: duckdb.DuckDBPyConnection) -> None:
    """The table macro address_match_rows(load_filter): matches for every reported address (NULL), or for
    the addresses of one load's reports."""
    con.execute(f"CREATE OR REPLACE TEMP MACRO address_match_rows(load_filter) AS TABLE {_MATCH_ROWS}")


def refresh(con: duckdb.DuckDBPyConnection, kind: str, load_id: int) -> None:
    """Bring `address_matches` up to date after a load of `kind` (inside the load's transaction)."""
    if kind == "hmo":
        con.execute("DELETE FROM address_matches")
        con.execute("INSERT INTO address_matches SELECT * FROM address_match_rows(NULL)")
    elif kind == "reports":
        con.execute("""
            INSERT INTO address_matches
            SELECT n.* FROM address_match_rows(?) n
            WHERE NOT EXISTS (SELECT 1 FROM address_matches m
                              WHERE m.addr_key = n.addr_key AND m.postcode IS NOT DISTINCT FROM n.postcode)
        """, [int(load_id)])
