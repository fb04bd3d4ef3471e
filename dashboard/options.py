"""What each sidebar filter can offer: the ETL's vocabularies, plus any value the data holds.

Plain SQL over a read-only connection, with no values interpolated; no Streamlit here.
"""
from __future__ import annotations

import duckdb

from analysis import placing
from analysis.filters import NO_DISTRICT
from dashboard import labels

_TABLES_SQL = ("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
               "AND list_contains(?, table_name)")


def _existing(con: duckdb.DuckDBPyConnection, names: list[str]) -> set[str]:
    return {r[0] for r in con.execute(_TABLES_SQL, [names]).fetchall()}


def _merge(first: list[str], more: list[str]) -> tuple[str, ...]:
    out = list(first)
    out += sorted(v for v in set(more) if v not in out)
    return tuple(out)


def filter_options(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, ...]]:
    """Stored values for every multi-select, vocabulary order first, then anything else the data holds.

    The loads keep the values the data holds in `filter_values` (etl/filter_values.py), so this is
    one small read rather than a scan of every report."""
    held: dict[str, list[str]] = {kind: [] for kind in ("district", "exploitation", "indicator", "source_type",
                                                         "nationality")}
    if _existing(con, ["filter_values"]):
        for kind, value in con.execute("SELECT kind, value FROM filter_values ORDER BY kind, value").fetchall():
            if kind in held and value is not None and str(value).strip():
                held[kind].append(str(value))
    # A district no row can be placed in (no boundary loaded for it, nor, without boundaries, a postcode lookup naming
    # it) would show nothing, as if quiet: only the districts rows can be in, and the rows in none, are offered.
    placeable = placing.reference(con).districts
    six = [code for code in labels.districts() if code in placeable]
    return {
        # Last, the choice of rows in no district (not geocoded, or flagged): the Data page counts them.
        "districts": (*_merge(six, held["district"]), NO_DISTRICT),
        "exploitation_types": _merge(labels.exploitation_types(), held["exploitation"]),
        "indicators": _merge(list(labels.indicators()), held["indicator"]),
        "source_types": _merge(list(labels.SOURCE_TYPES), held["source_type"]),
        # Only the nationalities the data holds (the vocabulary lists 25), A to Z, "Unknown" last.
        "nationalities": tuple(sorted(set(held["nationality"]), key=lambda n: (n == "Unknown", n))),
    }
