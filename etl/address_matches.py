"""Which reported addresses are licensed HMOs: kept in `address_matches`, refreshed by every load.

Matching a report to a licence (the rules are in analysis/addresses.py's docstring) joins every
distinct reported address against the whole register. Doing that on each dashboard query cost
seconds at national scale, for an answer that only changes when reports or licences are loaded.
So the loads keep the answer: one row per reported address (`addr_id`, etl/address_ids.py) that
matches a current licence, naming that licence, with the two licence facts the visit list scores
every address on (expiry, maximum occupants). An address with no row matches none.

`group_id` is the same for every address of one licence: the smallest of their addr_ids. A report's
visit-list group is then `coalesce(group_id, addr_id)`, an integer, and no unmatched address can
share it (its own id is not in this table). A reports load gives a licence's new addresses the
group_id the licence already has.

- A reports load adds the matches of the addresses it brought (older addresses cannot have
  changed: the register did not).
- An HMO register load rebuilds the table, since any licence may have started or ended; so do postcodes
  and boundaries loads, which place stored reports and licences again (the rules compare points).
- An address that a corrected report no longer uses keeps its row until then: no report joins it.

SQL text only; the matching rules live in the table macro `address_match_rows`, which migration
0006 also uses to fill the table of an older warehouse.
"""
from __future__ import annotations

import duckdb

from etl import address_keys, vocab

# Best licence per reported address: same full postcode and key; else same full postcode, house number
# and street (etl/address_keys.same_street: "FLAT 2 1 COMMON VIEW" is "1 COMMON VIEW", "1 MILL ROAD" is
# not, though both are number 1 at PE1 0QU); else the key alone when either side has no full postcode,
# provided their points (where both have one) are near: without that, a postcode-less "12 High Street"
# in one town would take the licence of "12 High Street" in another; else, one side without a full
# postcode, the same house number and street with both points very near ("14 LINCOLN ROAD" at the point
# of "14 LINCOLN ROAD PETERBOROUGH", PE1 3JF: the town is what one of them left out). Ties go to the
# latest expiry, then the source and reference, so the answer is the same on every run. An address's
# point is one of its reports' usable points (the least) for the key-only match, and the nearest for the
# number-and-street one: one without a full postcode is placed within one H3 cell (etl/address_ids.py),
# a postcoded one within its postcode.
_MATCH_ROWS = """
    WITH keys AS (          -- pc: the full postcode ("N/A" on both sides is no shared postcode)
        SELECT *, {pc} AS pc FROM (
            SELECT DISTINCT addr_id, addr_key, postcode, house_no FROM reports
            WHERE addr_id IS NOT NULL AND (load_filter IS NULL OR load_id = load_filter))
    ),
    lic AS (
        SELECT source, licence_ref, {pc} AS pc, addr_key, house_no, licence_expiry, max_occupants,
               CASE WHEN location_flag IS NULL THEN lat END AS lat, CASE WHEN location_flag IS NULL THEN lon END AS lon
        FROM hmo_licences
    ),
    by_key AS (             -- the same key, one side without a full postcode: near enough is checked below
        SELECT k.addr_id, k.addr_key, k.postcode, l.source, l.licence_ref, l.licence_expiry, l.max_occupants,
               l.lat, l.lon
        FROM keys k JOIN lic l ON k.addr_key = l.addr_key
        WHERE k.pc IS NULL OR l.pc IS NULL
    ),
    by_key_points AS (      -- one usable point of each such address, the same each run (few: read for those alone)
        SELECT addr_id, min(struct_pack(lat, lon)) AS pt FROM reports
        WHERE addr_id IN (SELECT addr_id FROM by_key) AND lat IS NOT NULL AND lon IS NOT NULL
              AND location_flag IS NULL
        GROUP BY addr_id
    ),
    lic_doors AS (          -- placed licences with a house number an address without a postcode has too
        SELECT *, {lic_words} AS words FROM lic
        WHERE house_no IN (SELECT house_no FROM keys WHERE pc IS NULL) AND lat IS NOT NULL AND lon IS NOT NULL
    ),
    by_door AS (            -- the same house number and street, the report's address without a full postcode
        SELECT k.addr_id, k.addr_key, k.postcode, l.source, l.licence_ref, l.licence_expiry, l.max_occupants,
               l.lat, l.lon
        FROM (SELECT *, {key_words} AS words FROM keys WHERE pc IS NULL AND house_no IS NOT NULL) k
        JOIN lic_doors l ON k.house_no = l.house_no AND split_part(k.words, ' ', 1) = split_part(l.words, ' ', 1)
        WHERE {door_street}
    ),
    candidates AS (
        SELECT k.addr_id, k.addr_key, k.postcode, l.source, l.licence_ref, l.licence_expiry, l.max_occupants, 1 AS how
            FROM keys k JOIN lic l ON k.pc = l.pc AND k.addr_key = l.addr_key
        UNION ALL
        SELECT k.addr_id, k.addr_key, k.postcode, l.source, l.licence_ref, l.licence_expiry, l.max_occupants, 2 AS how
            FROM keys k JOIN lic l ON k.pc = l.pc AND k.house_no = l.house_no
            WHERE k.addr_key = l.addr_key OR {same_street}     -- the same key: no street words to work out
        UNION ALL
        SELECT b.addr_id, b.addr_key, b.postcode, b.source, b.licence_ref, b.licence_expiry, b.max_occupants, 3 AS how
            FROM by_key b LEFT JOIN by_key_points k USING (addr_id)
            WHERE k.pt IS NULL OR b.lat IS NULL OR b.lon IS NULL OR {metres} <= {within}
        UNION ALL
        SELECT DISTINCT d.addr_id, d.addr_key, d.postcode, d.source, d.licence_ref, d.licence_expiry,
                        d.max_occupants, 4 AS how
            FROM by_door d JOIN reports r ON r.addr_id = d.addr_id
            WHERE r.lat IS NOT NULL AND r.lon IS NOT NULL AND r.location_flag IS NULL AND {door_metres} <= {door_within}
    ),
    best AS (
        SELECT addr_id, min(addr_key) AS addr_key, min(postcode) AS postcode,
               arg_min(struct_pack(source, licence_ref, licence_expiry, max_occupants),
                       (how, -coalesce(epoch(licence_expiry), -1e12), source, licence_ref)) AS l
        FROM candidates
        GROUP BY addr_id
    )
    SELECT addr_id, addr_key, postcode, min(addr_id) OVER (PARTITION BY l.source, l.licence_ref) AS group_id,
           l.source AS licence_source, l.licence_ref, l.licence_expiry, l.max_occupants
    FROM best
"""


