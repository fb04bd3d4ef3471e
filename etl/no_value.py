"""The SQL macro given(cell): the cell, or NULL when it says in words that there is no value (etl/vocab/no_value.toml).

Partners fill a cell they cannot answer with "N/A", "-" or "TBC" rather than leave it blank. In a field a row may
leave blank, reading those as values rejected whole rows (a licence for "Max occupiers: N/A") or stored nonsense
(nationalities "N" and "A"). The stage computes given() once per row for the fields listed there, beside the
cells as read (which `rejects` keeps), and every rule reads that.
"""
from __future__ import annotations

import re
from functools import cache

import duckdb

from etl import vocab


@cache
def placeholder_words() -> tuple[str, ...]:
    return tuple(w.strip().lower() for w in vocab.load("no_value")["words"])


@cache
def fields() -> frozenset[str]:
    return frozenset(vocab.load("no_value")["fields"])


def register(con: duckdb.DuckDBPyConnection) -> None:
    """Define given(s) on this connection. One regular expression, not lower() and a list: most cells of a big
    file fail it at their first character."""
    words = "|".join(re.escape(w) for w in sorted(placeholder_words(), key=len, reverse=True))
    pattern = f"(?i)\\s*(?:{words})\\s*".replace("'", "''")
    con.execute(f"CREATE OR REPLACE TEMP MACRO given(s) AS CASE WHEN regexp_full_match(s, '{pattern}') THEN NULL ELSE s END")
