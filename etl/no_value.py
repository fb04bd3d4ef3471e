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
    """The words for no value, and Excel's error values: a formula that failed gave the cell no value either."""
    words = [*vocab.load("no_value")["words"], *excel_errors()]
    return tuple(dict.fromkeys(w.strip().lower() for w in words))


@cache
def excel_errors() -> tuple[str, ...]:
    """What Excel shows in a cell whose formula failed (#REF!, #VALUE!), in upper case as Excel writes it."""
    return tuple(e.strip().upper() for e in vocab.load("no_value")["excel_errors"])


@cache
def fields() -> frozenset[str]:
    return frozenset(vocab.load("no_value")["fields"])


def register(con: duckdb.DuckDBPyConnection) -> None:
    """Define given(s) on this connection. The first character's code is tested before the regular expression:
    on the bench's 2,000,000 eastings and postcodes the expression alone took 0.4 s a read of the stage, and
    most cells (a number, a date) start with a character no word here starts with."""
    words = placeholder_words()
    pattern = "(?i)\\s*(?:" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)) + ")\\s*"
    firsts = sorted({ord(c) for w in words for c in (w[0].lower(), w[0].upper())})
    longest = max(len(w) for w in words) + 4
    con.execute(f"CREATE OR REPLACE TEMP MACRO given(s) AS CASE WHEN ascii(s) IN ({', '.join(map(str, firsts))}) "
                f"AND length(s) <= {longest} AND regexp_full_match(s, '{pattern.replace(chr(39), chr(39) * 2)}') "
                "THEN NULL ELSE s END")
