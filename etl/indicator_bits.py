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
    """Give every vocabulary code a bit (writers only), and define the macros indicator_mask(codes), which
    turns a list of codes into its bitmask (0 for none), and indicator_codes(mask), its sorted codes again."""
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
    con.execute(f"CREATE OR REPLACE TEMP MACRO indicator_codes(mask) AS {_codes_of_mask(bits)}")


def _codes_of_mask(bits: dict[str, int]) -> str:
    """SQL over `mask`: its codes, sorted, as `indicator_codes_sql` lists them.

    A report's signs are the union of two texts' (its indicators and its summary), each matched once per
    distinct text; the union of two masks is an OR, and this turns the few that need it back into a list
    without a lambda per row (joining the two lists with list_distinct and list_sort on every row that needs it
    cost about 1.7 s more in a trial of the bench's 2,000,000 rows). Codes are joined by commas and split again:
    a code is a plain identifier (`_CODE`).
    """
    if not bits:
        return "[]::VARCHAR[]"
    each = ", ".join(f"CASE WHEN mask & {1 << bit}::BIGINT <> 0 THEN '{code}' END" for code, bit in sorted(bits.items()))
    return f"CASE WHEN coalesce(mask, 0) = 0 THEN []::VARCHAR[] ELSE string_split(concat_ws(',', {each}), ',') END"
