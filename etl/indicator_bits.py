"""Each report's indicator codes as one integer bitmask (`reports.indicator_bits`), kept at load.

The visit list weighs every report in the view by the severities of its indicators, and the map and
the visit list test every report for a crowding indicator. Over each report's list of code strings
that took a lambda per report (about 40% of the visit list's scoring pass); over a bitmask it is a
few integer ANDs (analysis/addresses.py). Severities and the crowding codes stay settings, applied
when the query runs: only which codes a report has is stored.

The code → bit mapping lives in the warehouse (`indicator_bits`), so a stored mask never changes
meaning: a code new to the vocabulary gets the next free bit, and no bit is given twice.
"""
from __future__ import annotations

import re

import duckdb

from etl import vocab
from etl.errors import LoadError

MAX_BITS = 63        # a BIGINT's bits, less the sign
_CODE = re.compile(r"^[a-z0-9_]+$")


def register(con: duckdb.DuckDBPyConnection) -> None:
    """Give every vocabulary code a bit (writers only), and define the macro indicator_mask(codes) that
    turns a list of codes into its bitmask (0 for none)."""
    con.execute("""
        INSERT INTO indicator_bits
        SELECT code, (SELECT coalesce(max(bit), -1) FROM indicator_bits) + row_number() OVER (ORDER BY code)
        FROM (SELECT unnest(?::VARCHAR[]) AS code) new
        WHERE code NOT IN (SELECT code FROM indicator_bits)
    """, [sorted(vocab.load("indicators"))])
    bits = dict(con.execute("SELECT code, bit FROM indicator_bits ORDER BY bit").fetchall())
    if bits and max(bits.values()) >= MAX_BITS:
        raise LoadError(f"the indicator vocabulary has outgrown its {MAX_BITS}-bit mask "
                        f"({len(bits)} codes): etl/indicator_bits.py needs a wider column")
    # The codes are written into the macro as constants (a macro takes no bound parameters). They come
    # from our own vocabulary file, and any that is not a plain identifier is refused.
    odd = [code for code in bits if not _CODE.match(code)]
    if odd:
        raise LoadError(f"indicator codes must be lower-case identifiers: {', '.join(map(repr, odd))}")
    cases = " ".join(f"WHEN '{code}' THEN {1 << bit}::BIGINT" for code, bit in bits.items())
    body = f"list_aggregate(list_transform(codes, x -> CASE x {cases} END), 'bit_or')" if bits else "NULL"
    con.execute(f"CREATE OR REPLACE TEMP MACRO indicator_mask(codes) AS coalesce({body}, 0::BIGINT)")
