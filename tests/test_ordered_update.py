"""etl.ordered_update: an UPDATE from a join, its rows met in stored order, sets what the plain UPDATE would."""
from __future__ import annotations

import duckdb

from etl.ordered_update import update_from


def _places(con) -> None:
    con.execute("""CREATE TEMP TABLE places AS
        SELECT i AS id, (i * 7919 % 1000)::UBIGINT AS cell, CASE WHEN i % 10 = 0 THEN NULL ELSE 52.0 END AS lat,
               NULL::VARCHAR AS code, NULL::VARCHAR AS status FROM range(1000) t(i)""")
    con.execute("CREATE TEMP TABLE cells AS SELECT i::UBIGINT AS cell, 'D' || (i % 6) AS code FROM range(0, 1000, 2) t(i)")


def test_each_row_gets_its_own_joined_value_with_parameters_in_order():
    con = duckdb.connect()
    _places(con)
    update_from(con, "places", {"code": "c.code || ?", "status": "'placed'"}, "cells c",
                "t.cell = c.cell AND t.lat IS NOT NULL AND t.id >= ?", ["!", 100])
    got = con.execute("SELECT id, code, status FROM places ORDER BY id").fetchall()
    want = [(i, (f"D{(i * 7919 % 1000) % 6}!", "placed")
             if (i * 7919 % 1000) % 2 == 0 and i % 10 and i >= 100 else (None, None)) for i in range(1000)]
    assert got == [(i, *v) for i, v in want]
    assert sum(1 for _, c, _ in got if c) > 300
