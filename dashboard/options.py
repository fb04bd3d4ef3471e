"""What each sidebar filter can offer: the ETL's vocabularies, plus any value the data holds.

Plain SQL over a read-only connection, with no values interpolated; no Streamlit here.
"""
from __future__ import annotations

import duckdb

from dashboard import labels

_TABLES_SQL = ("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
               "AND list_contains(?, table_name)")


def _existing(con: duckdb.DuckDBPyConnection, names: list[str]) -> set[str]:
    return {r[0] for r in con.execute(_TABLES_SQL, [names]).fetchall()}


def _values(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[str]:
    return [str(r[0]) for r in con.execute(sql, params or []).fetchall() if r[0] is not None and str(r[0]).strip()]


def _merge(first: list[str], more: list[str]) -> tuple[str, ...]:
    out = list(first)
    out += sorted(v for v in set(more) if v not in out)
    return tuple(out)


def filter_options(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, ...]]:
    """Stored values for every multi-select, vocabulary order first, then anything else the data holds."""
    have = _existing(con, ["reports", "cases", "hmo_licences"])
    districts, exploitation, indicators, sources, nationalities = [], [], [], [], []
    if "reports" in have:
        districts += _values(con, "SELECT DISTINCT district_code FROM reports")
        exploitation += _values(con, "SELECT DISTINCT exploitation_type FROM reports")
        indicators += _values(con, "SELECT DISTINCT unnest(indicators) FROM reports")
        sources += _values(con, "SELECT DISTINCT source_type FROM reports")
        nationalities += _values(con, "SELECT DISTINCT unnest(nationalities) FROM reports")
    if "cases" in have:
        districts += _values(con, "SELECT DISTINCT district_code FROM cases")
        exploitation += _values(con, "SELECT DISTINCT exploitation_type FROM cases")
        nationalities += _values(con, "SELECT DISTINCT nationality FROM cases")
    if "hmo_licences" in have:
        districts += _values(con, "SELECT DISTINCT district_code FROM hmo_licences")
    return {
        "districts": _merge(list(labels.districts()), districts),
        "exploitation_types": _merge(labels.exploitation_types(), exploitation),
        "indicators": _merge(list(labels.indicators()), indicators),
        "source_types": _merge(list(labels.SOURCE_TYPES), sources),
        # Only the nationalities the data holds (the vocabulary lists 25), A to Z, "Unknown" last.
        "nationalities": tuple(sorted(set(nationalities), key=lambda n: (n == "Unknown", n))),
    }
