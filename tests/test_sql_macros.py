"""The value-level SQL macros (etl/sql/macros.sql) that every loader shares."""
from __future__ import annotations

import duckdb
from hypothesis import given, settings, strategies as st

from etl import loading

TYPED_NUMBER = st.text(alphabet="0123456789.,+-eE £\t\n\u00a0_xinfa", max_size=12)


@settings(max_examples=400, deadline=None)
@given(values=st.lists(TYPED_NUMBER | st.floats(allow_nan=False).map(str), min_size=1, max_size=30))
def test_parse_number_is_the_number_left_once_separators_are_removed(values):
    """parse_number tries a plain cast first, for speed; it must give what stripping separators and casting
    gives, for any text (bit for bit: NaN and -0.0 included)."""
    con = duckdb.connect()
    con.execute(loading.MACROS.read_text())
    got = con.execute("""
        SELECT CAST(parse_number(v) AS VARCHAR),
               CAST(try_cast(regexp_replace(v, '[,\\s£]', '', 'g') AS DOUBLE) AS VARCHAR)
        FROM (SELECT unnest(?::VARCHAR[]) AS v)
    """, [values]).fetchall()
    assert all(a == b for a, b in got), [(v, a, b) for v, (a, b) in zip(values, got) if a != b]
