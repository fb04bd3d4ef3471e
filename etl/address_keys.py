"""The normalised address key and house number that match reports to HMO licences (analysis/addresses.py).

Computed once at load time into `addr_key` and `house_no` on reports and licences (migration 0003),
so the visit list and the map match addresses with hash joins instead of running these regular
expressions over every report and licence on each query. SQL text only: values stay in the tables.
"""
from __future__ import annotations

import duckdb

# A UK postcode at the very end of an address, with what separates it from the rest.
_TRAILING_POSTCODE = r"(^|[^\pL\pN])[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}[^\pL\pN]*$"
_NOT_ALNUM = r"[^\pL\pN]+"


def address_key(col: str) -> str:
    """SQL: the normalised address used to group reports and match licences."""
    return (f"trim(regexp_replace(regexp_replace(upper(coalesce({col}, '')), '{_TRAILING_POSTCODE}', ''),"
            f" '{_NOT_ALNUM}', ' ', 'g'))")


def house_number(key_sql: str) -> str:
    """SQL: the house number in a normalised address: the number before a street word, else the first one.

    "FLAT 2 14 MILL LANE" gives 14; "12A MILL LANE" gives 12A; "MILL FARM" gives NULL.
    """
    return (f"coalesce(nullif(regexp_extract({key_sql}, '\\b([0-9]+[A-Z]?) \\pL', 1), ''),"
            f" nullif(regexp_extract({key_sql}, '\\b([0-9]+[A-Z]?)\\b', 1), ''))")


def register(con: duckdb.DuckDBPyConnection) -> None:
    """Macros address_key(address) and house_number(key), for migrations and loaders."""
    con.execute(f"CREATE OR REPLACE TEMP MACRO address_key(s) AS {address_key('s')}")
    con.execute(f"CREATE OR REPLACE TEMP MACRO house_number(k) AS {house_number('k')}")