def register(con: duckdb.DuckDBPyConnection) -> None:
    """The table macro address_match_rows(load_filter): matches for every reported address (NULL), or for
    the addresses of one load's reports (whose group_id is then the smallest among those alone)."""
    table = vocab.load("addresses")
    words = address_keys.street_words
    rows = _MATCH_ROWS.format(pc=address_keys.full_postcode("postcode"),
                              metres=metres_sql("k.pt.lat", "k.pt.lon", "b.lat", "b.lon"),
                              within=float(table["key_only_match_within_metres"]),
                              same_street=address_keys.same_street(words("k.addr_key"), words("l.addr_key")),
                              lic_words=words("addr_key"), key_words=words("addr_key"),
                              door_street=address_keys.same_street("k.words", "l.words"),
                              door_metres=metres_sql("r.lat", "r.lon", "d.lat", "d.lon"),
                              door_within=float(table["door_match_within_metres"]))
    con.execute(f"CREATE OR REPLACE TEMP MACRO address_match_rows(load_filter) AS TABLE {rows}")


def metres_sql(lat1: str, lon1: str, lat2: str, lon2: str) -> str:
    """SQL: the great-circle distance in metres between two points (the spatial extension is not loaded here)."""
    return (f"2 * 6371008.8 * asin(least(1.0, sqrt(pow(sin(radians({lat2} - {lat1}) / 2), 2) + cos(radians({lat1}))"
            f" * cos(radians({lat2})) * pow(sin(radians({lon2} - {lon1}) / 2), 2))))")


def refresh(con: duckdb.DuckDBPyConnection, kind: str, load_id: int) -> None:
    """Bring `address_matches` up to date after a load of `kind` (on the load's private copy).

    A postcodes or boundaries load places the stored reports and licences again (etl/geocode.py
    regeocode_stored): a moved point, or one now flagged outside the force area, changes the matches that
    compare points. It rebuilds the table, as an HMO load does: such loads are rare, and a rebuild costs
    what an HMO load's does, no more than telling which points moved."""
    if kind in ("hmo", "postcodes", "boundaries"):
        rebuild(con)
    elif kind == "reports":
        con.execute("""
            INSERT INTO address_matches
            SELECT n.addr_id, n.addr_key, n.postcode, coalesce(had.group_id, n.group_id), n.licence_source,
                   n.licence_ref, n.licence_expiry, n.max_occupants
            FROM address_match_rows(?) n
            LEFT JOIN (SELECT licence_source, licence_ref, min(group_id) AS group_id FROM address_matches
                       GROUP BY ALL) had USING (licence_source, licence_ref)
            WHERE n.addr_id NOT IN (SELECT addr_id FROM address_matches)
        """, [int(load_id)])


def rebuild(con: duckdb.DuckDBPyConnection) -> None:
    """Match every reported address afresh: after an HMO load (any licence may have started or ended), or
    after retention removed reports. First, a new licence "34 Cherry Hinton Road" shows the stored "Cherry
    Hinton Road" to be a street, no door (etl/address_ids.learn_streets)."""
    from etl import address_ids     # here: address_ids uses this module

    address_ids.learn_streets(con, ["addresses"], ["hmo_licences"])
    con.execute("DELETE FROM address_matches")
    con.execute("INSERT INTO address_matches SELECT * FROM address_match_rows(NULL)")
