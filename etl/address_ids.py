"""Integer ids for reported addresses, assigned as reports are loaded (table `addresses`).

The visit list and the map group hundreds of thousands of reports by address on every query, and
join them to `address_matches`. Keyed by two strings (normalised address and postcode) that costs
several times what it costs keyed by one integer, so each distinct (addr_key, postcode) gets an id
once, here, and every report stores its `addr_id`. A report without an address has none.

Ids are never reused or removed: an address no report uses any more keeps its id, and a report that
names it again gets the same one. SQL text only; the load's transaction holds it all.
"""
from __future__ import annotations

import duckdb

# The incoming reports with their address ids: what the reports loader stores.
INCOMING = "incoming_with_addr_ids"


def assign(con: duckdb.DuckDBPyConnection) -> str:
    """Give every new address in the temp table `incoming` an id; return the name of a view of `incoming`
    with an `addr_id` column."""
    con.execute("""
        INSERT INTO addresses
        SELECT (SELECT coalesce(max(addr_id), 0) FROM addresses) + row_number() OVER (), n.addr_key, n.postcode
        FROM (SELECT DISTINCT addr_key, postcode FROM incoming WHERE addr_key <> '') n
        ANTI JOIN addresses a ON a.addr_key = n.addr_key AND a.postcode IS NOT DISTINCT FROM n.postcode
    """)
    con.execute(f"""
        CREATE OR REPLACE TEMP VIEW {INCOMING} AS
        SELECT i.*, a.addr_id FROM incoming i
        LEFT JOIN addresses a ON a.addr_key = i.addr_key AND a.postcode IS NOT DISTINCT FROM i.postcode
    """)
    return INCOMING
