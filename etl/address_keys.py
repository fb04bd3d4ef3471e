"""The normalised address key and house number that match reports to HMO licences (analysis/addresses.py).

Computed once at load time into `addr_key` and `house_no` on reports and licences (migration 0003),
so the visit list and the map match addresses with hash joins instead of running these regular
expressions over every report and licence on each query. SQL text only: values stay in the tables.
"""
from __future__ import annotations

import re
from functools import cache

import duckdb

from etl import vocab

# A UK postcode at the very end of an address, with what separates it from the rest.
_TRAILING_POSTCODE = r"(^|[^\pL\pN])[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}[^\pL\pN]*$"
_NOT_ALNUM = r"[^\pL\pN]+"
_FULL_POSTCODE = r"[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}"


@cache
def not_an_address() -> str:
    """A regular expression matching the whole of a normalised address that names no door
    (etl/vocab/addresses.toml: "NO LOCATION", "UNKNOWN", "N A" ..., or a street-level "ON OR NEAR ...")."""
    table = vocab.load("addresses")
    words = sorted(table["not_addresses"], key=len, reverse=True)
    prefixes = sorted(table.get("street_level_prefixes", []), key=len, reverse=True)
    whole = "|".join(re.escape(w) for w in words)
    if prefixes:
        whole += "|(" + "|".join(re.escape(p) for p in prefixes) + ")( .*)?"
    return "^(" + whole + ")$"


def _not_an_address_sql() -> str:
    """`not_an_address()` as an SQL string literal."""
    return "'" + not_an_address().replace("'", "''") + "'"


def address_key(col: str) -> str:
    """SQL: the normalised address used to group reports and match licences; '' (no address) for one
    that names no place."""
    # NFC first: a Mac or a web form may save "Š" as S plus a combining caron, which the punctuation rule
    # below would turn into "S " and a second door.
    return (f"regexp_replace(trim(regexp_replace(regexp_replace(upper(nfc_normalize(coalesce({col}, ''))), "
            f"'{_TRAILING_POSTCODE}', ''),"
            f" '{_NOT_ALNUM}', ' ', 'g')), {_not_an_address_sql()}, '')")


def full_postcode(col: str) -> str:
    """SQL: a stored postcode (`col`) when it is a full one, else NULL.

    The loaders store a full postcode normalised ("PE13 1AB"), and anything else a postcode column
    held upper-cased as given: an outward code ("PE13"), or "N/A", "TBC", "UNKNOWN". Such a value
    names no door: two reports both saying "N/A" are not at the same postcode.
    """
    return f"CASE WHEN regexp_full_match({col}, '{_FULL_POSTCODE}') THEN {col} END"


def house_number(key_sql: str) -> str:
    """SQL: the house number in a normalised address: the number before a street word, else the first one.

    "FLAT 2 14 MILL LANE" gives 14; "12A MILL LANE" gives 12A; "MILL FARM" gives NULL.
    """
    return (f"coalesce(nullif(regexp_extract({key_sql}, '\\b([0-9]+[A-Z]?) \\pL', 1), ''),"
            f" nullif(regexp_extract({key_sql}, '\\b([0-9]+[A-Z]?)\\b', 1), ''))")


def register(con: duckdb.DuckDBPyConnection) -> None:
    """Macros address_key(address), house_number(key), names_no_place(key) and full_postcode(postcode), for
    migrations and loaders."""
    con.execute(f"CREATE OR REPLACE TEMP MACRO address_key(s) AS {address_key('s')}")
    con.execute(f"CREATE OR REPLACE TEMP MACRO house_number(k) AS {house_number('k')}")
    con.execute(f"CREATE OR REPLACE TEMP MACRO names_no_place(k) AS regexp_full_match(k, {_not_an_address_sql()})")
    con.execute(f"CREATE OR REPLACE TEMP MACRO full_postcode(p) AS {full_postcode('p')}")
